public import Recording

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
    private let line: CoalescingLine<ScanGroup, [RecordingResult]>

    /// The most requests one transaction takes.
    public var maximumGroups: Int { line.maximum }

    /// Group commit into `store`, at most `maximumGroups` requests a transaction.
    public init(store: any RecordingStore, rules: RecordingRules, maximumGroups: Int = 64) {
        self.store = store
        self.rules = rules
        line = CoalescingLine(maximum: maximumGroups) { groups in
            await Self.commit(groups, store: store, rules: rules)
        }
    }

    /// Records `group` with the requests waiting beside it; its answers, in order.
    public func record(_ group: ScanGroup) async throws(StoreError) -> [RecordingResult] {
        try await line.submit(group)
    }

    private static func commit(
        _ groups: [ScanGroup], store: any RecordingStore, rules: RecordingRules
    ) async -> CoalescingLine<ScanGroup, [RecordingResult]>.Verdict {
        do {
            return .answers(try await store.record(groups, rules: rules).map { .success($0) })
        } catch {
            switch error {
            case .busy, .locked:
                return .failLine(error)
            default:
                guard groups.count > 1 else { return .answers([.failure(error)]) }
                var answers: [Result<[RecordingResult], StoreError>] = []
                for group in groups {
                    do {
                        answers.append(
                            .success(try await store.record([group], rules: rules).first ?? []))
                    } catch {
                        answers.append(.failure(error))
                    }
                }
                return .answers(answers)
            }
        }
    }
}
