public import Foundation
import HTTPTypes
public import Hummingbird
import Logging
public import Recording
import Reports
import Synchronization

/// The request context: Hummingbird's (with its request id in the logger) and the officer
/// the bearer token belongs to, once authenticated.
public struct ScanRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated officer, set by the authentication middleware.
    public var officer: Officer?
    /// The client's IP address, as the connection shows it.
    public var clientAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        officer = nil
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Every answer is encoded as `--json` lines are: keys sorted, dates in ISO 8601.
    public var responseEncoder: JSONEncoder { JSONLineWriter.encoder() }
}

/// Logs one line per request: id, method, path (without the query), status, time and officer.
/// Never a header, so never a token; never a body, so never a ticket or a NIK.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = ScanRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        var status = 500
        defer {
            let elapsed = ContinuousClock.now - start
            let milliseconds =
                Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds)
                / 1e15
            context.logger.info(
                "request",
                metadata: [
                    "method": "\(request.method.rawValue)", "path": "\(request.uri.path)",
                    "status": "\(status)",
                    "ms": "\(String(format: "%.1f", milliseconds))",
                ])
        }
        do {
            let response = try await next(request, context)
            status = response.status.code
            return response
        } catch let error as any HTTPResponseError {
            status = error.status.code
            throw error
        }
    }
}

/// Lets a request through only with `Authorization: Bearer TOKEN` of an active officer, then
/// applies that officer's rate limit.
///
/// A request without a valid token is refused before its body is read or any worker is used,
/// and counts against its client address: an address that keeps sending bad tokens gets 429
/// without the store being asked at all. A token that was valid a moment ago is still looked up
/// (a revoked one is refused at once) but never waits behind such an address's budget, so an
/// officer sharing an address with a flood keeps working.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = ScanRequestContext
    let officers: OfficerLookups
    let limiter: RateLimiter
    let addresses: RateLimiter
    let recentlyValid: RecentTokens

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let address = context.clientAddress
        guard let header = request.headers[.authorization], header.count > 7,
            header.prefix(7).lowercased() == "bearer "
        else {
            throw refusal(address, "send Authorization: Bearer TOKEN with an officer token")
        }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        // Only well-formed tokens reach the store; the hash, never the token, is looked up.
        guard token.hasPrefix(OfficerToken.prefix), token.count <= 128 else {
            throw refusal(address, "the token is not valid")
        }
        let hash = OfficerToken.hash(token)
        if !recentlyValid.contains(hash), let wait = addresses.exhausted(address) {
            throw APIFailure.rateLimited(wait: wait)
        }
        let officer: Officer?
        do {
            officer = try await officers.officer(tokenHash: hash)
        } catch {
            throw APIFailure(error, logger: context.logger)
        }
        guard let officer else {
            recentlyValid.remove(hash)
            throw refusal(address, "the token is not valid or was revoked")
        }
        recentlyValid.insert(hash)
        var context = context
        context.officer = officer
        context.logger[metadataKey: "officer"] = "\(officer.name)"
        if let wait = limiter.take(officer.name) {
            context.logger.notice("rate limited")
            throw APIFailure.rateLimited(wait: wait)
        }
        return try await next(request, context)
    }

    /// A 401 that counts against `address`, or a 429 once the address has used its budget.
    private func refusal(_ address: String, _ message: String) -> APIFailure {
        if let wait = addresses.take(address) { return .rateLimited(wait: wait) }
        return .unauthorized(message)
    }
}

/// The hashes of tokens that were valid a moment ago: at most `limit`, oldest forgotten first.
final class RecentTokens: Sendable {
    private let limit: Int
    private let hashes = Mutex<(set: Set<String>, order: [String])>(([], []))

    init(limit: Int = 10_000) { self.limit = max(1, limit) }

    func contains(_ hash: String) -> Bool { hashes.withLock { $0.set.contains(hash) } }

    func insert(_ hash: String) {
        hashes.withLock { state in
            guard state.set.insert(hash).inserted else { return }
            state.order.append(hash)
            if state.order.count > limit {
                state.set.remove(state.order.removeFirst())
            }
        }
    }

    func remove(_ hash: String) {
        hashes.withLock { state in
            if state.set.remove(hash) != nil { state.order.removeAll { $0 == hash } }
        }
    }
}

/// Headers every answer carries: the page may only run its own files, never in a frame, and
/// the browser is told not to guess types or pass the address on.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = ScanRequestContext
    let servesTLS: Bool

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            var response = try await next(request, context)
            add(to: &response.headers)
            return response
        } catch let error as any HTTPResponseError {
            var response = try error.response(from: request, context: context)
            add(to: &response.headers)
            return response
        }
    }

    private func add(to headers: inout HTTPFields) {
        if headers[.contentSecurityPolicy] == nil {
            headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        }
        headers[.xContentTypeOptions] = "nosniff"
        headers[Self.referrerPolicy] = "no-referrer"
        headers[Self.frameOptions] = "DENY"
        if servesTLS { headers[.strictTransportSecurity] = "max-age=31536000" }
    }

    // swift-format-ignore: NeverForceUnwrap
    // Literal field names, valid by inspection.
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    // swift-format-ignore: NeverForceUnwrap
    static let frameOptions = HTTPField.Name("X-Frame-Options")!

    /// Scripts and styles from the server's own files only: no inline script, no frame.
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        + "media-src 'self' blob:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}
