public import Foundation
public import TicketCodec

// The recording engine: the loops that record a batch, merge a station file, count doses and
// fix the time zone, written once. A store supplies only connections and SQL: inside one of its
// transactions it reads what a step asks for, hands the rows to the step, and writes back what
// the step decided. SQLite does that synchronously inside a GRDB transaction, PostgreSQL
// asynchronously inside one of its client's transactions; the decisions are the same code.

/// One batch of scans on its way into a store, checked against the rules in one transaction.
public struct RecordingBatch: Sendable {
    /// One scan with who recorded it, where and when.
    public struct Entry: Sendable {
        /// The scan.
        public var scan: ScanInput
        /// Who records, where and when.
        public var context: ScanContext
        /// When the dose was given: the context's claimed time, or the batch's `now`.
        public var administeredAt: Date
        /// The local day of `administeredAt` in the programme's time zone.
        public var day: CalendarDate
    }

    /// The scans, in order, each with its context.
    public let entries: [Entry]
    /// The programme's rules.
    public let rules: RecordingRules
    /// The station's clock when the batch is recorded: one reading, as the batch commits as one.
    public let now: Date
    /// The serials of the batch's tickets: the store reads the doses recorded under them.
    public let serials: [String]
    /// The registrants of the batch's tickets: the store reads their doses and roster entries,
    /// and a store with many writers locks them first.
    public let registrants: [String]

    /// A batch of scans made in one context, recorded at `now`; refuses a claimed
    /// administration time in the future.
    public init(
        _ scans: [ScanInput], context: ScanContext, rules: RecordingRules, timeZone: TimeZone,
        now: Date = Date()
    ) throws(StoreError) {
        try self.init(
            [ScanGroup(scans, context: context)], rules: rules, timeZone: timeZone, now: now)
    }

    /// One batch of several groups of scans, each made in its own context (the requests of
    /// several officers committed together), recorded at `now`, in order; refuses a claimed
    /// administration time in the future in any group.
    public init(
        _ groups: [ScanGroup], rules: RecordingRules, timeZone: TimeZone, now: Date = Date()
    ) throws(StoreError) {
        var entries: [Entry] = []
        entries.reserveCapacity(groups.reduce(0) { $0 + $1.scans.count })
        for group in groups {
            let at = group.context.administeredAt ?? now
            if at.timeIntervalSince(now) > ScanContext.maximumClockSkew {
                throw .administeredInFuture(claimed: at, now: now)
            }
            let day = CalendarDate(at, in: timeZone)
            for scan in group.scans {
                entries.append(
                    Entry(scan: scan, context: group.context, administeredAt: at, day: day))
            }
        }
        self.init(entries, rules: rules, now: now)
    }

    /// A batch of scans each in its own context (a phone's queue: every scan has its own time,
    /// lot and station), whose times were checked by the caller.
    public init(_ entries: [Entry], rules: RecordingRules, now: Date) {
        self.entries = entries
        self.rules = rules
        self.now = now
        var serials = Set<String>(), registrants = Set<String>()
        for entry in entries {
            if case .ticket(let ticket) = entry.scan {
                serials.insert(ticket.serial)
                registrants.insert(ticket.registrant)
            }
        }
        self.serials = serials.sorted()
        self.registrants = registrants.sorted()
    }

    /// Decides every scan of the batch, in order, from what the store holds: `doses`, every
    /// dose recorded under one of ``serials`` or for one of ``registrants``, and `roster`, their
    /// roster entries. A later scan of the batch sees the doses the earlier ones recorded.
    public func decide(doses: [DoseRecord], roster: [RosterEntry]) -> RecordingWrites {
        var bySerial: [String: DoseRecord] = [:]
        var byRegistrant: [String: [DoseRecord]] = [:]
        for dose in doses {
            bySerial[dose.serial] = dose
            byRegistrant[dose.registrant, default: []].append(dose)
        }
        var rosterEntries: [String: RosterEntry] = [:]
        for entry in roster { rosterEntries[entry.registrant] = entry }
        var writes = RecordingWrites()
        writes.results.reserveCapacity(entries.count)
        writes.scans.reserveCapacity(entries.count)
        for entry in entries {
            let ticket: TicketFacts
            switch entry.scan {
            case .refused(let outcome, let refusedTicket):
                writes.scans.append(logEntry(entry, outcome.code, serial: refusedTicket?.serial))
                writes.results.append(
                    RecordingResult(
                        outcome: outcome, ticket: refusedTicket, dose: nil, rosterName: nil))
                continue
            case .ticket(let verified):
                ticket = verified
            }
            let history = RegistrantHistory(
                sameSerial: bySerial[ticket.serial],
                doses: (byRegistrant[ticket.registrant] ?? []).sorted { $0.dose < $1.dose },
                roster: rosterEntries[ticket.registrant])
            let (result, newDose) = rules.scan(
                ticket, history: history, context: entry.context, day: entry.day,
                at: entry.administeredAt, now: now)
            if let newDose {
                writes.doses.append(newDose)
                bySerial[newDose.serial] = newDose
                byRegistrant[newDose.registrant, default: []].append(newDose)
            }
            writes.scans.append(logEntry(entry, result.outcome.code, serial: ticket.serial))
            writes.results.append(result)
        }
        return writes
    }

    private func logEntry(_ entry: Entry, _ code: OutcomeCode, serial: String?) -> ScanLogEntry {
        ScanLogEntry(
            time: entry.administeredAt, day: entry.day, officer: entry.context.officer,
            station: entry.context.station, outcome: code, serial: serial, clockTime: now)
    }
}

/// Scans made in one context: one request of one officer (a ticket text, or the tickets of one
/// photo).
public struct ScanGroup: Sendable {
    /// The scans, in order.
    public var scans: [ScanInput]
    /// Who records them, where and when.
    public var context: ScanContext

    /// A group of `scans` made in `context`.
    public init(_ scans: [ScanInput], context: ScanContext) {
        self.scans = scans
        self.context = context
    }

    /// `results`, the answers of a batch of `groups` in order, cut into one slice per group.
    public static func split(_ results: [RecordingResult], among groups: [ScanGroup])
        -> [[RecordingResult]]
    {
        var slices: [[RecordingResult]] = []
        slices.reserveCapacity(groups.count)
        var start = results.startIndex
        for group in groups {
            let end = min(results.endIndex, start + group.scans.count)
            slices.append(Array(results[start..<end]))
            start = end
        }
        return slices
    }
}

/// What recording a batch writes, and the answers for the officer.
public struct RecordingWrites: Sendable {
    /// One answer per scan, in order.
    public var results: [RecordingResult] = []
    /// The new dose records, in order.
    public var doses: [DoseRecord] = []
    /// One scan log line per scan, in order.
    public var scans: [ScanLogEntry] = []
}

/// A station file on its way into a database, each record exactly once.
public struct MergeBatch: Sendable {
    /// The station's records.
    public let source: MergeSource
    /// The identity of the database merged into.
    public let identity: String
    /// When the merge runs.
    public let now: Date

    /// A merge of `source` into the database with `identity` (named `path` in messages);
    /// refuses a database merged into itself.
    public init(_ source: MergeSource, into identity: String, path: String, now: Date = Date())
        throws(StoreError)
    {
        if source.identity == identity { throw .mergeIntoItself(path: path) }
        self.source = source
        self.identity = identity
        self.now = now
    }

    /// The origins of the station's doses: the store says which of them it holds already (a
    /// dose whose origin is this database is its own row `origin.row` with no origin of its
    /// own), and which it keeps as conflicts.
    public var doseOrigins: [RecordOrigin] { source.doses.map(\.origin) }
    /// The origins of the station's scan log lines: the store says which it holds already.
    public var scanOrigins: [RecordOrigin] { source.scans.map(\.origin) }
    /// The serials of the station's doses: the store reads the doses recorded under them.
    public var serials: [String] { source.doses.map(\.dose.serial) }
    /// The registrants of the station's doses: the store reads their doses (and locks them).
    public var registrants: [String] { Array(Set(source.doses.map(\.dose.registrant))).sorted() }

    /// Decides every station record from what the store holds.
    public func decide(_ held: MergeHeld) -> MergeWrites {
        var bySerial: [String: DoseRecord] = [:]
        var byDose: [DoseKey: DoseRecord] = [:]
        for dose in held.doses {
            bySerial[dose.serial] = dose
            byDose[DoseKey(dose)] = dose
        }
        var writes = MergeWrites(
            result: MergeResult(
                dosesAdded: 0, dosesAlreadyMerged: 0, scansAdded: 0, scansAlreadyMerged: 0,
                conflicts: [], conflictsAlreadyKnown: 0),
            mergedAt: now)
        for (origin, dose) in source.doses {
            switch MergeDecision.decide(
                dose, sameOrigin: held.mergedDoses.contains(origin),
                knownConflict: held.knownConflicts.contains(origin),
                sameSerial: bySerial[dose.serial], sameDose: byDose[DoseKey(dose)])
            {
            case .alreadyMerged:
                writes.result.dosesAlreadyMerged += 1
            case .conflictAlreadyKnown:
                writes.result.conflictsAlreadyKnown += 1
            case .conflict(let conflict):
                writes.conflicts.append((origin, conflict))
                writes.result.conflicts.append(conflict)
            case .add:
                writes.doses.append((origin, dose))
                bySerial[dose.serial] = dose
                byDose[DoseKey(dose)] = dose
                writes.result.dosesAdded += 1
            }
        }
        for (origin, entry) in source.scans {
            if held.mergedScans.contains(origin) {
                writes.result.scansAlreadyMerged += 1
            } else {
                writes.scans.append((origin, entry))
                writes.result.scansAdded += 1
            }
        }
        return writes
    }

    private struct DoseKey: Hashable {
        var registrant: String
        var dose: Int
        init(_ record: DoseRecord) {
            registrant = record.registrant
            dose = record.dose
        }
    }
}

/// What a database holds of a station's records, as a merge reads it.
public struct MergeHeld: Sendable {
    /// The station doses' origins the database holds as doses.
    public var mergedDoses: Set<RecordOrigin>
    /// The station doses' origins the database keeps as conflicts.
    public var knownConflicts: Set<RecordOrigin>
    /// The station scan log lines' origins the database holds.
    public var mergedScans: Set<RecordOrigin>
    /// The doses with the station doses' serials, or of their registrants.
    public var doses: [DoseRecord]

    /// What is held, with every field given.
    public init(
        mergedDoses: Set<RecordOrigin>, knownConflicts: Set<RecordOrigin>,
        mergedScans: Set<RecordOrigin>, doses: [DoseRecord]
    ) {
        self.mergedDoses = mergedDoses
        self.knownConflicts = knownConflicts
        self.mergedScans = mergedScans
        self.doses = doses
    }
}

/// What a merge writes, and what it did.
public struct MergeWrites: Sendable {
    /// What the merge did.
    public var result: MergeResult
    /// When it ran, kept with each conflict.
    public var mergedAt: Date
    /// Doses to add, with where each was first written.
    public var doses: [(origin: RecordOrigin, dose: DoseRecord)] = []
    /// Conflicts to keep, with where the station's dose was first written.
    public var conflicts: [(origin: RecordOrigin, conflict: MergeConflict)] = []
    /// Scan log lines to add, with where each was first written.
    public var scans: [(origin: RecordOrigin, entry: ScanLogEntry)] = []
}

/// The columns the tallies count by, one per breakdown.
extension StatisticsDimension {
    /// The tally column this breakdown groups by; one of five fixed names, never user text.
    public var tallyColumn: String {
        switch self {
        case .dose: "dose"
        case .site: "site"
        case .day: "day"
        case .vaccine: "vaccine"
        case .group: "priority_group"
        }
    }
}

/// One grouped row of a tally: a key (a dose number, site, day, vaccine, group or outcome code,
/// as text) and its count.
public struct TallyRow: Hashable, Sendable {
    /// The key, as text.
    public var key: String
    /// The count.
    public var count: Int

    /// A row with every field given.
    public init(key: String, count: Int) {
        self.key = key
        self.count = count
    }
}

extension Statistics {
    /// Statistics from the tallies a store read for `query`: doses per dose number, doses per
    /// the query's breakdown, and scans per outcome. A dose number that is not a number is a
    /// damaged row in `path`, reported as such.
    public init(
        _ query: StatisticsQuery, byDose: [TallyRow], breakdown: [TallyRow], scans: [TallyRow],
        path: String
    ) throws(StoreError) {
        var doses: [Int: Int] = [:]
        for row in byDose where row.count > 0 {
            guard let dose = Int(row.key) else {
                throw .damagedRow(
                    path: path, detail: "dose number \(StoreError.excerpt(row.key)) in a tally")
            }
            doses[dose, default: 0] += row.count
        }
        var outcomes: [String: Int] = [:]
        for row in scans { outcomes[row.key, default: 0] += row.count }
        self.init(
            total: doses.values.reduce(0, +), byDose: doses, dimension: query.dimension,
            rows: breakdown.filter { $0.count > 0 }.sorted { $0.key < $1.key }.map {
                Statistics.Row(key: $0.key, count: $0.count)
            },
            scans: outcomes)
    }

    /// The first and last day of a query's range, for a store's `BETWEEN` condition.
    public static func range(from: CalendarDate?, to: CalendarDate?) -> (String, String) {
        (from?.iso ?? "0000-01-01", to?.iso ?? "9999-12-31")
    }
}

extension SyncCounts {
    /// Counts from the tallies: `total` doses given in the range, of which `synced` reached the
    /// registry and `refused` wait after a refusal.
    public init(total: Int, synced: Int, refused: Int) {
        self.init(synced: synced, waiting: max(total - synced, 0), refused: refused)
    }
}

/// The programme's time zone, kept in the database from its creation.
public enum ProgrammeZone {
    /// The zone to store in a database that keeps none yet: `given`, or the programme default.
    public static func initial(given: TimeZone?) -> String {
        (given ?? .programmeDefault).identifier
    }

    /// The database's zone from its stored `identifier`; a different `given` zone is refused,
    /// since local days (and so the interval rules) depend on it.
    public static func resolve(stored identifier: String, given: TimeZone?, path: String)
        throws(StoreError) -> TimeZone
    {
        guard let zone = TimeZone(identifier: identifier) else {
            throw .damagedRow(
                path: path, detail: "unknown stored time zone \(StoreError.excerpt(identifier))")
        }
        if let given, given.identifier != zone.identifier {
            throw .timeZoneMismatch(path: path, stored: zone.identifier, given: given.identifier)
        }
        return zone
    }
}

extension CalendarDate {
    /// The day a stored `YYYY-MM-DD` text names; anything else is a damaged row in `path`, never
    /// a day that silently skips a rule.
    public static func stored(_ text: String, path: String) throws(StoreError) -> CalendarDate {
        guard let day = CalendarDate(iso: text) else {
            throw .damagedRow(path: path, detail: "day \(StoreError.excerpt(text)) is not a date")
        }
        return day
    }
}

extension PriorityGroup {
    /// The group a stored code names; anything else is a damaged row in `path`.
    public static func stored(_ text: String, path: String) throws(StoreError) -> PriorityGroup {
        guard let group = PriorityGroup(rawValue: text) else {
            throw .damagedRow(
                path: path, detail: "priority group \(StoreError.excerpt(text)) is unknown")
        }
        return group
    }
}
