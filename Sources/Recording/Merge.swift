import GRDB

/// Where a record was first written: the database that wrote it, and its row number there.
/// Merges use it to bring every record in exactly once, however often they run.
public struct RecordOrigin: Hashable, Sendable, Codable {
    /// The identity of the database that first wrote the record.
    public var database: String
    /// The record's row number in that database.
    public var row: Int64

    /// An origin with every field given.
    public init(database: String, row: Int64) {
        self.database = database
        self.row = row
    }
}

/// A station database's records, as a merge reads them.
public struct MergeSource: Sendable {
    /// The station database's identity.
    public var identity: String
    /// Every dose the station holds, with where each was first written, oldest first.
    public var doses: [(origin: RecordOrigin, dose: DoseRecord)]
    /// The station's scan log, with where each line was first written, oldest first.
    public var scans: [(origin: RecordOrigin, entry: ScanLogEntry)]

    /// A source with every field given.
    public init(
        identity: String, doses: [(origin: RecordOrigin, dose: DoseRecord)],
        scans: [(origin: RecordOrigin, entry: ScanLogEntry)]
    ) {
        self.identity = identity
        self.doses = doses
        self.scans = scans
    }
}

/// A dose a station recorded offline that the database already holds under another record.
public struct MergeConflict: Hashable, Sendable, Codable {
    /// What clashes.
    public enum Kind: String, Hashable, Sendable, Codable {
        /// The same serial was recorded by both.
        case sameSerial = "same_serial"
        /// The same registrant's same dose was recorded under two serials.
        case sameDose = "same_dose"
    }

    /// What clashes.
    public var kind: Kind
    /// The station's dose, kept in the conflict table (never dropped), not in the dose table.
    public var incoming: DoseRecord
    /// The dose the database already held.
    public var existing: DoseRecord

    /// A conflict with every field given.
    public init(kind: Kind, incoming: DoseRecord, existing: DoseRecord) {
        self.kind = kind
        self.incoming = incoming
        self.existing = existing
    }
}

/// What a merge did.
public struct MergeResult: Hashable, Sendable {
    /// Doses new to the database.
    public var dosesAdded: Int
    /// Doses a previous merge already brought in.
    public var dosesAlreadyMerged: Int
    /// Scan log lines new to the database.
    public var scansAdded: Int
    /// Scan log lines a previous merge already brought in.
    public var scansAlreadyMerged: Int
    /// Conflicts found by this merge.
    public var conflicts: [MergeConflict]
    /// Conflicts a previous merge of the same records already found and kept.
    public var conflictsAlreadyKnown: Int

    /// A result with every field given.
    public init(
        dosesAdded: Int, dosesAlreadyMerged: Int, scansAdded: Int, scansAlreadyMerged: Int,
        conflicts: [MergeConflict],
        conflictsAlreadyKnown: Int
    ) {
        self.dosesAdded = dosesAdded
        self.dosesAlreadyMerged = dosesAlreadyMerged
        self.scansAdded = scansAdded
        self.scansAlreadyMerged = scansAlreadyMerged
        self.conflicts = conflicts
        self.conflictsAlreadyKnown = conflictsAlreadyKnown
    }
}

/// What the database holds for one incoming dose, as the merge rules need it.
public enum MergeDecision: Hashable, Sendable {
    /// Not there yet: insert it.
    case add
    /// Brought in by an earlier merge.
    case alreadyMerged
    /// Already kept as a conflict by an earlier merge.
    case conflictAlreadyKnown
    /// Clashes with a dose the database holds.
    case conflict(MergeConflict)

    /// The decision for `incoming` given what the database holds: the dose with the same origin,
    /// a known conflict with the same origin, the dose with the same serial, and the dose with
    /// the same registrant and dose number.
    public static func decide(
        _ incoming: DoseRecord, sameOrigin: Bool, knownConflict: Bool, sameSerial: DoseRecord?,
        sameDose: DoseRecord?
    ) -> MergeDecision {
        if sameOrigin { return .alreadyMerged }
        if knownConflict { return .conflictAlreadyKnown }
        if let sameSerial {
            return .conflict(
                MergeConflict(kind: .sameSerial, incoming: incoming, existing: sameSerial))
        }
        if let sameDose {
            return .conflict(MergeConflict(kind: .sameDose, incoming: incoming, existing: sameDose))
        }
        return .add
    }
}

/// The names of the schema's migrations, in order: every store keeps the same list, so a
/// PostgreSQL database and a SQLite file of one release have the same tables.
public enum DoseStoreSchema {
    /// The migration names, oldest first.
    public static var migrationNames: [String] { Schema.migrator.migrations }
}
