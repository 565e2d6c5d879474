import Foundation
import Testing

@testable import TicketCodec

/// Version 2 tickets: the version 1 header and fields, signed with Ed25519.
@Suite("Version 2 (Ed25519) tickets")
struct VersionTwoTests {
    let day = Fixtures.date("2021-08-25")

    static var ticket: Ticket {
        var ticket = Fixtures.ticket
        ticket.keyID = Fixtures.ed25519Key.id
        return ticket
    }

    static var binary: [UInt8] {
        Fixtures.make { try TicketSigner(key: Fixtures.ed25519Key).binary(for: ticket) }
    }
    static var text: String { TicketFormat.text(binary: binary) }

    /// Both kinds of key: K1 (HMAC) and K2 (Ed25519).
    static let keyring = Keyring(keys: [Fixtures.key, Fixtures.ed25519Key])

    @Test("an Ed25519 key signs VT2; the ticket verifies and decodes to the same fields")
    func roundTrip() throws {
        let signer = TicketSigner(key: Fixtures.ed25519Key)
        #expect(signer.version == .v2)
        let text = try signer.sign(Self.ticket)
        #expect(text.hasPrefix("VT2:"))
        let result = TicketVerifier(keyring: Self.keyring).verify(text, on: day)
        #expect(result.outcome == .valid)
        #expect(result.ticket == Self.ticket)
        // The HMAC key of the same keyring still signs VT1.
        #expect(try TicketSigner(key: Fixtures.key).sign(Fixtures.ticket).hasPrefix("VT1:"))
        #expect(
            TicketVerifier(keyring: Self.keyring).verify(Fixtures.text, on: day).outcome == .valid)
    }

    @Test("the layout: version 1's header and fields with byte 2, then a 64-byte signature")
    func layout() throws {
        let binary = Self.binary
        let signed = try TicketFormat.signedBytes(of: Self.ticket, version: .v2, vaccines: .builtIn)
        var v1Signed = try TicketFormat.signedBytes(of: Self.ticket, vaccines: .builtIn)
        #expect(binary.count == signed.count + 64)
        #expect(Array(binary.prefix(signed.count)) == signed)
        #expect(binary.first == 2)
        // Only the version byte differs from version 1's signed bytes.
        v1Signed[0] = 2
        #expect(v1Signed == signed)
        let signature = Array(binary.suffix(64))
        #expect(
            TicketSignature.isValid(
                signature, for: signed, publicKey: try #require(Fixtures.ed25519Key.publicKey)))
        // Typical ticket with key K2: 46 - 16 + 64 bytes, 141 Base45 characters and the prefix.
        #expect(binary.count == 94)
        #expect(Self.text.count == 145)
        if Fixtures.deterministicEd25519 {
            #expect(Self.binary == binary)
        }
    }

    @Test("the longest ticket (8-character key id) stays at 168 characters, QR version 9 at ECC Q")
    func largestSize() throws {
        let key = try Key(
            id: "ABCDEFGH", secret: Array(32..<64), created: Fixtures.created, algorithm: .ed25519)
        let ticket = Ticket(
            serial: .max, registrant: "ZZZZZZZZZZZZZZZZZZZZ", dose: 9, vaccine: "ASTRAZENECA",
            group: .adolescent, site: "ZZZZZZZZ", validFrom: Fixtures.date("2199-06-06"),
            validUntil: Fixtures.date("2199-06-06"), keyID: "ABCDEFGH")
        let text = try TicketSigner(key: key).sign(ticket)
        // 182 alphanumeric characters is the capacity of a version 9 symbol at ECC Q.
        // 109 bytes: 54 groups of 3 Base45 characters and 2 for the last byte, and the prefix.
        #expect(text.count == 168)
        #expect(text.count <= 182)
        let alphanumeric = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
        #expect(text.allSatisfy { alphanumeric.contains($0) })
        let result = TicketVerifier(keyring: Keyring(keys: [key])).verify(
            text, on: Fixtures.date("2199-06-06"))
        #expect(result.outcome == .valid)
        #expect(result.ticket == ticket)
    }

    @Test(
        "a key of the wrong algorithm for the ticket's version is refused before any signature check"
    )
    func wrongAlgorithm() throws {
        let verifier = TicketVerifier(keyring: Self.keyring)
        // A VT2 ticket naming K1, an HMAC key: signed with an Ed25519 key that happens to be
        // called K1, or made up.
        let impostor = try Key(
            id: "K1", secret: Array(32..<64), created: Fixtures.created, algorithm: .ed25519)
        let v2 = try TicketSigner(key: impostor).sign(Fixtures.ticket)
        #expect(
            verifier.verify(v2, on: day).outcome
                == .wrongAlgorithm(keyID: "K1", algorithm: .hmacSHA256, version: .v2))
        // A VT1 ticket naming K2, an Ed25519 key, tagged with HMAC under K2's secret.
        let hmacK2 = try Key(id: "K2", secret: Array(32..<64), created: Fixtures.created)
        let v1 = try TicketSigner(key: hmacK2).sign(Self.ticket)
        let result = verifier.verify(v1, on: day)
        #expect(result.outcome == .wrongAlgorithm(keyID: "K2", algorithm: .ed25519, version: .v1))
        #expect(result.code == .wrongAlgorithm)
        #expect(result.ticket == nil)
        #expect(result.message.contains("K2"))
    }

    @Test("a version 2 text around a version 1 binary form, and the reverse, are unknown_version")
    func prefixMustMatchVersionByte() {
        let v1Body = String(Fixtures.text.dropFirst(4))
        let v2Body = String(Self.text.dropFirst(4))
        for text in ["VT2:" + v1Body, "VT1:" + v2Body] {
            guard
                case .malformed(.unknownVersion) = TicketVerifier(keyring: Self.keyring)
                    .verify(text, on: day).outcome
            else {
                Issue.record("\(text.prefix(10)) was not refused as unknown_version")
                continue
            }
        }
        guard
            case .malformed(.unknownVersion("VT3")) = TicketVerifier(keyring: Self.keyring)
                .verify("VT3:" + v2Body, on: day).outcome
        else {
            Issue.record("VT3 was not refused as unknown_version")
            return
        }
    }

    @Test(
        "refusals come in version 1's order: retired, signed after rotation, too long, revoked, dates"
    )
    func refusals() throws {
        var retired = Self.keyring
        try retired.retire(id: "K2", now: Fixtures.created)
        #expect(
            TicketVerifier(keyring: retired).verify(Self.text, on: day).outcome
                == .keyRetired("K2"))
        var rotated = Self.keyring
        // Rotated 2021-08-10, before the ticket's validity begins on 2021-08-23.
        try rotated.rotate(newID: "K3", now: Date(timeIntervalSince1970: 1_628_553_600))
        #expect(rotated.key(id: "K3")?.algorithm == .ed25519)
        #expect(
            TicketVerifier(keyring: rotated).verify(Self.text, on: day).outcome
                == .signedAfterRotation("K2"))
        var short = Self.keyring
        short.maxValidityDays = 10
        #expect(
            TicketVerifier(keyring: short).verify(Self.text, on: day).outcome
                == .validityTooLong(days: 30, limit: 10))
        var revoking = Self.keyring
        try revoking.revoke(Self.ticket.serial, reason: "lost")
        #expect(TicketVerifier(keyring: revoking).verify(Self.text, on: day).outcome == .revoked)
        let verifier = TicketVerifier(keyring: Self.keyring)
        #expect(
            verifier.verify(Self.text, on: Fixtures.date("2021-08-22")).outcome
                == .notYetValid(Fixtures.date("2021-08-23")))
        #expect(
            verifier.verify(Self.text, on: Fixtures.date("2021-09-22")).outcome
                == .expired(Fixtures.date("2021-09-21")))
        #expect(
            TicketVerifier(keyring: Keyring(keys: [Fixtures.key])).verify(Self.text, on: day)
                .outcome == .unknownKey("K2"))
    }

    @Test("another Ed25519 key with the same id is a bad signature")
    func otherKey() throws {
        let other = try Key(
            id: "K2", secret: Array(100..<132), created: Fixtures.created, algorithm: .ed25519)
        #expect(
            TicketVerifier(keyring: Keyring(keys: [other])).verify(Self.text, on: day).outcome
                == .badSignature)
    }

    @Test("every single-character change of the text is rejected")
    func characterChanges() {
        let verifier = TicketVerifier(keyring: Self.keyring)
        let text = Array(Self.text.utf8)
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:a\n".utf8)
        var checked = 0
        for index in text.indices {
            for replacement in alphabet where replacement != text[index] {
                var changed = text
                changed[index] = replacement
                let result = verifier.verify(String(decoding: changed, as: UTF8.self), on: day)
                #expect(!result.isValid, "position \(index) -> \(replacement)")
                checked += 1
            }
        }
        #expect(checked > 6000)
    }

    @Test("every truncation and every single-bit flip is rejected, with no fields returned")
    func truncationsAndBitFlips() {
        let verifier = TicketVerifier(keyring: Self.keyring)
        let text = Self.text
        for length in 0..<text.count {
            let result = verifier.verify(String(text.prefix(length)), on: day)
            #expect(!result.isValid, "length \(length)")
            #expect(result.ticket == nil)
        }
        let binary = Self.binary
        for bit in 0..<(binary.count * 8) {
            var flipped = binary
            flipped[bit / 8] ^= 0x80 >> UInt8(bit % 8)
            let result = verifier.verify(binary: flipped, on: day)
            #expect(!result.isValid, "bit \(bit)")
            #expect(result.ticket == nil)
        }
    }
}

@Suite("Public keyring")
struct PublicKeyringTests {
    let day = Fixtures.date("2021-08-25")

    /// 2021-09-01T00:00:00Z, when K2 replaced K1.
    static let rotation = Date(timeIntervalSince1970: 1_630_454_400)

    /// K1 (HMAC, verify-only since K2), K2 (Ed25519, active), one revocation.
    static func keyring() throws -> Keyring {
        var keyring = Keyring(maxValidityDays: 60)
        try keyring.rotate(newID: "K1", now: Fixtures.created)
        try keyring.rotate(newID: "K2", algorithm: .ed25519, now: rotation)
        try keyring.revoke(0xDEAD_BEEF, reason: "reported lost by Siti", now: Fixtures.created)
        return keyring
    }

    @Test("a keyring's public half: every key with its state and times, no secret, no reason")
    func fromKeyring() throws {
        let keyring = try Self.keyring()
        let publicKeys = PublicKeyring(keyring)
        #expect(publicKeys.keys.map(\.id) == ["K1", "K2"])
        #expect(publicKeys.keys.map(\.algorithm) == [.hmacSHA256, .ed25519])
        #expect(publicKeys.keys.map(\.state) == [.verifyOnly, .active])
        #expect(publicKeys.keys.map(\.stoppedSigning) == [Self.rotation, nil])
        #expect(publicKeys.keys[0].publicKey == nil)
        #expect(publicKeys.keys[1].publicKey == keyring.keys[1].publicKey)
        #expect(publicKeys.revocations == [.init(serial: 0xDEAD_BEEF, revoked: Fixtures.created)])
        #expect(publicKeys.maxValidityDays == 60)

        let json = publicKeys.json()
        let text = String(decoding: json, as: UTF8.self)
        #expect(!text.contains("Siti"))
        #expect(!text.contains("secret"))
        for key in keyring.keys {
            let secret = key.secretBytes
            let encodings = [
                Data(secret).base64EncodedString(),
                Data(secret).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                    .replacingOccurrences(of: "/", with: "_").replacingOccurrences(
                        of: "=", with: ""),
                secret.map { String(format: "%02x", $0) }.joined(),
                secret.map { String(format: "%02X", $0) }.joined(),
            ]
            for encoding in encodings { #expect(!text.contains(encoding), "\(key.id)") }
            #expect(Self.find(secret, in: Array(json)) == false, "\(key.id) raw")
            // No 8-byte run of the secret in any of these forms either.
            for start in stride(from: 0, to: 24, by: 8) {
                let piece = Array(secret[start..<(start + 8)])
                #expect(!text.contains(piece.map { String(format: "%02x", $0) }.joined()))
                #expect(!Self.find(piece, in: Array(json)))
            }
        }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains {
            Array(haystack[$0..<($0 + needle.count)]) == needle
        }
    }

    @Test("the JSON form: its fields, and read back equal")
    func json() throws {
        let publicKeys = PublicKeyring(try Self.keyring())
        let object = try #require(
            try JSONSerialization.jsonObject(with: publicKeys.json()) as? [String: Any])
        #expect(Set(object.keys) == ["format", "keys", "revoked", "maxValidityDays"])
        #expect(object["format"] as? String == "vaxticket-public-keys-1")
        let keys = try #require(object["keys"] as? [[String: Any]])
        #expect(
            Set(keys[0].keys) == ["id", "algorithm", "state", "created", "stoppedSigning"])
        #expect(Set(keys[1].keys) == ["id", "algorithm", "state", "created", "publicKey"])
        #expect(keys[0]["created"] as? String == "2021-08-01T00:00:00Z")
        #expect(keys[1]["algorithm"] as? String == "ed25519")
        let revoked = try #require(object["revoked"] as? [[String: Any]])
        #expect(revoked.first?["serial"] as? String == "00000000DEADBEEF")
        #expect(try PublicKeyring(json: publicKeys.json()) == publicKeys)
        // The same JSON through an encoder with other date and data strategies.
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.dataEncodingStrategy = .deferredToData
        #expect(try PublicKeyring(json: encoder.encode(publicKeys)) == publicKeys)
        let decoded = try JSONDecoder().decode(
            [String: PublicKeyring].self, from: encoder.encode(["bundle": publicKeys]))
        #expect(decoded["bundle"] == publicKeys)
    }

    @Test("verifying with public keys: VT2 as with the keyring, VT1 needs the keyring")
    func verifier() throws {
        let keyring = try Self.keyring()
        let publicKeys = PublicKeyring(keyring)
        let verifier = TicketVerifier(publicKeys: publicKeys)
        #expect(!verifier.holdsSecrets)
        #expect(TicketVerifier(keyring: keyring).holdsSecrets)
        let k2 = try #require(keyring.key(id: "K2"))
        var ticket = Fixtures.ticket
        ticket.keyID = "K2"
        let v2 = try TicketSigner(key: k2).sign(ticket)
        #expect(verifier.verify(v2, on: day).outcome == .valid)
        #expect(verifier.verify(v2, on: day).ticket == ticket)
        var revoked = ticket
        revoked.serial = 0xDEAD_BEEF
        #expect(
            verifier.verify(try TicketSigner(key: k2).sign(revoked), on: day).outcome == .revoked)
        var long = ticket
        long.validUntil = long.validFrom.adding(days: 60)
        #expect(
            verifier.verify(try TicketSigner(key: k2, maxValidityDays: 100).sign(long), on: day)
                .outcome == .validityTooLong(days: 61, limit: 60))

        let k1 = try #require(keyring.key(id: "K1"))
        let v1 = try TicketSigner(key: k1).sign(Fixtures.ticket)
        #expect(verifier.verify(v1, on: day).outcome == .needsKeyring("K1"))
        #expect(verifier.verify(v1, on: day).code == .needsKeyring)
        #expect(verifier.verify(v1, on: day).ticket == nil)
        #expect(TicketVerifier(keyring: keyring).verify(v1, on: day).outcome == .valid)
        var unknown = Fixtures.ticket
        unknown.keyID = "K9"
        let other = try Key(id: "K9", secret: Array(0..<32), created: Fixtures.created)
        #expect(
            verifier.verify(try TicketSigner(key: other).sign(unknown), on: day).outcome
                == .unknownKey("K9"))
        // Extra revocations add to the file's, and to the public keyring the verifier gives out,
        // undated; it reads back the same.
        let extra = TicketVerifier(
            publicKeys: publicKeys, revocations: RevocationList([ticket.serial]))
        #expect(extra.verify(v2, on: day).outcome == .revoked)
        #expect(extra.publicKeys.revocations.last == .init(serial: ticket.serial, revoked: nil))
        #expect(try PublicKeyring(json: extra.publicKeys.json()) == extra.publicKeys)
        #expect(!String(decoding: extra.publicKeys.json(), as: UTF8.self).contains("null"))
        let withKeyring = TicketVerifier(
            keyring: keyring, revocations: RevocationList([ticket.serial, 0xDEAD_BEEF]))
        #expect(
            withKeyring.publicKeys.revocations.map(\.serial) == [0xDEAD_BEEF, ticket.serial])
        #expect(withKeyring.publicKeys.keys == publicKeys.keys)
    }

    /// A public key file's JSON with the given parts.
    static func file(
        format: String = "vaxticket-public-keys-1", keys: [String] = [], revoked: String = "[]",
        maxValidityDays: String? = "90"
    ) -> String {
        "{\"format\": \"\(format)\", \"keys\": [\(keys.joined(separator: ", "))], "
            + "\"revoked\": \(revoked)"
            + (maxValidityDays.map { ", \"maxValidityDays\": \($0)}" } ?? "}")
    }

    /// One key entry: `id`, `algorithm`, `state` and `created` as given, then `extra` fields.
    static func key(
        _ id: String = "K1", _ algorithm: String = "hmac-sha256", state: String = "active",
        created: String = "2021-08-01T00:00:00Z", extra: String = ""
    ) -> String {
        "{\"id\": \"\(id)\", \"algorithm\": \"\(algorithm)\", \"state\": \"\(state)\", "
            + "\"created\": \"\(created)\"\(extra)}"
    }

    @Test(
        "a file that is not a public key file is refused with what is wrong",
        arguments: [
            ("not json", "not JSON"),
            (file(format: "vaxticket-keyring-1"), "unknown format"),
            (file(maxValidityDays: nil), "maxValidityDays is missing"),
            (file(maxValidityDays: "0"), "maxValidityDays must be 1 to 3650"),
            (
                file(keys: [key(extra: ", \"publicKey\": \"AAAA\"")]),
                "HMAC key, which has no public key"
            ),
            (file(keys: [key("K2", "ed25519")]), "needs a publicKey of 32 bytes"),
            (
                file(keys: [key("K2", "ed25519", extra: ", \"publicKey\": \"AAAA\"")]),
                "needs a publicKey of 32 bytes"
            ),
            (file(keys: [key("K2", "rsa")]), "unknown algorithm"),
            (file(keys: [key("k2")]), "is not 1 to 8 digits"),
            (file(keys: [key(state: "verify-only")]), "has no stoppedSigning time"),
            (file(keys: [key(state: "lost")]), "unknown state"),
            (file(keys: [key(created: "yesterday")]), "bad creation time"),
            (file(keys: [key(), key()]), "listed twice"),
            (
                file(revoked: "[{\"serial\": \"XYZ\", \"revoked\": \"2021-08-01T00:00:00Z\"}]"),
                "serial is not 1 to 16 hexadecimal digits"
            ),
            (file(keys: ["3"]), "wrong type at .keys[0]"),
        ])
    func malformed(json: String, reason: String) {
        #expect {
            try PublicKeyring(json: Data(json.utf8), path: "keys.json")
        } throws: { error in
            guard case .malformed(let path, let said) = error as? PublicKeyringError else {
                return false
            }
            return path == "keys.json" && said.contains(reason)
        }
    }

    @Test("saved atomically with mode 0644 and loaded back; missing, folder and oversized files")
    func files() throws {
        let scratch = try Scratch()
        let path = scratch.path("keys.json")
        let publicKeys = PublicKeyring(try Self.keyring())
        try publicKeys.save(to: path)
        #expect(try permissions(path) & 0o777 == 0o644 & ~Self.umask())
        #expect(try PublicKeyring.load(from: path) == publicKeys)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == publicKeys.json())
        // Saved again over itself, nothing is left beside it.
        try publicKeys.save(to: path)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: scratch.url.path) == ["keys.json"])

        let missing = scratch.path("none.json")
        #expect(throws: PublicKeyringError.notFound(missing)) {
            try PublicKeyring.load(from: missing)
        }
        #expect(throws: PublicKeyringError.notARegularFile(scratch.url.path)) {
            try PublicKeyring.load(from: scratch.url.path)
        }
        let large = scratch.path("large.json")
        #expect(FileManager.default.createFile(atPath: large, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: large))
        try handle.truncate(atOffset: UInt64(PublicKeyring.maximumFileSize + 1))
        try handle.close()
        #expect(
            throws: PublicKeyringError.tooLarge(
                path: large, bytes: PublicKeyring.maximumFileSize + 1)
        ) {
            try PublicKeyring.load(from: large)
        }
        #expect {
            try publicKeys.save(to: scratch.path("no-folder/keys.json"))
        } throws: { error in
            guard case .io = error as? PublicKeyringError else { return false }
            return true
        }
    }

    static func umask() -> Int {
        let scratch = try? Scratch()
        guard let path = scratch?.path("probe"),
            FileManager.default.createFile(atPath: path, contents: nil)
        else { return 0o022 }
        // createFile asks for 0666; what is left out is the umask.
        return 0o666 & ~((try? permissions(path)) ?? 0o644)
    }
}

@Suite("Keyring with Ed25519 keys")
struct KeyringAlgorithmTests {
    @Test("rotate keeps the algorithm of the key it replaces unless told; HMAC when there is none")
    func rotation() throws {
        var keyring = Keyring()
        #expect(try keyring.rotate(now: Fixtures.created).algorithm == .hmacSHA256)
        #expect(try keyring.rotate(now: Fixtures.created).algorithm == .hmacSHA256)
        #expect(
            try keyring.rotate(algorithm: .ed25519, now: Fixtures.created).algorithm == .ed25519)
        #expect(try keyring.rotate(now: Fixtures.created).algorithm == .ed25519)
        #expect(
            try keyring.rotate(algorithm: .hmacSHA256, now: Fixtures.created).algorithm
                == .hmacSHA256)
        #expect(
            keyring.keys.map(\.algorithm) == [
                .hmacSHA256, .hmacSHA256, .ed25519, .ed25519, .hmacSHA256,
            ])
        let generated = try Key.generate(id: "E", algorithm: .ed25519)
        #expect(generated.secretBytes.count == 32)
        #expect(generated.publicKey?.count == 32)
        #expect(
            generated.publicKey == TicketSignature.publicKey(privateKey: generated.secretBytes))
        #expect(try Key.generate(id: "E", algorithm: .ed25519).publicKey != generated.publicKey)
    }

    @Test(
        "saved and loaded with algorithms; format 2 once an Ed25519 key is in, format 1 otherwise")
    func roundTrip() throws {
        let scratch = try Scratch()
        let path = scratch.path("keyring.json")
        var keyring = Keyring(note: "both")
        try keyring.rotate(now: Fixtures.created)
        try keyring.save(to: path)
        var file = try String(contentsOfFile: path, encoding: .utf8)
        #expect(file.contains("\"format\" : \"vaxticket-keyring-1\""))
        try keyring.rotate(algorithm: .ed25519, now: Fixtures.created)
        try keyring.save(to: path)
        file = try String(contentsOfFile: path, encoding: .utf8)
        #expect(file.contains("\"format\" : \"vaxticket-keyring-2\""))
        #expect(file.contains("\"algorithm\" : \"ed25519\""))
        #expect(try permissions(path) & 0o777 == 0o600)
        let loaded = try Keyring.load(from: path)
        #expect(loaded == keyring)
        #expect(loaded.keys.map(\.algorithm) == [.hmacSHA256, .ed25519])
        #expect(loaded.keys[1].publicKey == keyring.keys[1].publicKey)
        // Stored as the 32-byte private key, from which the public key is derived again.
        #expect(file.contains(Data(keyring.keys[1].secretBytes).base64EncodedString()))
        #expect(!file.contains(Data(keyring.keys[1].publicKey ?? []).base64EncodedString()))
    }

    @Test("a keyring written before algorithms (no algorithm field) reads as HMAC, as before")
    func oldKeyring() throws {
        let scratch = try Scratch()
        let path = scratch.path("keyring.json")
        let json = """
            {"format": "vaxticket-keyring-1", "keys": [{"created": "2021-08-01T00:00:00Z", \
            "id": "K1", "secret": "\(Data(Array(0..<32)).base64EncodedString())", \
            "state": "active"}]}
            """
        try Keyring.writePrivately(Data(json.utf8), to: path)
        let loaded = try Keyring.load(from: path)
        #expect(loaded == Fixtures.keyring)
        #expect(loaded.keys.first?.algorithm == .hmacSHA256)
        #expect(
            TicketVerifier(keyring: loaded).verify(Fixtures.text, on: Fixtures.date("2021-08-25"))
                .outcome == .valid)
    }

    @Test("a bad Ed25519 secret or an unknown algorithm in the file is refused")
    func badEntries() throws {
        let scratch = try Scratch()
        let path = scratch.path("keyring.json")
        func write(algorithm: String, secretBytes: Int) throws {
            let secret = Data(Array(repeating: UInt8(1), count: secretBytes)).base64EncodedString()
            try Keyring.writePrivately(
                Data(
                    """
                    {"format": "vaxticket-keyring-2", "keys": [{"algorithm": "\(algorithm)", \
                    "created": "2021-08-01T00:00:00Z", "id": "K1", "secret": "\(secret)", \
                    "state": "active"}]}
                    """.utf8), to: path)
        }
        try write(algorithm: "ed25519", secretBytes: 64)
        #expect(throws: KeyringError.badPrivateKey("K1")) { try Keyring.load(from: path) }
        try write(algorithm: "ed448", secretBytes: 32)
        #expect(throws: KeyringError.malformed(path: path, reason: "not keyring JSON")) {
            try Keyring.load(from: path)
        }
        try write(algorithm: "ed25519", secretBytes: 32)
        #expect(try Keyring.load(from: path).keys.first?.algorithm == .ed25519)
    }

    @Test("an Ed25519 secret never appears in descriptions or dumps")
    func secretsHidden() throws {
        let key = Fixtures.ed25519Key
        var dumped = ""
        dump(Keyring(keys: [key]), to: &dumped)
        let base64 = Data(key.secretBytes).base64EncodedString()
        let hex = key.secretBytes.map { String(format: "%02x", $0) }.joined()
        for text in [String(describing: key), String(reflecting: key), dumped] {
            #expect(!text.contains(base64))
            #expect(!text.contains(hex))
            #expect(!text.contains("32, 33, 34"))
            #expect(text.contains("K2"))
        }
        #expect(String(describing: key).contains("ed25519"))
    }
}
