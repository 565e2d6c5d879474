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
    /// calling task, in index order, while the batch is still running; a task that finished an
    /// index waits until `emit` has taken it, so at most about `jobs` results wait in memory.
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
        let next = Claims(count: count)
        let results = AsyncChannel<(Int, Output)>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskGroup(of: Void.self) { tasks in
                    for _ in 0..<workers {
                        tasks.addTask {
                            var state = makeState()
                            while !Task.isCancelled, let index = next.claim() {
                                await results.send((index, work(&state, index)))
                            }
                        }
                    }
                }
                results.finish()
            }
            var waiting: [Int: Output] = [:]
            var nextToEmit = 0
            do {
                for await (index, output) in results {
                    waiting[index] = output
                    while let ready = waiting.removeValue(forKey: nextToEmit) {
                        try await emit(nextToEmit, ready)
                        nextToEmit += 1
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

/// Hands out the indexes of a batch, each once, in order.
private final class Claims: Sendable {
    private let count: Int
    private let next = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)

    init(count: Int) { self.count = count }

    func claim() -> Int? {
        if stopped.load(ordering: .relaxed) { return nil }
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
        return index < count ? index : nil
    }

    func stop() { stopped.store(true, ordering: .relaxed) }
}
