import Testing

@testable import TicketCodec

@Suite("Ed25519 against RFC 8032")
struct Ed25519Tests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var secret: String
        var publicKey: String
        var message: String
        var signature: String
        var testDescription: String { name }
    }

    /// RFC 8032 section 7.1, tests 1 to 3.
    static let vectors: [Vector] = [
        Vector(
            name: "7.1 test 1 (empty message)",
            secret: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            message: "",
            signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                + "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
        Vector(
            name: "7.1 test 2 (one byte)",
            secret: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            message: "72",
            signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                + "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
        Vector(
            name: "7.1 test 3 (two bytes)",
            secret: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            publicKey: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            message: "af82",
            signature: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
                + "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
    ]

    @Test("the public key is derived from the secret", arguments: vectors)
    func publicKey(vector: Vector) throws {
        #expect(
            TicketSignature.publicKey(privateKey: Fixtures.hex(vector.secret))
                == Fixtures.hex(vector.publicKey))
        let key = try Key(
            id: "RFC", secret: Fixtures.hex(vector.secret), created: Fixtures.created,
            algorithm: .ed25519)
        #expect(key.publicKey == Fixtures.hex(vector.publicKey))
    }

    @Test("signatures are the RFC's, byte for byte (deterministic)", arguments: vectors)
    func signature(vector: Vector) {
        let message = Fixtures.hex(vector.message)
        let secret = Fixtures.hex(vector.secret)
        let signature = TicketSignature.sign(message, privateKey: secret)
        #expect(
            signature.map {
                TicketSignature.isValid($0, for: message, publicKey: Fixtures.hex(vector.publicKey))
            } == true)
        if Fixtures.deterministicEd25519 {
            #expect(signature == Fixtures.hex(vector.signature))
        }
    }

    @Test(
        "the RFC's signature verifies; any flipped bit, other message or key does not",
        arguments: vectors)
    func verification(vector: Vector) {
        let message = Fixtures.hex(vector.message)
        let publicKey = Fixtures.hex(vector.publicKey)
        let signature = Fixtures.hex(vector.signature)
        #expect(TicketSignature.isValid(signature, for: message, publicKey: publicKey))
        for bit in 0..<(signature.count * 8) {
            var flipped = signature
            flipped[bit / 8] ^= 0x80 >> UInt8(bit % 8)
            #expect(
                !TicketSignature.isValid(flipped, for: message, publicKey: publicKey), "bit \(bit)")
        }
        #expect(!TicketSignature.isValid(signature, for: message + [0], publicKey: publicKey))
        #expect(!TicketSignature.isValid(signature.dropLast(), for: message, publicKey: publicKey))
        #expect(!TicketSignature.isValid(signature + [0], for: message, publicKey: publicKey))
        let other = Self.vectors.first { $0.name != vector.name }.map {
            Fixtures.hex($0.publicKey)
        }
        #expect(!TicketSignature.isValid(signature, for: message, publicKey: other ?? []))
        #expect(
            !TicketSignature.isValid(
                signature, for: message, publicKey: Array(publicKey.prefix(31))))
    }

    @Test("an Ed25519 key's secret must be exactly 32 bytes", arguments: [0, 16, 31, 33, 64])
    func secretLength(count: Int) {
        #expect(throws: KeyringError.badPrivateKey("K1")) {
            try Key(
                id: "K1", secret: Array(repeating: 7, count: count), created: Fixtures.created,
                algorithm: .ed25519)
        }
    }
}
