import ArgumentParser
import Testing
import TicketCodec

@testable import VaxTicketCommands

/// Argument validation, in process: what each command refuses before it touches a file, and
/// the message it gives.
@Suite("argument validation")
struct ValidationTests {
    @Test(
        "bad arguments are refused with a message that says what is wrong",
        arguments: [
            (["qr", "TEXT", "--out", "x.png", "--module-px", "0"], "--module-px must be 1 to 100"),
            (["qr", "TEXT"], "Give either TEXT with --out FILE.png"),
            (["qr", "", "--out", "x.png"], "The text to encode is empty"),
            (["qr", "TEXT", "--out", "x.png", "--dpi", "0"], "--dpi must be 1 to 100000"),
            (["scan", "a.png", "--jobs", "0"], "--jobs must be at least 1"),
            (["scan", "a.png", "--max-pixels", "0"], "--max-pixels must be 1 to 250000000"),
            (
                ["simulate-photo", "a.png", "--out-dir", "d", "--count", "0"],
                "--count must be at least 1"
            ),
            (
                ["simulate-photo", "a.png", "--out-dir", "d", "--quality", "101"],
                "--quality must be 1 to 100"
            ),
            (
                [
                    "issue", "--registrant", "R1", "--dose", "1", "--vaccine", "CORONAVAC",
                    "--site", "S1",
                ], "Give --out FILE.png"
            ),
            (["issue", "--csv", "a.csv"], "--csv needs --out-dir"),
            (
                ["issue", "--csv", "a.csv", "--out-dir", "d", "--registrant", "R1"],
                "--csv takes the ticket fields from the file"
            ),
            (["issue", "--out", "x.png"], "Give --registrant, --dose, --vaccine and --site"),
            (
                [
                    "issue", "--registrant", "R1", "--dose", "1", "--vaccine", "V", "--site", "S",
                    "--out", "x.png", "--group",
                    "KINGS",
                ], "--group must be one of"
            ),
            (
                [
                    "issue", "--registrant", "R1", "--dose", "1", "--vaccine", "V", "--site", "S",
                    "--out", "x.png",
                    "--valid-from", "2021-13-01",
                ], "--valid-from must be a YYYY-MM-DD date"
            ),
            (
                ["issue", "--csv", "a.csv", "--out-dir", "d", "--days", "0"],
                "--days must be 1 to 3650"
            ),
            (
                ["verify", "a.png", "--time-zone", "Mars/Olympus"],
                "Unknown time zone 'Mars/Olympus'"
            ),
            (["verify", "a.png", "--at", "yesterday"], "--at must be a date"),
            (["verify"], "Give image paths or --payloads FILE, not both"),
            (
                ["verify", "a.png", "--payloads", "p.txt"],
                "Give image paths or --payloads FILE, not both"
            ),
            (
                ["verify", "a.png", "--public-keys", "k.json", "--keyring", "r.json"],
                "Give --keyring or --public-keys, not both"
            ),
            (["keys", "new", "--algorithm", "rsa"], "rsa"),
            (["keys", "rotate", "--algorithm", "ed448"], "ed448"),
            (["keys", "export-public"], "--out"),
            (["revoke", "XYZ"], "'XYZ' is not a serial"),
            (["record", "--officer", "OFC1"], "Give image paths or --payloads FILE, not both"),
            (
                ["record", "a.png", "--payloads", "p.txt", "--officer", "OFC1"],
                "Give image paths or --payloads FILE, not both"
            ),
            (["record", "a.png", "--officer", " "], "--officer must not be empty"),
            (
                ["record", "a.png", "--officer", "OFC1", "--batch-size", "0"],
                "--batch-size must be at least 1"
            ),
            (["record", "a.png", "--officer", "OFC1", "--lot", ""], "--lot must not be empty"),
            (["stats", "--from", "2021-02-30"], "--from must be a date like 2021-08-23"),
            (
                ["stats", "--from", "2021-09-01", "--to", "2021-08-01"],
                "--from 2021-09-01 is after --to 2021-08-01"
            ),
            (["stats", "--json", "--csv"], "--json and --csv cannot be combined"),
            (["stats", "--by", "planet"], "planet"),
        ])
    func refused(arguments: [String], message: String) {
        #expect {
            _ = try VaxTicket.parseAsRoot(arguments)
        } throws: { error in
            let text = VaxTicket.message(for: error)
            return text.contains(message) && VaxTicket.exitCode(for: error) == .validationFailure
        }
    }

    @Test("good arguments parse into the command with its options")
    func parsed() throws {
        let record = try #require(
            try VaxTicket.parseAsRoot([
                "record", "--payloads", "-", "--officer", "OFC1", "--lot", "LOT7", "--batch-size",
                "50", "--json",
            ])
                as? RecordCommand)
        #expect(record.payloads == "-")
        #expect(record.officer == "OFC1")
        #expect(record.lot == "LOT7")
        #expect(record.batchSize == 50)
        #expect(record.json)

        let verify2 = try #require(
            try VaxTicket.parseAsRoot([
                "verify", "--payloads", "texts.txt", "--public-keys", "keys.json",
            ]) as? VerifyCommand)
        #expect(verify2.payloads == "texts.txt")
        #expect(verify2.publicKeys == "keys.json")
        #expect(verify2.paths.isEmpty)

        let new = try #require(
            try VaxTicket.parseAsRoot(["keys", "new", "--algorithm", "ed25519"])
                as? KeysCommand.New)
        #expect(new.algorithm == .ed25519)
        let rotate = try #require(
            try VaxTicket.parseAsRoot(["keys", "rotate"]) as? KeysCommand.Rotate)
        #expect(rotate.algorithm == nil)
        #expect(
            (try VaxTicket.parseAsRoot(["keys", "new"]) as? KeysCommand.New)?.algorithm
                == .hmacSHA256)

        let stats = try #require(
            try VaxTicket.parseAsRoot(["stats", "--by", "site", "--from", "2021-08-01"])
                as? StatsCommand)
        #expect(stats.by == .site)
        #expect(stats.from == "2021-08-01")

        let verify = try #require(
            try VaxTicket.parseAsRoot(["verify", "a.png", "b", "--jobs", "3", "--at", "2021-08-23"])
                as? VerifyCommand)
        #expect(verify.paths == ["a.png", "b"])
        #expect(verify.batch.jobs == 3)
        #expect(verify.clockOptions.today.iso == "2021-08-23")
    }

    @Test("an error from running a command is reported as what it says of itself")
    func describe() {
        struct Example: Error, CustomStringConvertible {
            var description: String { "the database x.sqlite is read-only" }
        }
        #expect(VaxTicket.describe(Example()) == "the database x.sqlite is read-only")
    }
}
