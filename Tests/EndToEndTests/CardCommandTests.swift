import Foundation
import TestSupport
import Testing

@Suite("vaxticket issue --format card and pdf")
struct CardCommandTests {
    /// A temporary folder with a fresh keyring.
    private struct Setup {
        let folder: TemporaryFolder
        var environment: [String: String] { ["VAXTICKET_KEYRING": folder.path("keyring.json")] }

        init() throws {
            folder = try TemporaryFolder()
            let made = try runVaxticket(["keys", "new", "--keyring", folder.path("keyring.json")])
            #expect(made.status == 0, "\(made.stderr)")
        }

        func run(_ arguments: [String]) throws -> CommandResult {
            try runVaxticket(arguments, environment: environment, currentDirectory: folder.url)
        }
    }

    private func mode(_ path: String) throws -> Int {
        try
            ((FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?
            .intValue ?? -1) & 0o777
    }

    private func pdfText(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/pdftotext")
        process.arguments = [path, "-"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test("one card PNG: private file, its QR verifies, the name stays out of the output")
    func oneCard() throws {
        let setup = try Setup()
        defer { setup.folder.remove() }
        let card = setup.folder.path("card.png")
        let issued = try setup.run([
            "issue", "--registrant", "2108230000012345", "--dose", "2", "--vaccine", "CORONAVAC",
            "--site", "BDG001",
            "--format", "card", "--name", "Nguyễn Thị Minh Khai", "--site-name",
            "Puskesmas Sukajadi", "--lang", "en",
            "--at", "2021-08-23", "--out", card,
        ])
        #expect(issued.status == 0, "\(issued.stderr)")
        #expect(!issued.stdout.contains("Nguyễn"))
        #expect(try mode(card) == 0o600)
        let verified = try setup.run(["verify", "--at", "2021-08-24", card])
        #expect(verified.status == 0, "\(verified.stdout) \(verified.stderr)")
    }

    @Test(
        "a CSV batch as A4 sheets: tickets.pdf with names from the CSV and the roster, manifest pages"
    )
    func sheets() throws {
        let setup = try Setup()
        defer { setup.folder.remove() }
        let roster = setup.folder.path("roster.csv")
        try
            ("registrant,nik,name,birth_date,group,phone\n"
            + "2108230000010002,3273020107900002,Agus Setiawan,1990-07-01,GENERAL,0812\n").write(
                toFile: roster, atomically: true, encoding: .utf8)
        let database = setup.folder.path("doses.sqlite")
        #expect(try setup.run(["roster", "import", roster, "--db", database]).status == 0)
        let csv = setup.folder.path("registrants.csv")
        var lines = ["registrant,dose,vaccine,site,group,valid_from,valid_until,name"]
        lines.append(
            "2108230000010001,1,CORONAVAC,BDG001,,2021-08-23,2021-09-21,Ni Luh Putu Ayu Wulandari Kusumadewi"
        )
        lines.append("2108230000010002,1,CORONAVAC,BDG001,,2021-08-23,2021-09-21,")
        for index in 3...9 {
            lines.append(
                "21082300000100\(String(format: "%02d", index)),1,PFIZER,BDG002,,,,Warga \(index)")
        }
        try (lines.joined(separator: "\n") + "\n").write(
            toFile: csv, atomically: true, encoding: .utf8)
        let out = setup.folder.path("sheets")
        let first = try setup.run([
            "issue", "--csv", csv, "--out-dir", out, "--format", "pdf", "--db", database, "--at",
            "2021-08-23",
        ])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("issued 9 ticket cards"))
        let pdf = out + "/tickets.pdf"
        #expect(try mode(pdf) == 0o600)
        let text = try pdfText(pdf)
        #expect(text.contains("Agus Setiawan"))
        #expect(text.contains("Wulandari"))
        #expect(text.contains("halaman 2 dari 2"))
        let manifest = try String(contentsOfFile: out + "/manifest.csv", encoding: .utf8).split(
            separator: "\n")
        #expect(manifest.count == 10)
        #expect(manifest[1].hasSuffix(",tickets.pdf#page=1"))
        #expect(manifest[9].hasSuffix(",tickets.pdf#page=2"))
        #expect(!manifest.joined().contains("Agus"))

        let again = try setup.run([
            "issue", "--csv", csv, "--out-dir", out, "--format", "pdf", "--at", "2021-08-23",
        ])
        #expect(again.stderr.contains("issued 0 ticket cards"))
        #expect(FileManager.default.fileExists(atPath: out + "/tickets.pdf"))
    }

    @Test("a CSV batch as card PNGs, one a row")
    func cardPNGs() throws {
        let setup = try Setup()
        defer { setup.folder.remove() }
        let csv = setup.folder.path("r.csv")
        try
            "registrant,dose,vaccine,site,name\n7,1,CORONAVAC,S1,Budi Santoso\n8,2,PFIZER,S1,Sri Wahyuni\n"
            .write(
                toFile: csv, atomically: true, encoding: .utf8)
        let out = setup.folder.path("cards")
        let run = try setup.run([
            "issue", "--csv", csv, "--out-dir", out, "--format", "card", "--dpi", "200", "--jobs",
            "2",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try mode(out + "/000002-7.png") == 0o600)
        #expect(try mode(out + "/000003-8.png") == 0o600)
        let verified = try setup.run(["verify", out])
        #expect(verified.status == 0, "\(verified.stdout) \(verified.stderr)")
    }

    @Test(
        "card options are checked before anything is written",
        arguments: [
            (
                ["--format", "pdf", "--out", "x.png"],
                "--format pdf needs --csv FILE --out-dir DIR."
            ),
            (
                ["--format", "card", "--dpi", "72", "--out", "x.png"],
                "--dpi for cards must be 150 to 1200."
            ),
            (
                ["--lang", "en", "--out", "x.png"],
                "--lang, --name, --site-name and --db are for --format card or pdf."
            ),
            (
                ["--format", "card", "--module-px", "8", "--out", "x.png"],
                "--module-px is for bare QR codes"
            ),
        ])
    func validation(arguments: [String], message: String) throws {
        let setup = try Setup()
        defer { setup.folder.remove() }
        let run = try setup.run(
            ["issue", "--registrant", "7", "--dose", "1", "--vaccine", "CORONAVAC", "--site", "S1"]
                + arguments)
        #expect(run.status == 64)
        #expect(run.stderr.contains(message), "\(run.stderr)")
    }
}
