public import Foundation
public import GRDB
import SystemPackage
public import TicketCodec

#if canImport(Glibc)
    import Glibc
#endif

/// The embedded default store: one SQLite file in WAL mode, shared safely by several processes.
///
/// Every call is asynchronous: GRDB runs it on the pool's own writer or reader queue, so no
/// task's thread ever waits on SQLite. Recording runs in `BEGIN IMMEDIATE` transactions, so the
/// checks and the insert of a batch hold the write lock together and two stations can never
/// record the same dose; unique indexes back that up. A write waits for another program's lock
/// at most ``busyTimeout`` seconds in all, then fails with ``StoreError/locked(path:lock:seconds:)``,
/// having written nothing.
public final class SQLiteDoseStore: DoseStore {
    /// The database file.
    public let path: String
    /// The programme's time zone, for local days.
    public let timeZone: TimeZone
    /// How long a call waits, in all, for a lock another program holds.
    public let busyTimeout: TimeInterval
    let pool: DatabasePool

    /// How long a call waits for another program's lock unless told otherwise (`--busy-timeout`).
    public static let defaultBusyTimeout: TimeInterval = 30

    /// The SQLite application id of a VaxTicket database (`PRAGMA application_id`), "VAXT".
    public static let applicationID: Int32 = 0x5641_5854

    /// Opens (creating it when `create` is true and it is missing) the database at `path` and
    /// brings its schema up to date.
    ///
    /// A file that is some other program's SQLite database is refused before anything in it is
    /// changed. The database keeps the programme's time zone from its creation: `timeZone`, when
    /// given, must be that zone (local days, and so the interval rules, depend on it); `nil`
    /// uses the stored zone (Asia/Jakarta for a new file).
    public init(
        path: String, timeZone: TimeZone? = nil, create: Bool = true,
        busyTimeout: TimeInterval = SQLiteDoseStore.defaultBusyTimeout
    ) async throws(StoreError) {
        self.path = path
        self.busyTimeout = busyTimeout
        let exists = FileManager.default.fileExists(atPath: path)
        if !create, !exists {
            throw .cannotOpen(path: path, reason: "no such file")
        }
        if exists { try await Self.checkApplicationID(path: path, busyTimeout: busyTimeout) }
        try Self.makePrivate(path: path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.maximumReaderCount = 2
        configuration.label = "vaxticket"
        // The serial index takes random inserts; at a city's million doses it outgrows SQLite's
        // default 2 MB page cache, so give each connection room for it.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA cache_size = -65536") }
        let pool = try await Self.withLockWait(path: path, seconds: busyTimeout) {
            () throws(StoreError) -> DatabasePool in
            try await Self.mapErrors(path: path) {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try await Self.checkSchema(pool, path: path)
                try await Self.migrate(pool)
                return pool
            }
        }
        self.pool = pool
        let stored: String? = try await Self.withLockWait(path: path, seconds: busyTimeout) {
            () throws(StoreError) in
            try await Self.mapErrors(path: path) {
                try await pool.read { db in
                    try String.fetchOne(
                        db, sql: "SELECT value FROM programme_setting WHERE name = 'time_zone'")
                }
            }
        }
        let identifier: String
        if let stored {
            identifier = stored
        } else {
            let initial = ProgrammeZone.initial(given: timeZone)
            identifier = try await Self.withLockWait(path: path, seconds: busyTimeout) {
                () throws(StoreError) in
                try await Self.mapErrors(path: path) {
                    try await pool.write { db in
                        try db.execute(
                            sql:
                                "INSERT OR IGNORE INTO programme_setting (name, value) VALUES ('time_zone', ?)",
                            arguments: [initial])
                        return try String.fetchOne(
                            db, sql: "SELECT value FROM programme_setting WHERE name = 'time_zone'")
                            ?? ""
                    }
                }
            }
        }
        self.timeZone = try ProgrammeZone.resolve(stored: identifier, given: timeZone, path: path)
    }

    /// Refuses a SQLite file that is not a VaxTicket database, reading it without changing it:
    /// a read-only connection, no journal mode switch, no migration.
    static func checkApplicationID(path: String, busyTimeout: TimeInterval) async throws(StoreError)
    {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(busyTimeout)
        let verdict: Bool = try await mapErrors(path: path) {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try await queue.read { db in
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
    private static func migrate(_ pool: DatabasePool) async throws {
        var attempt = 0
        while true {
            do {
                try await withCheckedThrowingContinuation {
                    (continuation: CheckedContinuation<Void, any Error>) in
                    Schema.migrator.asyncMigrate(pool) { result in
                        continuation.resume(with: result.map { _ in () })
                    }
                }
                return
            } catch let error as DatabaseError
                where attempt < 5
                && (error.resultCode == .SQLITE_ERROR || error.resultCode == .SQLITE_CONSTRAINT)
            {
                attempt += 1
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    private static func checkSchema(_ pool: DatabasePool, path: String) async throws {
        let known = Set(Schema.migrator.migrations)
        let applied = try await pool.read { db in try Schema.migrator.appliedIdentifiers(db) }
        let unknown = applied.subtracting(known)
        if !unknown.isEmpty {
            throw StoreError.newerSchema(path: path, unknownMigrations: unknown.sorted())
        }
    }

    // MARK: - Recording

    public func record(_ groups: [ScanGroup], rules: RecordingRules)
        async throws(StoreError) -> [[RecordingResult]]
    {
        let timeZone = timeZone, path = path
        let results = try await write { db in
            try Self.record(
                RecordingBatch(groups, rules: rules, timeZone: timeZone), db, path: path
            ).results
        }
        return ScanGroup.split(results, among: groups)
    }

    /// Decides `batch` from the doses and roster entries it touches, and writes what it decided.
    static func record(_ batch: RecordingBatch, _ db: Database, path: String) throws
        -> RecordingWrites
    {
        let writes = batch.decide(
            doses: try doses(db, serials: batch.serials, registrants: batch.registrants),
            roster: try rosterEntries(db, registrants: batch.registrants, path: path))
        for dose in writes.doses { try insert(dose, origin: nil, db) }
        for entry in writes.scans { try insert(entry, origin: nil, db) }
        return writes
    }

    /// The doses recorded under any of `serials` or for any of `registrants`.
    static func doses(_ db: Database, serials: [String], registrants: [String]) throws
        -> [DoseRecord]
    {
        guard !serials.isEmpty || !registrants.isEmpty else { return [] }
        return try DoseRecord.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT * FROM dose WHERE registrant IN (SELECT value FROM json_each(?))
                    UNION SELECT * FROM dose WHERE serial IN (SELECT value FROM json_each(?))
                    """), arguments: [try jsonArray(registrants), try jsonArray(serials)])
    }

    static func rosterEntries(_ db: Database, registrants: [String], path: String) throws
        -> [RosterEntry]
    {
        guard !registrants.isEmpty else { return [] }
        return try RosterEntry.fetchAll(
            db.cachedStatement(
                sql: "SELECT * FROM roster WHERE registrant IN (SELECT value FROM json_each(?))"),
            arguments: [try jsonArray(registrants)])
    }

    /// A JSON array of `values`, one statement argument however many there are (`json_each`).
    static func jsonArray(_ values: [String]) throws -> String {
        String(decoding: try JSONEncoder().encode(values), as: UTF8.self)
    }

    static func insert(_ dose: DoseRecord, origin: RecordOrigin?, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO dose (serial, registrant, dose, vaccine, lot, site, ticket_site,
                    priority_group, officer, station, administered_at, administered_day,
                    recorded_at, sync_state, origin, origin_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            dose.serial, dose.registrant, dose.dose, dose.vaccine, dose.lot, dose.site,
            dose.ticketSite, dose.priorityGroup.rawValue, dose.officer, dose.station,
            StoredTimestamp.text(dose.administeredAt), dose.administeredDay.iso,
            StoredTimestamp.text(dose.recordedAt), dose.syncState.rawValue, origin?.database,
            origin?.row,
        ])
    }

    static func insert(_ entry: ScanLogEntry, origin: RecordOrigin?, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO scan_log (time, day, officer, station, outcome, serial, clock_time,
                    origin, origin_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            StoredTimestamp.text(entry.time), entry.day.iso, entry.officer, entry.station,
            entry.outcome.rawValue, entry.serial, entry.clockTime.map(StoredTimestamp.text),
            origin?.database, origin?.row,
        ])
    }

    public func recordQueued(
        _ batch: QueuedBatch, render: @escaping @Sendable ([RecordingResult]) throws -> String
    ) async throws(StoreError) -> [QueuedAnswer] {
        let path = path
        return try await write { db in
            var known: [String: String] = [:]
            let lookup = try db.cachedStatement(
                sql: "SELECT answer FROM queued_scan WHERE officer = ? AND scan_id = ?")
            for id in Set(batch.ids) {
                if let answer = try String.fetchOne(
                    lookup, arguments: [batch.officer.name, id])
                {
                    known[id] = answer
                }
            }
            let writes = try Self.record(batch.fresh(known: Set(known.keys)), db, path: path)
            let (answers, rows) = try batch.answers(known: known, writes: writes, render: render)
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO queued_scan (officer, scan_id, scanned_at, scanned_day, received_at, answer)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """)
            for row in rows {
                try insert.execute(arguments: [
                    row.officer, row.id, StoredTimestamp.text(row.scannedAt), row.scannedDay.iso,
                    StoredTimestamp.text(row.receivedAt), row.answer,
                ])
            }
            return answers
        }
    }

    public func lateScans(from: CalendarDate?, to: CalendarDate?) async throws(StoreError)
        -> LateScans
    {
        let (from, to) = Statistics.range(from: from, to: to)
        return try await read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT count(*), CAST(COALESCE(avg(delay), 0) AS INTEGER), CAST(COALESCE(max(delay), 0) AS INTEGER)
                    FROM (SELECT (julianday(received_at) - julianday(scanned_at)) * 86400 AS delay
                          FROM queued_scan WHERE scanned_day BETWEEN ? AND ?)
                    WHERE delay > ?
                    """, arguments: [from, to, QueueLimits.lateAfter])
            return LateScans(
                count: try row?.decode(atIndex: 0) ?? 0,
                averageSeconds: try row?.decode(atIndex: 1) ?? 0,
                maximumSeconds: try row?.decode(atIndex: 2) ?? 0)
        }
    }

    public func dose(serial: String) async throws(StoreError) -> DoseRecord? {
        try await read { db in
            try DoseRecord.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM dose WHERE serial = ?"), arguments: [serial])
        }
    }

    public func doses(registrant: String) async throws(StoreError) -> [DoseRecord] {
        try await read { db in
            try DoseRecord.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM dose WHERE registrant = ? ORDER BY dose"),
                arguments: [registrant])
        }
    }

    // MARK: - Roster

    public func importRoster(_ entries: [RosterEntry]) async throws(StoreError)
        -> RosterImportResult
    {
        try await write { db in
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

    public func rosterEntry(registrant: String) async throws(StoreError) -> RosterEntry? {
        try await read { db in try RosterEntry.fetchOne(db, key: registrant) }
    }

    // MARK: - Statistics

    public func statistics(_ query: StatisticsQuery) async throws(StoreError) -> Statistics {
        let (from, to) = Statistics.range(from: query.from, to: query.to)
        let column = query.dimension.tallyColumn, path = path
        return try await read { db in
            try Statistics(
                query,
                byDose: try Self.tally(
                    db,
                    sql:
                        "SELECT CAST(dose AS TEXT), SUM(count) FROM dose_tally \(Self.inRange) GROUP BY dose",
                    from: from, to: to),
                breakdown: try Self.tally(
                    db,
                    sql:
                        "SELECT CAST(\(column) AS TEXT), SUM(count) FROM dose_tally \(Self.inRange) GROUP BY \(column)",
                    from: from, to: to),
                scans: try Self.tally(
                    db,
                    sql:
                        "SELECT outcome, SUM(count) FROM scan_tally \(Self.inRange) GROUP BY outcome",
                    from: from, to: to),
                path: path)
        }
    }

    private static let inRange = "WHERE day BETWEEN ? AND ?"

    private static func tally(_ db: Database, sql: String, from: String, to: String) throws
        -> [TallyRow]
    {
        try Row.fetchAll(db.cachedStatement(sql: sql), arguments: [from, to]).map { row in
            TallyRow(key: try row.decode(atIndex: 0), count: try row.decode(atIndex: 1))
        }
    }

    public func syncCounts(from: CalendarDate?, to: CalendarDate?) async throws(StoreError)
        -> SyncCounts
    {
        let (from, to) = Statistics.range(from: from, to: to)
        return try await read { db in
            let total =
                try Int.fetchOne(
                    db,
                    sql: "SELECT COALESCE(SUM(count), 0) FROM dose_tally WHERE day BETWEEN ? AND ?",
                    arguments: [from, to]) ?? 0
            let row = try Row.fetchOne(
                db,
                sql:
                    "SELECT COALESCE(SUM(synced), 0), COALESCE(SUM(refused), 0) FROM sync_tally WHERE day BETWEEN ? AND ?",
                arguments: [from, to])
            return SyncCounts(
                total: total, synced: try row?.decode(atIndex: 0) ?? 0,
                refused: try row?.decode(atIndex: 1) ?? 0)
        }
    }

    public func scanLog() async throws(StoreError) -> [ScanLogEntry] {
        try await read { db in try ScanLogEntry.order(Column("id")).fetchAll(db) }
    }

    // MARK: - Registry outbox

    public func registryDoses(_ query: RegistryDoseQuery) async throws(StoreError)
        -> [RegistryDose]
    {
        var conditions = ["dose.id > ?"]
        var arguments: StatementArguments = [query.after ?? 0]
        if query.unsyncedOnly { conditions.append("dose.sync_state = 'pending'") }
        if let since = query.since {
            conditions.append("dose.administered_day >= ?")
            arguments += [since.iso]
        }
        arguments += [max(query.limit, 0)]
        let bound = arguments
        let sql = """
            SELECT dose.*, roster.registrant AS roster_registrant, roster.nik AS roster_nik,
                   roster.name AS roster_name, roster.birth_date AS roster_birth_date,
                   roster.priority_group AS roster_priority_group, roster.phone AS roster_phone,
                   roster.doses_elsewhere AS roster_doses_elsewhere
            FROM dose LEFT JOIN roster ON roster.registrant = dose.registrant
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY dose.id LIMIT ?
            """
        let path = path
        return try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: sql), arguments: bound).map { row in
                var registrant: RosterEntry?
                if let nik: String = try row.decode(forColumn: "roster_nik") {
                    registrant = RosterEntry(
                        registrant: try row.decode(forColumn: "roster_registrant"), nik: nik,
                        name: try row.decode(forColumn: "roster_name"),
                        birthDate: try CalendarDate.stored(
                            try row.decode(forColumn: "roster_birth_date"), path: path),
                        priorityGroup: try PriorityGroup.stored(
                            try row.decode(forColumn: "roster_priority_group"), path: path),
                        phone: try row.decode(forColumn: "roster_phone"),
                        dosesElsewhere: try row.decode(forColumn: "roster_doses_elsewhere"))
                }
                return RegistryDose(
                    id: try row.decode(forColumn: "id"), record: try DoseRecord(row: row),
                    registrant: registrant,
                    lastRefusal: try row.decode(forColumn: "sync_refusal"))
            }
        }
    }

    public func markSynced(serials: [String]) async throws(StoreError) {
        guard !serials.isEmpty else { return }
        try await write { db in
            let statement = try db.cachedStatement(
                sql: "UPDATE dose SET sync_state = 'synced', sync_refusal = NULL WHERE serial = ?")
            for serial in serials { try statement.execute(arguments: [serial]) }
        }
    }

    public func recordSyncRefusals(_ refusals: [String: String]) async throws(StoreError) {
        guard !refusals.isEmpty else { return }
        try await write { db in
            let statement = try db.cachedStatement(
                sql:
                    "UPDATE dose SET sync_refusal = ? WHERE serial = ? AND sync_state = 'pending'")
            for (serial, text) in refusals { try statement.execute(arguments: [text, serial]) }
        }
    }

    // MARK: - Transactions and errors

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction on the pool's writer queue, tried again
    /// while another program holds the lock, for at most ``busyTimeout`` seconds in all.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T)
        async throws(StoreError) -> T
    {
        let pool = pool, path = path
        return try await Self.withLockWait(path: path, seconds: busyTimeout) {
            () throws(StoreError) in
            try await Self.mapErrors(path: path) {
                try await pool.writeWithoutTransaction { db in
                    var value: T?
                    try db.inTransaction(.immediate) {
                        value = try body(db)
                        return .commit
                    }
                    guard let value else {
                        throw StoreError.sqlite(code: -1, message: "a transaction gave no value")
                    }
                    return value
                }
            }
        }
    }

    /// Runs `body` on one of the pool's readers, in a snapshot of the database.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T)
        async throws(StoreError) -> T
    {
        let pool = pool, path = path
        return try await Self.withLockWait(path: path, seconds: busyTimeout) {
            () throws(StoreError) in
            try await Self.mapErrors(path: path) { try await pool.read(body) }
        }
    }

    /// Runs `body`, trying again after SQLite reported the database busy (each try waits in
    /// SQLite's busy handler first), until `seconds` have passed since the first try; then the
    /// lock is reported, with the file and how long was waited.
    static func withLockWait<T>(
        path: String, seconds: TimeInterval, _ body: () async throws(StoreError) -> T
    ) async throws(StoreError) -> T {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(Int64(seconds * 1000)))
        var attempt = 0
        while true {
            do {
                return try await body()
            } catch .busy {
                attempt += 1
                guard clock.now < deadline else {
                    throw .locked(
                        path: path, lock: "its write lock", seconds: Int(seconds.rounded(.up)))
                }
                // Random backoff, so stations that collided do not collide again in step.
                let pause = Double.random(in: 0.01...0.05) * Double(min(attempt, 10))
                do {
                    try await Task.sleep(for: .milliseconds(Int64(pause * 1000)))
                } catch {
                    throw .busy(path: path)
                }
            }
        }
    }

    static func mapErrors<T>(path: String, _ body: () async throws -> T) async throws(StoreError)
        -> T
    {
        do {
            return try await body()
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
        } catch is CancellationError {
            throw .sqlite(code: -1, message: "cancelled; nothing of this batch was written")
        } catch {
            throw .sqlite(code: -1, message: "\(error)")
        }
    }
}

// Rows are decoded by hand rather than derived from Codable: recording a city's million doses
// spends its time here, and every column is read with `decode`, which throws on a value of the
// wrong type (a damaged or hand-edited row) where the subscript would trap. Days and groups that
// do not parse are damaged rows too, never values that silently skip a rule.

extension DoseRecord: FetchableRecord {
    public init(row: Row) throws {
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
            priorityGroup: try Self.group(try row.decode(forColumn: "priority_group")),
            officer: try row.decode(forColumn: "officer"),
            station: try row.decode(forColumn: "station"),
            administeredAt: try row.decode(forColumn: "administered_at"),
            administeredDay: try Self.day(try row.decode(forColumn: "administered_day")),
            recordedAt: try row.decode(forColumn: "recorded_at"),
            syncState: syncState)
    }

    static func day(_ text: String) throws -> CalendarDate {
        guard let day = CalendarDate(iso: text) else {
            throw DatabaseError(
                resultCode: .SQLITE_MISMATCH,
                message: "day \(StoreError.excerpt(text)) is not a date")
        }
        return day
    }

    static func group(_ text: String) throws -> PriorityGroup {
        guard let group = PriorityGroup(rawValue: text) else {
            throw DatabaseError(
                resultCode: .SQLITE_MISMATCH,
                message: "priority group \(StoreError.excerpt(text)) is unknown")
        }
        return group
    }
}

extension ScanLogEntry: FetchableRecord {
    public init(row: Row) throws {
        let code: String = try row.decode(forColumn: "outcome")
        guard let outcome = OutcomeCode(rawValue: code) else {
            throw DatabaseError(
                resultCode: .SQLITE_MISMATCH,
                message: "unknown outcome code \(StoreError.excerpt(code))")
        }
        self.init(
            id: try row.decode(forColumn: "id"), time: try row.decode(forColumn: "time"),
            day: try DoseRecord.day(try row.decode(forColumn: "day")),
            officer: try row.decode(forColumn: "officer"),
            station: try row.decode(forColumn: "station"), outcome: outcome,
            serial: try row.decode(forColumn: "serial"),
            clockTime: try row.decode(forColumn: "clock_time"))
    }
}

extension ScanLogEntry: TableRecord {
    public static let databaseTableName = "scan_log"
}

extension RosterEntry: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "roster"

    public init(row: Row) throws {
        self.init(
            registrant: try row.decode(forColumn: "registrant"),
            nik: try row.decode(forColumn: "nik"),
            name: try row.decode(forColumn: "name"),
            birthDate: try DoseRecord.day(try row.decode(forColumn: "birth_date")),
            priorityGroup: try DoseRecord.group(try row.decode(forColumn: "priority_group")),
            phone: try row.decode(forColumn: "phone"),
            dosesElsewhere: try row.decode(forColumn: "doses_elsewhere"))
    }

    public func encode(to container: inout PersistenceContainer) {
        container["registrant"] = registrant
        container["nik"] = nik
        container["name"] = name
        container["birth_date"] = birthDate.iso
        container["priority_group"] = priorityGroup.rawValue
        container["phone"] = phone
        container["doses_elsewhere"] = dosesElsewhere
    }
}
