import Foundation
import NIOConcurrencyHelpers

/// A token bucket per officer: `burst` requests at once, refilled at `perMinute` a minute.
/// Keyed by officer name after authentication, or by client address for requests without a
/// valid token; buckets that are full again are forgotten, so memory stays bounded.
final class RateLimiter: Sendable {
    let perMinute: Int
    let burst: Int
    private let buckets = NIOLockedValueBox([String: (tokens: Double, updated: TimeInterval)]())

    /// How many buckets are kept before the full ones are forgotten.
    static let pruneAt = 10_000

    init(perMinute: Int, burst: Int) {
        self.perMinute = perMinute
        self.burst = max(1, burst)
    }

    /// The seconds `key` must wait before its bucket allows a request, or `nil` when it allows
    /// one now; nothing is taken.
    func exhausted(_ key: String, now: TimeInterval = ProcessInfo.processInfo.systemUptime) -> Int?
    {
        guard perMinute > 0 else { return nil }
        let rate = Double(perMinute) / 60
        return buckets.withLockedValue { buckets in
            guard let bucket = buckets[key] else { return nil }
            let tokens = min(Double(burst), bucket.tokens + max(0, now - bucket.updated) * rate)
            return tokens >= 1 ? nil : max(1, Int(((1 - tokens) / rate).rounded(.up)))
        }
    }

    /// Takes one request from `key`'s bucket: `nil` when allowed, else the seconds to wait.
    func take(_ key: String, now: TimeInterval = ProcessInfo.processInfo.systemUptime) -> Int? {
        guard perMinute > 0 else { return nil }
        let rate = Double(perMinute) / 60
        let capacity = Double(burst)
        return buckets.withLockedValue { buckets in
            if buckets.count >= Self.pruneAt {
                // Buckets refilled to capacity say nothing a new bucket would not.
                buckets = buckets.filter {
                    $0.value.tokens + (now - $0.value.updated) * rate < capacity
                }
                // Still crowded (many addresses at once): start afresh rather than grow.
                if buckets.count >= Self.pruneAt { buckets.removeAll(keepingCapacity: true) }
            }
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
