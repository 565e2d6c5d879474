import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TicketCodec

/// An HTTP answer from the registry: status, the `Retry-After` header, the body.
struct RegistryAnswer: Sendable {
    var status: Int
    var retryAfter: String?
    var body: Data
}

/// Talks HTTP to the registry: an OAuth2 client-credentials token, cached until shortly before
/// it expires and renewed on a 401, and POSTs of FHIR JSON with retries.
final class RegistryClient: Sendable {
    private let http: HTTPClient
    private let endpoint: String
    private let tokenURL: String
    private let credentials: ClientCredentials
    private let timeout: TimeInterval
    private let retry: RetryPolicy
    private let tokens = TokenCache()
    private let report: @Sendable (SyncEvent) -> Void

    /// The biggest answer read, so that a broken server cannot exhaust memory.
    static let maxAnswerBytes = 64 * 1024 * 1024

    init(
        endpoint: String, tokenURL: String, credentials: ClientCredentials, timeout: TimeInterval,
        retry: RetryPolicy,
        report: @escaping @Sendable (SyncEvent) -> Void
    ) {
        var configuration = HTTPClient.Configuration()
        let amount = TimeAmount.milliseconds(Int64(min(max(timeout, 0.001), 86_400) * 1000))
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: amount, read: amount)
        configuration.redirectConfiguration = .disallow
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.endpoint = endpoint
        self.tokenURL = tokenURL
        self.credentials = credentials
        self.timeout = timeout
        self.retry = retry
        self.report = report
    }

    /// Closes the connections; call once when done.
    func shutdown() async {
        try? await http.shutdown()
    }

    /// POSTs `body` to the FHIR base URL and returns the first answer that is neither a
    /// transient failure (timeout, lost connection, 429, 5xx) nor a 401 cured by a new token.
    func post(_ body: Data) async throws(SyncError) -> RegistryAnswer {
        var renewals = 0
        var attempt = 0
        var lastProblem = ""
        while attempt < retry.maxAttempts {
            attempt += 1
            var retryAfter: TimeInterval?
            do {
                let token = try await accessToken()
                var request = HTTPClientRequest(url: endpoint)
                request.method = .POST
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
                request.headers.add(name: "Content-Type", value: "application/fhir+json")
                request.headers.add(name: "Accept", value: "application/fhir+json")
                request.body = .bytes(ByteBuffer(bytes: body))
                let answer = try await execute(request)
                switch answer.status {
                case 401:
                    await tokens.invalidate(token)
                    if renewals < 2 {
                        renewals += 1
                        attempt -= 1
                        report(.tokenRenewed)
                        continue
                    }
                    throw SyncError.forbidden(status: 401)
                case 403:
                    throw SyncError.forbidden(status: 403)
                case 429, 500...599:
                    lastProblem = "HTTP \(answer.status)"
                    retryAfter = RetryPolicy.retryAfter(answer.retryAfter)
                default:
                    return answer
                }
            } catch let error as SyncError {
                if case .unreachable(_, let problem) = error {
                    lastProblem = problem
                } else {
                    throw error
                }
            } catch {
                lastProblem = Self.describe(error)
            }
            guard attempt < retry.maxAttempts else { break }
            let delay = retry.delay(afterAttempt: attempt, retryAfter: retryAfter)
            report(.retrying(problem: lastProblem, delay: delay))
            try? await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000))
        }
        throw .unreachable(attempts: attempt, lastProblem: lastProblem)
    }

    /// The cached token, or a fresh one. A transient failure of the token endpoint is thrown
    /// as `unreachable` so the caller's retry loop handles it.
    private func accessToken() async throws -> String {
        if let cached = await tokens.current(now: Date()) { return cached }
        var request = HTTPClientRequest(url: tokenURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        let form =
            "grant_type=client_credentials&client_id=\(Self.formEncoded(credentials.clientID))&client_secret=\(Self.formEncoded(credentials.clientSecret))"
        request.body = .bytes(ByteBuffer(string: form))
        let answer: RegistryAnswer
        do {
            answer = try await execute(request)
        } catch {
            throw SyncError.unreachable(
                attempts: 1, lastProblem: "token endpoint: \(Self.describe(error))")
        }
        switch answer.status {
        case 200...299:
            break
        case 429, 500...599:
            throw SyncError.unreachable(
                attempts: 1, lastProblem: "token endpoint: HTTP \(answer.status)")
        default:
            // The token endpoint's words go to the terminal: sanitized, they cannot rewrite it.
            let detail =
                (try? JSONDecoder().decode(TokenError.self, from: answer.body)).map {
                    [$0.error, $0.error_description].compactMap { $0 }.joined(separator: ": ")
                } ?? ""
            throw SyncError.authenticationRefused(
                status: answer.status, detail: FreeText.sanitized(detail, limit: 200))
        }
        guard let grant = try? JSONDecoder().decode(TokenGrant.self, from: answer.body),
            !grant.access_token.isEmpty
        else {
            throw SyncError.unreachable(
                attempts: 1, lastProblem: "token endpoint: an answer without access_token")
        }
        let lifetime = grant.expires_in?.seconds ?? 300
        await tokens.store(grant.access_token, lifetime: lifetime, now: Date())
        return grant.access_token
    }

    private func execute(_ request: HTTPClientRequest) async throws -> RegistryAnswer {
        let amount = TimeAmount.milliseconds(Int64(min(max(timeout, 0.001), 86_400) * 1000))
        let deadline = NIODeadline.now() + amount
        let response = try await http.execute(request, deadline: deadline)
        let body = try await response.body.collect(upTo: Self.maxAnswerBytes)
        return RegistryAnswer(
            status: Int(response.status.code),
            retryAfter: response.headers.first(name: "Retry-After"),
            body: Data(body.readableBytesView))
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout: return "timed out"
            case .connectTimeout: return "connect timed out"
            case .remoteConnectionClosed: return "connection closed by the server"
            default: return "HTTP client: \(FreeText.sanitized("\(error)"))"
            }
        }
        return "connection: \(FreeText.sanitized("\(error)"))"
    }

    private static let formAllowed: CharacterSet = {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return allowed
    }()

    private static func formEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: formAllowed) ?? ""
    }
}

/// The OAuth2 token answer; `expires_in` comes as a number or, from some servers, a string.
private struct TokenGrant: Decodable {
    var access_token: String
    var expires_in: Lifetime?

    struct Lifetime: Decodable {
        var seconds: TimeInterval
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Double.self) {
                seconds = number
            } else {
                seconds = Double(try container.decode(String.self)) ?? 300
            }
            if !seconds.isFinite || seconds < 0 { seconds = 0 }
        }
    }
}

/// The OAuth2 error answer.
private struct TokenError: Decodable {
    var error: String?
    var error_description: String?
}

/// The current access token and when to stop using it.
actor TokenCache {
    private var token: String?
    private var renewAt = Date.distantPast

    /// The token, unless it is missing or about to expire.
    func current(now: Date) -> String? {
        guard let token, now < renewAt else { return nil }
        return token
    }

    /// Keeps `token` until a little before its `lifetime` runs out (a tenth, at most 60 s).
    func store(_ token: String, lifetime: TimeInterval, now: Date) {
        self.token = token
        renewAt = now.addingTimeInterval(lifetime - min(lifetime * 0.1, 60))
    }

    /// Drops `token` if it is still the current one (the registry refused it).
    func invalidate(_ refused: String) {
        if token == refused { token = nil }
    }
}
