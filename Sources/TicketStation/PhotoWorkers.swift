import Foundation
import NIOPosix
public import PhotoReader
import Synchronization
public import TicketCodec
public import TicketScanning

/// The workers were all busy and their queue full: the photo is refused (a 503 with
/// Retry-After from the server) rather than queued without bound.
public struct PhotoWorkersBusy: Error, Hashable, Sendable {}

/// A bounded pool of threads for the one CPU-bound job of a scanning server: reading photos.
/// At most `threads` photos are read at once, each on a thread of its own, and at most
/// `queueLimit` more wait; a photo beyond that is refused at once, which keeps memory bounded
/// under any load. Everything else (ticket texts, the store) is asynchronous and never comes here.
public final class PhotoWorkers: Sendable {
    /// Threads reading photos.
    public let threads: Int
    /// Photos allowed to wait for a thread.
    public let queueLimit: Int
    /// How photos are read.
    public let options: PhotoReaderOptions
    private let pool: NIOThreadPool
    private let admitted = Atomic<Int>(0)

    /// A started pool of `threads` threads with room for `queueLimit` waiting photos.
    public init(threads: Int, queueLimit: Int, options: PhotoReaderOptions = PhotoReaderOptions()) {
        self.threads = max(1, threads)
        self.queueLimit = max(0, queueLimit)
        self.options = options
        pool = NIOThreadPool(numberOfThreads: self.threads)
        pool.start()
    }

    /// Photos being read or waiting now.
    public var load: Int { admitted.load(ordering: .relaxed) }

    /// Every ticket in the encoded photo `bytes`, verified by `verifier` on `day`, or why there
    /// is none; ``PhotoWorkersBusy`` straight away when the pool and its queue are full.
    public func tickets(in bytes: [UInt8], verifier: TicketVerifier, on day: CalendarDate)
        async throws(PhotoWorkersBusy) -> Result<[ScannedTicket], UnreadableImage>
    {
        let options = options
        return try await run {
            // A reader holds C handles that are not thread-safe; one is made for each photo,
            // which costs microseconds against the milliseconds of reading it.
            let reader = TicketImageReader(verifier: verifier, options: options)
            return Result { () throws(UnreadableImage) in try reader.tickets(in: bytes, on: day) }
        }
    }

    /// Runs CPU-bound `work` on a worker thread, or throws ``PhotoWorkersBusy`` straight away
    /// when the pool and its queue are full (or the pool is shutting down).
    public func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws(PhotoWorkersBusy)
        -> T
    {
        let capacity = threads + queueLimit
        let (_, admittedNow) = admitted.wrappingAdd(1, ordering: .relaxed)
        defer { admitted.wrappingSubtract(1, ordering: .relaxed) }
        guard admittedNow <= capacity else { throw PhotoWorkersBusy() }
        do {
            return try await pool.runIfActive(work)
        } catch {
            throw PhotoWorkersBusy()
        }
    }

    /// Stops the threads once the photos they read are done.
    public func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}
