import Foundation
import GRDB

extension SQLiteDoseStore {
    /// This database's identity, made when it was created: merges name records by it.
    public func identity() throws(StoreError) -> String {
        let path = path
        return try read { db in try Self.identity(db, path: path) }
    }

    private static func identity(_ db: Database, path: String) throws -> String {
        guard let identity = try String.fetchOne(db, sql: "SELECT id FROM store_identity") else {
            throw StoreError.notADatabase(path: path)
        }
        return identity
    }

    /// Every dose and scan log line of this database, with where each was first written, for
    /// merging into a central database. Records this database made itself carry its identity.
    public func mergeSource() throws(StoreError) -> MergeSource {
        let path = path
        return try read { db in
            let identity = try Self.identity(db, path: path)
            var doses: [(origin: RecordOrigin, dose: DoseRecord)] = []
            for row in try Row.fetchAll(
                db,
                sql:
                    "SELECT *, COALESCE(origin, ?) AS o, COALESCE(origin_id, id) AS oid FROM dose ORDER BY id",
                arguments: [identity])
            {
                doses.append(
                    (RecordOrigin(database: row["o"], row: row["oid"]), try DoseRecord(row: row)))
            }
            var scans: [(origin: RecordOrigin, entry: ScanLogEntry)] = []
            for row in try Row.fetchAll(
                db,
                sql:
                    "SELECT *, COALESCE(origin, ?) AS o, COALESCE(origin_id, id) AS oid FROM scan_log ORDER BY id",
                arguments: [identity])
            {
                scans.append(
                    (RecordOrigin(database: row["o"], row: row["oid"]), try ScanLogEntry(row: row)))
            }
            return MergeSource(identity: identity, doses: doses, scans: scans)
        }
    }

    public func merge(_ source: MergeSource) throws(StoreError) -> MergeResult {
        let path = path
        return try write { db in
            let identity = try Self.identity(db, path: path)
            if source.identity == identity { throw StoreError.mergeIntoItself(path: path) }
            var result = MergeResult(
                dosesAdded: 0, dosesAlreadyMerged: 0, scansAdded: 0, scansAlreadyMerged: 0,
                conflicts: [],
                conflictsAlreadyKnown: 0)
            let now = Date()
            for (origin, dose) in source.doses {
                // A record that started here and comes back through another station is here already.
                let sameOrigin =
                    origin.database == identity
                    ? try Bool.fetchOne(
                        db,
                        sql: "SELECT EXISTS (SELECT 1 FROM dose WHERE id = ? AND origin IS NULL)",
                        arguments: [origin.row])
                        ?? false
                    : try Bool.fetchOne(
                        db,
                        sql:
                            "SELECT EXISTS (SELECT 1 FROM dose WHERE origin = ? AND origin_id = ?)",
                        arguments: [origin.database, origin.row]) ?? false
                let known =
                    try Bool.fetchOne(
                        db,
                        sql:
                            "SELECT EXISTS (SELECT 1 FROM merge_conflict WHERE origin = ? AND origin_id = ?)",
                        arguments: [origin.database, origin.row]) ?? false
                let decision = MergeDecision.decide(
                    dose, sameOrigin: sameOrigin, knownConflict: known,
                    sameSerial: try DoseRecord.fetchOne(
                        db, sql: "SELECT * FROM dose WHERE serial = ?", arguments: [dose.serial]),
                    sameDose: try DoseRecord.fetchOne(
                        db, sql: "SELECT * FROM dose WHERE registrant = ? AND dose = ?",
                        arguments: [dose.registrant, dose.dose]))
                switch decision {
                case .alreadyMerged:
                    result.dosesAlreadyMerged += 1
                case .conflictAlreadyKnown:
                    result.conflictsAlreadyKnown += 1
                case .conflict(let conflict):
                    try db.execute(
                        sql: """
                            INSERT INTO merge_conflict (origin, origin_id, kind, existing_serial, serial, registrant, dose, vaccine, lot, site,
                                ticket_site, priority_group, officer, station, administered_at, administered_day, recorded_at, merged_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            origin.database, origin.row, conflict.kind.rawValue,
                            conflict.existing.serial, dose.serial,
                            dose.registrant, dose.dose,
                            dose.vaccine, dose.lot, dose.site, dose.ticketSite, dose.priorityGroup,
                            dose.officer, dose.station,
                            dose.administeredAt,
                            dose.administeredDay, dose.recordedAt, now,
                        ])
                    result.conflicts.append(conflict)
                case .add:
                    try db.execute(
                        sql: """
                            INSERT INTO dose (serial, registrant, dose, vaccine, lot, site, ticket_site, priority_group, officer, station,
                                administered_at, administered_day, recorded_at, sync_state, origin, origin_id)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            dose.serial, dose.registrant, dose.dose, dose.vaccine, dose.lot,
                            dose.site, dose.ticketSite,
                            dose.priorityGroup,
                            dose.officer, dose.station, dose.administeredAt, dose.administeredDay,
                            dose.recordedAt,
                            dose.syncState.rawValue,
                            origin.database, origin.row,
                        ])
                    result.dosesAdded += 1
                }
            }
            for (origin, entry) in source.scans {
                let exists =
                    origin.database == identity
                    ? try Bool.fetchOne(
                        db,
                        sql:
                            "SELECT EXISTS (SELECT 1 FROM scan_log WHERE id = ? AND origin IS NULL)",
                        arguments: [origin.row]
                    ) ?? false
                    : try Bool.fetchOne(
                        db,
                        sql:
                            "SELECT EXISTS (SELECT 1 FROM scan_log WHERE origin = ? AND origin_id = ?)",
                        arguments: [origin.database, origin.row]) ?? false
                if exists {
                    result.scansAlreadyMerged += 1
                    continue
                }
                try db.execute(
                    sql:
                        "INSERT INTO scan_log (time, day, officer, station, outcome, serial, origin, origin_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        entry.time, entry.day, entry.officer, entry.station, entry.outcome.rawValue,
                        entry.serial,
                        origin.database, origin.row,
                    ])
                result.scansAdded += 1
            }
            return result
        }
    }
}
