import Foundation
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

private func jsonLines(_ text: String) throws -> [[String: Any]] {
    try text.split(separator: "\n").map { line in
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }
}

/// Every secret of the keyring at `path`, as the bytes it stands for.
private func secrets(ofKeyringAt path: String) throws -> [Data] {
    let file = try #require(
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
            as? [String: Any])
    return try #require(file["keys"] as? [[String: Any]]).map { entry in
        Data(base64Encoded: entry["secret"] as? String ?? "") ?? Data()
    }
}

/// Checks that no secret is in `bytes`: raw, in Base64 (standard and URL-safe) or in hex.
private func expectNoSecret(_ secrets: [Data], in bytes: Data) {
    let text = String(decoding: bytes, as: UTF8.self)
    for secret in secrets {
        #expect(secret.count >= 16)
        let base64 = secret.base64EncodedString()
        let urlSafe = base64.replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let hex = secret.map { String(format: "%02x", $0) }.joined()
        #expect(bytes.range(of: secret) == nil)
        #expect(!text.contains(base64) && !text.contains(urlSafe))
        #expect(!text.lowercased().contains(hex))
        // Not even half of it, in any of those forms.
        let half = secret.prefix(secret.count / 2)
        #expect(bytes.range(of: half) == nil)
        #expect(!text.lowercased().contains(half.map { String(format: "%02x", $0) }.joined()))
    }
}

/// A folder with a keyring, and an empty folder beside it that has none.
private struct Station {
    let folder: TemporaryFolder
    let elsewhere: TemporaryFolder
    var keyring: String { folder.path("keyring.json") }

    init(_ newArguments: [String]) throws {
        folder = try TemporaryFolder()
        elsewhere = try TemporaryFolder()
        let made = try runVaxticket(["keys", "new", "--keyring", keyring] + newArguments)
        try #require(made.status == 0, "\(made.stderr)")
    }

    func run(_ arguments: [String], stdin: String? = nil) throws -> CommandResult {
        try runVaxticket(
            arguments, environment: ["VAXTICKET_KEYRING": keyring],
            currentDirectory: folder.url, stdin: stdin)
    }

    /// Runs in the folder without a keyring, with the environment naming none that exists.
    func runWithoutKeyring(_ arguments: [String]) throws -> CommandResult {
        try runVaxticket(
            arguments,
            environment: ["VAXTICKET_KEYRING": elsewhere.path("no-keyring.json")],
            currentDirectory: elsewhere.url)
    }

    func remove() {
        folder.remove()
        elsewhere.remove()
    }
}

@Suite("public-key (VT2) tickets through the command line")
struct PublicKeyCommandTests {
    static let issueOne = [
        "issue", "--registrant", "2108230000012345", "--dose", "1", "--vaccine", "CORONAVAC",
        "--site", "BDG001", "--valid-from", "2021-08-23",
    ]

    @Test(
        "an Ed25519 keyring: issue, verify, export-public, verify --public-keys with no keyring, record"
    )
    func ed25519Station() throws {
        let station = try Station(["--algorithm", "ed25519"])
        defer { station.remove() }
        let listed = try station.run(["keys", "list", "--json"])
        let key = try #require(try jsonLines(listed.stdout).first)
        #expect(key["algorithm"] as? String == "ed25519")
        #expect((key["publicKey"] as? String).flatMap { Data(base64Encoded: $0) }?.count == 32)
        #expect(try station.run(["keys", "list"]).stdout.contains("\tactive\t"))
        #expect(try station.run(["keys", "list"]).stdout.hasSuffix("\ted25519\n"))

        // One ticket as a PNG: version 8 at ECC Q, 145 characters.
        let png = station.folder.path("ticket.png")
        let issued = try station.run(Self.issueOne + ["--out", png, "--json"])
        #expect(issued.status == 0, "\(issued.stderr)")
        let info = try #require(try jsonLines(issued.stdout).first)
        #expect((info["text"] as? String)?.hasPrefix("VT2:") == true)
        #expect(info["qrVersion"] as? Int == 8)
        #expect(info["modules"] as? Int == 49)
        #expect(info["characters"] as? Int == 145)
        let serial = try #require(info["serial"] as? String)

        // A batch as texts.
        var csv = "registrant,dose,vaccine,site,group,valid_from,valid_until\n"
        for index in 0..<5 { csv += "R\(index),1,CORONAVAC,JKT01,GENERAL,2021-08-01,2021-08-30\n" }
        try csv.write(toFile: station.folder.path("rows.csv"), atomically: true, encoding: .utf8)
        let batch = try station.run([
            "issue", "--csv", "rows.csv", "--out-dir", "out", "--format", "text",
        ])
        #expect(batch.status == 0, "\(batch.stderr)")
        let texts = station.folder.path("out/tickets.txt")
        let lines = try String(contentsOfFile: texts, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines.allSatisfy { $0.hasPrefix("VT2:") })

        // A card and a sheet of cards.
        let card = station.folder.path("card.png")
        let carded = try station.run(
            Self.issueOne + ["--format", "card", "--name", "Siti Rahmawati", "--out", card])
        #expect(carded.status == 0, "\(carded.stderr)")
        let cardVerified = try station.run(["verify", "--json", "--at", "2021-08-24", card])
        #expect(try jsonLines(cardVerified.stdout).first?["code"] as? String == "valid")
        let sheets = try station.run([
            "issue", "--csv", "rows.csv", "--out-dir", "sheets", "--format", "pdf",
        ])
        #expect(sheets.status == 0, "\(sheets.stderr)")
        #expect(FileManager.default.fileExists(atPath: station.folder.path("sheets/tickets.pdf")))

        // With the keyring.
        let withKeyring = try station.run(["verify", "--at", "2021-08-24", png])
        #expect(withKeyring.status == 0, "\(withKeyring.stderr)")
        #expect(withKeyring.stdout.contains("VALID"))

        // The public key file: mode 0644 (less the umask), no secret in any form.
        let publicKeys = station.elsewhere.path("keys.json")
        let exported = try station.run(["keys", "export-public", "--out", publicKeys])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stdout.contains("1 key (1 with a public key), 0 revocations"))
        let mode =
            (try FileManager.default.attributesOfItem(atPath: publicKeys)[.posixPermissions]
            as? NSNumber)?.intValue ?? 0
        #expect(mode & 0o600 == 0o600 && mode & 0o022 == 0 && mode & 0o111 == 0)
        let exportedBytes = try Data(contentsOf: URL(fileURLWithPath: publicKeys))
        expectNoSecret(try secrets(ofKeyringAt: station.keyring), in: exportedBytes)
        #expect(String(decoding: exportedBytes, as: UTF8.self).contains("vaxticket-public-keys-1"))
        #expect(!String(decoding: exportedBytes, as: UTF8.self).contains("secret"))

        // Where no keyring exists at all: the PNG, and the texts with their line numbers.
        #expect(!FileManager.default.fileExists(atPath: station.elsewhere.path("no-keyring.json")))
        let alone = try station.runWithoutKeyring([
            "verify", "--json", "--public-keys", publicKeys, "--at", "2021-08-24", png,
        ])
        #expect(alone.status == 0, "\(alone.stderr)")
        let line = try #require(try jsonLines(alone.stdout).first)
        #expect(line["code"] as? String == "valid")
        #expect(line["serial"] as? String == serial)
        #expect(line["line"] == nil)
        let payloads = try station.runWithoutKeyring([
            "verify", "--json", "--public-keys", publicKeys, "--at", "2021-08-24",
            "--payloads", texts,
        ])
        #expect(payloads.status == 0, "\(payloads.stderr)")
        let verified = try jsonLines(payloads.stdout)
        #expect(verified.map { $0["code"] as? String } == Array(repeating: "valid", count: 5))
        #expect(verified.map { $0["line"] as? Int } == [1, 2, 3, 4, 5])
        #expect(verified.map { $0["registrant"] as? String } == ["R0", "R1", "R2", "R3", "R4"])
        #expect(payloads.stderr.contains("5 tickets in 5 lines: valid 5"))
        // Without --public-keys the same command needs the keyring, which is not there.
        let refused = try station.runWithoutKeyring(["verify", "--at", "2021-08-24", png])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("no keyring"))

        // Record: the keyring's station records each ticket once.
        let recorded = try station.run([
            "record", "--payloads", texts, "--db", "doses.sqlite", "--officer", "OFC1", "--at",
            "2021-08-24T09:00:00", "--json",
        ])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        #expect(
            try jsonLines(recorded.stdout).map { $0["outcome"] as? String }
                == Array(repeating: "recorded", count: 5))
        let again = try station.run([
            "record", "--payloads", texts, "--db", "doses.sqlite", "--officer", "OFC1", "--at",
            "2021-08-24T09:05:00", "--json",
        ])
        #expect(
            try jsonLines(again.stdout).map { $0["outcome"] as? String }
                == Array(repeating: "already_recorded", count: 5))
        let photo = try station.run([
            "record", png, "--db", "doses.sqlite", "--officer", "OFC1", "--at",
            "2021-08-24T09:10:00", "--json",
        ])
        #expect(try jsonLines(photo.stdout).first?["outcome"] as? String == "recorded")

        // A revocation reaches the public key file the next time it is exported.
        #expect(try station.run(["revoke", serial, "--reason", "lost by Siti"]).status == 0)
        #expect(try station.run(["keys", "export-public", "--out", publicKeys]).status == 0)
        #expect(
            !String(decoding: try Data(contentsOf: URL(fileURLWithPath: publicKeys)), as: UTF8.self)
                .contains("Siti"))
        let revoked = try station.runWithoutKeyring([
            "verify", "--json", "--public-keys", publicKeys, "--at", "2021-08-24", png,
        ])
        #expect(revoked.status == 1)
        #expect(try jsonLines(revoked.stdout).first?["code"] as? String == "revoked")
    }

    @Test(
        "HMAC then Ed25519 in one keyring: VT1 needs the keyring, VT2 does not; the HMAC secret is never exported"
    )
    func mixedKeyring() throws {
        let station = try Station([])
        defer { station.remove() }
        let v1 = station.folder.path("v1.png")
        #expect(try station.run(Self.issueOne + ["--out", v1]).stdout.contains("QR version 5"))
        let rotated = try station.run(["keys", "rotate", "--algorithm", "ed25519"])
        #expect(
            rotated.stdout.contains(
                "K2 is now the active key; K1 verifies only; K2 signs with ed25519"))
        // A rotation keeps the algorithm of the key it replaces.
        let kept = try station.run(["keys", "rotate"])
        #expect(
            kept.stdout.contains(
                "K3 is now the active key; K2 verifies only; K3 signs with ed25519"))
        let v2 = station.folder.path("v2.png")
        #expect(try station.run(Self.issueOne + ["--out", v2]).stdout.contains("QR version 8"))
        let keyringText = try String(contentsOfFile: station.keyring, encoding: .utf8)
        #expect(keyringText.contains("vaxticket-keyring-2"))

        let publicKeys = station.folder.path("keys.json")
        #expect(try station.run(["keys", "export-public", "--out", publicKeys]).status == 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: publicKeys))
        expectNoSecret(try secrets(ofKeyringAt: station.keyring), in: bytes)
        let object = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
        let keys = try #require(object["keys"] as? [[String: Any]])
        #expect(keys.map { $0["algorithm"] as? String } == ["hmac-sha256", "ed25519", "ed25519"])
        #expect(keys.map { $0["publicKey"] != nil } == [false, true, true])
        #expect(keys.map { $0["state"] as? String } == ["verify-only", "verify-only", "active"])

        let both = try station.run(["verify", "--json", "--at", "2021-08-24", v1, v2])
        #expect(both.status == 0, "\(both.stderr)")
        let withPublicKeys = try station.runWithoutKeyring([
            "verify", "--json", "--public-keys", publicKeys, "--at", "2021-08-24", v1, v2,
        ])
        #expect(withPublicKeys.status == 1)
        let codes = try jsonLines(withPublicKeys.stdout).map { $0["code"] as? String }
        #expect(codes == ["needs_keyring", "valid"])
        #expect(withPublicKeys.stdout.contains("only be checked with the keyring"))
        // --keyring and --public-keys together are refused.
        #expect(
            try station.run([
                "verify", "--public-keys", publicKeys, "--keyring", station.keyring, v1,
            ]).status == 64)
    }

    @Test("serve with an Ed25519 keyring records a VT2 ticket sent as text or as a photo, once")
    func serve() async throws {
        let station = try Station(["--algorithm", "ed25519"])
        defer { station.remove() }
        let environment = [
            "VAXTICKET_DB": station.folder.path("doses.sqlite"),
            "VAXTICKET_KEYRING": station.keyring,
        ]
        // Valid from today: the server judges the day by its clock.
        func issue(_ registrant: String, _ out: String) throws -> String? {
            let issued = try runVaxticket(
                [
                    "issue", "--registrant", registrant, "--dose", "1", "--vaccine", "CORONAVAC",
                    "--site", "BDG001", "--out", out, "--json",
                ], environment: environment)
            return try jsonLines(issued.stdout).first?["text"] as? String
        }
        let text = try #require(try issue("2108230000099999", station.folder.path("ticket.png")))
        #expect(text.hasPrefix("VT2:"))
        let other = station.folder.path("other.png")
        #expect(try issue("2108230000088888", other)?.hasPrefix("VT2:") == true)
        let added = try runVaxticket(["officers", "add", "Budi"], environment: environment)
        let token = try #require(added.stdout.split(separator: "\n").last.map(String.init))

        let process = Process()
        process.executableURL = vaxticketBinary
        process.arguments = ["serve", "--port", "0"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        let base = line.replacingOccurrences(of: "listening on ", with: "").trimmingCharacters(
            in: .whitespacesAndNewlines)
        let url = try #require(URL(string: base + "api/v1/scans?lot=LOT1"))

        func scan(_ body: Data, type: String) async throws -> String? {
            var request = URLRequest(url: url)
            request.httpMethod = "POST"
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            request.setValue(type, forHTTPHeaderField: "Content-Type")
            request.httpBody = body
            let (data, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            return object?["outcome"] as? String
        }
        #expect(try await scan(Data(text.utf8), type: "text/plain") == "recorded")
        #expect(try await scan(Data(text.utf8), type: "text/plain") == "already_recorded")
        let photo = try Data(contentsOf: URL(fileURLWithPath: other))
        #expect(try await scan(photo, type: "image/png") == "recorded")
        var forged = Array(text.utf8)
        forged[forged.count - 2] = forged[forged.count - 2] == UInt8(ascii: "A") ? 66 : 65
        #expect(try await scan(Data(forged), type: "text/plain") == "bad_signature")
        process.terminate()
        process.waitUntilExit()
    }

    @Test("a missing, folder or malformed public key file is a clear error")
    func badPublicKeyFiles() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let png = folder.path("x.png")
        #expect(try runVaxticket(["qr", "VT2:X50", "--out", png]).status == 0)
        try Data("{\"format\": \"vaxticket-keyring-1\"}".utf8).write(
            to: URL(fileURLWithPath: folder.path("keyring-like.json")))
        for (file, message) in [
            (folder.path("none.json"), "no public key file at"),
            (folder.url.path, "is not a regular file"),
            (folder.path("keyring-like.json"), "unknown format"),
        ] {
            let result = try runVaxticket(["verify", "--public-keys", file, png])
            #expect(result.status == 1, "\(file)")
            #expect(result.stderr.contains(message), "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }
}
