import Foundation
import TestSupport
import Testing

/// The promises of the toolkit core, checked through the built binary: `verify` and `record`
/// answer alike for the same image, and every JSON line uses camelCase keys.
@Suite("one core under every command")
struct ToolkitCoreTests {
    /// A folder with a keyring, a valid ticket, a forged one, an expired one, a photo without a
    /// code and a corrupt file.
    struct Photos {
        let folder: TemporaryFolder
        var keyring: String { folder.path("keyring.json") }
        var photos: String { folder.path("photos") }

        init() throws {
            folder = try TemporaryFolder()
            try FileManager.default.createDirectory(
                atPath: folder.path("photos"), withIntermediateDirectories: true)
            try #require(try runVaxticket(["keys", "new", "--keyring", keyring]).status == 0)
            try #require(
                try runVaxticket(["keys", "new", "--keyring", folder.path("other.json")]).status
                    == 0)
            let common = [
                "--registrant", "R1", "--dose", "1", "--vaccine", "CORONAVAC", "--site", "JKT01",
            ]
            try #require(
                try runVaxticket(
                    ["issue"] + common + [
                        "--keyring", keyring, "--valid-from", "2021-08-01", "--valid-until",
                        "2021-10-29", "--out",
                        folder.path("photos/a-valid.png"),
                    ]
                ).status == 0)
            try #require(
                try runVaxticket(
                    ["issue"] + common + [
                        "--keyring", folder.path("other.json"), "--valid-from", "2021-08-01",
                        "--valid-until", "2021-10-29",
                        "--out", folder.path("photos/b-forged.png"),
                    ]
                ).status == 0)
            try #require(
                try runVaxticket(
                    ["issue"] + [
                        "--registrant", "R2", "--dose", "1", "--vaccine", "CORONAVAC", "--site",
                        "JKT01", "--keyring", keyring,
                        "--valid-from", "2021-07-01", "--valid-until", "2021-07-31", "--out",
                        folder.path("photos/c-expired.png"),
                    ]
                ).status == 0)
            try #require(
                try runVaxticket(["qr", "not a ticket", "--out", folder.path("plain.png")]).status
                    == 0)
            // A photo without a code: the plain code's PNG with its image data cut out is corrupt; a
            // white image holds no code.
            let plain = try Data(contentsOf: URL(fileURLWithPath: folder.path("plain.png")))
            try plain.prefix(plain.count / 2).write(
                to: URL(fileURLWithPath: folder.path("photos/d-corrupt.png")))
            try #require(
                try runVaxticket([
                    "simulate-photo", folder.path("plain.png"), "--out-dir", folder.path("sim"),
                    "--kind", "blur", "--strength",
                    "40",
                ]).status == 0)
            let simulated = try #require(
                try FileManager.default.contentsOfDirectory(atPath: folder.path("sim")).first)
            try FileManager.default.copyItem(
                atPath: folder.path("sim/\(simulated)"), toPath: folder.path("photos/e-nocode.jpg"))
        }
    }

    static func lines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test(
        "verify --json and record --json give the same code and message for each image that is refused"
    )
    func sameAnswers() throws {
        let photos = try Photos()
        defer { photos.folder.remove() }
        let at = ["--at", "2021-08-23T09:00:00+07:00"]

        let verify = try runVaxticket(
            ["verify", "--json", "--keyring", photos.keyring, photos.photos] + at)
        let record = try runVaxticket(
            [
                "record", "--json", "--keyring", photos.keyring, "--db",
                photos.folder.path("d.sqlite"), "--officer", "OFC1",
                photos.photos,
            ] + at)

        let verified = try Self.lines(verify.stdout)
        let recorded = try Self.lines(record.stdout)
        #expect(verified.count == 5)
        #expect(recorded.count == 5)
        #expect(
            verified.map { $0["code"] as? String } == [
                "valid", "bad_signature", "expired", "corrupt_image", "no_code",
            ])
        #expect(
            recorded.map { $0["outcome"] as? String } == [
                "recorded", "bad_signature", "expired", "corrupt_image", "no_code",
            ])
        for (v, r) in zip(verified, recorded) where v["status"] as? String != "valid" {
            #expect(v["file"] as? String == r["file"] as? String)
            #expect(v["code"] as? String == r["outcome"] as? String)
            #expect(v["message"] as? String == r["message"] as? String)
        }
        #expect(verify.status == 1)
        #expect(record.status == 1)
    }

    @Test("every key of every JSON line of scan, verify, record, stats and issue is camelCase")
    func camelCaseEverywhere() throws {
        let photos = try Photos()
        defer { photos.folder.remove() }
        let db = photos.folder.path("d.sqlite")
        try "registrant,dose,vaccine,site\nR7,1,CORONAVAC,JKT01\n".write(
            toFile: photos.folder.path("r.csv"), atomically: true, encoding: .utf8)
        let outputs = try [
            runVaxticket(["scan", "--json", photos.photos]),
            runVaxticket(["verify", "--json", "--keyring", photos.keyring, photos.photos]),
            runVaxticket([
                "record", "--json", "--keyring", photos.keyring, "--db", db, "--officer", "OFC1",
                photos.photos,
            ]),
            runVaxticket(["stats", "--json", "--db", db]),
            runVaxticket(["stats", "--json", "--by", "day", "--db", db]),
            runVaxticket([
                "issue", "--json", "--keyring", photos.keyring, "--registrant", "R9", "--dose", "1",
                "--vaccine", "CORONAVAC",
                "--site", "JKT01", "--out", photos.folder.path("t.png"),
            ]),
            runVaxticket([
                "issue", "--json", "--keyring", photos.keyring, "--csv",
                photos.folder.path("r.csv"), "--out-dir",
                photos.folder.path("batch"),
            ]),
            runVaxticket(["keys", "list", "--json", "--keyring", photos.keyring]),
        ]
        for output in outputs {
            let objects = try Self.lines(output.stdout)
            #expect(!objects.isEmpty, "no JSON in \(output.stderr)")
            for object in objects {
                for key in allKeys(object) {
                    #expect(
                        key.first?.isLowercase == true
                            && key.allSatisfy { $0.isLetter || $0.isNumber },
                        "\(key) is not camelCase"
                    )
                }
            }
        }
    }

    /// Every key, nested ones included; maps keyed by data (`byDose`, `scans`, `refusals`) count by their own name only.
    func allKeys(_ object: Any) -> [String] {
        if let array = object as? [Any] { return array.flatMap(allKeys) }
        guard let dictionary = object as? [String: Any] else { return [] }
        return dictionary.flatMap { key, value in
            [key] + (["byDose", "scans", "refusals"].contains(key) ? [] : allKeys(value))
        }
    }
}
