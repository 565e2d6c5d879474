import Foundation
import PostgresStore
import Recording
import Synchronization
import TestSupport
import Testing

@Suite(
    "PostgreSQL store: schema, constraints, many writers, TLS",
    .enabled(if: TestPostgres.isAvailable, "VAXTICKET_TEST_POSTGRES_URL is not set"))
struct PostgresDoseStoreTests {
    @Test(
        "the schema has the SQLite store's migrations by name, and the database enforces its constraints"
    )
    func constraints() throws {
        let store = try PostgresDoseStore(url: try TestPostgres.freshDatabase())
        _ = try store.record(
            [.ticket(Fixture.ticket("S1"))], context: Fixture.context(), rules: Fixture.rules)

        #expect(try store.appliedMigrations() == DoseStoreSchema.migrationNames)
        let insert = { (serial: String, registrant: String, dose: Int) in
            """
            INSERT INTO dose (serial, registrant, dose, vaccine, site, ticket_site, priority_group, officer, station, administered_at, administered_day, recorded_at)
            VALUES ('\(serial)', '\(registrant)', \(dose), 'CORONAVAC', 'JKT01', 'JKT01', 'GENERAL', 'OFC1', 'ST1', now(), '2021-08-23', now())
            """
        }
        // The same serial again, and the same registrant and dose under a new serial.
        #expect(throws: StoreError.self) { try store.execute(insert("S1", "R9", 1)) }
        #expect(throws: StoreError.self) { try store.execute(insert("S2", "R1", 1)) }
        #expect(throws: StoreError.self) { try store.execute(insert("S3", "R1", 10)) }
        #expect(throws: StoreError.self) { try store.execute("UPDATE dose SET officer = NULL") }
        #expect(throws: StoreError.self) {
            try store.execute("UPDATE scan_log SET outcome = 'recorded'")
        }
        #expect(throws: StoreError.self) { try store.execute("DELETE FROM scan_log") }
        #expect(throws: StoreError.self) { try store.execute("TRUNCATE scan_log") }
        #expect(throws: StoreError.self) {
            try store.execute(
                "INSERT INTO roster (registrant, nik, name, birth_date, priority_group) VALUES ('R5', '12345', 'A', '1980-01-01', 'GENERAL')"
            )
        }
        #expect(try store.scanLog().count == 1)
        _ = try store.execute(insert("S4", "R4", 1))
        // The tally follows inserts, changes and deletes made outside the store too.
        #expect(try store.statistics(StatisticsQuery()).total == 2)
        _ = try store.execute("UPDATE dose SET site = 'JKT02' WHERE serial = 'S4'")
        #expect(
            try store.statistics(StatisticsQuery(dimension: .site)).rows == [
                .init(key: "JKT01", count: 1), .init(key: "JKT02", count: 1),
            ])
        _ = try store.execute("DELETE FROM dose WHERE serial = 'S4'")
        #expect(try store.statistics(StatisticsQuery()).total == 1)
    }

    @Test(
        "eight writers recording the same tickets at once record each exactly once, with no error")
    func manyWriters() throws {
        let url = try TestPostgres.freshDatabase()
        let tickets = (0..<200).map {
            ScanInput.ticket(Fixture.ticket("S\($0)", registrant: "R\($0)"))
        }
        let outcomes = Mutex<[RecordingOutcome]>([])
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { writer in
            do {
                // Each writer is its own store (its own connections), as separate processes are.
                let store = try PostgresDoseStore(url: url)
                for start in stride(from: 0, to: tickets.count, by: 25) {
                    // Writers go through the tickets in different orders and batch sizes.
                    let batch = Array(tickets[start..<min(tickets.count, start + 25)])
                    let ordered = writer % 2 == 0 ? batch : batch.reversed()
                    let results = try store.record(
                        ordered, context: Fixture.context(station: "ST\(writer)"),
                        rules: Fixture.rules)
                    outcomes.withLock { $0 += results.map(\.outcome) }
                }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        let all = outcomes.withLock { $0 }
        #expect(all.count == 1600)
        #expect(all.filter { $0 == .recorded }.count == 200)
        #expect(all.filter { $0 == .alreadyRecorded }.count == 1400)
        let store = try PostgresDoseStore(url: url)
        #expect(try store.statistics(StatisticsQuery()).total == 200)
        #expect(
            try store.statistics(StatisticsQuery()).scans == [
                "recorded": 200, "already_recorded": 1400,
            ])
        #expect(try store.execute("SELECT count(*)::text FROM dose") == ["200"])
    }

    @Test("processes opening a new database at once migrate it once")
    func concurrentMigrations() throws {
        let url = try TestPostgres.freshDatabase()
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do { _ = try PostgresDoseStore(url: url) } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(
            try PostgresDoseStore(url: url).appliedMigrations() == DoseStoreSchema.migrationNames)
    }

    @Test(
        "a wrong password or a missing database is a clear error, quickly, and never shows the password"
    )
    func cannotConnect() throws {
        let url = try #require(TestPostgres.url)
        let location = try PostgresLocation(url: url)
        let started = Date()
        #expect {
            try PostgresDoseStore(
                location: location, environment: ["PGPASSWORD": "not-the-password"],
                home: "/nonexistent")
        } throws: { error in
            guard case .cannotOpen(let path, let reason) = error as? StoreError else {
                return false
            }
            return path == location.description && reason.contains("password authentication failed")
                && !"\(error)".contains("not-the-password")
        }
        var missing = location
        missing.database = "no_such_database"
        #expect { try PostgresDoseStore(location: missing) } throws: { error in
            guard case .cannotOpen(_, let reason) = error as? StoreError else { return false }
            return reason.contains("does not exist")
        }
        var closed = location
        closed.port = 1
        #expect { try PostgresDoseStore(location: closed) } throws: { error in
            if case .cannotOpen = error as? StoreError { return true }
            return false
        }
        #expect(Date().timeIntervalSince(started) < 30)
    }

    @Test(
        "sslmode=require connects over TLS; sslmode=disable does not",
        .enabled(if: TestPostgres.offersTLS, "the test server has no TLS"))
    func tls() throws {
        let url = try TestPostgres.freshDatabase()
        let query = "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        #expect(try PostgresDoseStore(url: url + "?sslmode=require").execute(query) == ["true"])
        #expect(try PostgresDoseStore(url: url + "?sslmode=disable").execute(query) == ["false"])
    }
}
