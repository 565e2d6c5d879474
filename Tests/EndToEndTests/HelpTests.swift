import Testing

/// The built binary prints help and usage errors; every command's full help is pinned in
/// process by `CommandTests`.
@Suite("vaxticket --help")
struct HelpTests {
    @Test("the top-level help names every command")
    func topLevel() throws {
        let result = try runVaxticket(["--help"])
        #expect(result.status == 0)
        for command in [
            "qr", "scan", "simulate-photo", "issue", "verify", "keys", "revoke", "roster", "record",
            "stats", "export", "sync",
            "serve", "officers", "db",
        ] {
            #expect(result.stdout.contains("\n  \(command) "), "help does not list \(command)")
        }
    }

    @Test("a usage error exits 64 and says what is wrong")
    func usageError() throws {
        let result = try runVaxticket(["qr", "TEXT", "--out", "x.png", "--module-px", "0"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--module-px must be 1 to 100"))
    }
}
