public import Recording
import Synchronization

/// A line of concurrent requests worked in batches: while one batch is worked, the requests
/// that arrive wait, and the next batch takes them all (up to ``maximum``), in arrival order.
/// Every request is answered by a batch that started after it arrived.
///
/// The request that finds nobody working works for everyone until the line is empty; the
/// others only wait. What the scanning server shares this way: its transactions (group
/// commit) and its officer lookups.
public final class CoalescingLine<Item: Sendable, Answer: Sendable>: Sendable {
    /// What working a batch gave.
    public enum Verdict: Sendable {
        /// One answer per item of the batch, in order.
        case answers([Result<Answer, StoreError>])
        /// The store cannot be had now (busy, locked): the batch and every request waiting
        /// behind it fail with this at once, rather than each batch waiting as long again.
        case failLine(StoreError)
    }

    /// The most requests one batch takes.
    public let maximum: Int
    private let work: @Sendable ([Item]) async -> Verdict

    private struct Waiting: Sendable {
        var item: Item
        var continuation: CheckedContinuation<Result<Answer, StoreError>, Never>
    }

    private struct State: Sendable {
        var waiting: [Waiting] = []
        var working = false
    }

    private let state = Mutex(State())

    /// A line that works batches of at most `maximum` requests with `work`.
    public init(maximum: Int, work: @escaping @Sendable ([Item]) async -> Verdict) {
        self.maximum = max(1, maximum)
        self.work = work
    }

    /// `item`'s answer, worked in a batch with the requests waiting beside it.
    public func submit(_ item: Item) async throws(StoreError) -> Answer {
        let result = await withCheckedContinuation { continuation in
            let leads = state.withLock { state in
                state.waiting.append(Waiting(item: item, continuation: continuation))
                guard !state.working else { return false }
                state.working = true
                return true
            }
            if leads { Task { await self.workWhileWaiting() } }
        }
        return try result.get()
    }

    private func workWhileWaiting() async {
        while true {
            let batch: [Waiting] = state.withLock { state in
                guard !state.waiting.isEmpty else {
                    state.working = false
                    return []
                }
                let taken = Array(state.waiting.prefix(maximum))
                state.waiting.removeFirst(taken.count)
                return taken
            }
            guard !batch.isEmpty else { return }
            switch await work(batch.map(\.item)) {
            case .answers(let answers):
                for (waiting, answer) in zip(batch, answers) {
                    waiting.continuation.resume(returning: answer)
                }
                // A batch answered short would leave requests hanging: say so instead.
                for waiting in batch.dropFirst(answers.count) {
                    waiting.continuation.resume(
                        returning: .failure(
                            .sqlite(code: -1, message: "a batch gave fewer answers than requests")))
                }
            case .failLine(let error):
                let behind = state.withLock { state in
                    let all = state.waiting
                    state.waiting.removeAll()
                    return all
                }
                for waiting in batch + behind {
                    waiting.continuation.resume(returning: .failure(error))
                }
            }
        }
    }
}
