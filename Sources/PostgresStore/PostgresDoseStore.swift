public import Foundation
import NIOCore
import PostgresNIO
public import Recording
import TicketCodec

/// The dose store on a PostgreSQL server, for a city whose stations and servers all write one
/// database at once. Same protocol, same rules, same migrations and the same constraints in the
/// database as the SQLite store.
///
/// Exactly once with many writers: a batch's read-check-insert runs in one transaction that first
/// takes transaction-scoped advisory locks on its registrants (hashed into `lockBuckets`
/// buckets, taken in ascending order so writers queue rather than deadlock). Every writer of a
/// registrant's doses holds that lock, so the rules always see every committed dose of the
/// registrant; the unique indexes on serial and on (registrant, dose) back that up. Deadlocks,
/// serialization failures and unique violations from a race roll the batch back and retry it
/// whole, so none reaches the officer. Each batch costs a handful of round trips whatever its
/// size: one for the locks, two for the history, one multi-row insert each for doses and scans.
///
/// Calls are synchronous and wait for postgres-nio's futures on the calling thread; see
/// `ConnectionPool` for why that is safe, and why an event-loop thread is refused.
public final class PostgresDoseStore: DoseStore {
    /// The database.
    public let location: PostgresLocation
    /// The programme's time zone, for local days.
    public let timeZone: TimeZone
    private let pool: ConnectionPool

    /// How many lock buckets registrants are hashed into. Bounded, so a batch of thousands of
    /// registrants takes at most this many locks and PostgreSQL's lock table never overflows.
    static let lockBuckets = 512
    /// How many times a transaction is retried after a deadlock or serialization failure.
    static let retries = 50
    /// The first key of the registrant advisory locks (the second is the bucket).
    static let registrantLockClass: Int32 = 0x5654

    /// Connects to the database at `location` with the password from `environment` (`PGPASSWORD`,
    /// or the password file) and brings its schema up to date. The database itself must exist
    /// (`createdb`); its tables are created here.
    public init(
        location: PostgresLocation, timeZone: TimeZone? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        home: String = NSHomeDirectory()
    ) throws(StoreError) {
        self.location = location
        pool = try ConnectionPool(
            location: location,
            password: try location.password(environment: environment, home: home))
        try Self.migrate(pool, location: location)
        self.timeZone = try Self.programmeTimeZone(pool, location: location, given: timeZone)
    }

    /// The zone stored in the database, stored first when there is none; a different `given`
    /// zone is refused, as in the SQLite store.
    private static func programmeTimeZone(
        _ pool: ConnectionPool, location: PostgresLocation, given: TimeZone?
    ) throws(StoreError)
        -> TimeZone
    {
        let identifier = try transaction(pool, location: location) { connection in
            try connection.run(
                "INSERT INTO programme_setting (name, value) VALUES ('time_zone', \((given ?? .programmeDefault).identifier)) ON CONFLICT (name) DO NOTHING"
            )
            return try connection.run(
                "SELECT value FROM programme_setting WHERE name = 'time_zone'"
            ).first?.decode(String.self)
                ?? ""
        }
        guard let zone = TimeZone(identifier: identifier) else {
            throw StoreError.damagedRow(
                path: location.description,
                detail: "unknown stored time zone \(StoreError.excerpt(identifier))")
        }
        if let given, given.identifier != zone.identifier {
            throw StoreError.timeZoneMismatch(
                path: location.description, stored: zone.identifier, given: given.identifier)
        }
        return zone
    }

    /// Opens the database a `postgres://` URL names.
    public convenience init(url: String, timeZone: TimeZone? = nil) throws(StoreError) {
        try self.init(location: try PostgresLocation(url: url), timeZone: timeZone)
    }

    // MARK: - Schema

    private static func migrate(_ pool: ConnectionPool, location: PostgresLocation)
        throws(StoreError)
    {
        let known = PostgresSchema.migrations.map(\.name)
        try transaction(pool, location: location) { connection in
            try connection.run("SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLock))")
            // Created only when missing, so a role without CREATE can still open a migrated database.
            if try connection.run("SELECT to_regclass('vaxticket_migrations') IS NULL").first?
                .decode(Bool.self) ?? true
            {
                try connection.run(PostgresQuery(unsafeSQL: PostgresSchema.migrationsTable))
            }
            let applied = try connection.run("SELECT identifier FROM vaxticket_migrations").map {
                try $0.decode(String.self)
            }
            let unknown = Set(applied).subtracting(known)
            if !unknown.isEmpty {
                throw StoreError.newerSchema(
                    path: location.description, unknownMigrations: unknown.sorted())
            }
            for (name, script) in PostgresSchema.migrations where !applied.contains(name) {
                for statement in PostgresSchema.statements(script) {
                    try connection.run(PostgresQuery(unsafeSQL: statement))
                }
                try connection.run("INSERT INTO vaxticket_migrations (identifier) VALUES (\(name))")
            }
        }
    }

    /// The names of the applied migrations, in the order they were applied.
    public func appliedMigrations() throws(StoreError) -> [String] {
        try transaction { connection in
            try connection.run("SELECT identifier FROM vaxticket_migrations ORDER BY position").map
            { try $0.decode(String.self) }
        }
    }

    // MARK: - Recording

    public func record(_ scans: [ScanInput], context: ScanContext, rules: RecordingRules)
        throws(StoreError) -> [RecordingResult]
    {
        let timeZone = timeZone
        var registrants = Set<String>()
        var serials = Set<String>()
        for case .ticket(let ticket) in scans {
            registrants.insert(ticket.registrant)
            serials.insert(ticket.serial)
        }
        let registrantList = Array(registrants), serialList = Array(serials)
        return try transaction(retryingUniqueViolations: true) { connection in
            try Self.lock(registrants: registrantList, on: connection)
            let now = Date()
            let at = context.administeredAt ?? now
            if at.timeIntervalSince(now) > ScanContext.maximumClockSkew {
                throw StoreError.administeredInFuture(claimed: at, now: now)
            }
            let day = CalendarDate(at, in: timeZone).iso
            var bySerial: [String: DoseRecord] = [:]
            var byRegistrant: [String: [DoseRecord]] = [:]
            if !scans.isEmpty {
                for dose in try Self.doses(
                    on: connection, serials: serialList, registrants: registrantList)
                {
                    bySerial[dose.serial] = dose
                    byRegistrant[dose.registrant, default: []].append(dose)
                }
            }
            var roster: [String: RosterEntry] = [:]
            if !registrantList.isEmpty {
                for entry in try Self.rosterEntries(
                    on: connection, registrants: registrantList, niks: [])
                {
                    roster[entry.registrant] = entry
                }
            }
            var results: [RecordingResult] = []
            var newDoses: [DoseRecord] = []
            var log: [ScanLogEntry] = []
            results.reserveCapacity(scans.count)
            for scan in scans {
                let ticket: TicketFacts
                switch scan {
                case .refused(let outcome, let refusedTicket):
                    log.append(
                        ScanLogEntry(
                            time: at, day: day, officer: context.officer, station: context.station,
                            outcome: outcome.code,
                            serial: refusedTicket?.serial, clockTime: now))
                    results.append(
                        RecordingResult(
                            outcome: outcome, ticket: refusedTicket, dose: nil, rosterName: nil))
                    continue
                case .ticket(let verified):
                    ticket = verified
                }
                let history = RegistrantHistory(
                    sameSerial: bySerial[ticket.serial],
                    doses: (byRegistrant[ticket.registrant] ?? []).sorted { $0.dose < $1.dose },
                    roster: roster[ticket.registrant])
                let (result, newDose) = rules.scan(
                    ticket, history: history, context: context, day: day, at: at, now: now)
                if let record = newDose {
                    // Later scans of the batch see it, as they would see a row already inserted.
                    newDoses.append(record)
                    bySerial[record.serial] = record
                    byRegistrant[record.registrant, default: []].append(record)
                }
                log.append(
                    ScanLogEntry(
                        time: at, day: day, officer: context.officer, station: context.station,
                        outcome: result.outcome.code,
                        serial: ticket.serial, clockTime: now))
                results.append(result)
            }
            try Self.insert(doses: newDoses, origins: nil, on: connection)
            try Self.insert(scans: log, origins: nil, on: connection)
            return results
        }
    }

    /// Takes the transaction's advisory locks for `registrants`, in ascending bucket order.
    private static func lock(registrants: [String], on connection: PostgresConnection) throws {
        guard !registrants.isEmpty else { return }
        try connection.run(
            """
            SELECT pg_advisory_xact_lock(\(Self.registrantLockClass), b) FROM (
                SELECT DISTINCT (abs(hashtext(r)::bigint) % \(Int64(lockBuckets)))::int AS b FROM unnest(\(registrants)::text[]) AS r ORDER BY b
            ) AS buckets
            """)
    }

    static let doseColumns = """
        serial, registrant, dose, vaccine, lot, site, ticket_site, priority_group, officer, station, administered_at, administered_day, recorded_at, sync_state
        """

    /// The doses with any of `serials` or of `registrants`, by registrant and dose number.
    private static func doses(
        on connection: PostgresConnection, serials: [String], registrants: [String]
    ) throws -> [DoseRecord] {
        try connection.run(
            "SELECT \(unescaped: doseColumns) FROM dose WHERE serial = ANY(\(serials)::text[]) OR registrant = ANY(\(registrants)::text[]) ORDER BY registrant, dose"
        ).map(decodeDose)
    }

    private static func decodeDose(_ row: PostgresRow) throws -> DoseRecord {
        let (
            serial, registrant, dose, vaccine, lot, site, ticketSite, group, officer, station,
            administeredAt, administeredDay,
            recordedAt, sync
        ) =
            try row.decode(
                (
                    String, String, Int, String, String?, String, String, String, String, String,
                    Date, String, Date, String
                ).self)
        return try doseRecord(
            serial: serial, registrant: registrant, dose: dose, vaccine: vaccine, lot: lot,
            site: site, ticketSite: ticketSite,
            group: group,
            officer: officer, station: station, administeredAt: administeredAt,
            administeredDay: administeredDay,
            recordedAt: recordedAt, sync: sync)
    }

    /// A dose record from its columns; an unknown sync state is an error, not a guess.
    static func doseRecord(
        serial: String, registrant: String, dose: Int, vaccine: String, lot: String?, site: String,
        ticketSite: String,
        group: String,
        officer: String, station: String, administeredAt: Date, administeredDay: String,
        recordedAt: Date, sync: String
    ) throws -> DoseRecord {
        guard let syncState = SyncState(rawValue: sync) else {
            throw StoreError.postgres(
                sqlState: "", message: "unknown sync_state \(sync) for serial \(serial)")
        }
        return DoseRecord(
            serial: serial, registrant: registrant, dose: dose, vaccine: vaccine, lot: lot,
            site: site, ticketSite: ticketSite,
            priorityGroup: group, officer: officer, station: station,
            administeredAt: administeredAt,
            administeredDay: administeredDay,
            recordedAt: recordedAt, syncState: syncState)
    }

    /// Inserts doses with one multi-row statement (arrays unnested on the server).
    private static func insert(
        doses: [DoseRecord], origins: [RecordOrigin]?, on connection: PostgresConnection
    ) throws {
        guard !doses.isEmpty else { return }
        // A nil lot travels as "" (which the lot check refuses anyway) and is turned back into NULL.
        try connection.run(
            """
            INSERT INTO dose (serial, registrant, dose, vaccine, lot, site, ticket_site, priority_group, officer, station,
                administered_at, administered_day, recorded_at, sync_state, origin, origin_id)
            SELECT s, r, d, v, NULLIF(l, ''), si, ts, g, o, st, aa, ad, ra, ss, NULLIF(og, ''), NULLIF(oi, 0)
            FROM unnest(\(doses.map(\.serial))::text[], \(doses.map(\.registrant))::text[], \(doses.map(\.dose))::bigint[],
                \(doses.map(\.vaccine))::text[], \(doses.map { $0.lot ?? "" })::text[], \(doses.map(\.site))::text[],
                \(doses.map(\.ticketSite))::text[], \(doses.map(\.priorityGroup))::text[], \(doses.map(\.officer))::text[],
                \(doses.map(\.station))::text[], \(doses.map(\.administeredAt))::timestamptz[], \(doses.map(\.administeredDay))::text[],
                \(doses.map(\.recordedAt))::timestamptz[], \(doses.map(\.syncState.rawValue))::text[],
                \(origins?.map(\.database) ?? Array(repeating: "", count: doses.count))::text[],
                \(origins?.map(\.row) ?? Array(repeating: 0, count: doses.count))::bigint[])
                WITH ORDINALITY AS t(s, r, d, v, l, si, ts, g, o, st, aa, ad, ra, ss, og, oi, n)
            ORDER BY n
            """)
    }

    /// Appends scan log lines with one multi-row statement, in order.
    private static func insert(
        scans: [ScanLogEntry], origins: [RecordOrigin]?, on connection: PostgresConnection
    ) throws {
        guard !scans.isEmpty else { return }
        try connection.run(
            """
            INSERT INTO scan_log (time, day, officer, station, outcome, serial, origin, origin_id, clock_time)
            SELECT t, d, o, st, oc, NULLIF(s, ''), NULLIF(og, ''), NULLIF(oi, 0), c.ct
            FROM unnest(\(scans.map(\.time))::timestamptz[], \(scans.map(\.day))::text[], \(scans.map(\.officer))::text[],
                \(scans.map(\.station))::text[], \(scans.map(\.outcome.rawValue))::text[], \(scans.map { $0.serial ?? "" })::text[],
                \(origins?.map(\.database) ?? Array(repeating: "", count: scans.count))::text[],
                \(origins?.map(\.row) ?? Array(repeating: 0, count: scans.count))::bigint[],
                \(scans.map { $0.clockTime?.timeIntervalSince1970 ?? 0 })::float8[])
                WITH ORDINALITY AS x(t, d, o, st, oc, s, og, oi, ctf, n)
                CROSS JOIN LATERAL (SELECT to_timestamp(NULLIF(ctf, 0)) AS ct) c
            ORDER BY n
            """)
    }

    // MARK: - Roster

    public func importRoster(_ entries: [RosterEntry]) throws(StoreError) -> RosterImportResult {
        try transaction { connection in
            // Roster imports are rare and whole: one at a time.
            try connection.run("LOCK TABLE roster IN SHARE ROW EXCLUSIVE MODE")
            var result = RosterImportResult(inserted: 0, updated: 0, rejected: [:])
            let existing = try Self.rosterEntries(
                on: connection, registrants: entries.map(\.registrant), niks: entries.map(\.nik))
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
            var start = 0
            while start < rows.count {
                let chunk = rows[start..<min(rows.count, start + 5000)]
                start += chunk.count
                try connection.run(
                    """
                    INSERT INTO roster (registrant, nik, name, birth_date, priority_group, phone, doses_elsewhere)
                    SELECT * FROM unnest(\(chunk.map(\.registrant))::text[], \(chunk.map(\.nik))::text[], \(chunk.map(\.name))::text[],
                        \(chunk.map(\.birthDate))::text[], \(chunk.map(\.priorityGroup))::text[], \(chunk.map(\.phone))::text[],
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
        on connection: PostgresConnection, registrants: [String], niks: [String]
    ) throws -> [RosterEntry] {
        try connection.run(
            """
            SELECT registrant, nik, name, birth_date, priority_group, phone, doses_elsewhere FROM roster
            WHERE registrant = ANY(\(registrants)::text[]) OR nik = ANY(\(niks)::text[])
            """
        ).map { row in
            let (registrant, nik, name, birthDate, group, phone, elsewhere) = try row.decode(
                (String, String, String, String, String, String, Int).self)
            return RosterEntry(
                registrant: registrant, nik: nik, name: name, birthDate: birthDate,
                priorityGroup: group, phone: phone,
                dosesElsewhere: elsewhere)
        }
    }

    // MARK: - Reading

    public func statistics(_ query: StatisticsQuery) throws(StoreError) -> Statistics {
        let column: String =
            switch query.dimension {
            case .dose: "dose"
            case .site: "site"
            case .day: "day"
            case .vaccine: "vaccine"
            case .group: "priority_group"
            }
        let from = query.from ?? "0000-01-01", to = query.to ?? "9999-12-31"
        return try transaction { connection in
            var byDose: [Int: Int] = [:]
            for row in try connection.run(
                "SELECT dose, SUM(count)::bigint FROM dose_tally WHERE day BETWEEN \(from) AND \(to) GROUP BY dose"
            ) {
                let (dose, count) = try row.decode((Int, Int).self)
                if count > 0 { byDose[dose] = count }
            }
            // `column` is one of five fixed names, never user text.
            let rows = try connection.run(
                """
                SELECT CAST(\(unescaped: column) AS TEXT), SUM(count)::bigint FROM dose_tally WHERE day BETWEEN \(from) AND \(to)
                GROUP BY \(unescaped: column) ORDER BY \(unescaped: column)
                """
            ).compactMap { row -> Statistics.Row? in
                let (key, count) = try row.decode((String, Int).self)
                return count > 0 ? Statistics.Row(key: key, count: count) : nil
            }
            var scans: [String: Int] = [:]
            for row in try connection.run(
                "SELECT outcome, SUM(count)::bigint FROM scan_tally WHERE day BETWEEN \(from) AND \(to) GROUP BY outcome"
            ) {
                let (outcome, count) = try row.decode((String, Int).self)
                scans[outcome] = count
            }
            return Statistics(
                total: byDose.values.reduce(0, +), byDose: byDose, dimension: query.dimension,
                rows: rows, scans: scans)
        }
    }

    public func dose(serial: String) throws(StoreError) -> DoseRecord? {
        try transaction { connection in
            try Self.doses(on: connection, serials: [serial], registrants: []).first
        }
    }

    public func doses(registrant: String) throws(StoreError) -> [DoseRecord] {
        try transaction { connection in
            try Self.doses(on: connection, serials: [], registrants: [registrant])
        }
    }

    public func rosterEntry(registrant: String) throws(StoreError) -> RosterEntry? {
        try transaction { connection in
            try Self.rosterEntries(on: connection, registrants: [registrant], niks: []).first
        }
    }

    public func scanLog() throws(StoreError) -> [ScanLogEntry] {
        try transaction { connection in
            try connection.run(
                "SELECT id, time, day, officer, station, outcome, serial, clock_time FROM scan_log ORDER BY id"
            )
            .map { row in
                let (id, time, day, officer, station, code, serial, clockTime) = try row.decode(
                    (Int64, Date, String, String, String, String, String?, Date?).self)
                guard let outcome = OutcomeCode(rawValue: code) else {
                    throw StoreError.postgres(
                        sqlState: "", message: "unknown outcome code \(code) in scan log line \(id)"
                    )
                }
                return ScanLogEntry(
                    id: id, time: time, day: day, officer: officer, station: station,
                    outcome: outcome, serial: serial,
                    clockTime: clockTime)
            }
        }
    }

    // MARK: - Merging offline stations

    /// This database's identity, made when its schema was created.
    public func identity() throws(StoreError) -> String {
        try transaction { connection in try Self.identity(on: connection, location: location) }
    }

    private static func identity(on connection: PostgresConnection, location: PostgresLocation)
        throws -> String
    {
        guard let row = try connection.run("SELECT id FROM store_identity").first else {
            throw StoreError.postgres(sqlState: "", message: "\(location) has no store identity")
        }
        return try row.decode(String.self)
    }

    public func merge(_ source: MergeSource) throws(StoreError) -> MergeResult {
        let location = location
        let registrants = Array(Set(source.doses.map { $0.dose.registrant }))
        return try transaction(retryingUniqueViolations: true) { connection in
            let identity = try Self.identity(on: connection, location: location)
            if source.identity == identity {
                throw StoreError.mergeIntoItself(path: location.description)
            }
            try Self.lock(registrants: registrants, on: connection)
            var result = MergeResult(
                dosesAdded: 0, dosesAlreadyMerged: 0, scansAdded: 0, scansAlreadyMerged: 0,
                conflicts: [],
                conflictsAlreadyKnown: 0)
            let now = Date()
            var added: [DoseRecord] = []
            var addedOrigins: [RecordOrigin] = []
            var bySerial: [String: DoseRecord] = [:]
            var byDose: [String: DoseRecord] = [:]
            for start in stride(from: 0, to: source.doses.count, by: 5000) {
                let chunk = source.doses[start..<min(source.doses.count, start + 5000)]
                let databases = chunk.map { $0.origin.database }, rows = chunk.map { $0.origin.row }
                // Which of these origins are already here: as doses, or as kept conflicts.
                var merged = Set<RecordOrigin>()
                for row in try connection.run(
                    """
                    SELECT COALESCE(d.origin, \(identity)), COALESCE(d.origin_id, d.id) FROM unnest(\(databases)::text[], \(rows)::bigint[]) AS o(db, r)
                    JOIN dose d ON (d.origin = o.db AND d.origin_id = o.r) OR (o.db = \(identity) AND d.origin IS NULL AND d.id = o.r)
                    """)
                {
                    let (database, id) = try row.decode((String, Int64).self)
                    merged.insert(RecordOrigin(database: database, row: id))
                }
                var knownConflicts = Set<RecordOrigin>()
                for row in try connection.run(
                    "SELECT origin, origin_id FROM merge_conflict WHERE (origin, origin_id) IN (SELECT * FROM unnest(\(databases)::text[], \(rows)::bigint[]))"
                ) {
                    let (database, id) = try row.decode((String, Int64).self)
                    knownConflicts.insert(RecordOrigin(database: database, row: id))
                }
                for dose in try Self.doses(
                    on: connection, serials: chunk.map { $0.dose.serial },
                    registrants: chunk.map { $0.dose.registrant })
                {
                    bySerial[dose.serial] = dose
                    byDose["\(dose.registrant)/\(dose.dose)"] = dose
                }
                for (origin, dose) in chunk {
                    switch MergeDecision.decide(
                        dose, sameOrigin: merged.contains(origin),
                        knownConflict: knownConflicts.contains(origin),
                        sameSerial: bySerial[dose.serial],
                        sameDose: byDose["\(dose.registrant)/\(dose.dose)"])
                    {
                    case .alreadyMerged:
                        result.dosesAlreadyMerged += 1
                    case .conflictAlreadyKnown:
                        result.conflictsAlreadyKnown += 1
                    case .conflict(let conflict):
                        try Self.keep(conflict, origin: origin, mergedAt: now, on: connection)
                        result.conflicts.append(conflict)
                    case .add:
                        added.append(dose)
                        addedOrigins.append(origin)
                        bySerial[dose.serial] = dose
                        byDose["\(dose.registrant)/\(dose.dose)"] = dose
                        result.dosesAdded += 1
                    }
                }
            }
            for start in stride(from: 0, to: added.count, by: 5000) {
                let end = min(added.count, start + 5000)
                try Self.insert(
                    doses: Array(added[start..<end]), origins: Array(addedOrigins[start..<end]),
                    on: connection)
            }
            for start in stride(from: 0, to: source.scans.count, by: 5000) {
                let chunk = source.scans[start..<min(source.scans.count, start + 5000)]
                let databases = chunk.map { $0.origin.database }, rows = chunk.map { $0.origin.row }
                var present = Set<RecordOrigin>()
                for row in try connection.run(
                    """
                    SELECT o.db, o.r FROM unnest(\(databases)::text[], \(rows)::bigint[]) AS o(db, r)
                    WHERE EXISTS (SELECT 1 FROM scan_log s WHERE (s.origin = o.db AND s.origin_id = o.r) OR (o.db = \(identity) AND s.origin IS NULL AND s.id = o.r))
                    """)
                {
                    let (database, id) = try row.decode((String, Int64).self)
                    present.insert(RecordOrigin(database: database, row: id))
                }
                let fresh = chunk.filter { !present.contains($0.origin) }
                result.scansAlreadyMerged += chunk.count - fresh.count
                result.scansAdded += fresh.count
                try Self.insert(
                    scans: fresh.map { $0.entry }, origins: fresh.map { $0.origin }, on: connection)
            }
            return result
        }
    }

    private static func keep(
        _ conflict: MergeConflict, origin: RecordOrigin, mergedAt: Date,
        on connection: PostgresConnection
    )
        throws
    {
        let dose = conflict.incoming
        try connection.run(
            """
            INSERT INTO merge_conflict (origin, origin_id, kind, existing_serial, serial, registrant, dose, vaccine, lot, site, ticket_site,
                priority_group, officer, station, administered_at, administered_day, recorded_at, merged_at)
            VALUES (\(origin.database), \(origin.row), \(conflict.kind.rawValue), \(conflict.existing.serial), \(dose.serial), \(dose.registrant),
                \(dose.dose), \(dose.vaccine), \(dose.lot), \(dose.site), \(dose.ticketSite), \(dose.priorityGroup), \(dose.officer), \(dose.station),
                \(dose.administeredAt), \(dose.administeredDay), \(dose.recordedAt), \(mergedAt))
            """)
    }

    // MARK: - Transactions and errors

    /// Runs `body` in a transaction on a pooled connection, retried whole after a deadlock or a
    /// serialization failure (and, for writers that check before they insert, after a unique
    /// violation that a concurrent writer's commit caused), with a random backoff.
    func transaction<T>(
        retryingUniqueViolations: Bool = false, _ body: (PostgresConnection) throws -> T
    ) throws(StoreError) -> T {
        try Self.transaction(
            pool, location: location, retryingUniqueViolations: retryingUniqueViolations, body)
    }

    /// ``transaction(retryingUniqueViolations:_:)`` on `pool`, before the store exists.
    static func transaction<T>(
        _ pool: ConnectionPool, location: PostgresLocation, retryingUniqueViolations: Bool = false,
        _ body: (PostgresConnection) throws -> T
    ) throws(StoreError) -> T {
        var attempt = 0
        while true {
            do {
                return try pool.withConnection { connection in
                    try connection.run("BEGIN")
                    do {
                        let value = try body(connection)
                        try connection.run("COMMIT")
                        return value
                    } catch {
                        if !connection.isClosed { _ = try? connection.run("ROLLBACK") }
                        throw error
                    }
                }
            } catch {
                let mapped = Self.map(error, location: location)
                if case .postgres(let state, _) = mapped, attempt < Self.retries,
                    ["40001", "40P01"].contains(state)
                        || (retryingUniqueViolations && state == "23505")
                {
                    attempt += 1
                    Thread.sleep(
                        forTimeInterval: Double.random(in: 0.005...0.03) * Double(min(attempt, 10)))
                    continue
                }
                if case .postgres(let state, _) = mapped, ["40001", "40P01"].contains(state) {
                    throw .busy(path: location.description)
                }
                throw mapped
            }
        }
    }

    /// Our error for anything postgres-nio or the server reported. Messages carry the server's
    /// text and SQLSTATE, never the password (which postgres-nio never puts in errors).
    static func map(_ error: any Error, location: PostgresLocation) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? PSQLError {
            if error.code == .server, let info = error.serverInfo {
                let state = info[.sqlState] ?? ""
                let message = info[.message] ?? "unknown server error"
                switch state {
                case "28P01", "28000", "3D000":
                    return .cannotOpen(path: location.description, reason: message)
                case "42501" where message.contains("database"):
                    return .cannotOpen(path: location.description, reason: message)
                case "25006":
                    return .readOnly(path: location.description)
                case "53300", "57P03":
                    return .busy(path: location.description)
                default:
                    return .postgres(
                        sqlState: state, message: message + (info[.detail].map { " (\($0))" } ?? "")
                    )
                }
            }
            switch error.code {
            case .connectionError, .sslUnsupported, .failedToAddSSLHandler, .serverClosedConnection,
                .clientClosedConnection,
                .uncleanShutdown:
                let reason = error.underlying.map { "\($0)" } ?? "\(error.code)"
                return .cannotOpen(
                    path: location.description,
                    reason: error.code == .sslUnsupported ? "the server does not offer TLS" : reason
                )
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
            return .postgres(sqlState: "", message: "cannot decode a column: \(error.code)")
        }
        return .cannotOpen(path: location.description, reason: "\(error)")
    }
}
