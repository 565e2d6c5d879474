/// The body of every answer that is not a recording outcome: 4xx and 5xx.
public struct APIError: Codable, Hashable, Sendable {
    /// A stable code: `unauthorized`, `payload_too_large`, `unsupported_media_type`,
    /// `rate_limited`, `busy`, `bad_request`, `store_error`, `not_found`.
    public var error: String
    /// A sentence saying what to do.
    public var message: String

    /// An error body.
    public init(error: String, message: String) {
        self.error = error
        self.message = message
    }
}

/// The answer to a health check.
public struct HealthReport: Codable, Hashable, Sendable {
    /// Always `ok` when the server answers.
    public var status: String
    /// Jobs running or waiting on the work pool.
    public var load: Int
    /// Threads on the work pool.
    public var workers: Int
}
