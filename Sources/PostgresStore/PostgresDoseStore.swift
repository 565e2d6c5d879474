public import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
public import Recording
public import ServiceLifecycle
import Synchronization
public import TicketCodec

/// The dose store on a PostgreSQL server, for a city whose stations and servers all write one
/// database at once. Same protocols, same rules, same migrations and the same constraints in
/// the database as the SQLite store.
///
/// Connections come from postgres-nio's `PostgresClient`, the pool, which must run as a service
/// while the store is used (``run()``: the server adds it to its service group, a command runs
/// it beside its work); every call is asynchronous and no thread ever waits on the network.
///
/// Exactly once with many writers: a batch's read-check-insert runs in one transaction that
/// first takes transaction-scoped advisory locks on its registrants (hashed into
/// `lockBuckets` buckets, taken in ascending order so writers queue rather than deadlock).
/// Every writer of a registrant's doses holds that lock, so the rules always see every
/// committed dose of the registrant; the unique indexes on serial and on (registrant, dose)
/// back that up. Deadlocks, serialization failures and unique violations from a race roll the
/// batch back and retry it whole, so none reaches the officer. Each batch costs a handful of
/// round trips whatever its size: one for the locks, two for the history, one multi-row insert
/// each for doses and scans. A lock another session holds is waited for at most
/// ``busyTimeout`` seconds (`lock_timeout`), then the call fails having written nothing.
public final class PostgresDoseStore: DoseStore, Service {
    /// The database.
    public let location: PostgresLocation
    /// The programme's time zone, for local days.
    public let timeZone: TimeZone
    /// How long a call waits for a lock, or for a connection from the pool.
    public let busyTimeout: TimeInterval
    let settings: PostgresSettings
    let client: PostgresClient
    let recordedBatches = Atomic<Int>(0)

    /// How many lock buckets registrants are hashed into. Bounded, so a batch of thousands of
    /// registrants takes at most this many locks and PostgreSQL's lock table never overflows.
    static let lockBuckets = 512
    /// How many times a transaction is retried after a deadlock or serialization failure.
    static let retries = 50
    /// The first key of the registrant advisory locks (the second is the bucket).
    static let registrantLockClass: Int32 = 0x5654

    /// Connects to the database at `location` with the password from `environment`
    /// (`PGPASSWORD`, or the password file) and brings its schema up to date, on a connection
    /// of its own so that a wrong password or an unreachable server is a clear error at once.
    /// The database itself must exist (`createdb`); its tables are created here. Run the store
    /// (``run()``) while it is used.
    public init(
        location: PostgresLocation, timeZone: TimeZone? = nil,
        busyTimeout: TimeInterval = SQLiteDoseStore.defaultBusyTimeout,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        home: String = NSHomeDirectory()
    ) async throws(StoreError) {
        self.location = location
        self.busyTimeout = busyTimeout
        let settings = try PostgresSettings(
            location: location,
            password: try location.password(environment: environment, home: home),
            busyTimeout: busyTimeout)
        self.settings = settings
        let identifier: String
        do {
            identifier = try await settings.withConnection { connection in
                try await Self.migrate(connection, location: location)
                return try await Self.storedTimeZone(connection, given: timeZone)
            }
        } catch {
            throw Self.map(error, location: location, busyTimeout: busyTimeout)
        }
        self.timeZone = try ProgrammeZone.resolve(
            stored: identifier, given: timeZone, path: location.description)
        client = PostgresClient(
            configuration: settings.clientConfiguration, backgroundLogger: PostgresSettings.logger)
    }

    /// Opens the database a `postgres://` URL names.
    public convenience init(url: String, timeZone: TimeZone? = nil) async throws(StoreError) {
        try await self.init(location: try PostgresLocation(url: url), timeZone: timeZone)
    }

    /// Runs the connection pool until the task is cancelled or the service group shuts down.
    public func run() async {
        await client.run()
    }

    // MARK: - Schema and settings

    private static func migrate(_ connection: PostgresConnection, location: PostgresLocation)
        async throws
    {
        let known = PostgresSchema.migrations.map(\.name)
        try await connection.withTransaction(logger: PostgresSettings.logger) { connection in
            try await connection.run(
                "SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLock))")
            // Created only when missing, so a role without CREATE can still open a migrated database.
            if try await connection.run("SELECT to_regclass('vaxticket_migrations') IS NULL").first?
                .decode(Bool.self) ?? true
            {
                try await connection.run(PostgresQuery(unsafeSQL: PostgresSchema.migrationsTable))
            }
            let applied = try await connection.run("SELECT identifier FROM vaxticket_migrations")
                .map { try $0.decode(String.self) }
            let unknown = Set(applied).subtracting(known)
            if !unknown.isEmpty {
                throw StoreError.newerSchema(
                    path: location.description, unknownMigrations: unknown.sorted())
            }
            for (name, script) in PostgresSchema.migrations where !applied.contains(name) {
                for statement in PostgresSchema.statements(script) {
                    try await connection.run(PostgresQuery(unsafeSQL: statement))
                }
                try await connection.run(
                    "INSERT INTO vaxticket_migrations (identifier) VALUES (\(name))")
            }
        }
    }

    /// The zone stored in the database, stored first when there is none.
    private static func storedTimeZone(_ connection: PostgresConnection, given: TimeZone?)
        async throws -> String
    {
        try await connection.withTransaction(logger: PostgresSettings.logger) { connection in
            try await connection.run(
                """
                INSERT INTO programme_setting (name, value) VALUES ('time_zone', \(ProgrammeZone.initial(given: given)))
                ON CONFLICT (name) DO NOTHING
                """)
            return try await connection.run(
                "SELECT value FROM programme_setting WHERE name = 'time_zone'"
            ).first?.decode(String.self) ?? ""
        }
    }

    /// The names of the applied migrations, in the order they were applied.
    public func appliedMigrations() async throws(StoreError) -> [String] {
        try await statement { connection in
            try await connection.run(
                "SELECT identifier FROM vaxticket_migrations ORDER BY position"
            ).map { try $0.decode(String.self) }
        }
    }

    // MARK: - Recording

    public func record(_ groups: [ScanGroup], rules: RecordingRules)
        async throws(StoreError) -> [[RecordingResult]]
    {
        let timeZone = timeZone, path = location.description
        // The batch is made once to learn its registrants, and again after the locks are held,
        // so its clock reading is the moment it is decided.
        let registrants = try RecordingBatch(groups, rules: rules, timeZone: timeZone).registrants
        let results = try await transaction(retryingUniqueViolations: true) { connection in
            try await Self.lock(registrants: registrants, on: connection)
            try await Self.preferIndexes(on: connection)
            return try await Self.record(
                RecordingBatch(groups, rules: rules, timeZone: timeZone), on: connection,
                path: path
            ).results
        }
        await foldNowAndThen()
        return ScanGroup.split(results, among: groups)
    }

    public func recordQueued(
        _ batch: QueuedBatch, render: @escaping @Sendable ([RecordingResult]) throws -> String
    ) async throws(StoreError) -> [QueuedAnswer] {
        let path = location.description
        let answers = try await transaction(retryingUniqueViolations: true) { connection in
            try await Self.lock(registrants: batch.registrants, on: connection)
            try await Self.preferIndexes(on: connection)
            var known: [String: String] = [:]
            for row in try await connection.run(
                "SELECT scan_id, answer FROM queued_scan WHERE officer = \(batch.officer.name) AND scan_id = ANY(\(batch.ids)::text[])"
            ) {
                let (id, answer) = try row.decode((String, String).self)
                known[id] = answer
            }
            let writes = try await Self.record(
                batch.fresh(known: Set(known.keys)), on: connection, path: path)
            let (answers, rows) = try batch.answers(known: known, writes: writes, render: render)
            if !rows.isEmpty {
                try await connection.run(
                    """
                    INSERT INTO queued_scan (officer, scan_id, scanned_at, scanned_day, received_at, answer)
                    SELECT * FROM unnest(\(rows.map(\.officer))::text[], \(rows.map(\.id))::text[],
                        \(rows.map(\.scannedAt))::timestamptz[], \(rows.map(\.scannedDay.iso))::text[],
                        \(rows.map(\.receivedAt))::timestamptz[], \(rows.map(\.answer))::text[])
                    """)
            }
            return answers
        }
        await foldNowAndThen()
        return answers
    }

    public func lateScans(from: CalendarDate?, to: CalendarDate?) async throws(StoreError)
        -> LateScans
    {
        let (from, to) = Statistics.range(from: from, to: to)
        return try await statement { connection in
            guard
                let row = try await connection.run(
                    """
                    SELECT count(*)::bigint, COALESCE(avg(delay), 0)::bigint, COALESCE(max(delay), 0)::bigint
                    FROM (SELECT extract(epoch FROM received_at - scanned_at) AS delay
                          FROM queued_scan WHERE scanned_day BETWEEN \(from) AND \(to)) AS q
                    WHERE delay > \(QueueLimits.lateAfter)
                    """
                ).first
            else { return LateScans(count: 0, averageSeconds: 0, maximumSeconds: 0) }
            let (count, average, maximum) = try row.decode((Int, Int, Int).self)
            return LateScans(count: count, averageSeconds: average, maximumSeconds: maximum)
        }
    }

    /// Takes the transaction's advisory locks for `registrants`, in ascending bucket order.
    static func lock(registrants: [String], on connection: PostgresConnection) async throws {
        guard !registrants.isEmpty else { return }
        try await connection.run(
            """
            SELECT pg_advisory_xact_lock(\(Self.registrantLockClass), b) FROM (
                SELECT DISTINCT (abs(hashtext(r)::bigint) % \(Int64(lockBuckets)))::int AS b FROM unnest(\(registrants)::text[]) AS r ORDER BY b
            ) AS buckets
            """)
    }

    /// Makes this transaction's lookups by serial and registrant use their indexes. Before the
    /// first ANALYZE of a growing table (autovacuum waits a minute), the planner guesses that
    /// `registrant = ANY($1)` with a thousand names matches most of the table and scans all of
    /// it, so a city-sized import slowed with every batch; a lookup by key always wants the index.
    static func preferIndexes(on connection: PostgresConnection) async throws {
        try await connection.run("SET LOCAL enable_seqscan = off")
    }

    static let doseColumns = """
        serial, registrant, dose, vaccine, lot, site, ticket_site, priority_group, officer, station, administered_at, administered_day, recorded_at, sync_state
        """

    /// Decides `batch` from the doses and roster entries it touches, and writes what it decided,
    /// inside the caller's transaction (which holds the batch's registrant locks).
    static func record(_ batch: RecordingBatch, on connection: PostgresConnection, path: String)
        async throws -> RecordingWrites
    {
        let writes = batch.decide(
            doses: try await doses(
                on: connection, serials: batch.serials, registrants: batch.registrants,
                path: path),
            roster: try await rosterEntries(
                on: connection, registrants: batch.registrants, niks: [], path: path))
        try await insert(doses: writes.doses, origins: nil, on: connection)
        try await insert(scans: writes.scans, origins: nil, on: connection)
        return writes
    }

    /// The doses with any of `serials` or of `registrants`, by registrant and dose number.
    static func doses(
        on connection: PostgresConnection, serials: [String], registrants: [String], path: String
    ) async throws -> [DoseRecord] {
        guard !serials.isEmpty || !registrants.isEmpty else { return [] }
        return try await connection.run(
            """
            SELECT \(unescaped: doseColumns) FROM dose WHERE serial = ANY(\(serials)::text[])
            UNION SELECT \(unescaped: doseColumns) FROM dose WHERE registrant = ANY(\(registrants)::text[])
            ORDER BY 2, 3
            """
        ).map { row throws(StoreError) in try decodeDose(row, path: path) }
    }

    static func decodeDose(_ row: PostgresRow, path: String) throws(StoreError) -> DoseRecord {
        do {
            let (
                serial, registrant, dose, vaccine, lot, site, ticketSite, group, officer, station,
                administeredAt, administeredDay, recordedAt, sync
            ) = try row.decode(
                (
                    String, String, Int, String, String?, String, String, String, String, String,
                    Date, String, Date, String
                ).self)
            guard let syncState = SyncState(rawValue: sync) else {
                throw StoreError.damagedRow(
                    path: path,
                    detail: "unknown sync_state \(StoreError.excerpt(sync)) for serial \(serial)")
            }
            return DoseRecord(
                serial: serial, registrant: registrant, dose: dose, vaccine: vaccine, lot: lot,
                site: site, ticketSite: ticketSite,
                priorityGroup: try PriorityGroup.stored(group, path: path), officer: officer,
                station: station, administeredAt: administeredAt,
                administeredDay: try CalendarDate.stored(administeredDay, path: path),
                recordedAt: recordedAt, syncState: syncState)
        } catch let error as StoreError {
            throw error
        } catch {
            throw .damagedRow(path: path, detail: StoreError.excerpt("\(error)"))
        }
    }

    /// Inserts doses with one multi-row statement (arrays unnested on the server).
    static func insert(
        doses: [DoseRecord], origins: [RecordOrigin]?, on connection: PostgresConnection
    ) async throws {
        guard !doses.isEmpty else { return }
        // A nil lot travels as "" (which the lot check refuses anyway) and is turned back into NULL.
        try await connection.run(
            """
            INSERT INTO dose (serial, registrant, dose, vaccine, lot, site, ticket_site, priority_group, officer, station,
                administered_at, administered_day, recorded_at, sync_state, origin, origin_id)
            SELECT s, r, d, v, NULLIF(l, ''), si, ts, g, o, st, aa, ad, ra, ss, NULLIF(og, ''), NULLIF(oi, 0)
            FROM unnest(\(doses.map(\.serial))::text[], \(doses.map(\.registrant))::text[], \(doses.map(\.dose))::bigint[],
                \(doses.map(\.vaccine))::text[], \(doses.map { $0.lot ?? "" })::text[], \(doses.map(\.site))::text[],
                \(doses.map(\.ticketSite))::text[], \(doses.map(\.priorityGroup.rawValue))::text[], \(doses.map(\.officer))::text[],
                \(doses.map(\.station))::text[], \(doses.map(\.administeredAt))::timestamptz[], \(doses.map(\.administeredDay.iso))::text[],
                \(doses.map(\.recordedAt))::timestamptz[], \(doses.map(\.syncState.rawValue))::text[],
                \(origins?.map(\.database) ?? Array(repeating: "", count: doses.count))::text[],
                \(origins?.map(\.row) ?? Array(repeating: 0, count: doses.count))::bigint[])
                WITH ORDINALITY AS t(s, r, d, v, l, si, ts, g, o, st, aa, ad, ra, ss, og, oi, n)
            ORDER BY n
            """)
    }

    /// Appends scan log lines with one multi-row statement, in order.
    static func insert(
        scans: [ScanLogEntry], origins: [RecordOrigin]?, on connection: PostgresConnection
    ) async throws {
        guard !scans.isEmpty else { return }
        try await connection.run(
            """
            INSERT INTO scan_log (time, day, officer, station, outcome, serial, origin, origin_id, clock_time)
            SELECT t, d, o, st, oc, NULLIF(s, ''), NULLIF(og, ''), NULLIF(oi, 0), c.ct
            FROM unnest(\(scans.map(\.time))::timestamptz[], \(scans.map(\.day.iso))::text[], \(scans.map(\.officer))::text[],
                \(scans.map(\.station))::text[], \(scans.map(\.outcome.rawValue))::text[], \(scans.map { $0.serial ?? "" })::text[],
                \(origins?.map(\.database) ?? Array(repeating: "", count: scans.count))::text[],
                \(origins?.map(\.row) ?? Array(repeating: 0, count: scans.count))::bigint[],
                \(scans.map { $0.clockTime?.timeIntervalSince1970 ?? 0 })::float8[])
                WITH ORDINALITY AS x(t, d, o, st, oc, s, og, oi, ctf, n)
                CROSS JOIN LATERAL (SELECT to_timestamp(NULLIF(ctf, 0)) AS ct) c
            ORDER BY n
            """)
    }

    public func dose(serial: String) async throws(StoreError) -> DoseRecord? {
        let path = location.description
        return try await statement { connection in
            try await Self.doses(on: connection, serials: [serial], registrants: [], path: path)
                .first
        }
    }

    public func doses(registrant: String) async throws(StoreError) -> [DoseRecord] {
        let path = location.description
        return try await statement { connection in
            try await Self.doses(
                on: connection, serials: [], registrants: [registrant], path: path)
        }
    }

    // MARK: - Roster

    public func importRoster(_ entries: [RosterEntry]) async throws(StoreError)
        -> RosterImportResult
    {
        let path = location.description
        return try await transaction { connection in
            // Roster imports are rare and whole: one at a time.
            try await connection.run("LOCK TABLE roster IN SHARE ROW EXCLUSIVE MODE")
            var result = RosterImportResult(inserted: 0, updated: 0, rejected: [:])
            let existing = try await Self.rosterEntries(
                on: connection, registrants: entries.map(\.registrant), niks: entries.map(\.nik),
                path: path)
            var nikOwner: [String: String] = [:]
            var known = Set<String>()
            for entry in existing {
                nikOwner[entry.nik] = entry.registrant
                known.insert(entry.registrant)
            }
            // Entries are applied in order, as the SQLite store does; the last one for a
            // registrant wins.
            var final: [String: RosterEntry] = [:]
            var order: [String] = []
            var nikOf: [String: String] = [:]
            for entry in existing { nikOf[entry.registrant] = entry.nik }
            for (index, entry) in entries.enumerated() {
                if let owner = nikOwner[entry.nik], owner != entry.registrant {
                    result.rejected[index] =
                        "NIK \(entry.nik) already belongs to registrant \(owner)"
                    continue
                }
                if known.contains(entry.registrant) {
                    result.updated += 1
                } else {
                    result.inserted += 1
                }
                known.insert(entry.registrant)
                if let old = nikOf[entry.registrant], nikOwner[old] == entry.registrant {
                    nikOwner[old] = nil
                }
                nikOwner[entry.nik] = entry.registrant
                nikOf[entry.registrant] = entry.nik
                if final[entry.registrant] == nil { order.append(entry.registrant) }
                final[entry.registrant] = entry
            }
            let rows = order.compactMap { final[$0] }
            for start in stride(from: 0, to: rows.count, by: 5000) {
                let chunk = rows[start..<min(rows.count, start + 5000)]
                try await connection.run(
                    """
                    INSERT INTO roster (registrant, nik, name, birth_date, priority_group, phone, doses_elsewhere)
                    SELECT * FROM unnest(\(chunk.map(\.registrant))::text[], \(chunk.map(\.nik))::text[], \(chunk.map(\.name))::text[],
                        \(chunk.map(\.birthDate.iso))::text[], \(chunk.map(\.priorityGroup.rawValue))::text[], \(chunk.map(\.phone))::text[],
                        \(chunk.map(\.dosesElsewhere))::bigint[])
                    ON CONFLICT (registrant) DO UPDATE SET nik = EXCLUDED.nik, name = EXCLUDED.name, birth_date = EXCLUDED.birth_date,
                        priority_group = EXCLUDED.priority_group, phone = EXCLUDED.phone, doses_elsewhere = EXCLUDED.doses_elsewhere
                    """)
            }
            return result
        }
    }

    /// The roster entries of any of `registrants` or holding any of `niks`.
    static func rosterEntries(
        on connection: PostgresConnection, registrants: [String], niks: [String], path: String
    ) async throws -> [RosterEntry] {
        guard !registrants.isEmpty || !niks.isEmpty else { return [] }
        return try await connection.run(
            """
            SELECT registrant, nik, name, birth_date, priority_group, phone, doses_elsewhere FROM roster
            WHERE registrant = ANY(\(registrants)::text[]) OR nik = ANY(\(niks)::text[])
            """
        ).map { row throws(StoreError) in try decodeRoster(row, path: path) }
    }

    static func decodeRoster(_ row: PostgresRow, path: String) throws(StoreError) -> RosterEntry {
        do {
            let (registrant, nik, name, birthDate, group, phone, elsewhere) = try row.decode(
                (String, String, String, String, String, String, Int).self)
            return RosterEntry(
                registrant: registrant, nik: nik, name: name,
                birthDate: try CalendarDate.stored(birthDate, path: path),
                priorityGroup: try PriorityGroup.stored(group, path: path), phone: phone,
                dosesElsewhere: elsewhere)
        } catch let error as StoreError {
            throw error
        } catch {
            throw .damagedRow(path: path, detail: StoreError.excerpt("\(error)"))
        }
    }

    public func rosterEntry(registrant: String) async throws(StoreError) -> RosterEntry? {
        let path = location.description
        return try await statement { connection in
            try await Self.rosterEntries(
                on: connection, registrants: [registrant], niks: [], path: path
            ).first
        }
    }

    // MARK: - Statistics

    public func statistics(_ query: StatisticsQuery) async throws(StoreError) -> Statistics {
        let (from, to) = Statistics.range(from: query.from, to: query.to)
        // `column` is one of five fixed names, never user text.
        let column = query.dimension.tallyColumn, path = location.description
        return try await transaction { connection in
            try await Self.foldTallies(on: connection)
            func tally(_ key: String, _ tallies: String) async throws -> [TallyRow] {
                try await connection.run(
                    """
                    SELECT \(unescaped: key)::text, SUM(count)::bigint FROM \(unescaped: tallies)
                    WHERE day BETWEEN \(from) AND \(to) GROUP BY 1
                    """
                ).map { row in
                    let (key, count) = try row.decode((String, Int).self)
                    return TallyRow(key: key, count: count)
                }
            }
            return try Statistics(
                query, byDose: try await tally("dose", Self.doseTallies),
                breakdown: try await tally(column, Self.doseTallies),
                scans: try await tally("outcome", Self.scanTallies), path: path)
        }
    }

    /// The dose tallies with the deltas not yet folded in.
    static let doseTallies = """
        (SELECT day, dose, site, vaccine, priority_group, count FROM dose_tally
         UNION ALL SELECT day, dose, site, vaccine, priority_group, count FROM dose_tally_delta) AS t
        """
    /// The scan tallies with the deltas not yet folded in.
    static let scanTallies = """
        (SELECT day, outcome, count FROM scan_tally UNION ALL SELECT day, outcome, count FROM scan_tally_delta) AS t
        """

    /// Folds the tally deltas writers appended into the tallies, unless another session is
    /// folding them right now.
    static func foldTallies(on connection: PostgresConnection) async throws {
        try await connection.run("SELECT vaxticket_fold_tallies()")
    }

    /// Folds the deltas now and then after recording, in a transaction of its own, so that
    /// readers seldom sum many; a failure is left to the next fold (readers sum what is left).
    func foldNowAndThen() async {
        guard recordedBatches.wrappingAdd(1, ordering: .relaxed).newValue % 32 == 0 else { return }
        _ = try? await transaction { connection in try await Self.foldTallies(on: connection) }
    }

    public func syncCounts(from: CalendarDate?, to: CalendarDate?) async throws(StoreError)
        -> SyncCounts
    {
        let (from, to) = Statistics.range(from: from, to: to)
        return try await transaction { connection in
            try await Self.foldTallies(on: connection)
            guard
                let row = try await connection.run(
                    """
                    SELECT (SELECT COALESCE(SUM(count), 0)::bigint FROM \(unescaped: Self.doseTallies) WHERE day BETWEEN \(from) AND \(to)),
                           COALESCE(SUM(synced), 0)::bigint, COALESCE(SUM(refused), 0)::bigint
                    FROM (SELECT day, synced, refused FROM sync_tally UNION ALL SELECT day, synced, refused FROM sync_tally_delta) AS s
                    WHERE day BETWEEN \(from) AND \(to)
                    """
                ).first
            else { return SyncCounts(synced: 0, waiting: 0, refused: 0) }
            let (total, synced, refused) = try row.decode((Int, Int, Int).self)
            return SyncCounts(total: total, synced: synced, refused: refused)
        }
    }

    public func scanLog() async throws(StoreError) -> [ScanLogEntry] {
        let path = location.description
        return try await statement { connection in
            try await connection.run(
                "SELECT id, time, day, officer, station, outcome, serial, clock_time FROM scan_log ORDER BY id"
            ).map { row in
                let (id, time, day, officer, station, code, serial, clockTime) = try row.decode(
                    (Int64, Date, String, String, String, String, String?, Date?).self)
                guard let outcome = OutcomeCode(rawValue: code) else {
                    throw StoreError.damagedRow(
                        path: path,
                        detail:
                            "unknown outcome code \(StoreError.excerpt(code)) in scan log line \(id)"
                    )
                }
                return ScanLogEntry(
                    id: id, time: time, day: try CalendarDate.stored(day, path: path),
                    officer: officer, station: station, outcome: outcome, serial: serial,
                    clockTime: clockTime)
            }
        }
    }

    // MARK: - Merging offline stations

    public func identity() async throws(StoreError) -> String {
        let location = location
        return try await statement { connection in
            try await Self.identity(on: connection, location: location)
        }
    }

    private static func identity(on connection: PostgresConnection, location: PostgresLocation)
        async throws -> String
    {
        guard let row = try await connection.run("SELECT id FROM store_identity").first else {
            throw StoreError.notADatabase(path: location.description)
        }
        return try row.decode(String.self)
    }

    public func merge(_ source: MergeSource) async throws(StoreError) -> MergeResult {
        let location = location, path = location.description
        return try await transaction(retryingUniqueViolations: true) { connection in
            let batch = try MergeBatch(
                source, into: try await Self.identity(on: connection, location: location),
                path: path)
            try await Self.lock(registrants: batch.registrants, on: connection)
            try await Self.preferIndexes(on: connection)
            let held = MergeHeld(
                mergedDoses: try await Self.present(
                    batch.doseOrigins, in: "dose", identity: batch.identity, on: connection),
                knownConflicts: try await Self.present(
                    batch.doseOrigins, in: "merge_conflict", identity: nil, on: connection),
                mergedScans: try await Self.present(
                    batch.scanOrigins, in: "scan_log", identity: batch.identity, on: connection),
                doses: try await Self.doses(
                    on: connection, serials: batch.serials, registrants: batch.registrants,
                    path: path))
            let writes = batch.decide(held)
            for (origin, conflict) in writes.conflicts {
                try await Self.keep(
                    conflict, origin: origin, mergedAt: writes.mergedAt, on: connection)
            }
            for start in stride(from: 0, to: writes.doses.count, by: 5000) {
                let chunk = writes.doses[start..<min(writes.doses.count, start + 5000)]
                try await Self.insert(
                    doses: chunk.map(\.dose), origins: chunk.map(\.origin), on: connection)
            }
            for start in stride(from: 0, to: writes.scans.count, by: 5000) {
                let chunk = writes.scans[start..<min(writes.scans.count, start + 5000)]
                try await Self.insert(
                    scans: chunk.map(\.entry), origins: chunk.map(\.origin), on: connection)
            }
            return writes.result
        }
    }

    /// Which of `origins` the table holds: a row that came from there, or, for a table that
    /// keeps this database's own rows (`identity` given), the row itself when the origin is this
    /// database. Asked 5,000 origins at a time.
    private static func present(
        _ origins: [RecordOrigin], in table: String, identity: String?,
        on connection: PostgresConnection
    ) async throws -> Set<RecordOrigin> {
        var found = Set<RecordOrigin>()
        for start in stride(from: 0, to: origins.count, by: 5000) {
            let chunk = origins[start..<min(origins.count, start + 5000)]
            // `table` is one of three fixed names, never user text; the identity is bound.
            for row in try await connection.run(
                """
                SELECT o.db, o.r FROM unnest(\(chunk.map(\.database))::text[], \(chunk.map(\.row))::bigint[]) AS o(db, r)
                WHERE EXISTS (SELECT 1 FROM \(unescaped: table) t WHERE (t.origin IS NOT NULL AND t.origin = o.db AND t.origin_id = o.r)
                    OR (\(identity)::text IS NOT NULL AND o.db = \(identity)::text AND t.origin IS NULL AND t.id = o.r))
                """)
            {
                let (database, id) = try row.decode((String, Int64).self)
                found.insert(RecordOrigin(database: database, row: id))
            }
        }
        return found
    }

    private static func keep(
        _ conflict: MergeConflict, origin: RecordOrigin, mergedAt: Date,
        on connection: PostgresConnection
    ) async throws {
        let dose = conflict.incoming
        try await connection.run(
            """
            INSERT INTO merge_conflict (origin, origin_id, kind, existing_serial, serial, registrant, dose, vaccine, lot, site, ticket_site,
                priority_group, officer, station, administered_at, administered_day, recorded_at, merged_at)
            VALUES (\(origin.database), \(origin.row), \(conflict.kind.rawValue), \(conflict.existing.serial), \(dose.serial), \(dose.registrant),
                \(dose.dose), \(dose.vaccine), \(dose.lot), \(dose.site), \(dose.ticketSite), \(dose.priorityGroup.rawValue), \(dose.officer), \(dose.station),
                \(dose.administeredAt), \(dose.administeredDay.iso), \(dose.recordedAt), \(mergedAt))
            """)
    }

    // MARK: - Transactions and errors

    /// Runs `body` in a transaction on a pooled connection, retried whole after a deadlock or a
    /// serialization failure (and, for writers that check before they insert, after a unique
    /// violation that a concurrent writer's commit caused), with a random backoff. Waiting for
    /// a connection from the pool ends after ``busyTimeout`` seconds.
    func transaction<T: Sendable>(
        retryingUniqueViolations: Bool = false,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws(StoreError) -> T {
        try await leasing(
            transactional: true, retryingUniqueViolations: retryingUniqueViolations, body)
    }

    /// Runs `body`, one statement that needs no transaction of its own (a lookup), on a pooled
    /// connection: one round trip instead of three.
    func statement<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T)
        async throws(StoreError) -> T
    {
        try await leasing(transactional: false, retryingUniqueViolations: false, body)
    }

    private func leasing<T: Sendable>(
        transactional: Bool, retryingUniqueViolations: Bool,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws(StoreError) -> T {
        var attempt = 0
        while true {
            do {
                return try await leased(transactional: transactional, body)
            } catch {
                let mapped = Self.map(error, location: location, busyTimeout: busyTimeout)
                if case .postgres(let state, _) = mapped, attempt < Self.retries,
                    ["40001", "40P01"].contains(state)
                        || (retryingUniqueViolations && state == "23505")
                {
                    attempt += 1
                    let pause = Double.random(in: 0.005...0.03) * Double(min(attempt, 10))
                    try? await Task.sleep(for: .milliseconds(Int64(pause * 1000)))
                    continue
                }
                if case .postgres(let state, _) = mapped, ["40001", "40P01"].contains(state) {
                    throw .busy(path: location.description)
                }
                throw mapped
            }
        }
    }

    /// Runs `body` in a transaction of the pool, giving up when no connection could be leased
    /// within ``busyTimeout`` seconds. Once a connection is leased the transaction runs to its
    /// end: the server's own `lock_timeout` and `statement_timeout` bound it.
    private func leased<T: Sendable>(
        transactional: Bool, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let client = client, busyTimeout = busyTimeout
        let started = LeaseFlag()
        return try await withThrowingTaskGroup(of: LeaseOutcome<T>.self) { group in
            group.addTask {
                guard transactional else {
                    return .done(
                        try await client.withConnection { connection in
                            started.set()
                            return try await body(connection)
                        })
                }
                return .done(
                    try await client.withTransaction(logger: PostgresSettings.logger) {
                        connection in
                        started.set()
                        return try await body(connection)
                    })
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(Int64(busyTimeout * 1000)))
                return started.isSet ? .leased : .timedOut
            }
            while let outcome = try await group.next() {
                switch outcome {
                case .done(let value):
                    group.cancelAll()
                    return value
                case .leased:
                    continue
                case .timedOut:
                    group.cancelAll()
                    throw await unavailable()
                }
            }
            throw StoreError.busy(path: location.description)
        }
    }

    /// Why no connection could be had: the server's own answer to a connection of our own when
    /// it refuses one, else every pooled connection stayed busy.
    private func unavailable() async -> StoreError {
        do {
            try await settings.withConnection { connection in try await connection.run("SELECT 1") }
            return .busy(path: location.description)
        } catch {
            return Self.map(error, location: location, busyTimeout: busyTimeout)
        }
    }

    /// Our error for anything postgres-nio or the server reported. Messages carry the server's
    /// text and SQLSTATE, never the password (which postgres-nio never puts in errors).
    static func map(_ error: any Error, location: PostgresLocation, busyTimeout: TimeInterval)
        -> StoreError
    {
        if let error = error as? StoreError { return error }
        if let error = error as? PostgresTransactionError {
            let inner = error.closureError ?? error.beginError ?? error.commitError
            return inner.map { map($0, location: location, busyTimeout: busyTimeout) }
                ?? .postgres(sqlState: "", message: "the transaction failed")
        }
        if let error = error as? PSQLError {
            if error.code == .server, let info = error.serverInfo {
                // The server's words reach a terminal: sanitized, a hostile server cannot
                // rewrite it.
                let state = FreeText.sanitized(info[.sqlState] ?? "", limit: 5)
                let message = FreeText.sanitized(info[.message] ?? "unknown server error")
                switch state {
                case "28P01", "28000", "3D000":
                    return .cannotOpen(path: location.description, reason: message)
                case "42501" where message.contains("database"):
                    return .cannotOpen(path: location.description, reason: message)
                case "25006":
                    return .readOnly(path: location.description)
                case "53300", "57P03":
                    return .busy(path: location.description)
                case "55P03":
                    return .locked(
                        path: location.description, lock: "a lock on its doses or tables",
                        seconds: Int(busyTimeout.rounded(.up)))
                default:
                    return .postgres(
                        sqlState: state,
                        message: message
                            + (info[.detail].map { " (\(FreeText.sanitized($0)))" } ?? ""))
                }
            }
            switch error.code {
            case .sslUnsupported:
                return .cannotOpen(path: location.description, reason: noTLSReason(location))
            case .connectionError, .failedToAddSSLHandler,
                .serverClosedConnection, .clientClosedConnection, .uncleanShutdown:
                if let underlying = error.underlying,
                    underlying is NIOSSLError
                        || underlying is NIOSSLExtraError || underlying is BoringSSLError
                {
                    return .cannotOpen(
                        path: location.description,
                        reason: certificateReason(location, FreeText.sanitized("\(underlying)")))
                }
                let reason = error.underlying.map { "\($0)" } ?? "\(error.code)"
                return .cannotOpen(path: location.description, reason: FreeText.sanitized(reason))
            case .authMechanismRequiresPassword:
                return .cannotOpen(
                    path: location.description,
                    reason:
                        "the server wants a password: set PGPASSWORD or add it to a 0600 ~/.pgpass")
            default:
                return .postgres(sqlState: "", message: "\(error.code)")
            }
        }
        if let error = error as? PostgresDecodingError {
            return .damagedRow(
                path: location.description, detail: "cannot decode a column: \(error.code)")
        }
        return .cannotOpen(path: location.description, reason: "\(error)")
    }
}

/// Why a server that answered the TLS request with "no" was left, for `location`'s mode.
private func noTLSReason(_ location: PostgresLocation) -> String {
    guard location.tlsMode == .prefer else {
        return "the server does not offer TLS, which sslmode=\(location.tlsMode.rawValue) requires"
    }
    return "the server does not offer TLS, and the password is never sent in clear text; "
        + "turn TLS on in the server, or, on a trusted network only, add sslmode=disable to the URL"
}

/// Why a TLS handshake failed, for `location`'s mode: for a verifying mode, most likely the
/// certificate.
private func certificateReason(_ location: PostgresLocation, _ detail: String) -> String {
    switch location.tlsMode {
    case .verifyFull:
        "the TLS handshake failed (\(detail)): with sslmode=verify-full the server's certificate "
            + "must be signed by an authority in "
            + (location.rootCertificates.map { "sslrootcert \($0)" } ?? "the system's trust store")
            + " and name the host \(location.host)"
    case .verifyCA:
        "the TLS handshake failed (\(detail)): with sslmode=verify-ca the server's certificate "
            + "must be signed by an authority in "
            + (location.rootCertificates.map { "sslrootcert \($0)" } ?? "the system's trust store")
    default:
        "the TLS handshake failed (\(detail))"
    }
}

/// What one of a lease's two racing tasks ended with.
private enum LeaseOutcome<T: Sendable>: Sendable {
    case done(T)
    case leased
    case timedOut
}

/// Set once a transaction has its connection, read by the timer racing it.
private final class LeaseFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}
