import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Regression tests for issue 9 that run the binary, one per item, named after it.
@Suite("Issue 9 hardening: the command line")
struct HardeningCommandTests {
    @Test("issue 9 item 3: simulate-photo refuses a strength or module size that is infinite, NaN or out of range", arguments: [
        ["--strength", "inf"], ["--strength", "nan"], ["--strength", "-0.5"], ["--strength", "2"], ["--kind", "blur", "--strength", "inf"],
        ["--kind", "blur", "--strength", "1e300"], ["--module-px", "inf"], ["--module-px", "nan"], ["--module-px", "0"],
    ])
    func item3FloatingPointOptions(options: [String]) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let result = try runVaxticket(["simulate-photo", folder.path("in.png"), "--out-dir", folder.path("out")] + options)
        #expect(result.status == 64, "\(options): \(result.stderr)")
        #expect(result.stderr.contains("--strength") || result.stderr.contains("--module-px"))
    }

    @Test("issue 9 item 2: scan --max-pixels is bounded")
    func item2MaxPixelsBounded() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let result = try runVaxticket(["scan", folder.path("in.png"), "--max-pixels", String(Int.max)])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--max-pixels must be 1 to 250000000"))
    }

    private func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require((attributes[.posixPermissions] as? NSNumber)?.intValue) & 0o777
    }

    @Test("issue 9 item 7: text tickets from issue --format text and the database record makes are 0600")
    func item7PrivateFiles() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let keyring = folder.path("keyring.json")
        try #require(try runVaxticket(["keys", "new", "--keyring", keyring]).status == 0)
        try "registrant,dose,vaccine,site\nR1,1,CORONAVAC,JKT01\n".write(toFile: folder.path("r.csv"), atomically: true, encoding: .utf8)
        let issued = try runVaxticket(["issue", "--csv", folder.path("r.csv"), "--out-dir", folder.path("t"), "--format", "text", "--keyring", keyring])
        try #require(issued.status == 0, "\(issued.stderr)")
        #expect(try mode(folder.path("t/tickets.txt")) == 0o600)
        let recorded = try runVaxticket(["record", "--payloads", folder.path("t/tickets.txt"), "--keyring", keyring, "--db", folder.path("d.sqlite"), "--officer", "OFC1"])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        #expect(try mode(folder.path("d.sqlite")) == 0o600)
    }

    @Test("issue 9 item 9: record --payloads with a folder exits 1 with a clear error, not 0 with 0 recorded")
    func item9PayloadsFolder() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let keyring = folder.path("keyring.json")
        try #require(try runVaxticket(["keys", "new", "--keyring", keyring]).status == 0)
        try FileManager.default.createDirectory(atPath: folder.path("queue"), withIntermediateDirectories: true)
        let result = try runVaxticket(["record", "--payloads", folder.path("queue"), "--keyring", keyring, "--db", folder.path("d.sqlite"), "--officer", "OFC1"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("not a regular file"), "\(result.stderr)")
    }

    @Test("issue 9 item 8: roster import with a stray quote refuses one line, keeps the rest, and its summary adds up")
    func item8RosterStrayQuote() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var csv = "registrant,nik,name,birth_date,group,phone\r\n"
        csv += "R0,3171012345600000,\"Siti,1980-04-30,GENERAL,\r\n"
        for index in 1...1000 { csv += "R\(index),31710123456\(String(format: "%05d", index)),\"Name, \(index)\",1980-04-30,GENERAL,\r\n" }
        csv += "R1001,3171012345601001,Dup,1980-04-30,GENERAL,\r\n"
        csv += "R1002,3171012345601001,Dup NIK,1980-04-30,GENERAL,\r\n"
        try csv.write(toFile: folder.path("roster.csv"), atomically: true, encoding: .utf8)
        let result = try runVaxticket(["roster", "import", folder.path("roster.csv"), "--db", folder.path("d.sqlite"), "--json"])
        #expect(result.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
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
        try "registrant,dose,vaccine,site\nR1,1,CORONAVAC,JKT01\n".write(toFile: folder.path("r.csv"), atomically: true, encoding: .utf8)
        try #require(try runVaxticket(["issue", "--csv", folder.path("r.csv"), "--out-dir", folder.path("t"), "--format", "text", "--keyring", keyring]).status == 0)
        let recorded = try runVaxticket([
            "record", "--payloads", folder.path("t/tickets.txt"), "--keyring", keyring, "--db", folder.path("d.sqlite"), "--officer", "OFC1",
            "--site", "=HYPERLINK(\"http://evil\")",
        ])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let stats = try runVaxticket(["stats", "--csv", "--by", "site", "--db", folder.path("d.sqlite")])
        #expect(stats.status == 0)
        #expect(stats.stdout == "site,count\n\"'=HYPERLINK(\"\"http://evil\"\")\",1\n")
    }
}
