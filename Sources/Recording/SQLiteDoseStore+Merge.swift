import Foundation
import GRDB
import TicketCodec

extension SQLiteDoseStore {
    public func identity() async throws(StoreError) -> String {
        let path = path
        return try await read { db in try Self.identity(db, path: path) }
    }

    private static func identity(_ db: Database, path: String) throws -> String {
        guard let identity = try String.fetchOne(db, sql: "SELECT id FROM store_identity") else {
            throw StoreError.notADatabase(path: path)
        }
        return identity
    }

    /// Every dose and scan log line of this database, with where each was first written, for
    /// merging into a central database. Records this database made itself carry its identity.
    public func mergeSource() async throws(StoreError) -> MergeSource {
        let path = path
        return try await read { db in
            let identity = try Self.identity(db, path: path)
            var doses: [(origin: RecordOrigin, dose: DoseRecord)] = []
            for row in try Row.fetchAll(
                db,
                sql:
                    "SELECT *, COALESCE(origin, ?) AS o, COALESCE(origin_id, id) AS oid FROM dose ORDER BY id",
                arguments: [identity])
            {
                doses.append(
                    (
                        RecordOrigin(
                            database: try row.decode(forColumn: "o"),
                            row: try row.decode(forColumn: "oid")),
                        try DoseRecord(row: row)
                    ))
            }
            var scans: [(origin: RecordOrigin, entry: ScanLogEntry)] = []
            for row in try Row.fetchAll(
                db,
                sql:
                    "SELECT *, COALESCE(origin, ?) AS o, COALESCE(origin_id, id) AS oid FROM scan_log ORDER BY id",
                arguments: [identity])
            {
                scans.append(
                    (
                        RecordOrigin(
                            database: try row.decode(forColumn: "o"),
                            row: try row.decode(forColumn: "oid")),
                        try ScanLogEntry(row: row)
                    ))
            }
            return MergeSource(identity: identity, doses: doses, scans: scans)
        }
    }

    public func merge(_ source: MergeSource) async throws(StoreError) -> MergeResult {
        let path = path
        return try await write { db in
            let batch = try MergeBatch(source, into: try Self.identity(db, path: path), path: path)
            let writes = batch.decide(
                MergeHeld(
                    mergedDoses: try Self.present(
                        batch.doseOrigins, in: "dose", identity: batch.identity, db),
                    knownConflicts: try Self.present(
                        batch.doseOrigins, in: "merge_conflict", identity: nil, db),
                    mergedScans: try Self.present(
                        batch.scanOrigins, in: "scan_log", identity: batch.identity, db),
                    doses: try Self.doses(
                        db, serials: batch.serials, registrants: batch.registrants)))
            for (origin, conflict) in writes.conflicts {
                try Self.keep(conflict, origin: origin, mergedAt: writes.mergedAt, db)
            }
            for (origin, dose) in writes.doses { try Self.insert(dose, origin: origin, db) }
            for (origin, entry) in writes.scans { try Self.insert(entry, origin: origin, db) }
            return writes.result
        }
    }

    /// Which of `origins` the table holds: a row that came from there, or, for a table that
    /// keeps this database's own rows (`identity` given), the row itself when the origin is this
    /// database.
    private static func present(
        _ origins: [RecordOrigin], in table: String, identity: String?, _ db: Database
    ) throws -> Set<RecordOrigin> {
        guard !origins.isEmpty else { return [] }
        var found = Set<RecordOrigin>()
        let foreign = origins.filter { $0.database != identity }
        let pairs = try JSONEncoder().encode(foreign.map { [$0.database, String($0.row)] })
        // `table` is one of three fixed names, never user text.
        for row in try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT origin, origin_id FROM \(table) WHERE origin IS NOT NULL AND (origin, origin_id) IN
                        (SELECT json_extract(value, '$[0]'), CAST(json_extract(value, '$[1]') AS INTEGER)
                         FROM json_each(?))
                    """), arguments: [String(decoding: pairs, as: UTF8.self)])
        {
            found.insert(
                RecordOrigin(database: try row.decode(atIndex: 0), row: try row.decode(atIndex: 1)))
        }
        if let identity {
            let own = origins.filter { $0.database == identity }.map(\.row)
            guard !own.isEmpty else { return found }
            for id in try Int64.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT id FROM \(table) WHERE origin IS NULL
                            AND id IN (SELECT value FROM json_each(?))
                        """),
                arguments: [String(decoding: try JSONEncoder().encode(own), as: UTF8.self)])
            {
                found.insert(RecordOrigin(database: identity, row: id))
            }
        }
        return found
    }

    private static func keep(
        _ conflict: MergeConflict, origin: RecordOrigin, mergedAt: Date, _ db: Database
    ) throws {
        let dose = conflict.incoming
        try db.cachedStatement(
            sql: """
                INSERT INTO merge_conflict (origin, origin_id, kind, existing_serial, serial,
                    registrant, dose, vaccine, lot, site, ticket_site, priority_group, officer,
                    station, administered_at, administered_day, recorded_at, merged_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            origin.database, origin.row, conflict.kind.rawValue, conflict.existing.serial,
            dose.serial, dose.registrant, dose.dose, dose.vaccine, dose.lot, dose.site,
            dose.ticketSite, dose.priorityGroup.rawValue, dose.officer, dose.station,
            StoredTimestamp.text(dose.administeredAt), dose.administeredDay.iso,
            StoredTimestamp.text(dose.recordedAt), StoredTimestamp.text(mergedAt),
        ])
    }
}
