public import FHIR
import Foundation
import Hummingbird
import Logging
import NIOCore

/// A small FHIR-like registry on loopback, for tests and benchmarks: an OAuth2 client-credentials
/// token endpoint at `/token`, and transaction bundles of conditional `Immunization` creates at
/// `/fhir`, stored by identifier. Faults can be injected into the next requests.
public final class FHIRReceiver: Sendable {
    /// The client id the token endpoint accepts.
    public let clientID: String
    /// The client secret the token endpoint accepts.
    public let clientSecret: String
    /// Seconds a token stays valid.
    public let tokenLifetime: Int
    /// Whether a bundle with one bad entry is refused whole (400), as FHIR transactions are;
    /// otherwise each entry gets its own status.
    public let atomic: Bool
    let state = ReceiverState()
    private let running = RunningServer()

    /// A receiver for these credentials; not listening until `start`.
    public init(
        clientID: String, clientSecret: String, tokenLifetime: Int = 3600, atomic: Bool = false
    ) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.tokenLifetime = tokenLifetime
        self.atomic = atomic
    }

    /// Starts listening on 127.0.0.1 (`port` 0 picks a free one) and returns the port.
    @discardableResult
    public func start(port: Int = 0) async throws -> Int {
        let router = Router()
        router.post("token") { request, _ in try await self.token(request) }
        router.post("fhir") { request, _ in try await self.transaction(request) }
        router.get("_receiver/counts") { _, _ in
            Self.json(
                .ok, try JSONEncoder().encode(await self.state.counts()), type: "application/json")
        }
        var logger = Logger(label: "fhir-receiver")
        logger.logLevel = .critical
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger
        )
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var bound = 0
        for await value in stream { bound = value }
        if bound == 0 {
            task.cancel()
            _ = try await task.value
            throw ReceiverError.couldNotListen
        }
        await running.set(task: task, port: bound)
        return bound
    }

    /// Stops listening.
    public func stop() async {
        guard let task = await running.take() else { return }
        task.cancel()
        _ = try? await task.value
    }

    /// The FHIR base URL, once started.
    public func baseURL() async -> String { "http://127.0.0.1:\(await running.port)/fhir" }
    /// The token URL, once started.
    public func tokenURL() async -> String { "http://127.0.0.1:\(await running.port)/token" }

    /// Queues faults for the next transaction requests, one each, in order.
    public func inject(_ faults: [ReceiverFault]) async { await state.add(faults) }

    /// Refuses entries with this serial (identifier value) with `message`; `nil` accepts them again.
    public func refuse(serial: String, because message: String?) async {
        await state.refuse(serial: serial, because: message)
    }

    /// Makes the token endpoint explain a refused client with `description` (its
    /// `error_description`), for tests of what a hostile registry can say.
    public func explainRefusedClients(_ description: String) async {
        await state.setTokenRefusal(description)
    }

    /// Makes every later transaction wait this long after storing, before it answers.
    public func slowDown(seconds: Double) async { await state.setDelay(seconds) }

    /// The counters.
    public func counts() async -> ReceiverCounts { await state.counts() }

    /// How many immunizations carry each identifier value of `system`.
    public func identifierCounts(system: String) async -> [String: Int] {
        await state.identifierCounts(system: system)
    }

    /// Every stored immunization, in arrival order.
    public func immunizations() async -> [Immunization] { await state.stored() }

    // MARK: - Handlers

    private func token(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        let form = Self.form(String(buffer: body))
        guard form["grant_type"] == "client_credentials" else {
            return Self.json(
                .badRequest, Data(#"{"error":"unsupported_grant_type"}"#.utf8),
                type: "application/json")
        }
        guard form["client_id"] == clientID, form["client_secret"] == clientSecret else {
            let refusal = TokenRefusal(error_description: await state.tokenRefusal)
            return Self.json(
                .unauthorized, try JSONEncoder().encode(refusal), type: "application/json")
        }
        let token = await state.issueToken(lifetime: TimeInterval(tokenLifetime))
        let answer =
            #"{"access_token":"\#(token)","token_type":"Bearer","expires_in":\#(tokenLifetime)}"#
        return Self.json(.ok, Data(answer.utf8), type: "application/json")
    }

    private func transaction(_ request: Request) async throws -> Response {
        var request = request
        let fault = await state.nextFault()
        if fault == .expireToken { await state.expireAllTokens() }
        let authorization = request.headers[.authorization] ?? ""
        guard authorization.hasPrefix("Bearer "),
            await state.isValid(String(authorization.dropFirst(7)))
        else {
            return Self.outcome(
                .unauthorized, code: "login", "missing, unknown or expired access token")
        }
        let body = try await request.collectBody(upTo: 256 * 1024 * 1024)
        switch fault {
        case .serverError:
            return Self.outcome(.internalServerError, code: "exception", "injected server error")
        case .tooManyRequests(let seconds):
            var response = Self.outcome(.tooManyRequests, code: "throttled", "slow down")
            response.headers[.retryAfter] = String(seconds)
            return response
        default:
            break
        }
        guard
            let bundle = try? JSONDecoder().decode(
                FHIRBundle<Immunization>.self, from: Data(body.readableBytesView)),
            bundle.type == .transaction
        else {
            return Self.outcome(
                .badRequest, code: "structure",
                "not a FHIR transaction Bundle of Immunization resources")
        }
        let entries = bundle.entry ?? []
        var checked: [(Immunization, system: String, value: String)?] = []
        var problems: [String?] = []
        for entry in entries {
            let (problem, parsed) = await check(entry)
            problems.append(problem)
            checked.append(parsed)
        }
        if atomic, problems.contains(where: { $0 != nil }) {
            let issues = problems.enumerated().compactMap { index, problem in
                problem.map {
                    OperationOutcome.Issue(
                        severity: "error", code: "processing", diagnostics: "entry \(index): \($0)")
                }
            }
            for _ in issues { await state.countRefusal() }
            return Self.json(.badRequest, try JSONEncoder().encode(OperationOutcome(issue: issues)))
        }
        var responses: [FHIRBundle<ResourceHeader>.Entry] = []
        for (problem, parsed) in zip(problems, checked) {
            if let problem {
                await state.countRefusal()
                let outcome = OperationOutcome(issue: [
                    OperationOutcome.Issue(
                        severity: "error", code: "processing", diagnostics: problem)
                ])
                responses.append(
                    FHIRBundle<ResourceHeader>.Entry(
                        response: FHIRBundle<ResourceHeader>.Response(
                            status: "422 Unprocessable Entity", outcome: outcome)))
            } else if let parsed {
                let immunization = parsed.0
                if let existing = await state.find(system: parsed.system, value: parsed.value) {
                    await state.countMatch()
                    responses.append(
                        FHIRBundle<ResourceHeader>.Entry(
                            response: FHIRBundle<ResourceHeader>.Response(
                                status: "200 OK",
                                location: "Immunization/\(existing + 1)/_history/1")))
                } else {
                    let index = await state.store(immunization)
                    responses.append(
                        FHIRBundle<ResourceHeader>.Entry(
                            response: FHIRBundle<ResourceHeader>.Response(
                                status: "201 Created",
                                location: "Immunization/\(index + 1)/_history/1")))
                }
            }
        }
        let answer = try JSONEncoder().encode(
            FHIRBundle<ResourceHeader>(type: .transactionResponse, entry: responses))
        let delay = await state.delay
        if delay > 0 { try? await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000)) }
        switch fault {
        case .stall(let seconds):
            try? await Task.sleep(nanoseconds: UInt64(max(seconds, 0) * 1_000_000_000))
            return Self.json(.ok, answer)
        case .dropAfterStore:
            // Promise the whole answer, send a piece, then fail: the server closes the connection.
            let piece = ByteBuffer(bytes: answer.prefix(8))
            return Response(
                status: .ok,
                headers: [
                    .contentType: "application/fhir+json", .contentLength: String(answer.count),
                ],
                body: ResponseBody { writer in
                    try await writer.write(piece)
                    throw ReceiverError.droppedOnPurpose
                })
        default:
            return Self.json(.ok, answer)
        }
    }

    /// The problem with an entry, if any, else the immunization and its conditional-create key.
    private func check(_ entry: FHIRBundle<Immunization>.Entry) async -> (
        String?, (Immunization, system: String, value: String)?
    ) {
        guard let request = entry.request, request.method == "POST", request.url == "Immunization"
        else {
            return ("the entry must be a POST to Immunization", nil)
        }
        guard let immunization = entry.resource, immunization.resourceType == "Immunization" else {
            return ("the entry has no Immunization", nil)
        }
        guard let condition = request.ifNoneExist,
            let (system, value) = Self.identifierSearch(condition)
        else {
            return ("the entry has no ifNoneExist=identifier=system|value condition", nil)
        }
        guard immunization.identifier?.contains(Identifier(system: system, value: value)) == true
        else {
            return ("ifNoneExist names an identifier the resource does not carry", nil)
        }
        guard immunization.status == "completed", immunization.occurrenceDateTime != nil,
            immunization.protocolApplied?.first.map({ $0.doseNumberPositiveInt >= 1 }) == true
        else {
            return (
                "status, occurrenceDateTime and protocolApplied.doseNumberPositiveInt are required",
                nil
            )
        }
        guard immunization.patient.identifier?.system == RegistryCoding.nikSystem,
            let nik = immunization.patient.identifier?.value, nik.count == 16,
            nik.allSatisfy({ $0.isASCII && $0.isNumber })
        else {
            return ("the patient must be referenced by a 16-digit NIK", nil)
        }
        if let message = await state.refusal(serial: value) { return (message, nil) }
        return (nil, (immunization, system, value))
    }

    /// Parses `identifier=system|value`, percent-decoding both parts.
    static func identifierSearch(_ query: String) -> (String, String)? {
        guard query.hasPrefix("identifier=") else { return nil }
        let parts = query.dropFirst("identifier=".count).split(
            separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let system = String(parts[0]).removingPercentEncoding,
            let value = String(parts[1]).removingPercentEncoding,
            !value.isEmpty
        else { return nil }
        return (system, value)
    }

    private static func form(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { continue }
            let decode = { (text: Substring) in
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            fields[decode(parts[0])] = decode(parts[1])
        }
        return fields
    }

    private static func outcome(_ status: HTTPResponse.Status, code: String, _ message: String)
        -> Response
    {
        let outcome = OperationOutcome(issue: [
            OperationOutcome.Issue(severity: "error", code: code, diagnostics: message)
        ])
        return json(status, (try? JSONEncoder().encode(outcome)) ?? Data())
    }

    private static func json(
        _ status: HTTPResponse.Status, _ data: Data, type: String = "application/fhir+json"
    ) -> Response {
        Response(
            status: status, headers: [.contentType: type],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Why the receiver could not do what was asked.
public enum ReceiverError: Error, Hashable, Sendable {
    /// The server did not report a bound port.
    case couldNotListen
    /// The answer was cut off on purpose (the `dropAfterStore` fault).
    case droppedOnPurpose
}

/// The running server task and its port.
private actor RunningServer {
    var task: Task<Void, any Error>?
    var port = 0

    func set(task: Task<Void, any Error>, port: Int) {
        self.task = task
        self.port = port
    }

    func take() -> Task<Void, any Error>? {
        defer { task = nil }
        return task
    }
}

/// The token endpoint's answer to a refused client.
private struct TokenRefusal: Encodable {
    var error = "invalid_client"
    var error_description: String
}
