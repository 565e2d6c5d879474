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
    func constraints() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await TestPostgres.store(
            try await TestPostgres.freshDatabase(), until: folder)
        _ = try await store.record(
            [.ticket(Fixture.ticket("S1"))], context: Fixture.context(), rules: Fixture.rules)

        #expect(try await store.appliedMigrations() == DoseStoreSchema.migrationNames)
        let insert = { (serial: String, registrant: String, dose: Int) in
            """
            INSERT INTO dose (serial, registrant, dose, vaccine, site, ticket_site, priority_group, officer, station, administered_at, administered_day, recorded_at)
            VALUES ('\(serial)', '\(registrant)', \(dose), 'CORONAVAC', 'JKT01', 'JKT01', 'GENERAL', 'OFC1', 'ST1', now(), '2021-08-23', now())
            """
        }
        // The same serial again, and the same registrant and dose under a new serial.
        await #expect(throws: StoreError.self) { try await store.execute(insert("S1", "R9", 1)) }
        await #expect(throws: StoreError.self) { try await store.execute(insert("S2", "R1", 1)) }
        await #expect(throws: StoreError.self) { try await store.execute(insert("S3", "R1", 10)) }
        await #expect(throws: StoreError.self) {
            try await store.execute("UPDATE dose SET officer = NULL")
        }
        await #expect(throws: StoreError.self) {
            try await store.execute("UPDATE scan_log SET outcome = 'recorded'")
        }
        await #expect(throws: StoreError.self) { try await store.execute("DELETE FROM scan_log") }
        await #expect(throws: StoreError.self) { try await store.execute("TRUNCATE scan_log") }
        await #expect(throws: StoreError.self) {
            try await store.execute(
                "INSERT INTO roster (registrant, nik, name, birth_date, priority_group) VALUES ('R5', '12345', 'A', '1980-01-01', 'GENERAL')"
            )
        }
        #expect(try await store.scanLog().count == 1)
        _ = try await store.execute(insert("S4", "R4", 1))
        // The tally follows inserts, changes and deletes made outside the store too.
        #expect(try await store.statistics(StatisticsQuery()).total == 2)
        _ = try await store.execute("UPDATE dose SET site = 'JKT02' WHERE serial = 'S4'")
        #expect(
            try await store.statistics(StatisticsQuery(dimension: .site)).rows == [
                .init(key: "JKT01", count: 1), .init(key: "JKT02", count: 1),
            ])
        _ = try await store.execute("DELETE FROM dose WHERE serial = 'S4'")
        #expect(try await store.statistics(StatisticsQuery()).total == 1)
    }

    @Test(
        "eight writers recording the same tickets at once record each exactly once, with no error")
    func manyWriters() async throws {
        let url = try await TestPostgres.freshDatabase()
        let tickets = (0..<200).map {
            ScanInput.ticket(Fixture.ticket("S\($0)", registrant: "R\($0)"))
        }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let ends = await withTaskGroup(of: Result<[RecordingOutcome], StoreError>.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    var outcomes: [RecordingOutcome] = []
                    do throws(StoreError) {
                        // Each writer is its own store (its own pool), as separate processes are.
                        let store: PostgresDoseStore
                        do {
                            store = try await TestPostgres.store(url, until: folder)
                        } catch {
                            return .failure(.cannotOpen(path: url, reason: "\(error)"))
                        }
                        for start in stride(from: 0, to: tickets.count, by: 25) {
                            // Writers go through the tickets in different orders and batch sizes.
                            let batch = Array(tickets[start..<min(tickets.count, start + 25)])
                            let ordered = writer % 2 == 0 ? batch : batch.reversed()
                            let results = try await store.record(
                                ordered, context: Fixture.context(station: "ST\(writer)"),
                                rules: Fixture.rules)
                            outcomes += results.map(\.outcome)
                        }
                        return .success(outcomes)
                    } catch {
                        return .failure(error)
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        var all: [RecordingOutcome] = []
        for end in ends {
            switch end {
            case .success(let outcomes): all += outcomes
            case .failure(let error): Issue.record("a writer failed: \(error)")
            }
        }
        #expect(all.count == 1600)
        #expect(all.filter { $0 == .recorded }.count == 200)
        #expect(all.filter { $0 == .alreadyRecorded }.count == 1400)
        let store = try await TestPostgres.store(url, until: folder)
        #expect(try await store.statistics(StatisticsQuery()).total == 200)
        #expect(
            try await store.statistics(StatisticsQuery()).scans == [
                "recorded": 200, "already_recorded": 1400,
            ])
        #expect(try await store.execute("SELECT count(*)::text FROM dose") == ["200"])
    }

    @Test("processes opening a new database at once migrate it once")
    func concurrentMigrations() async throws {
        let url = try await TestPostgres.freshDatabase()
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let failures = await withTaskGroup(of: String?.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    do {
                        _ = try await PostgresDoseStore(url: url)
                        return nil
                    } catch {
                        return "\(error)"
                    }
                }
            }
            return await group.compactMap { $0 }.reduce(into: []) { $0.append($1) }
        }
        #expect(failures == [])
        #expect(
            try await TestPostgres.store(url, until: folder).appliedMigrations()
                == DoseStoreSchema.migrationNames)
    }

    @Test(
        "a wrong password or a missing database is a clear error at the first answer, never a wait for the pool, and never shows the password"
    )
    func cannotConnect() async throws {
        let url = try #require(TestPostgres.url)
        let location = try PostgresLocation(url: url)
        // A store that waited for its pool would wait out this long busy timeout; one that
        // fails at the server's first answer is done well within half of it, however loaded
        // the machine running the tests is.
        let busyTimeout: TimeInterval = 600
        let started = Date()
        var steps: [Double] = []
        await #expect {
            try await PostgresDoseStore(
                location: location, busyTimeout: busyTimeout,
                environment: ["PGPASSWORD": "not-the-password"],
                home: "/nonexistent")
        } throws: { error in
            guard case .cannotOpen(let path, let reason) = error as? StoreError else {
                return false
            }
            return path == location.description && reason.contains("password authentication failed")
                && !"\(error)".contains("not-the-password")
        }
        steps.append(Date().timeIntervalSince(started))
        var missing = location
        missing.database = "no_such_database"
        await #expect {
            try await PostgresDoseStore(location: missing, busyTimeout: busyTimeout)
        } throws: { error in
            guard case .cannotOpen(_, let reason) = error as? StoreError else { return false }
            return reason.contains("does not exist")
        }
        steps.append(Date().timeIntervalSince(started))
        var closed = location
        closed.port = 1
        await #expect {
            try await PostgresDoseStore(location: closed, busyTimeout: busyTimeout)
        } throws: { error in
            if case .cannotOpen = error as? StoreError { return true }
            return false
        }
        steps.append(Date().timeIntervalSince(started))
        #expect(
            Date().timeIntervalSince(started) < busyTimeout / 2, "after each step: \(steps) s")
    }

    @Test(
        "sslmode=require connects over TLS; sslmode=disable does not",
        .enabled(if: TestPostgres.offersTLS, "the test server has no TLS"))
    func tls() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let url = try await TestPostgres.freshDatabase()
        let query = "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        #expect(
            try await TestPostgres.store(url + "?sslmode=require", until: folder).execute(query)
                == ["true"])
        #expect(
            try await TestPostgres.store(url + "?sslmode=disable", until: folder).execute(query)
                == ["false"])
    }
}
