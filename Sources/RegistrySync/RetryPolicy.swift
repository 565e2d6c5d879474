public import Foundation

/// When to try a request again: exponential backoff with full jitter, and the server's
/// `Retry-After` when it gives one.
public struct RetryPolicy: Hashable, Sendable {
    /// Attempts per request, the first included.
    public var maxAttempts: Int
    /// The backoff before the second attempt, doubled for each further one.
    public var baseDelay: TimeInterval
    /// The longest backoff.
    public var maxDelay: TimeInterval
    /// The longest `Retry-After` honoured; a longer one is cut to this.
    public var maxRetryAfter: TimeInterval

    /// The defaults: 6 attempts, 0.5 s doubling to at most 30 s, `Retry-After` up to 5 minutes.
    public static let standard = RetryPolicy(
        maxAttempts: 6, baseDelay: 0.5, maxDelay: 30, maxRetryAfter: 300)

    /// A policy with every field given.
    public init(
        maxAttempts: Int, baseDelay: TimeInterval, maxDelay: TimeInterval,
        maxRetryAfter: TimeInterval
    ) {
        self.maxAttempts = max(maxAttempts, 1)
        self.baseDelay = max(baseDelay, 0)
        self.maxDelay = max(maxDelay, 0)
        self.maxRetryAfter = max(maxRetryAfter, 0)
    }

    /// The wait after failed attempt number `attempt` (1 for the first): the server's
    /// `retryAfter` plus a little jitter when given, else a random time up to the exponential cap.
    public func delay(afterAttempt attempt: Int, retryAfter: TimeInterval?) -> TimeInterval {
        if let retryAfter {
            let wait = min(max(retryAfter, 0), maxRetryAfter)
            return wait + Double.random(in: 0...max(wait * 0.1, 0.001))
        }
        let exponent = min(max(attempt - 1, 0), 30)
        let cap = min(maxDelay, baseDelay * pow(2, Double(exponent)))
        return Double.random(in: 0...max(cap, 0))
    }

    /// Parses a `Retry-After` header: seconds, or an HTTP date; `nil` when neither.
    public static func retryAfter(_ header: String?, now: Date = Date()) -> TimeInterval? {
        guard let header = header?.trimmingCharacters(in: .whitespaces), !header.isEmpty else {
            return nil
        }
        if let seconds = Int(header) { return seconds >= 0 ? TimeInterval(seconds) : nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: header) else { return nil }
        return max(date.timeIntervalSince(now), 0)
    }
}
