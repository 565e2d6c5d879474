public import Foundation
public import TicketCodec

// The store is split by the client that uses each part, so a front end depends only on what it
// calls: the scanning server records and counts, the registry sync reads its outbox, `roster`
// and `db merge` bring records in. The SQLite and PostgreSQL stores implement them all.

/// Records scans: what a scanning station or the server writes, and the doses it reads back.
public protocol RecordingStore: Sendable {
    /// The programme's time zone, whose calendar days the rules count in.
    var timeZone: TimeZone { get }
    /// Records groups of scans, each made in its own context, in one transaction and in order:
    /// each scan is checked by `rules` against the records so far (earlier scans of the batch
    /// included) and logged. All or nothing; one slice of answers per group.
    func record(_ groups: [ScanGroup], rules: RecordingRules)
        async throws(StoreError) -> [[RecordingResult]]
    /// The dose recorded under `serial`, if any.
    func dose(serial: String) async throws(StoreError) -> DoseRecord?
    /// Every dose recorded for `registrant`, by dose number.
    func doses(registrant: String) async throws(StoreError) -> [DoseRecord]
    /// Records a phone's queued scans in one transaction, each id of the officer exactly once:
    /// an id recorded before writes nothing and gets its first answer again; a new one is
    /// recorded at the time, lot and station the phone gave, and its answer is `render` of its
    /// results, kept for its repeats.
    func recordQueued(
        _ batch: QueuedBatch, render: @escaping @Sendable ([RecordingResult]) throws -> String
    ) async throws(StoreError) -> [QueuedAnswer]
}

extension RecordingStore {
    /// Records a batch of scans made in one context in one transaction: each scan is checked by
    /// `rules` against the records so far (earlier scans of the batch included) and logged.
    /// All or nothing.
    public func record(_ scans: [ScanInput], context: ScanContext, rules: RecordingRules)
        async throws(StoreError) -> [RecordingResult]
    {
        try await record([ScanGroup(scans, context: context)], rules: rules).first ?? []
    }
}

/// Counts doses and scans for the city's reports.
public protocol StatisticsStore: Sendable {
    /// Counts of doses and scans.
    func statistics(_ query: StatisticsQuery) async throws(StoreError) -> Statistics
    /// How many doses given between `from` and `to` (local days, inclusive; `nil` for open)
    /// are synced and how many wait.
    func syncCounts(from: CalendarDate?, to: CalendarDate?) async throws(StoreError) -> SyncCounts
    /// The scan log, oldest first.
    func scanLog() async throws(StoreError) -> [ScanLogEntry]
    /// How many of the phones' queued scans made between `from` and `to` (local days,
    /// inclusive; `nil` for open) arrived late, and how late.
    func lateScans(from: CalendarDate?, to: CalendarDate?) async throws(StoreError) -> LateScans
}

/// The doses waiting for the national registry, and what the registry answered.
public protocol RegistryOutbox: Sendable {
    /// One page of doses for the registry, with their roster entries, by row number.
    func registryDoses(_ query: RegistryDoseQuery) async throws(StoreError) -> [RegistryDose]
    /// Marks the doses with these serials as confirmed by the registry, in one transaction.
    func markSynced(serials: [String]) async throws(StoreError)
    /// Stores the registry's refusal text per serial; the doses stay pending for the next run.
    func recordSyncRefusals(_ refusals: [String: String]) async throws(StoreError)
    /// How many doses given between `from` and `to` (local days, inclusive; `nil` for open)
    /// are synced and how many wait.
    func syncCounts(from: CalendarDate?, to: CalendarDate?) async throws(StoreError) -> SyncCounts
}

/// The roster of registrants, and station files merged in.
public protocol RosterStore: Sendable {
    /// Inserts or updates roster entries by registrant reference, in one transaction.
    func importRoster(_ entries: [RosterEntry]) async throws(StoreError) -> RosterImportResult
    /// The roster entry for `registrant`, if any.
    func rosterEntry(registrant: String) async throws(StoreError) -> RosterEntry?
    /// This database's identity, made when it was created: merges name records by it.
    func identity() async throws(StoreError) -> String
    /// Brings a station's doses and scan log in, in one transaction, each record exactly once:
    /// a record an earlier merge brought in is skipped, and a station dose that clashes with one
    /// the database holds (same serial, or same registrant and dose) is kept as a conflict.
    func merge(_ source: MergeSource) async throws(StoreError) -> MergeResult
}

/// Durable storage for officers and their token hashes, beside the doses.
public protocol OfficerStore: Sendable {
    /// Adds an officer; refuses a name that exists already.
    func addOfficer(_ officer: Officer) async throws(OfficerError)
    /// Every officer, revoked ones included, by name.
    func officers() async throws(StoreError) -> [Officer]
    /// The active officer whose token hashes to `tokenHash`, if any.
    func activeOfficer(tokenHash: String) async throws(StoreError) -> Officer?
    /// The active officers among those with any of `tokenHashes`: one lookup for many requests.
    func activeOfficers(tokenHashes: [String]) async throws(StoreError) -> [Officer]
    /// Revokes the officer's token from `at` on; the officer stays listed.
    func revokeOfficer(name: String, at: Date) async throws(OfficerError)
}

/// Every part of a dose database: what the SQLite and PostgreSQL stores are.
public typealias DoseStore = RecordingStore & StatisticsStore & RegistryOutbox & RosterStore
    & OfficerStore

extension OfficerStore {
    /// One lookup a hash, for a store without a lookup of many.
    public func activeOfficers(tokenHashes: [String]) async throws(StoreError) -> [Officer] {
        var found: [Officer] = []
        for hash in tokenHashes {
            if let officer = try await activeOfficer(tokenHash: hash) { found.append(officer) }
        }
        return found
    }
}
