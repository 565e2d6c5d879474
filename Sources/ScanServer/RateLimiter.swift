import Foundation
import NIOConcurrencyHelpers

/// A token bucket per officer: `burst` requests at once, refilled at `perMinute` a minute.
/// Keyed by officer name after authentication, so its memory is bounded by the officer list.
final class RateLimiter: Sendable {
    let perMinute: Int
    let burst: Int
    private let buckets = NIOLockedValueBox([String: (tokens: Double, updated: TimeInterval)]())

    init(perMinute: Int, burst: Int) {
        self.perMinute = perMinute
        self.burst = max(1, burst)
    }

    /// Takes one request from `key`'s bucket: `nil` when allowed, else the seconds to wait.
    func take(_ key: String, now: TimeInterval = ProcessInfo.processInfo.systemUptime) -> Int? {
        guard perMinute > 0 else { return nil }
        let rate = Double(perMinute) / 60
        let capacity = Double(burst)
        return buckets.withLockedValue { buckets in
            var bucket = buckets[key] ?? (capacity, now)
            bucket.tokens = min(capacity, bucket.tokens + max(0, now - bucket.updated) * rate)
            bucket.updated = now
            defer { buckets[key] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up)))
        }
    }
}
