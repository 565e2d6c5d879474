import Foundation
import Synchronization
import TestSupport
import Testing

/// The databases the command tests run against: a SQLite file always, PostgreSQL when
/// `VAXTICKET_TEST_POSTGRES_URL` is set.
enum DatabaseKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    static var allCases: [DatabaseKind] {
        TestPostgres.isAvailable ? [.sqlite, .postgres] : [.sqlite]
    }

    var testDescription: String { rawValue }

    /// A fresh database: a file in `folder`, or a new database on the test server.
    func make(in folder: TemporaryFolder) async throws -> String {
        switch self {
        case .sqlite: folder.path("central.sqlite")
        case .postgres: try await TestPostgres.freshDatabase()
        }
    }
}

/// A keyring and `count` dose-1 tickets for registrants R0..R<count-1>, as ticket texts.
private struct TicketFixture {
    let folder: TemporaryFolder
    var keyring: String { folder.path("keyring.json") }
    let tickets: [String]

    init(count: Int) throws {
        folder = try TemporaryFolder()
        let keys = try runVaxticket(["keys", "new", "--keyring", folder.path("keyring.json")])
        try #require(keys.status == 0, "keys new: \(keys.stderr)")
        var csv = "registrant,dose,vaccine,site,group,valid_from,valid_until\n"
        for index in 0..<count {
            csv += "R\(index),1,CORONAVAC,JKT01,GENERAL,2021-08-01,2021-10-29\n"
        }
        try csv.write(toFile: folder.path("registrants.csv"), atomically: true, encoding: .utf8)
        let issued = try runVaxticket([
            "issue", "--csv", folder.path("registrants.csv"), "--out-dir", folder.path("tickets"),
            "--format", "text",
            "--keyring", folder.path("keyring.json"),
        ])
        try #require(issued.status == 0, "issue: \(issued.stderr)")
        tickets = try String(contentsOfFile: folder.path("tickets/tickets.txt"), encoding: .utf8)
            .split(separator: "\n").map(
                String.init)
    }

    func payloads(_ range: Range<Int>, name: String) throws -> String {
        let path = folder.path(name)
        try (tickets[range].joined(separator: "\n") + "\n").write(
            toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func record(_ payloads: String, db: String, station: String, extra: [String] = []) throws
        -> CommandResult
    {
        try runVaxticket(
            [
                "record", "--payloads", payloads, "--keyring", keyring, "--db", db, "--officer",
                "OFC-\(station)", "--station",
                station, "--at", "2021-08-23T09:00:00",
            ]
                + extra)
    }

    func total(_ db: String) throws -> [String: Any] {
        let result = try runVaxticket(["stats", "--json", "--db", db])
        try #require(result.status == 0, "stats: \(result.stderr)")
        return try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }
}

@Suite("PostgreSQL from the command line: many record processes, offline stations merged")
struct PostgresCommandTests {
    @Test(
        "eight record processes on one PostgreSQL database record every ticket exactly once, with no lock error",
        .enabled(if: TestPostgres.isAvailable))
    func eightWriters() async throws {
        let fixture = try TicketFixture(count: 400)
        defer { fixture.folder.remove() }
        let db = try await TestPostgres.freshDatabase()
        let forward = try fixture.payloads(0..<400, name: "forward.txt")
        try (fixture.tickets.reversed().joined(separator: "\n") + "\n").write(
            toFile: fixture.folder.path("backward.txt"), atomically: true, encoding: .utf8)
        let results = Mutex<[Int: CommandResult]>([:])
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { writer in
            do {
                let payloads = writer % 2 == 0 ? forward : fixture.folder.path("backward.txt")
                let result = try fixture.record(
                    payloads, db: db, station: "ST\(writer)",
                    extra: ["--json", "--batch-size", "\(25 + writer * 10)", "--jobs", "1"])
                results.withLock { $0[writer] = result }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        var recorded: [String: Int] = [:]
        for (writer, result) in results.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            #expect(result.status == 0, "writer \(writer): \(result.stderr)")
            for word in ["lock", "serializ", "deadlock", "error"] {
                #expect(
                    !result.stderr.lowercased().contains(word), "writer \(writer): \(result.stderr)"
                )
            }
            for line in result.stdout.split(separator: "\n") {
                let object = try #require(
                    try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                let outcome = try #require(object["outcome"] as? String)
                #expect(["recorded", "already_recorded"].contains(outcome))
                if outcome == "recorded", let serial = object["serial"] as? String {
                    recorded[serial, default: 0] += 1
                }
            }
        }
        #expect(recorded.count == 400)
        #expect(recorded.values.allSatisfy { $0 == 1 })
        let stats = try fixture.total(db)
        #expect(stats["total"] as? Int == 400)
        #expect((stats["scans"] as? [String: Int]) == ["recorded": 400, "already_recorded": 2800])
    }

    @Test(
        "db merge brings stations in exactly once and reports the doses two stations both recorded",
        arguments: DatabaseKind.allCases)
    func merge(kind: DatabaseKind) async throws {
        let fixture = try TicketFixture(count: 15)
        defer { fixture.folder.remove() }
        let central = try await kind.make(in: fixture.folder)
        let first = fixture.folder.path("station1.sqlite"),
            second = fixture.folder.path("station2.sqlite")
        // Two stations offline; tickets R5..R9 were scanned at both.
        #expect(
            try fixture.record(
                try fixture.payloads(0..<10, name: "one.txt"), db: first, station: "ST1"
            ).status == 0)
        #expect(
            try fixture.record(
                try fixture.payloads(5..<15, name: "two.txt"), db: second, station: "ST2"
            ).status == 0)

        let merged = try runVaxticket(["db", "merge", first, "--db", central])
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(
            merged.stdout.contains(
                "10 doses added, 0 already merged; 10 scan log lines added, 0 already merged; 0 new conflicts, 0 already known"
            ))

        let clashing = try runVaxticket(["db", "merge", second, "--db", central, "--json"])
        #expect(clashing.status == 1)
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(clashing.stdout.utf8)) as? [String: Any])
        #expect(report["dosesAdded"] as? Int == 5)
        #expect(report["scansAdded"] as? Int == 10)
        let conflicts = try #require(report["conflicts"] as? [[String: Any]])
        #expect(conflicts.count == 5)
        #expect(
            Set(conflicts.compactMap { $0["registrant"] as? String }) == [
                "R5", "R6", "R7", "R8", "R9",
            ])
        #expect(
            conflicts.allSatisfy {
                $0["kind"] as? String == "same_serial" && $0["station"] as? String == "ST2"
                    && $0["existingStation"] as? String == "ST1"
            })

        let again = try runVaxticket(["db", "merge", second, "--db", central])
        #expect(again.status == 1)
        #expect(
            again.stdout.contains(
                "0 doses added, 5 already merged; 0 scan log lines added, 10 already merged; 0 new conflicts, 5 already known"
            ))
        let stats = try fixture.total(central)
        #expect(stats["total"] as? Int == 15)
        // Both stations' scans of R5..R9 are in the log.
        #expect((stats["scans"] as? [String: Int]) == ["recorded": 20])
    }

    @Test("a postgres:// URL with a password in it is refused, and the password is not echoed")
    func passwordInURL() throws {
        let result = try runVaxticket(["stats", "--db", "postgres://vax:hunter2@127.0.0.1:1/doses"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("must not carry a password"))
        #expect(!result.stderr.contains("hunter2"))
    }
}
