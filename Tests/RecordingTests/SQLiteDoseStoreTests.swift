import Foundation
import GRDB
import Recording
import Synchronization
import TestSupport
import Testing

@Suite("SQLite store: schema, constraints, files")
struct SQLiteDoseStoreTests {
    @Test(
        "the schema is WAL, migrated by name, and enforces uniqueness and not-null as constraints")
    func constraints() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("db.sqlite")
        let store = try SQLiteDoseStore(path: path)
        _ = try store.record(
            [.ticket(Fixture.ticket("S1"))], context: Fixture.context(), rules: Fixture.rules)

        let queue = try DatabaseQueue(path: path)
        let journalMode = try queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode")
        }
        let migrations = try queue.read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
        }
        #expect(journalMode == "wal")
        #expect(
            migrations == [
                "v1 roster", "v1 dose", "v1 scan log", "v1 tallies", "v2 hardening", "v2 sync",
                "v2 officers", "v2 merge origins",
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
        try queue.write { db in try db.execute(sql: insert, arguments: ["S4", "R4", 1]) }
        // The tally follows inserts made outside the store too.
        #expect(try store.statistics(StatisticsQuery()).total == 2)
    }

    @Test("a file that is not a database is a clear error")
    func notADatabase() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("notes.sqlite")
        try Data(
            String(repeating: "these are not the droids you are looking for\n", count: 100).utf8
        ).write(
            to: URL(fileURLWithPath: path))
        #expect(throws: StoreError.notADatabase(path: path)) { try SQLiteDoseStore(path: path) }
    }

    @Test("a missing folder, or a missing file when not creating, is a clear error")
    func cannotOpen() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        #expect(
            throws: StoreError.cannotOpen(path: folder.path("none.sqlite"), reason: "no such file")
        ) {
            try SQLiteDoseStore(path: folder.path("none.sqlite"), create: false)
        }
        #expect { try SQLiteDoseStore(path: folder.path("no/such/folder/db.sqlite")) } throws: {
            error in
            (error as? StoreError)?.code == "db_cannot_open"
        }
    }

    @Test("a database from a newer vaxticket is refused, not migrated")
    func newerSchema() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("db.sqlite")
        _ = try SQLiteDoseStore(path: path)
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('v9 future')")
        }
        #expect(throws: StoreError.newerSchema(path: path, unknownMigrations: ["v9 future"])) {
            try SQLiteDoseStore(path: path)
        }
    }

    @Test("a writer holding the lock briefly is waited for, not reported")
    func waitsForLock() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("db.sqlite")
        let store = try SQLiteDoseStore(path: path)
        let other = try DatabaseQueue(path: path)
        let locked = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            try? other.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                locked.signal()
                Thread.sleep(forTimeInterval: 0.5)
                try db.execute(sql: "COMMIT")
            }
            done.signal()
        }
        locked.wait()

        let results = try store.record(
            [.ticket(Fixture.ticket("S1"))], context: Fixture.context(), rules: Fixture.rules)

        #expect(results.first?.outcome == .recorded)
        done.wait()
    }

    @Test("two stores on one file in parallel record each serial and each dose exactly once")
    func parallelStores() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("db.sqlite")
        let stores = try (0..<4).map { _ in try SQLiteDoseStore(path: path) }
        // Every store scans the same 50 registrants' dose-1 tickets, half under a second serial.
        let outcomes = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: stores.count) { index in
            let batch: [ScanInput] = (0..<50).map { n in
                .ticket(
                    Fixture.ticket(n % 2 == 0 ? "S\(n)" : "S\(n)-\(index)", registrant: "R\(n)"))
            }
            for chunk in stride(from: 0, to: batch.count, by: 10) {
                let results =
                    (try? stores[index].record(
                        Array(batch[chunk..<chunk + 10]),
                        context: Fixture.context(station: "ST\(index)"), rules: Fixture.rules))
                    ?? []
                outcomes.withLock { $0 += results.map(\.outcome.code.rawValue) }
            }
        }

        let all = outcomes.withLock { $0 }
        #expect(all.count == 200)
        #expect(all.filter { $0 == "recorded" }.count == 50)
        #expect(try stores[0].statistics(StatisticsQuery()).total == 50)
        #expect(try stores[0].scanLog().count == 200)
    }
}
