public import Recording
import Synchronization

/// Records the scans of concurrent requests together: group commit.
///
/// Each request's scans (a ticket text, or the tickets of one photo) wait in line; while one
/// transaction commits, the requests that arrive meanwhile gather, and the next transaction
/// takes them all at once (up to ``maximumGroups``), in arrival order. Every scan is still
/// checked against everything recorded before it, the earlier requests of its own transaction
/// included, so the outcome of each request is what recording it alone, at that place in the
/// line, would give; what changes is that sixteen officers scanning at once cost one
/// transaction, one commit and one set of round trips instead of sixteen.
///
/// A transaction that fails for the store being busy or locked fails every request in it, and
/// every request waiting behind it, with that error at once (nothing of them was written; each
/// may be tried again): no request waits longer than the store's own bounded wait and one
/// transaction, however long the line. Any other failure is retried request by request, so one
/// bad request never fails the others.
public final class GroupCommit: Sendable {
    /// The store the groups are recorded in.
    public let store: any RecordingStore
    /// The programme's rules.
    public let rules: RecordingRules
    /// The most requests one transaction takes.
    public let maximumGroups: Int

    private struct Waiting: Sendable {
        var group: ScanGroup
        var continuation: CheckedContinuation<Result<[RecordingResult], StoreError>, Never>
    }

    private struct Line: Sendable {
        var waiting: [Waiting] = []
        var committing = false
    }

    private let line = Mutex(Line())

    /// Group commit into `store`, at most `maximumGroups` requests a transaction.
    public init(store: any RecordingStore, rules: RecordingRules, maximumGroups: Int = 64) {
        self.store = store
        self.rules = rules
        self.maximumGroups = max(1, maximumGroups)
    }

    /// Records `group` with the requests waiting beside it; its answers, in order.
    public func record(_ group: ScanGroup) async throws(StoreError) -> [RecordingResult] {
        let result = await withCheckedContinuation { continuation in
            let leads = line.withLock { line in
                line.waiting.append(Waiting(group: group, continuation: continuation))
                guard !line.committing else { return false }
                line.committing = true
                return true
            }
            // The request that finds nobody committing commits for everyone until the line is
            // empty; the others only wait.
            if leads { Task { await self.commitWhileWaiting() } }
        }
        return try result.get()
    }

    private func commitWhileWaiting() async {
        while true {
            let batch: [Waiting] = line.withLock { line in
                guard !line.waiting.isEmpty else {
                    line.committing = false
                    return []
                }
                let taken = Array(line.waiting.prefix(maximumGroups))
                line.waiting.removeFirst(taken.count)
                return taken
            }
            guard !batch.isEmpty else { return }
            await commit(batch)
        }
    }

    private func commit(_ batch: [Waiting]) async {
        do {
            let answers = try await store.record(batch.map(\.group), rules: rules)
            for (waiting, answer) in zip(batch, answers) {
                waiting.continuation.resume(returning: .success(answer))
            }
            // A store answers one slice per group; should one be missing, say so, never hang.
            for waiting in batch.dropFirst(answers.count) {
                waiting.continuation.resume(
                    returning: .failure(
                        .sqlite(code: -1, message: "the store answered fewer groups than given")))
            }
        } catch {
            switch error {
            case .busy, .locked:
                // The line behind it would wait as long again, transaction after transaction.
                let behind = line.withLock { line in
                    let all = line.waiting
                    line.waiting.removeAll()
                    return all
                }
                for waiting in batch + behind {
                    waiting.continuation.resume(returning: .failure(error))
                }
            default:
                guard batch.count > 1 else {
                    batch[0].continuation.resume(returning: .failure(error))
                    return
                }
                for waiting in batch {
                    do {
                        let answer = try await store.record([waiting.group], rules: rules)
                        waiting.continuation.resume(returning: .success(answer.first ?? []))
                    } catch {
                        waiting.continuation.resume(returning: .failure(error))
                    }
                }
            }
        }
    }
}
