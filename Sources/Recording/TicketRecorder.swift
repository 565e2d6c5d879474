import Dispatch
import Foundation
public import TicketCodec
public import TicketScanning

extension TicketFacts {
    /// The facts of a ticket whose signature was good.
    public init(_ ticket: Ticket) {
        self.init(
            serial: ticket.serialText, registrant: ticket.registrant, dose: ticket.dose,
            vaccine: ticket.vaccine,
            group: ticket.group.rawValue, site: ticket.site)
    }
}

extension ScanInput {
    /// The scan input for a verification: a ticket to record when valid, a refusal otherwise.
    public init(_ verification: TicketVerification) {
        if verification.isValid, let ticket = verification.ticket {
            self = .ticket(TicketFacts(ticket))
        } else {
            self = .refused(
                .unverified(verification.outcome), ticket: verification.ticket.map(TicketFacts.init)
            )
        }
    }
}

extension ScanInput {
    /// The scans of one image: one per ticket found, or one refusal saying why there is none.
    public static func scans(of image: Result<[ScannedTicket], UnreadableImage>) -> [ScanInput] {
        switch image {
        case .success(let tickets): tickets.map { ScanInput($0.verification) }
        case .failure(let unreadable): [.refused(.unreadable(unreadable), ticket: nil)]
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
    public var store: any DoseStore
    /// The programme's rules.
    public var rules: RecordingRules
    /// Who records, where and when.
    public var context: ScanContext
    /// Threads used for verification.
    public var jobs: Int

    /// A recorder with every part given.
    public init(
        verifier: TicketVerifier, store: any DoseStore, rules: RecordingRules, context: ScanContext,
        jobs: Int
    ) {
        self.verifier = verifier
        self.store = store
        self.rules = rules
        self.context = context
        self.jobs = max(1, jobs)
    }

    /// Verifies `texts` on `jobs` threads, at `--at` or now; order is kept.
    public func verify(_ texts: [String]) -> [ScanInput] {
        let at = context.administeredAt ?? Date()
        let verifier = verifier
        let chunks = min(jobs, max(1, texts.count / 64))
        let size = (texts.count + chunks - 1) / max(chunks, 1)
        let slots = ResultSlots<[ScanInput]>(count: chunks)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let range = (chunk * size)..<min(texts.count, (chunk + 1) * size)
            slots.set(chunk, range.map { ScanInput(verifier.verify(texts[$0], at: at)) })
        }
        return slots.values.flatMap { $0 }
    }

    /// Records scans (verified ones and refusals) as one transaction.
    public func record(_ scans: [ScanInput]) throws(StoreError) -> [RecordingResult] {
        try store.record(scans, context: context, rules: rules)
    }

    /// Verifies and records `texts` as one transaction.
    public func record(texts: [String]) throws(StoreError) -> [RecordingResult] {
        try record(verify(texts))
    }
}

/// Write-once slots filled from several threads, read after they all finished.
private final class ResultSlots<Value: Sendable>: @unchecked Sendable {
    private var slots: [Value?]
    private let lock = NSLock()

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Value) {
        lock.lock()
        defer { lock.unlock() }
        slots[index] = value
    }

    var values: [Value] {
        lock.lock()
        defer { lock.unlock() }
        return slots.compactMap { $0 }
    }
}

extension TicketRecorder {
    /// Records batches as they come, committing batch k on a background thread while the caller
    /// prepares (reads, verifies) batch k + 1. Batches commit in order, each as one transaction,
    /// and `emit` sees each batch's results, in order, once it is committed.
    ///
    /// - Parameters:
    ///   - next: The next batch and a tag for it (line numbers, file names), or `nil` at the end.
    ///   - emit: Called on the caller's thread with each committed batch.
    /// - Throws: The first store error; later batches are then not recorded.
    public func recordInOrder<Tag>(
        next: () -> (Tag, [ScanInput])?, emit: (Tag, [RecordingResult]) -> Void
    ) throws(StoreError) {
        let queue = DispatchQueue(label: "vaxticket.commit")
        let failed = FailureFlag()
        var inFlight:
            (
                tag: Tag, group: DispatchGroup,
                slot: ResultSlots<Result<[RecordingResult], StoreError>>
            )?
        func finish(
            _ batch: (
                tag: Tag, group: DispatchGroup,
                slot: ResultSlots<Result<[RecordingResult], StoreError>>
            )
        )
            throws(StoreError)
        {
            batch.group.wait()
            guard let result = batch.slot.values.first else {
                fatalError("a finished commit always sets its result")
            }
            emit(batch.tag, try result.get())
        }
        while let (tag, scans) = next() {
            let group = DispatchGroup()
            let slot = ResultSlots<Result<[RecordingResult], StoreError>>(count: 1)
            let recorder = self
            queue.async(group: group) {
                // After a failure, later batches are not attempted, so what is recorded is a prefix.
                if let error = failed.error {
                    slot.set(0, .failure(error))
                    return
                }
                let result = Result { () throws(StoreError) in try recorder.record(scans) }
                if case .failure(let error) = result { failed.error = error }
                slot.set(0, result)
            }
            if let previous = inFlight {
                do {
                    try finish(previous)
                } catch {
                    group.wait()
                    throw error
                }
            }
            inFlight = (tag, group, slot)
        }
        if let previous = inFlight { try finish(previous) }
    }
}

/// The first error of a pipeline, shared between the caller and the commit thread.
private final class FailureFlag: @unchecked Sendable {
    private var stored: StoreError?
    private let lock = NSLock()

    var error: StoreError? {
        get {
            lock.lock()
            defer { lock.unlock() }
            return stored
        }
        set {
            lock.lock()
            defer { lock.unlock() }
            if stored == nil { stored = newValue }
        }
    }
}
