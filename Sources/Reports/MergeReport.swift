public import Foundation
public import Recording

/// The `db merge --json` object.
public struct MergeReport: Encodable, Hashable, Sendable {
    /// One conflict: a station's dose the database already held under another record.
    public struct Conflict: Encodable, Hashable, Sendable {
        /// `same_serial` or `same_dose`.
        public var kind: String
        /// The registrant reference.
        public var registrant: String
        /// The dose number.
        public var dose: Int
        /// The station's serial, kept in the conflict table.
        public var serial: String
        /// The station that recorded it offline.
        public var station: String
        /// When the station says it was given.
        public var administeredAt: Date
        /// The serial the database already held.
        public var existingSerial: String
        /// The station (or server) that recorded the held dose.
        public var existingStation: String
    }

    /// The station file merged.
    public var station: String
    /// Doses new to the database.
    public var dosesAdded: Int
    /// Doses an earlier merge already brought in.
    public var dosesAlreadyMerged: Int
    /// Scan log lines new to the database.
    public var scansAdded: Int
    /// Scan log lines an earlier merge already brought in.
    public var scansAlreadyMerged: Int
    /// Conflicts found by this merge.
    public var conflicts: [Conflict]
    /// Conflicts an earlier merge already found and kept.
    public var conflictsAlreadyKnown: Int

    /// The report of merging `station`.
    public init(_ result: MergeResult, station: String) {
        self.station = station
        dosesAdded = result.dosesAdded
        dosesAlreadyMerged = result.dosesAlreadyMerged
        scansAdded = result.scansAdded
        scansAlreadyMerged = result.scansAlreadyMerged
        conflictsAlreadyKnown = result.conflictsAlreadyKnown
        conflicts = result.conflicts.map { conflict in
            Conflict(
                kind: conflict.kind.rawValue, registrant: conflict.incoming.registrant,
                dose: conflict.incoming.dose,
                serial: conflict.incoming.serial,
                station: conflict.incoming.station,
                administeredAt: conflict.incoming.administeredAt,
                existingSerial: conflict.existing.serial, existingStation: conflict.existing.station
            )
        }
    }
}
