import CameraSimulation
import Foundation
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A keyring, tickets issued from a CSV, a roster and a database in a fresh folder.
private struct RecordingFixture {
    let folder: TemporaryFolder
    var keyring: String { folder.path("keyring.json") }
    var database: String { folder.path("doses.sqlite") }

    /// Issues one dose-1 ticket per registrant `R0..R<count-1>`, plus `duplicates` second tickets
    /// (new serials) for the same registrants and dose; returns the ticket texts in CSV order.
    init(count: Int, duplicates: Int = 0, group: String = "GENERAL") throws {
        folder = try TemporaryFolder()
        let keys = try runVaxticket([
            "keys", "new", "--keyring", keyring, "--max-validity-days", "366",
        ])
        try #require(keys.status == 0, "keys new: \(keys.stderr)")
        var csv = "registrant,dose,vaccine,site,group,valid_from,valid_until\n"
        for index in 0..<count {
            csv += "R\(index),1,CORONAVAC,JKT01,\(group),2021-08-01,2021-12-31\n"
        }
        for index in 0..<duplicates {
            csv += "R\(index),1,CORONAVAC,JKT01,\(group),2021-08-01,2021-12-31\n"
        }
        try csv.write(toFile: folder.path("registrants.csv"), atomically: true, encoding: .utf8)
        let issued = try runVaxticket([
            "issue", "--csv", folder.path("registrants.csv"), "--out-dir", folder.path("tickets"),
            "--format", "text",
            "--keyring", keyring,
        ])
        try #require(issued.status == 0, "issue: \(issued.stderr)")
    }

    var tickets: [String] {
        get throws {
            try String(contentsOfFile: folder.path("tickets/tickets.txt"), encoding: .utf8).split(
                separator: "\n"
            ).map(
                String.init)
        }
    }

    func write(_ lines: [String], to name: String) throws -> String {
        let path = folder.path(name)
        try (lines.joined(separator: "\n") + "\n").write(
            toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func record(_ arguments: [String], stdin: String? = nil) throws -> CommandResult {
        try runVaxticket(
            [
                "record", "--keyring", keyring, "--db", database, "--officer", "OFC1", "--at",
                "2021-08-23T09:00:00",
            ] + arguments,
            stdin: stdin)
    }

    func stats(_ arguments: [String] = []) throws -> [String: Any] {
        let result = try runVaxticket(["stats", "--json", "--db", database] + arguments)
        try #require(result.status == 0, "stats: \(result.stderr)")
        return try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }
}

extension RecordingFixture {
    /// Doses recorded so far, read like any other reader would; 0 while the database does not exist yet.
    func committedTotal() -> Int {
        guard let result = try? runVaxticket(["stats", "--json", "--db", database]),
            result.status == 0,
            let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
                as? [String: Any]
        else { return 0 }
        return object["total"] as? Int ?? 0
    }
}

private func jsonLines(_ text: String) throws -> [[String: Any]] {
    try text.split(separator: "\n").map { line in
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }
}

@Suite("vaxticket roster, record and stats")
struct RecordCommandTests {
    @Test(
        "issue 19 item 5: a file another program keeps locked ends record with an error naming the lock and the file, nothing half-way"
    )
    func lockedByAnotherProgram() throws {
        let fixture = try RecordingFixture(count: 3)
        defer { fixture.folder.remove() }
        let tickets = try fixture.tickets
        let first = try fixture.record([
            "--payloads", try fixture.write([tickets[0]], to: "first.txt"),
        ])
        try #require(first.status == 0, "\(first.stderr)")
        // Given another program (Python's sqlite3, as the sqlite3 shell would) holding the
        // write lock in an open transaction for longer than the busy timeout.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = [
            "python3", "-c",
            """
            import select, sqlite3, sys
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute("BEGIN IMMEDIATE")
            print("locked", flush=True)
            select.select([sys.stdin], [], [], 60)  # until the test closes its end
            db.execute("COMMIT")
            """,
            fixture.database,
        ]
        let output = Pipe()
        let release = Pipe()
        holder.standardOutput = output
        holder.standardInput = release
        try holder.run()
        var released = false
        defer {
            if !released { try? release.fileHandleForWriting.close() }
            holder.waitUntilExit()
        }
        #expect(
            String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
                .hasPrefix("locked"))

        // When the rest is recorded with a one-second busy timeout, then it fails clearly.
        let rest = try fixture.write(Array(tickets[1...]), to: "rest.txt")
        let blocked = try fixture.record(["--payloads", rest, "--busy-timeout", "1"])
        #expect(blocked.status == 1)
        #expect(blocked.stderr.contains("the database \(fixture.database) stayed locked"))
        #expect(
            blocked.stderr.contains("its write lock was held by another program for more than 1 s"))
        #expect(blocked.stderr.contains("nothing of this batch was written"))

        // And once the other program is done, the same input records everything it holds.
        try release.fileHandleForWriting.close()
        released = true
        holder.waitUntilExit()
        let again = try fixture.record(["--payloads", rest, "--json"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(
            try jsonLines(again.stdout).map { $0["outcome"] as? String } == [
                "recorded", "recorded",
            ])
    }

    @Test(
        "record verifies, records, re-scans idempotently, refuses a forged ticket; stats counts it all"
    )
    func recordAndRescan() throws {
        let fixture = try RecordingFixture(count: 3)
        defer { fixture.folder.remove() }
        let roster =
            "registrant,nik,name,birth_date,group,phone,notes\nR0,3171012345678900,Siti Rahma,1980-04-30,GENERAL,+62 812,x\n"
        try roster.write(
            toFile: fixture.folder.path("roster.csv"), atomically: true, encoding: .utf8)
        #expect(
            try runVaxticket([
                "roster", "import", fixture.folder.path("roster.csv"), "--db", fixture.database,
            ]).status == 0)
        let tickets = try fixture.tickets
        let payloads = try fixture.write(tickets, to: "payloads.txt")

        let first = try fixture.record([
            "--payloads", payloads, "--json", "--lot", "LOT7", "--station", "ST1",
        ])

        #expect(first.status == 0)
        let objects = try jsonLines(first.stdout)
        #expect(objects.map { $0["outcome"] as? String } == ["recorded", "recorded", "recorded"])
        #expect(objects[0]["name"] as? String == "Siti Rahma")
        #expect(objects[0]["registrant"] as? String == "R0")
        #expect(objects[0]["dose"] as? Int == 1)
        #expect(objects[0]["vaccine"] as? String == "CORONAVAC")
        #expect(objects[0]["lot"] as? String == "LOT7")
        #expect(objects[0]["station"] as? String == "ST1")
        #expect(objects[0]["administeredAt"] as? String == "2021-08-23T02:00:00.000Z")
        #expect(first.stderr.contains("record: 3 recorded, 0 already recorded, 0 refused"))

        // A re-scan elsewhere records nothing, says where and by whom, and is not a failure.
        let again = try runVaxticket([
            "record", "--keyring", fixture.keyring, "--db", fixture.database, "--officer", "OFC2",
            "--at", "2021-08-24T10:00:00",
            "--payloads", payloads,
        ])
        #expect(again.status == 0)
        #expect(
            again.stdout.contains(
                "line 1: already recorded: dose 1 for R0 (Siti Rahma) was recorded 2021-08-23T09:00:00+07:00 at site JKT01 by officer OFC1 (station ST1)"
            ))

        // One altered character in the signed part: refused, logged, exit 1.
        var forged = Array(tickets[1])
        let index = forged.count - 3
        forged[index] = forged[index] == "A" ? "B" : "A"
        let refused = try fixture.record(
            ["--payloads", "-", "--json"], stdin: String(forged) + "\n")
        #expect(refused.status == 1)
        let outcome = try jsonLines(refused.stdout).first?["outcome"] as? String
        #expect(outcome == "bad_signature" || outcome == "malformed")

        let stats = try fixture.stats()
        #expect(stats["total"] as? Int == 3)
        #expect(stats["byDose"] as? [String: Int] == ["1": 3])
        #expect((stats["scans"] as? [String: Int])?["already_recorded"] == 3)
        #expect((stats["refusals"] as? [String: Int]).map { $0.values.reduce(0, +) } == 1)
        let csv = try runVaxticket(["stats", "--csv", "--by", "day", "--db", fixture.database])
        #expect(csv.stdout == "day,count\n2021-08-23,3\n")
    }

    @Test("record reads tickets from images, folders included")
    func images() throws {
        let fixture = try RecordingFixture(count: 0)
        defer { fixture.folder.remove() }
        let png = fixture.folder.path("photos/ticket.png")
        try FileManager.default.createDirectory(
            atPath: fixture.folder.path("photos"), withIntermediateDirectories: true)
        let issued = try runVaxticket([
            "issue", "--registrant", "R42", "--dose", "1", "--vaccine", "CORONAVAC", "--site",
            "JKT01", "--valid-from",
            "2021-08-01",
            "--valid-until", "2021-12-31", "--out", png, "--keyring", fixture.keyring,
        ])
        try #require(issued.status == 0, "issue: \(issued.stderr)")
        try Data("not an image".utf8).write(
            to: URL(fileURLWithPath: fixture.folder.path("photos/broken.png")))

        let result = try fixture.record([fixture.folder.path("photos"), "--json"])

        #expect(result.status == 1)
        let objects = try jsonLines(result.stdout)
        let byFile = Dictionary(
            uniqueKeysWithValues: objects.map { ($0["file"] as? String ?? "", $0) })
        #expect(byFile[png]?["outcome"] as? String == "recorded")
        #expect(byFile[png]?["registrant"] as? String == "R42")
        #expect(byFile[fixture.folder.path("photos/broken.png")]?["refused"] as? Bool == true)
        #expect(try fixture.stats()["total"] as? Int == 1)
    }

    @Test(
        "usage errors exit 64; a bad roster row is reported by line; a missing keyring or a bad database is clear"
    )
    func errors() throws {
        let fixture = try RecordingFixture(count: 1)
        defer { fixture.folder.remove() }
        #expect(try fixture.record([]).status == 64)
        #expect(try runVaxticket(["record", "--payloads", "x.txt"]).status == 64)
        let both = try fixture.record(["--payloads", "x.txt", fixture.folder.path("tickets")])
        #expect(both.status == 64)
        #expect(both.stderr.contains("not both"))
        #expect(try runVaxticket(["stats", "--from", "yesterday"]).status == 64)
        let help = try runVaxticket(["record", "--help"]).stdout
        for option in [
            "--payloads", "--officer", "--lot", "--station", "--site", "--at", "--policy",
            "--batch-size", "--db", "--keyring",
            "--json",
        ] {
            #expect(help.contains(option), "record --help lists \(option)")
        }

        try "registrant,nik,name,birth_date,group,phone\nR1,123,A,1990-01-01,GENERAL,\n".write(
            toFile: fixture.folder.path("r.csv"), atomically: true, encoding: .utf8)
        let roster = try runVaxticket([
            "roster", "import", fixture.folder.path("r.csv"), "--db", fixture.database,
        ])
        #expect(roster.status == 1)
        #expect(roster.stderr.contains("line 2: NIK must be 16 digits"))

        let payloads = try fixture.write(try fixture.tickets, to: "p.txt")
        let noKeyring = try runVaxticket([
            "record", "--keyring", fixture.folder.path("none.json"), "--db", fixture.database,
            "--officer", "O", "--payloads",
            payloads,
        ])
        #expect(noKeyring.status == 1)
        #expect(noKeyring.stderr.contains("no keyring at"))

        try Data(String(repeating: "not a database\n", count: 200).utf8).write(
            to: URL(fileURLWithPath: fixture.folder.path("bad.sqlite")))
        let badDatabase = try runVaxticket([
            "record", "--keyring", fixture.keyring, "--db", fixture.folder.path("bad.sqlite"),
            "--officer", "O", "--payloads",
            payloads,
        ])
        #expect(badDatabase.status == 1)
        #expect(badDatabase.stderr.contains("is not a VaxTicket database"))
        let noDatabase = try runVaxticket(["stats", "--db", fixture.folder.path("none.sqlite")])
        #expect(noDatabase.status == 1)
        #expect(noDatabase.stderr.contains("no such file"))
    }

    @Test(
        "eight stations at once on one file, overlapping tickets: one record per serial and per dose, every scan answered"
    )
    func eightStations() throws {
        // 160 registrants; 40 of them also hold a second ticket (another serial) for the same dose.
        let fixture = try RecordingFixture(count: 160, duplicates: 40)
        defer { fixture.folder.remove() }
        let tickets = try fixture.tickets
        try #require(tickets.count == 200)
        // Each station scans 100 of the 200 tickets, a different overlapping window, in its own order.
        let stations = 8
        let inputs = try (0..<stations).map { station -> String in
            var generator = SeededGenerator(seed: UInt64(station + 1))
            let window = (0..<100).map { tickets[(station * 25 + $0) % tickets.count] }
            return try fixture.write(
                window.shuffled(using: &generator), to: "station\(station).txt")
        }
        let results = Mutex<[Int: CommandResult]>([:])

        // One thread per station (concurrentPerform would run only as many as there are cores),
        // so all eight processes run at the same time.
        let group = DispatchGroup()
        for station in 0..<stations {
            group.enter()
            Thread.detachNewThread {
                let result = try? fixture.record([
                    "--payloads", inputs[station], "--json", "--station", "ST\(station)",
                    "--batch-size", "10",
                ])
                results.withLock { $0[station] = result }
                group.leave()
            }
        }
        group.wait()

        let all = results.withLock { $0 }
        try #require(all.count == stations)
        var recordedSerials: [String] = []
        for station in 0..<stations {
            let result = try #require(all[station])
            #expect(
                [0, 1].contains(result.status),
                "station \(station) exited \(result.status): \(result.stderr)")
            #expect(!result.stderr.lowercased().contains("locked"))
            let objects = try jsonLines(result.stdout)
            #expect(objects.count == 100, "every scan answered")
            let codes = Set(objects.compactMap { $0["outcome"] as? String })
            #expect(
                codes.isSubset(of: ["recorded", "already_recorded", "dose_already_given"]),
                "station \(station): \(codes)")
            recordedSerials += objects.filter { $0["outcome"] as? String == "recorded" }.compactMap
            { $0["serial"] as? String }
        }
        // Every registrant scanned got exactly one dose 1, under exactly one serial.
        #expect(recordedSerials.count == 160)
        #expect(Set(recordedSerials).count == 160)
        let stats = try fixture.stats()
        #expect(stats["total"] as? Int == 160)
        #expect((stats["scans"] as? [String: Int])?.values.reduce(0, +) == stations * 100)
    }

    @Test(
        "SIGKILL in the middle of a batch loses no committed record, leaves no partial one; a re-run completes it without duplicates"
    )
    func killMidBatch() throws {
        let fixture = try RecordingFixture(count: 200)
        defer { fixture.folder.remove() }
        let tickets = try fixture.tickets
        // Given a station fed through a pipe, committing every 50 tickets,
        let process = Process()
        process.executableURL = vaxticketBinary
        process.arguments = [
            "record", "--keyring", fixture.keyring, "--db", fixture.database, "--officer", "OFC1",
            "--at", "2021-08-23T09:00:00",
            "--payloads", "-", "--batch-size", "50", "--quiet",
        ]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // when it has read 170 tickets: three batches committed, the fourth half read,
        input.fileHandleForWriting.write(
            Data((tickets[0..<170].joined(separator: "\n") + "\n").utf8))
        let deadline = Date().addingTimeInterval(60)
        var committed = 0
        while Date() < deadline {
            committed = fixture.committedTotal()
            if committed >= 150 { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        // and is killed with SIGKILL,
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        // then exactly the committed batches are there, each dose with its scan-log line.
        let afterKill = try fixture.stats()
        #expect(afterKill["total"] as? Int == 150)
        #expect((afterKill["scans"] as? [String: Int]) == ["recorded": 150])

        // Re-running the whole batch records the rest and duplicates nothing.
        let payloads = try fixture.write(tickets, to: "all.txt")
        let rerun = try fixture.record(["--payloads", payloads, "--batch-size", "50", "--quiet"])
        #expect(rerun.status == 0)
        #expect(rerun.stderr.contains("record: 50 recorded, 150 already recorded, 0 refused"))
        let final = try fixture.stats()
        #expect(final["total"] as? Int == 200)
        #expect((final["scans"] as? [String: Int]) == ["recorded": 200, "already_recorded": 150])
    }

    @Test(
        "SIGKILL at a random moment of a file batch: whole batches only, and a re-run completes it")
    func killAnywhere() throws {
        // 1,000 tickets, each scanned ten times (re-scans are logged too): 2,000 small
        // transactions, so the run is surely still going when its first commit shows.
        let fixture = try RecordingFixture(count: 1000)
        defer { fixture.folder.remove() }
        let tickets = try fixture.tickets
        let payloads = try fixture.write(
            Array(repeating: tickets, count: 10).flatMap { $0 }, to: "all.txt")
        let process = Process()
        process.executableURL = vaxticketBinary
        process.arguments = [
            "record", "--keyring", fixture.keyring, "--db", fixture.database, "--officer", "OFC1",
            "--at", "2021-08-23T09:00:00",
            "--payloads", payloads, "--batch-size", "5", "--quiet",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Kill as soon as a first commit is visible: wherever that lands, in or between transactions.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning, fixture.committedTotal() == 0 {
            Thread.sleep(forTimeInterval: 0.01)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(
            process.terminationReason == .uncaughtSignal,
            "the run should still have been going when killed")

        let afterKill = try fixture.stats()
        let committed = try #require(afterKill["total"] as? Int)
        let scans = try #require(afterKill["scans"] as? [String: Int])
        #expect(committed > 0)
        #expect(scans["recorded"] == committed, "every dose has its scan-log line and no more")
        #expect(scans.values.reduce(0, +) % 5 == 0, "only whole batches reach the scan log")

        let rerun = try fixture.record(["--payloads", payloads, "--quiet"])
        #expect(rerun.status == 0)
        #expect(
            rerun.stderr.contains(
                "record: \(1000 - committed) recorded, \(9000 + committed) already recorded, 0 refused"
            ))
        #expect(try fixture.stats()["total"] as? Int == 1000)
    }
}
