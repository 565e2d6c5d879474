public import Foundation
public import GRDB
import SystemPackage
import TicketCodec

#if canImport(Glibc)
    import Glibc
#endif

/// The embedded default store: one SQLite file in WAL mode, shared safely by several processes.
///
/// Recording runs in `BEGIN IMMEDIATE` transactions, so the checks and the insert of a batch
/// hold the write lock together and two stations can never record the same dose; unique
/// indexes back that up. A busy timeout waits for other writers, and a batch that still meets
/// a lock is rolled back and retried whole, so "database is locked" does not reach the officer.
public final class SQLiteDoseStore: DoseStore {
    /// The database file.
    public let path: String
    /// The programme's time zone, for local days.
    public let timeZone: TimeZone
    private let pool: DatabasePool

    /// How long one statement waits for another process's lock.
    static let busyTimeout: TimeInterval = 10
    /// How many times a whole transaction is retried after the busy timeout ran out.
    static let busyRetries = 30

    /// The SQLite application id of a VaxTicket database (`PRAGMA application_id`), "VAXT".
    public static let applicationID: Int32 = 0x5641_5854

    /// Opens (creating it when `create` is true and it is missing) the database at `path` and
    /// brings its schema up to date.
    ///
    /// A file that is some other program's SQLite database is refused before anything in it is
    /// changed. The database keeps the programme's time zone from its creation: `timeZone`, when
    /// given, must be that zone (local days, and so the interval rules, depend on it); `nil`
    /// uses the stored zone (Asia/Jakarta for a new file).
    public init(path: String, timeZone: TimeZone? = nil, create: Bool = true) throws(StoreError) {
        self.path = path
        let exists = FileManager.default.fileExists(atPath: path)
        if !create, !exists {
            throw .cannotOpen(path: path, reason: "no such file")
        }
        if exists { try Self.checkApplicationID(path: path) }
        try Self.makePrivate(path: path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(Self.busyTimeout)
        configuration.maximumReaderCount = 2
        configuration.label = "vaxticket"
        // The serial index takes random inserts; at a city's million doses it outgrows SQLite's
        // default 2 MB page cache, so give each connection room for it.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA cache_size = -65536") }
        let path = path
        let (pool, zone) = try Self.retryingBusy(path: path) {
            () throws(StoreError) -> (DatabasePool, TimeZone) in
            try Self.mapErrors(path: path) {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try Self.checkSchema(pool, path: path)
                try Self.migrate(pool)
                return (pool, try Self.programmeTimeZone(pool, path: path, given: timeZone))
            }
        }
        self.pool = pool
        self.timeZone = zone
    }

    /// Refuses a SQLite file that is not a VaxTicket database, reading it without changing it:
    /// a read-only connection, no journal mode switch, no migration.
    static func checkApplicationID(path: String) throws(StoreError) {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(busyTimeout)
        let verdict: Bool = try mapErrors(path: path) {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in
                let id = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                if id == applicationID { return true }
                guard id == 0 else { return false }
                let tables = try String.fetchAll(
                    db,
                    sql:
                        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                )
                // A new, empty file, or one another process is creating right now (GRDB commits its
                // migrations table before the first migration); or one made before the id was set,
                // known by its first migration.
                if tables.isEmpty || tables == ["grdb_migrations"] { return true }
                guard tables.contains("grdb_migrations") else { return false }
                return try Bool.fetchOne(
                    db, sql: "SELECT 1 FROM grdb_migrations WHERE identifier = 'v1 roster'")
                    ?? false
            }
        }
        if !verdict { throw .foreignDatabase(path: path) }
    }

    /// The zone stored in the database, stored first when there is none; a different `given`
    /// zone is refused.
    private static func programmeTimeZone(_ pool: DatabasePool, path: String, given: TimeZone?)
        throws -> TimeZone
    {
        let stored = try pool.read { db in
            try String.fetchOne(
                db, sql: "SELECT value FROM programme_setting WHERE name = 'time_zone'")
        }
        let identifier: String
        if let stored {
            identifier = stored
        } else {
            identifier = try pool.write { db in
                try db.execute(
                    sql:
                        "INSERT OR IGNORE INTO programme_setting (name, value) VALUES ('time_zone', ?)",
                    arguments: [(given ?? .programmeDefault).identifier])
                return try String.fetchOne(
                    db, sql: "SELECT value FROM programme_setting WHERE name = 'time_zone'") ?? ""
            }
        }
        guard let zone = TimeZone(identifier: identifier) else {
            throw StoreError.damagedRow(
                path: path, detail: "unknown stored time zone \(StoreError.excerpt(identifier))")
        }
        if let given, given.identifier != zone.identifier {
            throw StoreError.timeZoneMismatch(
                path: path, stored: zone.identifier, given: given.identifier)
        }
        return zone
    }

    /// Creates the database file with mode 0600 before SQLite opens it, and tightens an existing
    /// one: it holds NIKs, names, birth dates and phone numbers. SQLite gives the `-wal` and
    /// `-shm` files the database file's own mode, so they are private too.
    static func makePrivate(path: String) throws(StoreError) {
        let manager = FileManager.default
        if !manager.fileExists(atPath: path) {
            do {
                let descriptor = try FileDescriptor.open(
                    FilePath(path), .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec],
                    permissions: .ownerReadWrite)
                try descriptor.close()
            } catch let error as Errno where error == .fileExists {
                // Another process made it first: fine.
            } catch {
                throw .cannotOpen(path: path, reason: "\(error)")
            }
        }
        for file in [path, path + "-wal", path + "-shm"] {
            guard let attributes = try? manager.attributesOfItem(atPath: file),
                let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue,
                mode & 0o077 != 0,
                (attributes[.ownerAccountID] as? NSNumber)?.uint32Value == getuid()
            else { continue }
            try? manager.setAttributes([.posixPermissions: mode & 0o700], ofItemAtPath: file)
        }
    }

    /// Applies the migrations. GRDB reads which migrations are applied outside the migration
    /// transactions, so two processes opening a new file at once can both try the first one;
    /// the loser fails on a table that now exists and simply tries again.
    private static func migrate(_ pool: DatabasePool) throws {
        var attempt = 0
        while true {
            do {
                try Schema.migrator.migrate(pool)
                return
            } catch let error as DatabaseError
                where attempt < 5
                && (error.resultCode == .SQLITE_ERROR || error.resultCode == .SQLITE_CONSTRAINT)
            {
                attempt += 1
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
    }

    private static func checkSchema(_ pool: DatabasePool, path: String) throws {
        let known = Set(Schema.migrator.migrations)
        let applied = try pool.read { db in try Schema.migrator.appliedIdentifiers(db) }
        let unknown = applied.subtracting(known)
        if !unknown.isEmpty {
            throw StoreError.newerSchema(path: path, unknownMigrations: unknown.sorted())
        }
    }

    public func record(_ scans: [ScanInput], context: ScanContext, rules: RecordingRules)
        throws(StoreError) -> [RecordingResult]
    {
        let timeZone = timeZone
        return try write { db in
            // One clock reading per batch: the batch is committed as one, at one moment.
            let now = Date()
            let at = context.administeredAt ?? now
            if at.timeIntervalSince(now) > ScanContext.maximumClockSkew {
                throw StoreError.administeredInFuture(claimed: at, now: now)
            }
            let day = CalendarDate(at, in: timeZone).iso
            var results: [RecordingResult] = []
            results.reserveCapacity(scans.count)
            for scan in scans {
                results.append(
                    try Self.record(
                        scan, context: context, rules: rules, now: now, at: at, day: day, db: db))
            }
            return results
        }
    }

    private static func record(
        _ scan: ScanInput, context: ScanContext, rules: RecordingRules, now: Date, at: Date,
        day: String, db: Database
    ) throws -> RecordingResult {
        func log(_ outcome: RecordingOutcome, serial: String?) throws {
            let entry = ScanLogEntry(
                time: at, day: day, officer: context.officer, station: context.station,
                outcome: outcome.code, serial: serial,
                clockTime: now)
            try entry.insert(db)
        }
        let ticket: TicketFacts
        switch scan {
        case .refused(let outcome, let refusedTicket):
            try log(outcome, serial: refusedTicket?.serial)
            return RecordingResult(
                outcome: outcome, ticket: refusedTicket, dose: nil, rosterName: nil)
        case .ticket(let verified):
            ticket = verified
        }
        let history = RegistrantHistory(
            sameSerial: try DoseRecord.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM dose WHERE serial = ?"),
                arguments: [ticket.serial]),
            doses: try DoseRecord.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM dose WHERE registrant = ? ORDER BY dose"),
                arguments: [ticket.registrant]),
            roster: try RosterEntry.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM roster WHERE registrant = ?"),
                arguments: [ticket.registrant])
        )
        let (result, newDose) = rules.scan(
            ticket, history: history, context: context, day: day, at: at, now: now)
        try newDose?.insert(db)
        try log(result.outcome, serial: ticket.serial)
        return result
    }

    public func importRoster(_ entries: [RosterEntry]) throws(StoreError) -> RosterImportResult {
        try write { db in
            var result = RosterImportResult(inserted: 0, updated: 0, rejected: [:])
            let ownerOfNIK = try db.cachedStatement(
                sql: "SELECT registrant FROM roster WHERE nik = ? AND registrant <> ?")
            let exists = try db.cachedStatement(sql: "SELECT 1 FROM roster WHERE registrant = ?")
            for (index, entry) in entries.enumerated() {
                if let owner = try String.fetchOne(
                    ownerOfNIK, arguments: [entry.nik, entry.registrant])
                {
                    result.rejected[index] =
                        "NIK \(entry.nik) already belongs to registrant \(owner)"
                    continue
                }
                if try Bool.fetchOne(exists, arguments: [entry.registrant]) ?? false {
                    try entry.update(db)
                    result.updated += 1
                } else {
                    try entry.insert(db)
                    result.inserted += 1
                }
            }
            return result
        }
    }

    public func statistics(_ query: StatisticsQuery) throws(StoreError) -> Statistics {
        let column: String =
            switch query.dimension {
            case .dose: "dose"
            case .site: "site"
            case .day: "day"
            case .vaccine: "vaccine"
            case .group: "priority_group"
            }
        let range: StatementArguments = [query.from ?? "0000-01-01", query.to ?? "9999-12-31"]
        return try read { db in
            var byDose: [Int: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql:
                    "SELECT dose, SUM(count) FROM dose_tally WHERE day BETWEEN ? AND ? GROUP BY dose",
                arguments: range)
            {
                let count: Int = try row.decode(atIndex: 1)
                if count > 0 { byDose[try row.decode(atIndex: 0)] = count }
            }
            let rows = try Row.fetchAll(
                db,
                sql:
                    "SELECT CAST(\(column) AS TEXT), SUM(count) FROM dose_tally WHERE day BETWEEN ? AND ? GROUP BY \(column) ORDER BY \(column)",
                arguments: range
            ).compactMap { row -> Statistics.Row? in
                let count: Int = try row.decode(atIndex: 1)
                return count > 0
                    ? Statistics.Row(key: try row.decode(atIndex: 0), count: count) : nil
            }
            var scans: [String: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql:
                    "SELECT outcome, SUM(count) FROM scan_tally WHERE day BETWEEN ? AND ? GROUP BY outcome",
                arguments: range
            ) {
                scans[try row.decode(atIndex: 0)] = try row.decode(atIndex: 1)
            }
            return Statistics(
                total: byDose.values.reduce(0, +), byDose: byDose, dimension: query.dimension,
                rows: rows, scans: scans)
        }
    }

    public func dose(serial: String) throws(StoreError) -> DoseRecord? {
        try read { db in try DoseRecord.filter(Column("serial") == serial).fetchOne(db) }
    }

    public func doses(registrant: String) throws(StoreError) -> [DoseRecord] {
        try read { db in
            try DoseRecord.filter(Column("registrant") == registrant).order(Column("dose"))
                .fetchAll(db)
        }
    }

    public func rosterEntry(registrant: String) throws(StoreError) -> RosterEntry? {
        try read { db in try RosterEntry.fetchOne(db, key: registrant) }
    }

    public func scanLog() throws(StoreError) -> [ScanLogEntry] {
        try read { db in try ScanLogEntry.order(Column("id")).fetchAll(db) }
    }

    public func registryDoses(_ query: RegistryDoseQuery) throws(StoreError) -> [RegistryDose] {
        var conditions = ["dose.id > ?"]
        var arguments: StatementArguments = [query.after ?? 0]
        if query.unsyncedOnly { conditions.append("dose.sync_state = 'pending'") }
        if let since = query.since {
            conditions.append("dose.administered_day >= ?")
            arguments += [since]
        }
        arguments += [max(query.limit, 0)]
        let sql = """
            SELECT dose.*, roster.registrant AS roster_registrant, roster.nik AS roster_nik, roster.name AS roster_name,
                   roster.birth_date AS roster_birth_date, roster.priority_group AS roster_priority_group,
                   roster.phone AS roster_phone, roster.doses_elsewhere AS roster_doses_elsewhere
            FROM dose LEFT JOIN roster ON roster.registrant = dose.registrant
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY dose.id LIMIT ?
            """
        return try read { db in
            try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map { row in
                var registrant: RosterEntry?
                if let nik: String = row["roster_nik"] {
                    registrant = RosterEntry(
                        registrant: row["roster_registrant"], nik: nik, name: row["roster_name"],
                        birthDate: row["roster_birth_date"],
                        priorityGroup: row["roster_priority_group"], phone: row["roster_phone"],
                        dosesElsewhere: row["roster_doses_elsewhere"])
                }
                return RegistryDose(
                    id: row["id"], record: try DoseRecord(row: row), registrant: registrant,
                    lastRefusal: row["sync_refusal"])
            }
        }
    }

    public func markSynced(serials: [String]) throws(StoreError) {
        guard !serials.isEmpty else { return }
        try write { db in
            let statement = try db.cachedStatement(
                sql: "UPDATE dose SET sync_state = 'synced', sync_refusal = NULL WHERE serial = ?")
            for serial in serials { try statement.execute(arguments: [serial]) }
        }
    }

    public func recordSyncRefusals(_ refusals: [String: String]) throws(StoreError) {
        guard !refusals.isEmpty else { return }
        try write { db in
            let statement = try db.cachedStatement(
                sql: "UPDATE dose SET sync_refusal = ? WHERE serial = ? AND sync_state = 'pending'")
            for (serial, text) in refusals { try statement.execute(arguments: [text, serial]) }
        }
    }

    public func syncCounts(from: String?, to: String?) throws(StoreError) -> SyncCounts {
        let range: StatementArguments = [from ?? "0000-01-01", to ?? "9999-12-31"]
        return try read { db in
            // The tallies give the total cheaply; the pending ones are few and have their own index.
            let total =
                try Int.fetchOne(
                    db,
                    sql: "SELECT COALESCE(SUM(count), 0) FROM dose_tally WHERE day BETWEEN ? AND ?",
                    arguments: range) ?? 0
            let row = try Row.fetchOne(
                db,
                sql:
                    "SELECT COUNT(*), COUNT(sync_refusal) FROM dose WHERE sync_state = 'pending' AND administered_day BETWEEN ? AND ?",
                arguments: range)
            let waiting: Int = row?[0] ?? 0
            let refused: Int = row?[1] ?? 0
            return SyncCounts(synced: max(total - waiting, 0), waiting: waiting, refused: refused)
        }
    }

    // MARK: - Transactions and errors

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction, retried whole while the database is busy.
    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        let pool = pool
        return try Self.retryingBusy(path: path) { () throws(StoreError) in
            try Self.mapErrors(path: path) {
                try pool.writeWithoutTransaction { db in
                    var value: T?
                    try db.inTransaction(.immediate) {
                        value = try body(db)
                        return .commit
                    }
                    guard let value else {
                        fatalError("a committed transaction always sets its value")
                    }
                    return value
                }
            }
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        let pool = pool
        return try Self.retryingBusy(path: path) { () throws(StoreError) in
            try Self.mapErrors(path: path) { try pool.read(body) }
        }
    }

    private static func retryingBusy<T>(path: String, _ body: () throws(StoreError) -> T)
        throws(StoreError) -> T
    {
        var attempt = 0
        while true {
            do {
                return try body()
            } catch .busy where attempt < busyRetries {
                attempt += 1
                // Random backoff, so stations that collided do not collide again in step.
                Thread.sleep(
                    forTimeInterval: Double.random(in: 0.01...0.05) * Double(min(attempt, 10)))
            }
        }
    }

    private static func mapErrors<T>(path: String, _ body: () throws -> T) throws(StoreError) -> T {
        do {
            return try body()
        } catch let error as StoreError {
            throw error
        } catch let error as RowDecodingError {
            throw .damagedRow(path: path, detail: StoreError.excerpt("\(error)"))
        } catch let error as DatabaseError where error.resultCode == .SQLITE_MISMATCH {
            throw .damagedRow(path: path, detail: StoreError.excerpt(error.message ?? "\(error)"))
        } catch let error as DatabaseError {
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                throw .busy(path: path)
            case .SQLITE_NOTADB, .SQLITE_CORRUPT:
                throw .notADatabase(path: path)
            case .SQLITE_READONLY:
                throw .readOnly(path: path)
            case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH:
                throw .cannotOpen(path: path, reason: error.message ?? "cannot open")
            default:
                throw .sqlite(
                    code: error.extendedResultCode.rawValue, message: error.message ?? "\(error)")
            }
        } catch {
            throw .sqlite(code: -1, message: "\(error)")
        }
    }
}

extension DoseRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "dose"

    // Row decoding and encoding are written out rather than derived from Codable: recording a
    // city's million doses spends its time here.
    public init(row: Row) throws {
        // Every column is decoded with `decode`, which throws on a value of the wrong type
        // (a damaged or hand-edited row) where the subscript would trap.
        let state: String = try row.decode(forColumn: "sync_state")
        guard let syncState = SyncState(rawValue: state) else {
            throw DatabaseError(
                resultCode: .SQLITE_MISMATCH,
                message: "unknown sync_state \(StoreError.excerpt(state))")
        }
        self.init(
            serial: try row.decode(forColumn: "serial"),
            registrant: try row.decode(forColumn: "registrant"),
            dose: try row.decode(forColumn: "dose"), vaccine: try row.decode(forColumn: "vaccine"),
            lot: try row.decode(forColumn: "lot"),
            site: try row.decode(forColumn: "site"),
            ticketSite: try row.decode(forColumn: "ticket_site"),
            priorityGroup: try row.decode(forColumn: "priority_group"),
            officer: try row.decode(forColumn: "officer"),
            station: try row.decode(forColumn: "station"),
            administeredAt: try row.decode(forColumn: "administered_at"),
            administeredDay: try row.decode(forColumn: "administered_day"),
            recordedAt: try row.decode(forColumn: "recorded_at"),
            syncState: syncState)
    }

    public func encode(to container: inout PersistenceContainer) {
        container["serial"] = serial
        container["registrant"] = registrant
        container["dose"] = dose
        container["vaccine"] = vaccine
        container["lot"] = lot
        container["site"] = site
        container["ticket_site"] = ticketSite
        container["priority_group"] = priorityGroup
        container["officer"] = officer
        container["station"] = station
        container["administered_at"] = administeredAt
        container["administered_day"] = administeredDay
        container["recorded_at"] = recordedAt
        container["sync_state"] = syncState.rawValue
    }
}

extension ScanLogEntry: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "scan_log"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy
        .convertFromSnakeCase

    public func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["time"] = time
        container["day"] = day
        container["officer"] = officer
        container["station"] = station
        container["outcome"] = outcome.rawValue
        container["serial"] = serial
        container["clock_time"] = clockTime
    }
}

extension RosterEntry: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "roster"
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy
        .convertToSnakeCase

    public init(row: Row) throws {
        self.init(
            registrant: try row.decode(forColumn: "registrant"),
            nik: try row.decode(forColumn: "nik"),
            name: try row.decode(forColumn: "name"),
            birthDate: try row.decode(forColumn: "birth_date"),
            priorityGroup: try row.decode(forColumn: "priority_group"),
            phone: try row.decode(forColumn: "phone"),
            dosesElsewhere: try row.decode(forColumn: "doses_elsewhere"))
    }
}
