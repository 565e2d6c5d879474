import Foundation
import TestSupport
import Testing

/// Issue 20 items 6 and 8 through the built binary, named after the items (item 4's sync
/// checks run in SyncTests, next to the receiver).
@Suite("Issue 20 hardening: names and the keyring lock, through the binary")
struct Issue20CommandTests {
    /// A temporary folder with a fresh keyring.
    private struct Setup {
        let folder: TemporaryFolder
        var keyring: String { folder.path("keyring.json") }
        var environment: [String: String] { ["VAXTICKET_KEYRING": keyring] }

        init() throws {
            folder = try TemporaryFolder()
            let made = try runVaxticket(["keys", "new", "--keyring", folder.path("keyring.json")])
            #expect(made.status == 0, "\(made.stderr)")
        }

        func run(_ arguments: [String]) throws -> CommandResult {
            try runVaxticket(arguments, environment: environment, currentDirectory: folder.url)
        }
    }

    /// Whether `text` holds a control or invisible character that could rewrite a terminal.
    private func hasInvisible(_ text: String) -> Bool {
        text.unicodeScalars.contains {
            ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value)
                || $0.properties.generalCategory == .format
        }
    }

    @Test(
        "issue 20 item 6: roster import refuses names with bidi controls, zero-width characters or stacked marks line by line, quoting them escaped"
    )
    func item6RosterImport() throws {
        let setup = try Setup()
        defer { setup.folder.remove() }
        let roster = setup.folder.path("roster.csv")
        try
            ("registrant,nik,name,birth_date,group,phone\n"
            + "R1,3273020107900001,Nguye\u{302}\u{303}n Thi\u{323} Minh Khai,1990-07-01,GENERAL,\n"
            + "R2,3273020107900002,Admin \u{202E}nimdA,1990-07-01,GENERAL,\n"
            + "R3,3273020107900003,Siti\u{200B}Nurhaliza,1990-07-01,GENERAL,\n"
            + "R4,3273020107900004,Z\u{351}\u{352}\u{357}\u{35B}\u{363}algo,1990-07-01,GENERAL,\n"
            + "R5,3273020107900005,ꦱꦶꦠꦶ ꦫꦃꦩꦮꦠꦶ,1990-07-01,GENERAL,\n").write(
                toFile: roster, atomically: true, encoding: .utf8)
        let run = try setup.run(["roster", "import", roster, "--db", setup.folder.path("d.sqlite")])
        #expect(run.status == 1)
        #expect(run.stderr.contains("line 3: name"), "\(run.stderr)")
        #expect(run.stderr.contains("U+202E RIGHT-TO-LEFT OVERRIDE"))
        #expect(run.stderr.contains("line 4: name") && run.stderr.contains("U+200B"))
        #expect(run.stderr.contains("line 5: name") && run.stderr.contains("combining marks"))
        #expect(!hasInvisible(run.stderr + run.stdout), "\(run.stderr.debugDescription)")
        #expect(
            (run.stdout + run.stderr).contains(
                "roster: 5 rows: 2 added, 0 updated, 3 refused, 0 blank"))
    }

    @Test(
        "issue 20 item 6: issue --name with a bidi override is a usage error; a CSV row with one fails alone"
    )
    func item6CardNames() throws {
        let setup = try Setup()
        defer { setup.folder.remove() }
        let one = try setup.run([
            "issue", "--registrant", "7", "--dose", "1", "--vaccine", "CORONAVAC", "--site", "S1",
            "--format", "card", "--name", "Siti \u{202E}ilahruN", "--out", "x.png",
        ])
        #expect(one.status == 64)
        #expect(one.stderr.contains("--name holds U+202E RIGHT-TO-LEFT OVERRIDE"), "\(one.stderr)")
        #expect(!FileManager.default.fileExists(atPath: setup.folder.path("x.png")))

        let csv = setup.folder.path("r.csv")
        try
            ("registrant,dose,vaccine,site,name,site_name\n"
            + "7,1,CORONAVAC,S1,Budi Santoso,Puskesmas Sukajadi\n"
            + "8,1,CORONAVAC,S1,Sri\u{2066}Wahyuni,Puskesmas Sukajadi\n"
            + "9,1,CORONAVAC,S1,Zoe\u{308},Puskesmas\u{FEFF}\n").write(
                toFile: csv, atomically: true, encoding: .utf8)
        let out = setup.folder.path("cards")
        let batch = try setup.run(["issue", "--csv", csv, "--out-dir", out, "--format", "card"])
        #expect(batch.status == 1)
        #expect(batch.stderr.contains("line 3: name holds U+2066"), "\(batch.stderr)")
        #expect(batch.stderr.contains("line 4: site_name holds U+FEFF"))
        #expect(!hasInvisible(batch.stderr + batch.stdout))
        #expect(FileManager.default.fileExists(atPath: out + "/000002-7.png"))
        #expect(!FileManager.default.fileExists(atPath: out + "/000003-8.png"))
    }

    @Test(
        "issue 20 item 8: revoke and keys rotate refuse a lock file others may open, say why, and leave the keyring alone"
    )
    func item8OpenLock() throws {
        let setup = try Setup()
        defer { setup.folder.remove() }
        let lock = setup.keyring + ".lock"
        let before = try Data(contentsOf: URL(fileURLWithPath: setup.keyring))
        #expect(FileManager.default.createFile(atPath: lock, contents: nil))
        try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: lock)

        for arguments in [["revoke", "0123456789ABCDEF"], ["keys", "rotate"]] {
            let run = try setup.run(arguments)
            #expect(run.status == 1)
            #expect(
                run.stderr.contains(
                    "the keyring's lock file \(lock) may be opened by group or others"),
                "\(run.stderr)")
            #expect(run.stderr.contains("remove it"))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: setup.keyring)) == before)

        try FileManager.default.removeItem(atPath: lock)
        #expect(try setup.run(["revoke", "0123456789ABCDEF"]).status == 0)
        let mode = try FileManager.default.attributesOfItem(atPath: lock)[.posixPermissions] as? Int
        #expect(mode.map { $0 & 0o777 } == 0o600)
    }

    @Test(
        "issue 20 item 8: a lock file another user made is refused by keys rotate",
        .enabled(if: getuid() == 0, "needs root to give the file to another user"))
    func item8ForeignLock() throws {
        let setup = try Setup()
        defer { setup.folder.remove() }
        let lock = setup.keyring + ".lock"
        #expect(FileManager.default.createFile(atPath: lock, contents: nil))
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o600, .ownerAccountID: 65534, .groupOwnerAccountID: 65534],
            ofItemAtPath: lock)
        let run = try setup.run(["keys", "rotate"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("belongs to user 65534, not to you"), "\(run.stderr)")
        #expect(try setup.run(["keys", "list"]).stdout.components(separatedBy: "K2").count == 1)
    }
}
