import Foundation
import GRDB
import Recording
import Synchronization
import TestSupport
import Testing
import TicketCodec

@Suite("SQLite store: schema, constraints, files")
struct SQLiteDoseStoreTests {
    @Test(
        "the schema is WAL, migrated by name, and enforces uniqueness and not-null as constraints")
    func constraints() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("db.sqlite")
        let store = try await SQLiteDoseStore(path: path)
        _ = try await store.record(
            [.ticket(Fixture.ticket("S1"))], context: Fixture.context(), rules: Fixture.rules)

        let queue = try DatabaseQueue(path: path)
        let journalMode = try await queue.read { db in
            try String.fetchOne(db, sql: "PRAGMA journal_mode")
        }
        let migrations = try await queue.read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
        }
        #expect(journalMode == "wal")
        #expect(
            migrations == [
                "v1 roster", "v1 dose", "v1 scan log", "v1 tallies", "v2 hardening", "v2 sync",
                "v2 officers", "v2 merge origins", "v3 sync tally", "v4 queued scans",
            ])
        let insert = """
            INSERT INTO dose (serial, registrant, dose, vaccine, site, ticket_site, priority_group, officer, station, administered_at, administered_day, recorded_at)
            VALUES (?, ?, ?, 'CORONAVAC', 'JKT01', 'JKT01', 'GENERAL', 'OFC1', 'ST1', '2021-08-23 02:00:00.000', '2021-08-23', '2021-08-23 02:00:00.000')
            """
        // The same serial again, and the same registrant and dose under a new serial.
        #expect(throws: DatabaseError.self) {
            try queue.write { db in try db.execute(sql: insert, arguments: ["S1", "R9", 1]) }
        }
        #expect(throws: DatabaseError.self) {
            try queue.write { db in try db.execute(sql: insert, arguments: ["S2", "R1", 1]) }
        }
        #expect(throws: DatabaseError.self) {
            try queue.write { db in try db.execute(sql: insert, arguments: ["S3", "R1", 10]) }
        }
        #expect(throws: DatabaseError.self) {
            try queue.write { db in try db.execute(sql: "UPDATE dose SET officer = NULL") }
        }
        #expect(throws: DatabaseError.self) {
            try queue.write { db in try db.execute(sql: "UPDATE scan_log SET outcome = 'recorded'")
            }
        }
        #expect(throws: DatabaseError.self) {
            try queue.write { db in try db.execute(sql: "DELETE FROM scan_log") }
        }
        #expect(throws: DatabaseError.self) {
            try queue.write { db in
                try db.execute(
                    sql:
                        "INSERT INTO roster (registrant, nik, name, birth_date, priority_group) VALUES ('R5', '12345', 'A', '1980-01-01', 'GENERAL')"
                )
            }
        }
        try await queue.write { db in try db.execute(sql: insert, arguments: ["S4", "R4", 1]) }
        // The tally follows inserts made outside the store too.
        #expect(try await store.statistics(StatisticsQuery()).total == 2)
    }

    @Test("a file that is not a database is a clear error")
    func notADatabase() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("notes.sqlite")
        try Data(
            String(repeating: "these are not the droids you are looking for\n", count: 100).utf8
        ).write(
            to: URL(fileURLWithPath: path))
        await #expect(throws: StoreError.notADatabase(path: path)) {
            try await SQLiteDoseStore(path: path)
        }
    }

    @Test("a missing folder, or a missing file when not creating, is a clear error")
    func cannotOpen() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        await #expect(
            throws: StoreError.cannotOpen(path: folder.path("none.sqlite"), reason: "no such file")
        ) {
            try await SQLiteDoseStore(path: folder.path("none.sqlite"), create: false)
        }
        await #expect {
            try await SQLiteDoseStore(path: folder.path("no/such/folder/db.sqlite"))
        } throws: {
            error in
            (error as? StoreError)?.code == "db_cannot_open"
        }
    }

    @Test("a database from a newer vaxticket is refused, not migrated")
    func newerSchema() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("db.sqlite")
        _ = try await SQLiteDoseStore(path: path)
        try await DatabaseQueue(path: path).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('v9 future')")
        }
        await #expect(throws: StoreError.newerSchema(path: path, unknownMigrations: ["v9 future"]))
        {
            try await SQLiteDoseStore(path: path)
        }
    }

    /// Holds the write lock of `path` from another connection, as the sqlite3 shell with an
    /// open transaction does, until `release` is signalled (or for `seconds` at most); `locked`
    /// is called once it is held. The wait runs on GRDB's own queue, not on a task's thread.
    static func holdWriteLock(
        _ path: String, seconds: Double, release: DispatchSemaphore = DispatchSemaphore(value: 0),
        locked: @escaping @Sendable () -> Void
    ) async throws {
        try await DatabaseQueue(path: path).writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            locked()
            _ = release.wait(timeout: .now() + seconds)
            try db.execute(sql: "COMMIT")
        }
    }

    @Test("a writer holding the lock briefly is waited for, not reported")
    func waitsForLock() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("db.sqlite")
        let store = try await SQLiteDoseStore(path: path)
        let (locked, held) = AsyncStream<Void>.makeStream()
        async let holder: Void = Self.holdWriteLock(path, seconds: 0.5) { held.yield() }
        for await _ in locked { break }

        let results = try await store.record(
            [.ticket(Fixture.ticket("S1"))], context: Fixture.context(), rules: Fixture.rules)

        #expect(results.first?.outcome == .recorded)
        try await holder
    }

    @Test(
        "issue 19 item 5: a lock held longer than the busy timeout is a clear error naming the lock and the file, and nothing is written"
    )
    func boundedLockWait() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("db.sqlite")
        let store = try await SQLiteDoseStore(path: path, busyTimeout: 1)
        let (locked, held) = AsyncStream<Void>.makeStream()
        let release = DispatchSemaphore(value: 0)
        async let holder: Void = Self.holdWriteLock(path, seconds: 60, release: release) {
            held.yield()
        }
        for await _ in locked { break }

        // Given another connection holding the write lock until the batch has failed, when a
        // batch is recorded with a 1 s busy timeout, then it fails naming the lock and the file.
        await #expect(throws: StoreError.locked(path: path, lock: "its write lock", seconds: 1)) {
            try await store.record(
                [.ticket(Fixture.ticket("S1"))], context: Fixture.context(), rules: Fixture.rules)
        }
        release.signal()
        try await holder
        #expect(try await store.dose(serial: "S1") == nil)
        #expect(try await store.scanLog().isEmpty)
        #expect(
            StoreError.locked(path: path, lock: "its write lock", seconds: 1).description.contains(
                "\(path) stayed locked: its write lock was held by another program for more than 1 s"
            ))
    }

    @Test("two stores on one file in parallel record each serial and each dose exactly once")
    func parallelStores() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("db.sqlite")
        var stores: [SQLiteDoseStore] = []
        for _ in 0..<4 { stores.append(try await SQLiteDoseStore(path: path)) }
        // Every store scans the same 50 registrants' dose-1 tickets, half under a second serial.
        let all = await withTaskGroup(of: [String].self) { group in
            for (index, store) in stores.enumerated() {
                group.addTask {
                    var outcomes: [String] = []
                    let batch: [ScanInput] = (0..<50).map { n in
                        .ticket(
                            Fixture.ticket(
                                n % 2 == 0 ? "S\(n)" : "S\(n)-\(index)", registrant: "R\(n)"))
                    }
                    for chunk in stride(from: 0, to: batch.count, by: 10) {
                        let results =
                            (try? await store.record(
                                Array(batch[chunk..<chunk + 10]),
                                context: Fixture.context(station: "ST\(index)"),
                                rules: Fixture.rules)) ?? []
                        outcomes += results.map(\.outcome.code.rawValue)
                    }
                    return outcomes
                }
            }
            return await group.reduce([], +)
        }

        #expect(all.count == 200)
        #expect(all.filter { $0 == "recorded" }.count == 50)
        #expect(try await stores[0].statistics(StatisticsQuery()).total == 50)
        #expect(try await stores[0].scanLog().count == 200)
    }
}
