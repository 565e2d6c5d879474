import Testing

@Suite("vaxticket --help")
struct HelpTests {
    @Test("the top-level help names every command")
    func topLevel() throws {
        let result = try runVaxticket(["--help"])
        #expect(result.status == 0)
        for command in ["qr", "scan", "simulate-photo", "issue", "verify", "keys", "revoke", "roster", "record", "stats", "db"] {
            #expect(result.stdout.contains("\n  \(command) "), "help does not list \(command)")
        }
    }

    @Test(
        "every command explains itself and its main options",
        arguments: [
            (["qr"], ["--out", "--ecc", "--module-px", "--quiet-zone", "--dpi", "--texts"]),
            (["scan"], ["--json", "--jobs", "--max-pixels", "--full-resolution"]),
            (["issue"], ["--registrant", "--csv", "--out-dir", "--format", "--force", "--keyring"]),
            (["verify"], ["--json", "--report", "--at", "--time-zone"]),
            (["keys", "new"], ["--keyring", "--id"]),
            (["record"], ["--officer", "--payloads", "--lot", "--station", "--db", "--policy"]),
            (["roster", "import"], ["--db"]),
            (["stats"], ["--by", "--from", "--to", "--json", "--csv"]),
            (["db", "merge"], ["--db", "--json", "postgres://"]),
        ])
    func command(words: [String], options: [String]) throws {
        let result = try runVaxticket(words + ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("OVERVIEW: "))
        for option in options {
            #expect(result.stdout.contains(option), "\(words.joined(separator: " ")) --help lacks \(option)")
        }
    }

    @Test("a usage error exits 64 and says what is wrong")
    func usageError() throws {
        let result = try runVaxticket(["qr", "TEXT", "--out", "x.png", "--module-px", "0"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--module-px must be 1 to 100"))
    }
}
