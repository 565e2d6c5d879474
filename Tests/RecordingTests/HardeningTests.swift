import Foundation
import GRDB
import Recording
import TestSupport
import Testing

/// Regression tests for issue 9 (hardening after a hostile review), one per item, named after it.
@Suite("Issue 9 hardening: the dose store")
struct StoreHardeningTests {
    @Test(
        "issue 9 item 1: a dose row with an invalid administered_at is a StoreError, not a trap, and the schema refuses it"
    )
    func item1InvalidAdministeredAt() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("db.sqlite")
        let store = try await SQLiteDoseStore(path: path)
        _ = try await store.record(
            [.ticket(Fixture.ticket("S1"))], context: Fixture.context(), rules: Fixture.rules)
        let queue = try DatabaseQueue(path: path)

        // The schema refuses a timestamp that is not one, on insert and on update.
        #expect(throws: DatabaseError.self) {
            try queue.write { db in
                try db.execute(sql: "UPDATE dose SET administered_at = 'yesterday-ish'")
            }
        }
        #expect(throws: DatabaseError.self) {
            try queue.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO dose (serial, registrant, dose, vaccine, site, ticket_site, priority_group, officer, station, administered_at, administered_day, recorded_at)
                        VALUES ('S9', 'R9', 1, 'CORONAVAC', 'JKT01', 'JKT01', 'GENERAL', 'OFC1', 'ST1', 'garbage', '2021-08-23', '2021-08-23 02:00:00.000')
                        """)
            }
        }

        // A row damaged before the schema guarded it (trigger gone, value written raw) is a
        // clear error for the batch, never a trap.
        try await queue.write { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS dose_check_times_update")
            try db.execute(
                sql: "UPDATE dose SET administered_at = 'not a time' WHERE serial = 'S1'")
        }
        await #expect {
            try await store.record(
                [.ticket(Fixture.ticket("S2", dose: 2))], context: Fixture.context(day: 30),
                rules: Fixture.rules)
        } throws: { error in
            (error as? StoreError)?.code == "db_damaged_row"
        }
        await #expect(throws: StoreError.self) { try await store.doses(registrant: "R1") }
        // Nothing of the refused batch was written.
        #expect(try await store.scanLog().count == 1)
    }

    private func mode(_ path: String) async throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require((attributes[.posixPermissions] as? NSNumber)?.intValue) & 0o777
    }

    @Test(
        "issue 9 item 7: the database and its -wal and -shm files are created 0600, and an open one is tightened"
    )
    func item7PrivateDatabaseFiles() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("db.sqlite")
        let store = try await SQLiteDoseStore(path: path)
        _ = try await store.record(
            [.ticket(Fixture.ticket("S1"))], context: Fixture.context(), rules: Fixture.rules)
        for file in [path, path + "-wal", path + "-shm"] {
            await #expect(try mode(file) == 0o600, "\(file)")
        }
        let older = folder.path("older.sqlite")
        _ = try DatabaseQueue(path: older)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: older)
        _ = try await SQLiteDoseStore(path: older)
        await #expect(try mode(older) == 0o600)
    }

    @Test(
        "issue 9 item 9: a payload path that is a folder is refused, and a line past the cap is an error, not an end"
    )
    func item9PayloadReader() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        #expect(throws: LineReaderError.notARegularFile(path: folder.url.path)) {
            try LineReader(path: folder.url.path)
        }
        #expect(throws: LineReaderError.self) { try LineReader(path: folder.path("missing.txt")) }

        let path = folder.path("payloads.txt")
        let long = String(repeating: "A", count: LineReader.maximumLineLength + 10)
        try "first\r\n\(long)\nthird\n".write(toFile: path, atomically: true, encoding: .utf8)
        let reader = try LineReader(path: path)
        #expect(try reader.nextLine() == "first")
        #expect(reader.lineNumber == 1)
        #expect(
            throws: LineReaderError.lineTooLong(
                path: path, line: 2, limit: LineReader.maximumLineLength)
        ) {
            try reader.nextLine()
        }
    }

    @Test(
        "issue 9 item 10: the database keeps its programme time zone from creation and refuses another"
    )
    func item10TimeZoneFixed() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("db.sqlite")
        let makassar = TimeZone(identifier: "Asia/Makassar")
        let store = try await SQLiteDoseStore(path: path, timeZone: makassar)
        _ = try await store.record(
            [.ticket(Fixture.ticket("S1", vaccine: "ASTRAZENECA"))], context: Fixture.context(),
            rules: Fixture.rules)
        // Dose 2 under another zone 27 x 24 hours later would pass the 28-day rule by a day's shift.
        await #expect(
            throws: StoreError.timeZoneMismatch(
                path: path, stored: "Asia/Makassar", given: "Pacific/Kiritimati")
        ) {
            try await SQLiteDoseStore(
                path: path, timeZone: TimeZone(identifier: "Pacific/Kiritimati"))
        }
        // Opened without a zone, the stored one is used.
        #expect(try await SQLiteDoseStore(path: path).timeZone.identifier == "Asia/Makassar")
        #expect(
            try await SQLiteDoseStore(path: path, timeZone: makassar).timeZone.identifier
                == "Asia/Makassar")
    }

    @Test(
        "issue 9 item 11: the scan log keeps the real clock time beside the claimed time; a future time is refused"
    )
    func item11ClockTimeAndFuture() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await SQLiteDoseStore(path: folder.path("db.sqlite"))
        let before = Date()
        _ = try await store.record(
            [.ticket(Fixture.ticket("S1"))], context: Fixture.context(), rules: Fixture.rules)
        let entry = try await #require(try store.scanLog().first)
        #expect(entry.time == Fixture.at())
        let clock = try #require(entry.clockTime)
        #expect(clock >= before.addingTimeInterval(-1) && clock <= Date().addingTimeInterval(1))

        let future = ScanContext(
            officer: "OFC1", station: "ST1", administeredAt: Date().addingTimeInterval(3600))
        await #expect {
            try await store.record(
                [.ticket(Fixture.ticket("S2", registrant: "R2"))], context: future,
                rules: Fixture.rules)
        } throws: { error in
            (error as? StoreError)?.code == "at_in_future"
        }
        #expect(ScanContext.problem(administeredAt: Date().addingTimeInterval(120)) == nil)
        #expect(ScanContext.problem(administeredAt: Date().addingTimeInterval(600)) != nil)
        #expect(try await store.scanLog().count == 1)
    }

    @Test("issue 9 item 12: another program's SQLite file is refused before anything in it changes")
    func item12ForeignDatabase() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("customers.sqlite")
        try await DatabaseQueue(path: path).write { db in
            try db.execute(
                sql:
                    "CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customer (name) VALUES ('Ana')"
            )
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        await #expect(throws: StoreError.foreignDatabase(path: path)) {
            try await SQLiteDoseStore(path: path)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        await #expect(try mode(path) == 0o644)
        // A VaxTicket database carries the application id.
        let ours = folder.path("ours.sqlite")
        _ = try await SQLiteDoseStore(path: ours)
        await #expect(
            try DatabaseQueue(path: ours).read { db in
                try Int32.fetchOne(db, sql: "PRAGMA application_id")
            }
                == SQLiteDoseStore.applicationID)
        _ = try await SQLiteDoseStore(path: ours)
    }

    @Test("issue 9 item 12: control characters in stored names are escaped in messages")
    func item12EscapedNames() {
        let result = RecordingResult(
            outcome: .recorded, ticket: Fixture.ticket("S1"), dose: nil,
            rosterName: "Siti\u{1B}[2J\r")
        #expect(!result.message.contains("\u{1B}"))
        #expect(result.message.contains("Siti\\u{1B}[2J\\r"))
    }
}
