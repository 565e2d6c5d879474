import Foundation
import HTTPTypes
public import Hummingbird
public import Logging
import MultipartKit
import NIOCore
public import Recording
import Reports
import TicketCodec

/// The scanning server: the HTTP API phones scan with, and the phone page at `/`.
///
/// Blocking work (photo decoding, every store call) runs on a bounded `WorkPool`; the event
/// loops only parse and answer. Every API route needs an officer's bearer token.
public final class ScanServer: Sendable {
    /// Where it listens and what it allows.
    public let configuration: ServerConfiguration
    /// Reads, verifies and records uploads.
    public let scanner: ScanRecorder
    /// The officers and their token hashes.
    public let officers: any OfficerStore
    /// The pool for blocking work.
    public let pool: WorkPool
    let limiter: RateLimiter
    let logger: Logger

    /// A server over `scanner` and `officers`, logging to `logger`.
    public init(
        configuration: ServerConfiguration, scanner: ScanRecorder, officers: any OfficerStore,
        logger: Logger = Logger(label: "vaxticket.server")
    ) {
        self.configuration = configuration
        self.scanner = scanner
        self.officers = officers
        self.logger = logger
        pool = WorkPool(threads: configuration.workers, queueLimit: configuration.queueLimit)
        limiter = RateLimiter(
            perMinute: configuration.rateLimitPerMinute, burst: configuration.rateLimitBurst)
    }

    /// The Hummingbird application; `onRunning` gets the port it listens on.
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol
    {
        Application(
            router: router(),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "vaxticket"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    /// Serves until `SIGTERM` or `SIGINT`, then stops the work pool.
    public func runUntilSignalled(onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        async throws
    {
        do {
            try await application(onRunning: onRunning).runService()
        } catch {
            await pool.shutdown()
            throw error
        }
        await pool.shutdown()
    }

    /// Serves until the calling task is cancelled (tests), then stops the work pool.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        do {
            try await application(onRunning: onRunning).run()
        } catch is CancellationError {
        } catch {
            await pool.shutdown()
            throw error
        }
        await pool.shutdown()
    }

    func router() -> Router<ScanRequestContext> {
        let router = Router(context: ScanRequestContext.self)
        router.add(middleware: RequestLogMiddleware())
        router.get("/") { _, _ in PhonePage.response() }
        router.get("/healthz") { _, _ in
            Self.json(HealthReport(status: "ok", load: self.pool.load, workers: self.pool.threads))
        }
        let api = router.group("api/v1").add(middleware: AuthMiddleware(server: self))
        api.post("scans") { request, context in try await self.scan(request, context: context) }
        api.get("stats") { request, context in try await self.stats(request, context: context) }
        return router
    }

    // MARK: - Routes

    private func scan(_ request: Request, context: ScanRequestContext) async throws -> Response {
        guard let officer = context.officer else {
            return Self.error(.unauthorized, "unauthorized", "sign in with an officer token")
        }
        let mediaType = MediaType(request.headers[.contentType] ?? "")
        let kind: ScanBodyKind
        switch mediaType.type {
        case "image/jpeg", "image/png": kind = .photo
        case "text/plain": kind = .text
        case "multipart/form-data": kind = .form(boundary: mediaType.parameters["boundary"] ?? "")
        default:
            return Self.error(
                .unsupportedMediaType, "unsupported_media_type",
                "send a photo (image/jpeg or image/png), a ticket text (text/plain) or a multipart form with a photo field"
            )
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }),
            length > configuration.maxBodyBytes
        {
            return tooLarge()
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: configuration.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            return tooLarge()
        } catch let error as HTTPError where error.status == .contentTooLarge {
            return tooLarge()
        } catch {
            return Self.error(.badRequest, "bad_request", "the body could not be read")
        }
        var lot = request.uri.queryParameters.get("lot")
        var station = request.uri.queryParameters.get("station")
        // Every value given is checked, also a query value a form field then replaces.
        if let refusal = Self.fieldRefusal(lot: lot, station: station) { return refusal }
        let upload: ScanUpload
        switch kind {
        case .photo:
            upload = .photo(Array(body.readableBytesView))
        case .text:
            upload = .text(String(decoding: body.readableBytesView, as: UTF8.self))
        case .form(let boundary):
            let form: ScanForm
            do {
                form = try ScanForm(body, boundary: boundary)
            } catch {
                return Self.error(.badRequest, "bad_request", error.description)
            }
            upload = form.upload
            lot = form.lot ?? lot
            station = form.station ?? station
        }
        if let refusal = Self.fieldRefusal(lot: lot, station: station) { return refusal }
        let scanner = scanner
        let results: [RecordingResult]
        do {
            let station = station ?? "phone"
            let lot = lot
            results = try await onPool { () throws(StoreError) in
                try scanner.record(upload, officer: officer, station: station, lot: lot)
            }
        } catch {
            return error.response
        }
        guard let first = results.first else {
            return Self.error(.internalServerError, "store_error", "the store answered nothing")
        }
        var logger = context.logger
        logger[metadataKey: "outcome"] = "\(first.outcome.code.rawValue)"
        logger[metadataKey: "tickets"] = "\(results.count)"
        logger.info("scan")
        var response = Self.json(RecordReport(first))
        response.headers[Self.ticketsHeader] = String(results.count)
        return response
    }

    private func stats(_ request: Request, context: ScanRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        var dimension = StatisticsDimension.dose
        if let by = parameters.get("by") {
            guard let chosen = StatisticsDimension(rawValue: by) else {
                return Self.error(
                    .badRequest, "bad_request", "by must be one of dose, site, day, vaccine, group")
            }
            dimension = chosen
        }
        let from = parameters.get("from")
        let to = parameters.get("to")
        for (name, value) in [("from", from), ("to", to)] {
            if let value, CalendarDate(iso: value) == nil {
                return Self.error(
                    .badRequest, "bad_request", "\(name) must be a date like 2021-08-23")
            }
        }
        if let from, let to, from > to {
            return Self.error(.badRequest, "bad_request", "from is after to")
        }
        let query = StatisticsQuery(dimension: dimension, from: from, to: to)
        let store = scanner.store
        do {
            let report = try await onPool { () throws(StoreError) in
                StatsReport(
                    try store.statistics(query), query: query,
                    sync: try store.syncCounts(from: from, to: to))
            }
            return Self.json(report)
        } catch {
            return error.response
        }
    }

    private func tooLarge() -> Response {
        Self.error(
            .contentTooLarge, "payload_too_large",
            "the body is larger than \(configuration.maxBodyBytes) bytes")
    }

    /// Runs store work on the pool; a full pool or a store failure becomes a `Refusal`.
    func onPool<T: Sendable>(_ body: @escaping @Sendable () throws(StoreError) -> T)
        async throws(Refusal) -> T
    {
        do {
            return try await pool.run { try body() }
        } catch is WorkPoolFull {
            throw Refusal(response: Self.busy("the server is busy; try again in a second"))
        } catch let error as StoreError {
            if case .busy = error {
                throw Refusal(response: Self.busy("the database is busy; try again in a second"))
            }
            logger.error("store failed", metadata: ["code": "\(error.code)"])
            throw Refusal(
                response: Self.error(
                    .internalServerError, "store_error",
                    "the database failed (\(error.code)); the scan was not recorded"))
        } catch {
            throw Refusal(
                response: Self.error(
                    .internalServerError, "store_error", "the scan was not recorded"))
        }
    }

    // MARK: - Responses

    /// Says how many tickets a photo held when it held more than the one answered.
    // swift-format-ignore: NeverForceUnwrap
    // A literal field name, valid by inspection.
    static let ticketsHeader = HTTPField.Name("X-VaxTicket-Tickets")!

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONLineWriter.encoder().encode(value)) ?? Data("{}".utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> Response
    {
        json(APIError(error: code, message: message), status: status)
    }

    static func busy(_ message: String) -> Response {
        var response = error(.serviceUnavailable, "busy", message)
        response.headers[.retryAfter] = "1"
        return response
    }

    /// A 400 answer when `lot` or `station` is given but not 1 to 64 printable characters.
    static func fieldRefusal(lot: String?, station: String?) -> Response? {
        if let lot, !isValidField(lot) {
            return error(.badRequest, "bad_request", "lot must be 1 to 64 printable characters")
        }
        if let station, !isValidField(station) {
            return error(.badRequest, "bad_request", "station must be 1 to 64 printable characters")
        }
        return nil
    }

    static func isValidField(_ value: String) -> Bool {
        !value.isEmpty && value.unicodeScalars.count <= 64
            && !value.unicodeScalars.contains { CharacterSet.controlCharacters.contains($0) }
    }
}

/// A request the server answers with an error instead of a result.
struct Refusal: Error {
    var response: Response
}

enum ScanBodyKind {
    case photo, text
    case form(boundary: String)
}

/// A `Content-Type` value: the media type, lowercased, and its parameters.
struct MediaType {
    var type: String
    var parameters: [String: String] = [:]

    init(_ header: String) {
        let parts = header.split(separator: ";", omittingEmptySubsequences: false)
        type = (parts.first.map(String.init) ?? "").trimmingCharacters(in: .whitespaces)
            .lowercased()
        for part in parts.dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            parameters[pair[0].trimmingCharacters(in: .whitespaces).lowercased()] = value
        }
    }
}
