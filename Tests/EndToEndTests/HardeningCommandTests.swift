import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Regression tests for issue 9 that run the binary, one per item, named after it.
@Suite("Issue 9 hardening: the command line")
struct HardeningCommandTests {
    @Test(
        "issue 9 item 3: simulate-photo refuses a strength or module size that is infinite, NaN or out of range",
        arguments: [
            ["--strength", "inf"], ["--strength", "nan"], ["--strength", "-0.5"],
            ["--strength", "2"],
            ["--kind", "blur", "--strength", "inf"],
            ["--kind", "blur", "--strength", "1e300"], ["--module-px", "inf"],
            ["--module-px", "nan"], ["--module-px", "0"],
        ])
    func item3FloatingPointOptions(options: [String]) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let result = try runVaxticket(
            ["simulate-photo", folder.path("in.png"), "--out-dir", folder.path("out")] + options)
        #expect(result.status == 64, "\(options): \(result.stderr)")
        #expect(result.stderr.contains("--strength") || result.stderr.contains("--module-px"))
    }

    @Test("issue 9 item 2: scan --max-pixels is bounded")
    func item2MaxPixelsBounded() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let result = try runVaxticket([
            "scan", folder.path("in.png"), "--max-pixels", String(Int.max),
        ])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--max-pixels must be 1 to 250000000"))
    }

    private func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require((attributes[.posixPermissions] as? NSNumber)?.intValue) & 0o777
    }

    @Test(
        "issue 9 item 7: text tickets from issue --format text and the database record makes are 0600"
    )
    func item7PrivateFiles() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let keyring = folder.path("keyring.json")
        try #require(try runVaxticket(["keys", "new", "--keyring", keyring]).status == 0)
        try "registrant,dose,vaccine,site\nR1,1,CORONAVAC,JKT01\n".write(
            toFile: folder.path("r.csv"), atomically: true, encoding: .utf8)
        let issued = try runVaxticket([
            "issue", "--csv", folder.path("r.csv"), "--out-dir", folder.path("t"), "--format",
            "text", "--keyring", keyring,
        ])
        try #require(issued.status == 0, "\(issued.stderr)")
        #expect(try mode(folder.path("t/tickets.txt")) == 0o600)
        let recorded = try runVaxticket([
            "record", "--payloads", folder.path("t/tickets.txt"), "--keyring", keyring, "--db",
            folder.path("d.sqlite"),
            "--officer", "OFC1",
        ])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        #expect(try mode(folder.path("d.sqlite")) == 0o600)
    }

    @Test(
        "issue 9 item 9: record --payloads with a folder exits 1 with a clear error, not 0 with 0 recorded"
    )
    func item9PayloadsFolder() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let keyring = folder.path("keyring.json")
        try #require(try runVaxticket(["keys", "new", "--keyring", keyring]).status == 0)
        try FileManager.default.createDirectory(
            atPath: folder.path("queue"), withIntermediateDirectories: true)
        let result = try runVaxticket([
            "record", "--payloads", folder.path("queue"), "--keyring", keyring, "--db",
            folder.path("d.sqlite"), "--officer",
            "OFC1",
        ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("not a regular file"), "\(result.stderr)")
    }

    @Test(
        "issue 9 item 8: roster import with a stray quote refuses one line, keeps the rest, and its summary adds up"
    )
    func item8RosterStrayQuote() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var csv = "registrant,nik,name,birth_date,group,phone\r\n"
        csv += "R0,3171012345600000,\"Siti,1980-04-30,GENERAL,\r\n"
        for index in 1...1000 {
            csv +=
                "R\(index),31710123456\(String(format: "%05d", index)),\"Name, \(index)\",1980-04-30,GENERAL,\r\n"
        }
        csv += "R1001,3171012345601001,Dup,1980-04-30,GENERAL,\r\n"
        csv += "R1002,3171012345601001,Dup NIK,1980-04-30,GENERAL,\r\n"
        try csv.write(toFile: folder.path("roster.csv"), atomically: true, encoding: .utf8)
        let result = try runVaxticket([
            "roster", "import", folder.path("roster.csv"), "--db", folder.path("d.sqlite"),
            "--json",
        ])
        #expect(result.status == 1)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["rows"] as? Int == 1003)
        #expect(object["inserted"] as? Int == 1001)
        #expect(object["refused"] as? Int == 2)
        let lines = (object["errors"] as? [[String: Any]] ?? []).compactMap { $0["line"] as? Int }
        #expect(lines == [2, 1004])
    }

    @Test("issue 9 item 8: stats --csv neutralises cells a spreadsheet would run as formulas")
    func item8StatsCSVFormula() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let keyring = folder.path("keyring.json")
        try #require(try runVaxticket(["keys", "new", "--keyring", keyring]).status == 0)
        try "registrant,dose,vaccine,site\nR1,1,CORONAVAC,JKT01\n".write(
            toFile: folder.path("r.csv"), atomically: true, encoding: .utf8)
        try #require(
            try runVaxticket([
                "issue", "--csv", folder.path("r.csv"), "--out-dir", folder.path("t"), "--format",
                "text", "--keyring", keyring,
            ]).status == 0)
        let recorded = try runVaxticket([
            "record", "--payloads", folder.path("t/tickets.txt"), "--keyring", keyring, "--db",
            folder.path("d.sqlite"),
            "--officer", "OFC1",
            "--site", "=HYPERLINK(\"http://evil\")",
        ])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let stats = try runVaxticket([
            "stats", "--csv", "--by", "site", "--db", folder.path("d.sqlite"),
        ])
        #expect(stats.status == 0)
        #expect(stats.stdout == "site,count\n\"'=HYPERLINK(\"\"http://evil\"\")\",1\n")
    }

    /// A folder with a keyring; `run` passes it through VAXTICKET_KEYRING.
    private struct Station {
        let folder: TemporaryFolder
        var keyring: String { folder.path("keyring.json") }

        init() throws {
            folder = try TemporaryFolder()
            try #require(
                try runVaxticket(["keys", "new", "--keyring", folder.path("keyring.json")]).status
                    == 0)
        }

        func run(_ arguments: [String], keyring: String? = nil) throws -> CommandResult {
            try runVaxticket(
                arguments,
                environment: [
                    "VAXTICKET_KEYRING": keyring ?? self.keyring,
                    "VAXTICKET_DB": folder.path("d.sqlite"),
                ])
        }

        func issue(_ name: String, from: String, until: String? = nil, keyring: String? = nil)
            throws -> CommandResult
        {
            try run(
                [
                    "issue", "--registrant", "R1", "--dose", "1", "--vaccine", "CORONAVAC",
                    "--site", "S1", "--valid-from", from,
                    "--out", folder.path(name), "--json",
                ] + (until.map { ["--valid-until", $0] } ?? []), keyring: keyring)
        }

        func code(_ result: CommandResult) throws -> String? {
            let line = try #require(result.stdout.split(separator: "\n").first)
            return (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?[
                "code"] as? String
        }
    }

    @Test(
        "issue 9 item 4: after keys rotate, a copy of the old key cannot sign tickets that verify; validity is capped"
    )
    func item4RotationAndCap() throws {
        let station = try Station()
        defer { station.folder.remove() }
        // A stolen copy of the keyring, taken before the rotation.
        let stolen = station.folder.path("stolen.json")
        try FileManager.default.copyItem(atPath: station.keyring, toPath: stolen)
        try #require(try station.run(["keys", "rotate"]).status == 0)
        // Signed with the old key, valid from long after the rotation.
        try #require(
            try station.issue("forged.png", from: "2099-01-01", keyring: stolen).status == 0)
        let forged = try station.run([
            "verify", "--json", "--at", "2099-01-02", station.folder.path("forged.png"),
        ])
        #expect(forged.status == 1)
        #expect(try station.code(forged) == "signed_after_rotation")
        // 2020 to 2199 is refused at issue.
        let long = try station.issue("long.png", from: "2020-01-01", until: "2199-06-06")
        #expect(long.status != 0)
        #expect(long.stderr.contains("limit of 90 days"))
    }

    @Test(
        "issue 9 item 5: a revocation survives the loss of revoked.txt; a control character in --reason is refused"
    )
    func item5RevocationSurvives() throws {
        let station = try Station()
        defer { station.folder.remove() }
        let issued = try station.issue("t.png", from: "2021-08-23")
        let serial = try #require(
            (try JSONSerialization.jsonObject(with: Data(issued.stdout.utf8)) as? [String: Any])?[
                "serial"] as? String)
        #expect(try station.run(["revoke", serial, "--reason", "lost\rphone"]).status == 64)
        #expect(try station.run(["revoke", serial, "--reason", "lost phone"]).status == 0)
        try? FileManager.default.removeItem(atPath: station.folder.path("revoked.txt"))
        let verified = try station.run([
            "verify", "--json", "--at", "2021-08-25", station.folder.path("t.png"),
        ])
        #expect(try station.code(verified) == "revoked")
    }

    @Test(
        "issue 9 item 6: a symlinked keyring is refused with a helpful message; concurrent revokes lose nothing"
    )
    func item6SymlinkAndLock() throws {
        let station = try Station()
        defer { station.folder.remove() }
        let link = station.folder.path("link.json")
        try FileManager.default.createSymbolicLink(
            atPath: link, withDestinationPath: station.keyring)
        let listed = try station.run(["keys", "list"], keyring: link)
        #expect(listed.status != 0)
        #expect(listed.stderr.contains("symbolic link"))
        #expect(listed.stderr.contains("--keyring \(station.keyring)"))

        let serials = (1...6).map { String(format: "%016X", $0) }
        DispatchQueue.concurrentPerform(iterations: serials.count) { index in
            _ = try? station.run(["revoke", serials[index]])
        }
        let json = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: station.keyring))) as? [String: Any])
        #expect((json["revoked"] as? [[String: Any]])?.count == serials.count)
    }

    @Test("issue 9 item 10: a database made under one --time-zone refuses another")
    func item10TimeZone() throws {
        let station = try Station()
        defer { station.folder.remove() }
        try
            "registrant,dose,vaccine,site,group,valid_from,valid_until\nR1,1,ASTRAZENECA,S1,,2021-08-01,2021-10-01\nR1,2,ASTRAZENECA,S1,,2021-08-01,2021-10-01\n"
            .write(toFile: station.folder.path("r.csv"), atomically: true, encoding: .utf8)
        try #require(
            try station.run([
                "issue", "--csv", station.folder.path("r.csv"), "--out-dir",
                station.folder.path("t"), "--format", "text",
            ]).status == 0)
        let tickets = try String(
            contentsOfFile: station.folder.path("t/tickets.txt"), encoding: .utf8
        ).split(separator: "\n")
            .map(String.init)
        let one = try runVaxticket(
            [
                "record", "--payloads", "-", "--officer", "OFC1", "--at",
                "2021-08-23T23:30:00+00:00", "--time-zone",
                "Pacific/Kiritimati",
            ],
            environment: [
                "VAXTICKET_KEYRING": station.keyring,
                "VAXTICKET_DB": station.folder.path("tz.sqlite"),
            ],
            stdin: tickets[0] + "\n")
        #expect(one.status == 0, "\(one.stderr)")
        let two = try runVaxticket(
            [
                "record", "--payloads", "-", "--officer", "OFC1", "--at",
                "2021-09-19T23:30:00+00:00", "--time-zone",
                "Pacific/Pago_Pago",
            ],
            environment: [
                "VAXTICKET_KEYRING": station.keyring,
                "VAXTICKET_DB": station.folder.path("tz.sqlite"),
            ],
            stdin: tickets[1] + "\n")
        #expect(two.status == 1)
        #expect(two.stderr.contains("keeps the programme time zone Pacific/Kiritimati"))
    }

    @Test("issue 9 item 11: record refuses an --at in the future")
    func item11FutureAt() throws {
        let station = try Station()
        defer { station.folder.remove() }
        let result = try station.run([
            "record", "--payloads", "-", "--officer", "OFC1", "--at", "2099-01-01T09:00:00+07:00",
        ])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--at lies in the future"))
    }
}
