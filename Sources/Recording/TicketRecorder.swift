import Foundation
public import TicketCodec

extension TicketFacts {
    /// The facts of a ticket whose signature was good.
    public init(_ ticket: Ticket) {
        self.init(
            serial: ticket.serialText, registrant: ticket.registrant, dose: ticket.dose,
            vaccine: ticket.vaccine, group: ticket.group, site: ticket.site)
    }
}

extension ScanInput {
    /// The scan input for a verification: a ticket to record when valid, a refusal otherwise.
    public init(_ verification: TicketVerification) {
        if verification.isValid, let ticket = verification.ticket {
            self = .ticket(TicketFacts(ticket))
        } else {
            self = .refused(
                .unverified(verification.outcome),
                ticket: verification.ticket.map(TicketFacts.init))
        }
    }
}

extension RecordingRules {
    /// Rules from a policy and the minimum intervals of a vaccine table.
    public init(policy: EligibilityPolicy, vaccines: VaccineTable) {
        self.init(policy: policy) { code in vaccines.vaccine(code: code)?.minimumDaysBeforeNextDose
        }
    }
}

/// Turns ticket texts into dose records: verifies them in parallel, then records them in
/// batches, each batch one transaction.
public struct TicketRecorder: Sendable {
    /// Checks signatures, validity and revocation.
    public var verifier: TicketVerifier
    /// Where the doses go.
    public var store: any RecordingStore
    /// The programme's rules.
    public var rules: RecordingRules
    /// Who records, where and when.
    public var context: ScanContext
    /// Tasks verifying at once.
    public var jobs: Int

    /// A recorder with every part given.
    public init(
        verifier: TicketVerifier, store: any RecordingStore, rules: RecordingRules,
        context: ScanContext, jobs: Int
    ) {
        self.verifier = verifier
        self.store = store
        self.rules = rules
        self.context = context
        self.jobs = max(1, jobs)
    }

    /// Verifies `texts` in up to `jobs` tasks at once, at `--at` or now; order is kept.
    public func verify(_ texts: [String]) async -> [ScanInput] {
        let at = context.administeredAt ?? Date()
        let verifier = verifier
        // Chunks of at least 64 texts: a task per text would cost more than verifying it.
        let chunks = min(jobs, max(1, texts.count / 64))
        guard chunks > 1 else { return texts.map { ScanInput(verifier.verify($0, at: at)) } }
        let size = (texts.count + chunks - 1) / chunks
        return await withTaskGroup(of: (Int, [ScanInput]).self) { group in
            for chunk in 0..<chunks {
                let range = (chunk * size)..<min(texts.count, (chunk + 1) * size)
                let slice = Array(texts[range])
                group.addTask { (chunk, slice.map { ScanInput(verifier.verify($0, at: at)) }) }
            }
            var parts = [[ScanInput]](repeating: [], count: chunks)
            for await (chunk, inputs) in group { parts[chunk] = inputs }
            return parts.flatMap { $0 }
        }
    }

    /// Records scans (verified ones and refusals) as one transaction.
    public func record(_ scans: [ScanInput]) async throws(StoreError) -> [RecordingResult] {
        try await store.record(scans, context: context, rules: rules)
    }

    /// Verifies and records `texts` as one transaction.
    public func record(texts: [String]) async throws(StoreError) -> [RecordingResult] {
        try await record(await verify(texts))
    }

    /// Records batches as they come, committing batch k while the caller prepares (reads,
    /// verifies) batch k + 1. Batches commit in order, each as one transaction, and `emit`
    /// sees each batch's results, in order, once it is committed.
    ///
    /// - Parameters:
    ///   - next: The next batch and a tag for it (line numbers, file names), or `nil` at the end.
    ///   - emit: Called with each committed batch.
    /// - Throws: The first store error; later batches are then not recorded, so what is
    ///   recorded is always a prefix of the batches.
    public func recordInOrder<Tag: Sendable>(
        next: () async -> (Tag, [ScanInput])?,
        emit: (Tag, [RecordingResult]) async -> Void
    ) async throws(StoreError) {
        let store = store, context = context, rules = rules
        let outcome: Result<Void, StoreError> = await withTaskGroup(
            of: Result<(Tag, [RecordingResult]), StoreError>.self
        ) { group in
            var inFlight = false
            func finishOne() async -> StoreError? {
                guard let result = await group.next() else { return nil }
                switch result {
                case .success(let (tag, results)):
                    await emit(tag, results)
                    return nil
                case .failure(let error):
                    return error
                }
            }
            while true {
                let batch = await next()
                if inFlight, let failure = await finishOne() { return .failure(failure) }
                guard let (tag, scans) = batch else { return .success(()) }
                group.addTask {
                    do throws(StoreError) {
                        return .success(
                            (tag, try await store.record(scans, context: context, rules: rules)))
                    } catch {
                        return .failure(error)
                    }
                }
                inFlight = true
            }
        }
        try outcome.get()
    }
}
