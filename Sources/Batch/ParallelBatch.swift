import AsyncAlgorithms
import Foundation
import Synchronization

/// Runs a batch of independent jobs in several tasks and hands their results back in input
/// order, as soon as each prefix of the batch is complete.
public enum ParallelBatch {
    /// The number of cores this process may use.
    public static var defaultJobs: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Runs `work` for every index in `0..<count` in `jobs` tasks at once.
    ///
    /// Each task gets its own `State` from `makeState` (a decoder, a scanner, a signer) and keeps
    /// it for every index it works, so no state is shared between tasks. `emit` runs in the
    /// calling task, in index order, while the batch is still running; a task that finished a
    /// chunk of indexes waits until `emit` has taken it, so at most a few chunks per job wait
    /// in memory.
    /// An error thrown by `emit` stops the batch: no index is worked after it.
    public static func run<State, Output: Sendable>(
        count: Int,
        jobs: Int = defaultJobs,
        makeState: @escaping @Sendable () -> State,
        work: @escaping @Sendable (inout State, Int) -> Output,
        emit: (Int, Output) async throws -> Void
    ) async rethrows {
        guard count > 0 else { return }
        let workers = max(1, min(jobs, count))
        // Indexes go out in chunks, so a cheap job (signing a ticket) does not pay for a task
        // switch each; small enough that every worker still gets several chunks to even out.
        let chunk = max(1, min(64, count / (workers * 8)))
        let next = Claims(count: count, chunk: chunk)
        let results = AsyncChannel<(Int, [Output])>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskGroup(of: Void.self) { tasks in
                    for _ in 0..<workers {
                        tasks.addTask {
                            var state = makeState()
                            while !Task.isCancelled, let range = next.claim() {
                                var outputs: [Output] = []
                                outputs.reserveCapacity(range.count)
                                for index in range { outputs.append(work(&state, index)) }
                                await results.send((range.lowerBound, outputs))
                            }
                        }
                    }
                }
                results.finish()
            }
            var waiting: [Int: [Output]] = [:]
            var nextToEmit = 0
            do {
                for await (start, outputs) in results {
                    waiting[start] = outputs
                    while let ready = waiting.removeValue(forKey: nextToEmit) {
                        for (offset, output) in ready.enumerated() {
                            try await emit(nextToEmit + offset, output)
                        }
                        nextToEmit += ready.count
                    }
                }
            } catch {
                next.stop()
                group.cancelAll()
                throw error
            }
        }
    }
}

/// Hands out the indexes of a batch, in chunks, each index once, in order.
private final class Claims: Sendable {
    private let count: Int
    private let chunk: Int
    private let next = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)

    init(count: Int, chunk: Int) {
        self.count = count
        self.chunk = chunk
    }

    func claim() -> Range<Int>? {
        if stopped.load(ordering: .relaxed) { return nil }
        let start = next.wrappingAdd(chunk, ordering: .relaxed).oldValue
        return start < count ? start..<min(count, start + chunk) : nil
    }

    func stop() { stopped.store(true, ordering: .relaxed) }
}
