import Foundation
import Imaging
import JPEGCodec
import PNGCodec
import TestSupport
import Testing

/// The folder of the golden vectors, reached from this file.
private let vectorsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("samples/vectors")

private func jsonLines(_ text: String) throws -> [[String: Any]] {
    try text.split(separator: "\n").map { line in
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }
}

private func mode(_ path: String) throws -> Int {
    try
        ((FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?
        .intValue ?? -1) & 0o777
}

/// A temporary folder with a fresh keyring in it.
private struct KeyringFolder {
    let folder: TemporaryFolder
    var keyring: String { folder.path("keyring.json") }
    var environment: [String: String] { ["VAXTICKET_KEYRING": keyring] }

    init() throws {
        folder = try TemporaryFolder()
        let made = try runVaxticket(["keys", "new", "--keyring", keyring])
        #expect(made.status == 0, "\(made.stderr)")
    }

    func run(_ arguments: [String]) throws -> CommandResult {
        try runVaxticket(arguments, environment: environment, currentDirectory: folder.url)
    }
}

@Suite("vaxticket keys, issue, verify and revoke")
struct TicketCommandTests {
    @Test("keys: mode 0600, list without secrets, rotate and retire, too-open keyring refused")
    func keys() throws {
        let setup = try KeyringFolder()
        defer { setup.folder.remove() }
        #expect(try mode(setup.keyring) == 0o600)
        #expect(try setup.run(["keys", "new"]).status != 0)
        #expect(
            try setup.run(["keys", "rotate"]).stdout.contains(
                "K2 is now the active key; K1 verifies only"))
        #expect(try setup.run(["keys", "retire", "K1"]).status == 0)
        let listed = try setup.run(["keys", "list", "--json"])
        #expect(listed.status == 0)
        let keys = try jsonLines(listed.stdout)
        #expect(keys.map { $0["id"] as? String } == ["K1", "K2"])
        #expect(keys.map { $0["state"] as? String } == ["retired", "active"])
        #expect(keys.allSatisfy { Set($0.keys) == ["id", "state", "created", "algorithm"] })
        #expect(keys.allSatisfy { $0["algorithm"] as? String == "hmac-sha256" })
        // No secret from the file shows up in any output.
        let file = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: setup.keyring))) as? [String: Any])
        let secrets = try #require(file["keys"] as? [[String: Any]]).compactMap {
            $0["secret"] as? String
        }
        #expect(secrets.count == 2)
        for secret in secrets {
            #expect(!listed.stdout.contains(secret) && !listed.stderr.contains(secret))
        }
        #expect(try mode(setup.keyring) == 0o600)

        try FileManager.default.setAttributes(
            [.posixPermissions: 0o644], ofItemAtPath: setup.keyring)
        let refused = try setup.run(["keys", "list"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("too open"))
        #expect(refused.stderr.contains("chmod 600"))
    }

    @Test("issue one ticket, verify it on several days, then revoke it")
    func issueVerifyRevoke() throws {
        let setup = try KeyringFolder()
        defer { setup.folder.remove() }
        let png = setup.folder.path("ticket.png")
        let issued = try setup.run([
            "issue", "--registrant", "2108230000012345", "--dose", "1", "--vaccine", "CORONAVAC",
            "--site", "BDG001",
            "--valid-from", "2021-08-23", "--out", png, "--json", "--dpi", "300",
        ])
        #expect(issued.status == 0, "\(issued.stderr)")
        let info = try #require(try jsonLines(issued.stdout).first)
        let serial = try #require(info["serial"] as? String)
        #expect(serial.count == 16)
        let version = try #require(info["qrVersion"] as? Int)
        #expect(version <= 5)
        #expect(info["validUntil"] as? String == "2021-09-21")
        let sentence = try setup.run([
            "issue", "--registrant", "7", "--dose", "2", "--vaccine", "PFIZER", "--site", "S1",
            "--out",
            setup.folder.path("b.png"),
        ])
        #expect(sentence.stdout.contains("QR version"))

        let valid = try setup.run(["verify", "--json", "--at", "2021-09-21", png])
        #expect(valid.status == 0, "\(valid.stderr)")
        let object = try #require(try jsonLines(valid.stdout).first)
        #expect(object["status"] as? String == "valid")
        #expect(object["code"] as? String == "valid")
        #expect(object["serial"] as? String == serial)
        #expect(object["registrant"] as? String == "2108230000012345")
        #expect(object["file"] as? String == png)
        #expect(valid.stderr.contains("valid 1"))

        let expired = try setup.run(["verify", "--json", "--at", "2021-09-22T00:30:00+07:00", png])
        #expect(expired.status == 1)
        #expect(try jsonLines(expired.stdout).first?["code"] as? String == "expired")
        #expect(try jsonLines(expired.stdout).first?["serial"] as? String == serial)
        // 2021-09-21T17:30Z is already the 22nd in Jakarta, but still the 21st in UTC.
        #expect(try setup.run(["verify", "--at", "2021-09-21T17:30:00Z", png]).status == 1)
        #expect(
            try setup.run(["verify", "--at", "2021-09-21T17:30:00Z", "--time-zone", "UTC", png])
                .status == 0)

        #expect(try setup.run(["revoke", serial, "--reason", "reported lost"]).status == 0)
        let revoked = try setup.run(["verify", "--json", "--at", "2021-08-25", png])
        #expect(revoked.status == 1)
        #expect(try jsonLines(revoked.stdout).first?["code"] as? String == "revoked")
        #expect(try setup.run(["revoke", "not-hex"]).status == 64)
    }

    @Test("the --keyring flag wins over VAXTICKET_KEYRING; a missing keyring is a clear error")
    func keyringPath() throws {
        let setup = try KeyringFolder()
        defer { setup.folder.remove() }
        let other = setup.folder.path("other.json")
        let result = try runVaxticket(
            ["keys", "list", "--keyring", other], environment: setup.environment)
        #expect(result.status != 0)
        #expect(result.stderr.contains("no keyring at \(other)"))
        #expect(
            try runVaxticket(["keys", "list"], environment: setup.environment).stdout.hasPrefix(
                "K1\tactive"))
    }

    @Test(
        "issue 19 item 4: a manifest that cannot be written is an error, never a batch reported as issued"
    )
    func manifestWriteError() throws {
        let setup = try KeyringFolder()
        defer { setup.folder.remove() }
        let csv = setup.folder.path("registrants.csv")
        try
            ("registrant,dose,vaccine,site\n"
            + (1...300).map { "21082300000\(String(format: "%05d", $0)),1,CORONAVAC,BDG001\n" }
            .joined()).write(toFile: csv, atomically: true, encoding: .utf8)
        let out = setup.folder.path("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        // Given a manifest whose writes fail (a full disk), when the batch is issued, then the
        // command fails and says which file, rather than reporting rows it could not record.
        try FileManager.default.createSymbolicLink(
            atPath: out + "/manifest.csv", withDestinationPath: "/dev/full")
        let result = try setup.run([
            "issue", "--csv", csv, "--out-dir", out, "--format", "text", "--force",
            "--at", "2021-08-23",
        ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot write \(out)/manifest.csv"), "\(result.stderr)")
        #expect(!result.stderr.contains("issued 300 tickets"))
    }

    @Test("issue --csv: PNGs and manifest, bad rows by line number, re-runs skip issued rows")
    func batch() throws {
        let setup = try KeyringFolder()
        defer { setup.folder.remove() }
        let csv = setup.folder.path("registrants.csv")
        try """
        registrant,dose,vaccine,site,group,valid_from,valid_until
        2108230000000001,1,CORONAVAC,BDG001,HEALTHWORKER,2021-08-23,2021-09-21
        2108230000000002,1,ASPIRIN,BDG001
        2108230000000003,2,PFIZER,BDG002,,2021-08-23,
        bad ref,1,PFIZER,BDG002
        2108230000000005,1,MODERNA,BDG003

        """.write(toFile: csv, atomically: true, encoding: .utf8)
        let out = setup.folder.path("out")
        let first = try setup.run([
            "issue", "--csv", csv, "--out-dir", out, "--jobs", "2", "--at", "2021-08-23",
        ])
        #expect(first.status == 1)
        #expect(first.stderr.contains("line 3: unknown vaccine \"ASPIRIN\""))
        #expect(first.stderr.contains("line 5: registrant \"bad ref\""))
        let manifest = try String(contentsOfFile: out + "/manifest.csv", encoding: .utf8).split(
            separator: "\n")
        #expect(manifest.first == "row,registrant,serial,file")
        #expect(manifest.dropFirst().map { $0.split(separator: ",")[0] } == ["2", "4", "6"])
        #expect(manifest.dropFirst().allSatisfy { $0.hasSuffix(".png") })

        let verified = try setup.run([
            "verify", "--json", "--at", "2021-08-24", "--report", setup.folder.path("report.csv"),
            out,
        ])
        #expect(verified.status == 0, "\(verified.stderr)")
        let objects = try jsonLines(verified.stdout)
        #expect(objects.count == 3)
        let serials = Set(manifest.dropFirst().map { String($0.split(separator: ",")[2]) })
        #expect(Set(objects.compactMap { $0["serial"] as? String }) == serials)
        let report = try String(contentsOfFile: setup.folder.path("report.csv"), encoding: .utf8)
            .split(separator: "\n")
        #expect(report.count == 4)
        #expect(report.first?.hasPrefix("file,status,code,message,serial") == true)

        let second = try setup.run(["issue", "--csv", csv, "--out-dir", out, "--at", "2021-08-23"])
        #expect(second.stderr.contains("issued 0 tickets"))
        #expect(second.stderr.contains("skipped 3"))
        let forced = try setup.run([
            "issue", "--csv", csv, "--out-dir", out, "--force", "--at", "2021-08-23",
        ])
        #expect(forced.stderr.contains("issued 3 tickets"))
        let reissued = try String(contentsOfFile: out + "/manifest.csv", encoding: .utf8).split(
            separator: "\n")
        #expect(reissued.count == 4)
        #expect(
            Set(reissued.dropFirst().map { String($0.split(separator: ",")[2]) }).isDisjoint(
                with: serials))

        let texts = setup.folder.path("texts")
        #expect(
            try setup.run(["issue", "--csv", csv, "--out-dir", texts, "--format", "text"]).status
                == 1)
        let lines = try String(contentsOfFile: texts + "/tickets.txt", encoding: .utf8).split(
            separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.allSatisfy { $0.hasPrefix("VT1:") })
    }

    @Test("verify: an image without a code is unreadable, another QR is malformed, exit 1")
    func unreadable() throws {
        let setup = try KeyringFolder()
        defer { setup.folder.remove() }
        let blank = setup.folder.path("a-blank.png")
        try Data(PNG.encode(GrayImage(width: 64, height: 64))).write(
            to: URL(fileURLWithPath: blank))
        let other = setup.folder.path("b-other.png")
        #expect(try setup.run(["qr", "HELLO", "--out", other]).status == 0)
        let result = try setup.run(["verify", "--json", blank, other])
        #expect(result.status == 1)
        let objects = try jsonLines(result.stdout)
        #expect(objects.map { $0["status"] as? String } == ["unreadable", "invalid"])
        #expect(objects.map { $0["code"] as? String } == ["no_code", "malformed"])
        #expect(objects.last?["reason"] as? String == "not_a_ticket")
        #expect(objects.last?["serial"] == nil)
        #expect(result.stderr.contains("malformed 1"))
        #expect(result.stderr.contains("no_code 1"))
    }

    @Test("a ticket survives issue, PNG, JPEG at quality 40 and verify")
    func jpeg() throws {
        let setup = try KeyringFolder()
        defer { setup.folder.remove() }
        let png = setup.folder.path("ticket.png")
        let issued = try setup.run([
            "issue", "--registrant", "2108230000012345", "--dose", "2", "--vaccine", "ASTRAZENECA",
            "--site", "BDG001", "--group",
            "ELDERLY", "--out", png, "--json",
        ])
        let serial = try #require(try jsonLines(issued.stdout).first?["serial"] as? String)
        let gray = try PNG.decode(
            Array(try Data(contentsOf: URL(fileURLWithPath: png))), maxPixels: 10_000_000)
        let jpeg = try JPEGEncoder().encode(gray, quality: 40)
        let jpegPath = setup.folder.path("ticket.jpg")
        try Data(jpeg).write(to: URL(fileURLWithPath: jpegPath))
        let result = try setup.run(["verify", "--json", jpegPath])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try jsonLines(result.stdout).first)
        #expect(object["serial"] as? String == serial)
        #expect(object["group"] as? String == "ELDERLY")
    }

    @Test("every golden vector's PNG verifies to its expected code")
    func vectors() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: vectorsFolder.path).filter {
            $0.hasSuffix(".json")
        }
        .sorted()
        #expect(names.count >= 14)
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        for name in names {
            let vector = try #require(
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: vectorsFolder.appendingPathComponent(name)))
                    as? [String: Any])
            let expected = try #require(vector["expected"] as? [String: Any])
            let clock = try #require(vector["clock"] as? [String: String])
            // A keyring (mode 0600) and revocation list exactly as the vector gives them.
            let caseFolder = folder.url.appendingPathComponent(name)
            try FileManager.default.createDirectory(
                at: caseFolder, withIntermediateDirectories: true)
            let entries = try #require(vector["keyring"] as? [[String: String]])
            let keys = entries.map { entry in
                [
                    "id": entry["id"]!, "state": entry["state"]!, "created": entry["created"]!,
                    "algorithm": entry["algorithm"] ?? "hmac-sha256",
                    "secret": Data(
                        stride(from: 0, to: entry["secret_hex"]!.count, by: 2).map { offset in
                            let start = entry["secret_hex"]!.index(
                                entry["secret_hex"]!.startIndex, offsetBy: offset)
                            return UInt8(
                                entry["secret_hex"]![
                                    start..<entry["secret_hex"]!.index(start, offsetBy: 2)],
                                radix: 16)!
                        }
                    ).base64EncodedString(),
                ]
            }
            let keyring = caseFolder.appendingPathComponent("keyring.json").path
            let ed25519 = entries.contains { $0["algorithm"] == "ed25519" }
            let keyringData = try JSONSerialization.data(withJSONObject: [
                "format": ed25519 ? "vaxticket-keyring-2" : "vaxticket-keyring-1", "keys": keys,
            ])
            #expect(
                FileManager.default.createFile(
                    atPath: keyring, contents: keyringData, attributes: [.posixPermissions: 0o600]))
            let revoked = try #require(vector["revoked"] as? [String]).map { $0 + "\n" }.joined()
            try revoked.write(
                toFile: caseFolder.appendingPathComponent("revoked.txt").path, atomically: true,
                encoding: .utf8)

            let png = vectorsFolder.appendingPathComponent(try #require(vector["png"] as? String))
                .path
            let result = try runVaxticket([
                "verify", "--json", "--keyring", keyring, "--at", clock["at"]!, "--time-zone",
                clock["time_zone"]!, png,
            ])
            let object = try #require(
                try jsonLines(result.stdout).first, "\(name): \(result.stderr)")
            #expect(object["code"] as? String == expected["code"] as? String, "\(name)")
            #expect(result.status == (expected["code"] as? String == "valid" ? 0 : 1), "\(name)")
            if let fields = vector["ticket"] as? [String: Any],
                expected["signature"] as? Bool == true
            {
                #expect(object["serial"] as? String == fields["serial"] as? String, "\(name)")
                #expect(
                    object["registrant"] as? String == fields["registrant"] as? String, "\(name)")
            }
            // The same PNG with only the keyring's public keys, and no keyring anywhere.
            if let withPublicKeys = vector["expected_with_public_keys"] as? [String: String] {
                // revoked.txt beside the keyring goes into the file too.
                let publicKeys = caseFolder.appendingPathComponent("keys.json").path
                let exported = try runVaxticket([
                    "keys", "export-public", "--keyring", keyring, "--out", publicKeys,
                ])
                #expect(exported.status == 0, "\(name): \(exported.stderr)")
                let checked = try runVaxticket(
                    [
                        "verify", "--json", "--public-keys", publicKeys, "--at", clock["at"]!,
                        "--time-zone", clock["time_zone"]!, png,
                    ], environment: ["VAXTICKET_KEYRING": "/nonexistent/keyring.json"])
                let line = try #require(
                    try jsonLines(checked.stdout).first, "\(name): \(checked.stderr)")
                #expect(line["code"] as? String == withPublicKeys["code"], "\(name)")
            }
        }
    }
}
