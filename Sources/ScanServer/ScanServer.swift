import Foundation
import HTTPTypes
public import Hummingbird
import HummingbirdCore
import HummingbirdTLS
public import Logging
import NIOCore
public import NIOSSL
public import PhotoReader
public import Recording
import Reports
public import ServiceLifecycle
public import TicketCodec
public import TicketStation

/// What the scanning server needs of a store: it records, counts and checks officers.
public typealias ScanServerStore = RecordingStore & StatisticsStore & OfficerStore

/// The scanning server: the HTTP API phones scan with, and the phone page at `/`.
///
/// Handlers are asynchronous all the way: a ticket text is verified and recorded without
/// leaving the request's task, a photo is read on the bounded pool of photo workers (the one
/// CPU-bound job), and every store call is the store's own async call. Every API route needs
/// an officer's bearer token.
public final class ScanServer: Sendable {
    /// Where it listens and what it allows.
    public let configuration: ServerConfiguration
    /// Reads, verifies and records uploads.
    public let scanner: ScanRecorder
    /// The officers and their token hashes.
    public let officers: any OfficerStore
    /// The counts `GET /api/v1/stats` answers with.
    public let statistics: any StatisticsStore
    /// Services that run beside the HTTP server, such as a PostgreSQL store's connection pool.
    public let services: [any Service]
    /// The certificate and key the server speaks TLS with, or `nil` for plain HTTP.
    public let tls: TLSConfiguration?
    let limiter: RateLimiter
    let addressLimiter: RateLimiter
    let recentTokens = RecentTokens()
    let officerLookups: OfficerLookups
    let connections: AddressConnections
    let logger: Logger
    /// The phone page's files, or `nil` when they were not installed beside the binary.
    let page = PhonePageFiles.installed()

    /// A server over `store`, reading photos with `readerOptions` on `configuration.workers`
    /// threads, logging to `logger`; `services` run as long as it does.
    public init(
        configuration: ServerConfiguration, verifier: TicketVerifier, rules: RecordingRules,
        store: any ScanServerStore,
        readerOptions: PhotoReaderOptions = PhotoReaderOptions(
            maxPixels: ServerConfiguration.defaultMaxPixels),
        services: [any Service] = [], tls: TLSConfiguration? = nil,
        logger: Logger = Logger(label: "vaxticket.server")
    ) {
        var configuration = configuration
        configuration.servesTLS = tls != nil
        self.configuration = configuration
        self.tls = tls
        self.scanner = ScanRecorder(
            verifier: verifier, store: store, rules: rules,
            photos: PhotoWorkers(
                threads: configuration.workers, queueLimit: configuration.queueLimit,
                options: readerOptions))
        self.officers = store
        officerLookups = OfficerLookups(officers: store)
        self.statistics = store
        self.services = services
        self.logger = logger
        limiter = RateLimiter(
            perMinute: configuration.rateLimitPerMinute, burst: configuration.rateLimitBurst)
        addressLimiter = RateLimiter(
            perMinute: configuration.unauthenticatedPerMinute,
            burst: configuration.unauthenticatedBurst)
        connections = AddressConnections(limit: configuration.connectionsPerAddress)
    }

    /// Connections open now, all client addresses together.
    public var openConnections: Int { connections.total }

    /// The Hummingbird application, with the store's services; `onRunning` gets the port it
    /// listens on.
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws
        -> some ApplicationProtocol
    {
        let configuration = configuration, connections = connections
        let http = HTTPServerBuilder.http1(
            configuration: HTTP1Channel.Configuration(
                additionalChannelHandlers: [
                    ConnectionGuard(
                        connections: connections, headTimeout: configuration.headTimeout,
                        bodyIdleTimeout: configuration.bodyIdleTimeout,
                        bodyTimeout: configuration.bodyTimeout)
                ]))
        return Application(
            router: router(),
            server: try tls.map { try .tls(http, tlsConfiguration: $0) } ?? http,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "vaxticket"),
            services: services,
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    /// Serves until `SIGTERM` or `SIGINT`, then stops the photo workers.
    public func runUntilSignalled(onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        async throws
    {
        do {
            try await application(onRunning: onRunning).runService()
        } catch {
            await scanner.photos.shutdown()
            throw error
        }
        await scanner.photos.shutdown()
    }

    /// Serves until the calling task is cancelled (tests), then stops the photo workers.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        do {
            try await application(onRunning: onRunning).run()
        } catch is CancellationError {
        } catch {
            await scanner.photos.shutdown()
            throw error
        }
        await scanner.photos.shutdown()
    }

    func router() -> Router<ScanRequestContext> {
        let router = Router(context: ScanRequestContext.self)
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: SecurityHeadersMiddleware(servesTLS: configuration.servesTLS))
        if let page {
            for path in page.files.keys.sorted() {
                router.get(RouterPath(path)) { request, _ in
                    page.response(for: path, ifNoneMatch: request.headers[.ifNoneMatch])
                        ?? PhonePageFiles.missing()
                }
            }
        } else {
            router.get("/") { _, _ in PhonePageFiles.missing() }
        }
        router.get("/healthz") { _, _ in
            HealthReport(
                status: "ok", load: self.scanner.photos.load, workers: self.scanner.photos.threads)
        }
        let api = router.group("api/v1").add(
            middleware: AuthMiddleware(
                officers: officerLookups, limiter: limiter, addresses: addressLimiter,
                recentlyValid: recentTokens))
        api.post("scans") { request, context in try await self.scan(request, context: context) }
        api.post("scans/batch") { request, context in
            try await self.scanQueue(request, context: context)
        }
        api.get("stats") { request, context in try await self.stats(request, context: context) }
        api.get("offline-bundle") { request, context in
            try self.offlineBundle(request, context: context)
        }
        return router
    }

    // MARK: - Routes

    private func scan(_ request: Request, context: ScanRequestContext) async throws
        -> EditedResponse<JSONBody<ScanAnswer>>
    {
        guard let officer = context.officer else {
            throw APIFailure.unauthorized("sign in with an officer token")
        }
        let kind = try ScanBodyKind(MediaType(request.headers[.contentType] ?? ""))
        let body = try await collect(request)
        var lot = request.uri.queryParameters.get("lot")
        var station = request.uri.queryParameters.get("station")
        // Every value given is checked, also a query value a form field then replaces.
        try Self.checkFields(lot: lot, station: station)
        let upload: ScanUpload
        switch kind {
        case .photo:
            upload = .photo(Array(body.readableBytesView))
        case .text:
            upload = .text(String(decoding: body.readableBytesView, as: UTF8.self))
        case .form(let boundary):
            // Parsed on a photo worker, within its limits, never on the server's own threads.
            let maxParts = configuration.maxFormParts
            let parsed: Result<ScanForm, ScanForm.Problem>
            do {
                parsed = try await scanner.photos.run {
                    Result { () throws(ScanForm.Problem) in
                        try ScanForm(body, boundary: boundary, maxParts: maxParts)
                    }
                }
            } catch {
                throw APIFailure.busy("the server is busy; try again in a second")
            }
            let form: ScanForm
            switch parsed {
            case .success(let value): form = value
            case .failure(let problem): throw APIFailure.badRequest(problem.description)
            }
            upload = form.upload
            lot = form.lot ?? lot
            station = form.station ?? station
        }
        try Self.checkFields(lot: lot, station: station)
        let results: [RecordingResult]
        do {
            results = try await scanner.record(
                upload, officer: officer, station: station ?? "phone", lot: lot)
        } catch .photoWorkersBusy {
            throw APIFailure.busy("the server is busy; try again in a second")
        } catch .store(let error) {
            throw APIFailure(error, logger: context.logger)
        }
        guard let first = results.first else {
            throw APIFailure(.internalServerError, .storeError, "the store answered nothing")
        }
        var logger = context.logger
        logger[metadataKey: "outcome"] = "\(first.outcome.code.rawValue)"
        logger[metadataKey: "tickets"] = "\(results.count)"
        logger.info("scan")
        return EditedResponse(
            headers: [.cacheControl: "no-store", Self.ticketsHeader: String(results.count)],
            response: JSONBody(ScanAnswer(results)))
    }

    /// A phone's queued scans: each id recorded once, whatever happens to the connection.
    private func scanQueue(_ request: Request, context: ScanRequestContext) async throws
        -> EditedResponse<JSONBody<QueueUploadReport>>
    {
        guard let officer = context.officer else {
            throw APIFailure.unauthorized("sign in with an officer token")
        }
        guard MediaType(request.headers[.contentType] ?? "").type == "application/json" else {
            throw APIFailure(
                .unsupportedMediaType, .unsupportedMediaType,
                "send the queued scans as application/json")
        }
        let body = try await collect(request)
        let upload: QueueUploadBody
        do {
            upload = try JSONDecoder().decode(
                QueueUploadBody.self, from: Data(body.readableBytesView))
        } catch {
            throw APIFailure.badRequest("the body is not a batch of queued scans")
        }
        let uploads = try upload.uploads(maxScans: configuration.maxBatchScans)
        let answers: [QueuedAnswer]
        do {
            answers = try await scanner.recordQueued(
                uploads, officer: officer,
                limits: QueueLimits(maximumAgeDays: configuration.queueDays)
            ) { results in try JSONLineWriter.line(ScanAnswer(results)) }
        } catch .photoWorkersBusy {
            throw APIFailure.busy("the server is busy; try again in a second")
        } catch .store(let error) {
            throw APIFailure(error, logger: context.logger)
        }
        var reports: [QueuedScanReport] = []
        let decoder = JSONLineWriter.decoder()
        for answer in answers {
            do {
                reports.append(
                    QueuedScanReport(
                        id: answer.id, repeated: answer.repeated,
                        answer: try decoder.decode(ScanAnswer.self, from: Data(answer.answer.utf8)))
                )
            } catch {
                throw APIFailure(
                    .internalServerError, .storeError, "a stored answer cannot be read")
            }
        }
        var logger = context.logger
        logger[metadataKey: "scans"] = "\(answers.count)"
        logger[metadataKey: "repeated"] = "\(answers.filter(\.repeated).count)"
        logger.info("queued scans")
        return EditedResponse(
            headers: [.cacheControl: "no-store"],
            response: JSONBody(QueueUploadReport(results: reports)))
    }

    /// What a phone decides offline with; 304 without a body when the phone holds this version.
    private func offlineBundle(_ request: Request, context: ScanRequestContext) throws -> Response {
        guard let officer = context.officer else {
            throw APIFailure.unauthorized("sign in with an officer token")
        }
        let bundle = OfflineBundle(
            verifier: scanner.verifier, rules: scanner.rules, configuration: configuration,
            officer: officer)
        // The bundle names the officer, so no shared cache may keep it, and every use
        // revalidates: a revocation reaches the phone at its next fetch.
        var headers: HTTPFields = [
            .eTag: "\"\(bundle.version)\"", .cacheControl: "private, no-cache",
            .vary: "Authorization",
        ]
        if let match = request.headers[.ifNoneMatch], bundle.isMatched(byIfNoneMatch: match) {
            return Response(status: .notModified, headers: headers)
        }
        let body: Data
        do {
            body = try JSONLineWriter.encoder().encode(bundle)
        } catch {
            throw APIFailure(.internalServerError, .storeError, "the bundle could not be written")
        }
        headers[.contentType] = "application/json"
        return Response(
            status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    private func stats(_ request: Request, context: ScanRequestContext) async throws
        -> EditedResponse<JSONBody<StatsReport>>
    {
        let parameters = request.uri.queryParameters
        var dimension = StatisticsDimension.dose
        if let by = parameters.get("by") {
            guard let chosen = StatisticsDimension(rawValue: by) else {
                throw APIFailure.badRequest("by must be one of dose, site, day, vaccine, group")
            }
            dimension = chosen
        }
        var days: [CalendarDate?] = []
        for name in ["from", "to"] {
            guard let value = parameters.get(name) else {
                days.append(nil)
                continue
            }
            guard let day = CalendarDate(iso: value) else {
                throw APIFailure.badRequest("\(name) must be a date like 2021-08-23")
            }
            days.append(day)
        }
        let from = days[0], to = days[1]
        if let from, let to, from > to { throw APIFailure.badRequest("from is after to") }
        let query = StatisticsQuery(dimension: dimension, from: from, to: to)
        do {
            let report = StatsReport(
                try await statistics.statistics(query), query: query,
                sync: try await statistics.syncCounts(from: from, to: to),
                late: try await statistics.lateScans(from: from, to: to))
            return EditedResponse(headers: [.cacheControl: "no-store"], response: JSONBody(report))
        } catch {
            throw APIFailure(error, logger: context.logger)
        }
    }

    /// The request body, refused with 413 beyond the configured size.
    private func collect(_ request: Request) async throws(APIFailure) -> ByteBuffer {
        let limit = configuration.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw .tooLarge(limit)
        }
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw .tooLarge(limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw .tooLarge(limit)
        } catch {
            throw .badRequest("the body could not be read")
        }
    }

    // MARK: - Fields

    /// Says how many tickets a photo held.
    // swift-format-ignore: NeverForceUnwrap
    // A literal field name, valid by inspection.
    static let ticketsHeader = HTTPField.Name("X-VaxTicket-Tickets")!

    /// Refuses `lot` or `station` when given but not 1 to 64 printable characters.
    static func checkFields(lot: String?, station: String?) throws(APIFailure) {
        if let lot, !isValidField(lot) {
            throw .badRequest("lot must be 1 to 64 printable characters")
        }
        if let station, !isValidField(station) {
            throw .badRequest("station must be 1 to 64 printable characters")
        }
    }

    static func isValidField(_ value: String) -> Bool {
        !value.isEmpty && value.unicodeScalars.count <= 64
            && !value.unicodeScalars.contains { CharacterSet.controlCharacters.contains($0) }
    }
}

extension APIFailure {
    /// The answer to a store failure: 503 with Retry-After while the database is busy or
    /// locked (nothing was written, trying again may succeed), else 500, logged by code.
    init(_ error: StoreError, logger: Logger) {
        switch error {
        case .busy:
            self = .busy("the database is busy; try again in a second")
        case .locked:
            self = .busy("the database is locked by another program; try again in a few seconds")
        default:
            logger.error("store failed", metadata: ["code": "\(error.code)"])
            self.init(
                .internalServerError, .storeError,
                "the database failed (\(error.code)); the scan was not recorded")
        }
    }
}

/// What a scan's body is, by its media type.
enum ScanBodyKind {
    case photo, text
    case form(boundary: String)

    init(_ mediaType: MediaType) throws(APIFailure) {
        switch mediaType.type {
        case "image/jpeg", "image/png": self = .photo
        case "text/plain": self = .text
        case "multipart/form-data": self = .form(boundary: mediaType.parameters["boundary"] ?? "")
        default:
            throw APIFailure(
                .unsupportedMediaType, .unsupportedMediaType,
                "send a photo (image/jpeg or image/png), a ticket text (text/plain) or a multipart form with a photo field"
            )
        }
    }
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
