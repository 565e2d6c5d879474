import Dispatch
import Foundation
import Synchronization

/// Runs a batch of independent jobs on several threads and hands their results back in input
/// order, as soon as each prefix of the batch is complete.
public enum ParallelBatch {
    /// The number of cores this process may use.
    public static var defaultJobs: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Runs `work` for every index in `0..<count` on `jobs` threads.
    ///
    /// Each thread gets its own `State` from `makeState` (a decoder, a scanner, a signer), so no
    /// state is shared between threads. `emit` is called on one thread at a time, in index
    /// order, while the batch is still running.
    public static func run<State, Output: Sendable>(
        count: Int,
        jobs: Int = defaultJobs,
        makeState: @Sendable () -> State,
        work: @Sendable (inout State, Int) -> Output,
        emit: (Int, Output) -> Void
    ) {
        guard count > 0 else { return }
        let threads = max(1, min(jobs, count))
        let next = Atomic<Int>(0)
        let pending = Mutex(Reorder<Output>())
        withoutActuallyEscaping(emit) { emit in
            let box = UncheckedBox(emit)
            DispatchQueue.concurrentPerform(iterations: threads) { _ in
                var state = makeState()
                while true {
                    let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    if index >= count { break }
                    let output = work(&state, index)
                    pending.withLock { reorder in
                        reorder.waiting[index] = output
                        while let ready = reorder.waiting.removeValue(forKey: reorder.nextToEmit) {
                            box.value(reorder.nextToEmit, ready)
                            reorder.nextToEmit += 1
                        }
                    }
                }
            }
        }
    }
}

private struct Reorder<Output> {
    var waiting: [Int: Output] = [:]
    var nextToEmit = 0
}

/// Carries the non-Sendable `emit` closure into worker threads; every call to it happens under
/// the batch's mutex, one at a time.
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
