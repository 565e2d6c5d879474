public import HTTPTypes
public import Hummingbird

/// The stable code of every answer that is not a recording outcome.
public enum APIErrorCode: String, CaseIterable, Codable, Hashable, Sendable {
    /// No token, or one that is not an active officer's.
    case unauthorized
    /// The body is larger than the server takes.
    case payloadTooLarge = "payload_too_large"
    /// The body is neither a photo, a ticket text nor a multipart form.
    case unsupportedMediaType = "unsupported_media_type"
    /// Too many requests for this token.
    case rateLimited = "rate_limited"
    /// The server or the database is too busy; try again after Retry-After.
    case busy
    /// A parameter or the body is not what the API takes.
    case badRequest = "bad_request"
    /// The database failed; nothing was recorded.
    case storeError = "store_error"
}

/// The body of every answer that is not a recording outcome: 4xx and 5xx.
public struct APIError: Codable, Hashable, Sendable {
    /// A stable code.
    public var error: APIErrorCode
    /// A sentence saying what to do.
    public var message: String

    /// An error body.
    public init(error: APIErrorCode, message: String) {
        self.error = error
        self.message = message
    }
}

/// An error a handler throws: its status, its body and the headers it needs, encoded by
/// Hummingbird with the request context's encoder like every other answer.
public struct APIFailure: HTTPResponseError, Hashable, Sendable {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// The body.
    public var body: APIError
    /// Headers beside the body (Retry-After, WWW-Authenticate).
    public var headers: HTTPFields

    /// A failure with every part given.
    public init(
        _ status: HTTPResponse.Status, _ code: APIErrorCode, _ message: String,
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.body = APIError(error: code, message: message)
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try context.responseEncoder.encode(body, from: request, context: context)
        response.status = status
        response.headers[.cacheControl] = "no-store"
        response.headers.append(contentsOf: headers)
        return response
    }

    /// 400: the request is not what the API takes.
    static func badRequest(_ message: String) -> Self { Self(.badRequest, .badRequest, message) }

    /// 401, with the challenge a client needs.
    static func unauthorized(_ message: String) -> Self {
        Self(
            .unauthorized, .unauthorized, message,
            headers: [.wwwAuthenticate: "Bearer realm=\"vaxticket\""])
    }

    /// 503 with Retry-After: the server or the database is too busy right now.
    static func busy(_ message: String) -> Self {
        Self(.serviceUnavailable, .busy, message, headers: [.retryAfter: "1"])
    }

    /// 429 with Retry-After.
    static func rateLimited(wait: Int) -> Self {
        Self(
            .tooManyRequests, .rateLimited, "too many requests for this token; wait \(wait) s",
            headers: [.retryAfter: String(wait)])
    }

    /// 413.
    static func tooLarge(_ maxBytes: Int) -> Self {
        Self(.contentTooLarge, .payloadTooLarge, "the body is larger than \(maxBytes) bytes")
    }
}

/// The answer to a health check.
public struct HealthReport: ResponseCodable, Hashable, Sendable {
    /// Always `ok` when the server answers.
    public var status: String
    /// Photos being read or waiting.
    public var load: Int
    /// Threads reading photos.
    public var workers: Int
}

/// A report answered as JSON: any output record of `Reports`, encoded by the request
/// context's encoder, the same bytes as its `--json` line.
public struct JSONBody<Value: Encodable & Sendable>: ResponseEncodable, Sendable {
    /// The report.
    public var value: Value

    /// A body holding `value`.
    public init(_ value: Value) { self.value = value }

    public func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}
