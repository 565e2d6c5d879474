public import Foundation
import HTTPTypes
public import Hummingbird
import Logging
public import Recording
import Reports

/// The request context: Hummingbird's (with its request id in the logger) and the officer
/// the bearer token belongs to, once authenticated.
public struct ScanRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated officer, set by the authentication middleware.
    public var officer: Officer?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        officer = nil
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
struct AuthMiddleware: RouterMiddleware {
    typealias Context = ScanRequestContext
    let officers: any OfficerStore
    let limiter: RateLimiter

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization], header.count > 7,
            header.prefix(7).lowercased() == "bearer "
        else {
            throw APIFailure.unauthorized("send Authorization: Bearer TOKEN with an officer token")
        }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        // Only well-formed tokens reach the store; the hash, never the token, is looked up.
        guard token.hasPrefix(OfficerToken.prefix), token.count <= 128 else {
            throw APIFailure.unauthorized("the token is not valid")
        }
        let officer: Officer?
        do {
            officer = try await officers.activeOfficer(tokenHash: OfficerToken.hash(token))
        } catch {
            throw APIFailure(error, logger: context.logger)
        }
        guard let officer else {
            throw APIFailure.unauthorized("the token is not valid or was revoked")
        }
        var context = context
        context.officer = officer
        context.logger[metadataKey: "officer"] = "\(officer.name)"
        if let wait = limiter.take(officer.name) {
            context.logger.notice("rate limited")
            throw APIFailure.rateLimited(wait: wait)
        }
        return try await next(request, context)
    }
}
