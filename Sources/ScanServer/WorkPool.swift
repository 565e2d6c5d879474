import NIOConcurrencyHelpers
import NIOPosix

/// The pool was full: the request is refused (503 with Retry-After) instead of queued.
public struct WorkPoolFull: Error, Hashable, Sendable {}

/// A bounded pool of threads for blocking work (photo decoding, the synchronous store), so the
/// event loops only ever move bytes. At most `threads` jobs run and at most `queueLimit` more
/// wait; a job beyond that is refused at once, which keeps memory bounded under any load.
public final class WorkPool: Sendable {
    /// Threads running jobs.
    public let threads: Int
    /// Jobs allowed to wait for a thread.
    public let queueLimit: Int
    private let pool: NIOThreadPool
    private let admitted = NIOLockedValueBox(0)

    /// A started pool of `threads` threads with room for `queueLimit` waiting jobs.
    public init(threads: Int, queueLimit: Int) {
        self.threads = max(1, threads)
        self.queueLimit = max(0, queueLimit)
        pool = NIOThreadPool(numberOfThreads: self.threads)
        pool.start()
    }

    /// Jobs running or waiting now.
    public var load: Int { admitted.withLockedValue { $0 } }

    /// Runs `body` on a pool thread, or throws `WorkPoolFull` straight away when the pool and
    /// its queue are full.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let capacity = threads + queueLimit
        let admittedNow = admitted.withLockedValue { count -> Bool in
            guard count < capacity else { return false }
            count += 1
            return true
        }
        guard admittedNow else { throw WorkPoolFull() }
        defer { admitted.withLockedValue { $0 -= 1 } }
        return try await pool.runIfActive(body)
    }

    /// Stops the threads once the jobs they run are done.
    public func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}
