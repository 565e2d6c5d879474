import Crypto
import Testing

@testable import TicketCodec

@Suite("HMAC-SHA256 against RFC 4231")
struct HMACTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var key: [UInt8]
        var data: [UInt8]
        var mac: String
        var testDescription: String { name }
    }

    static let vectors: [Vector] = [
        Vector(
            name: "4.2 case 1", key: [UInt8](repeating: 0x0B, count: 20),
            data: Array("Hi There".utf8),
            mac: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        Vector(
            name: "4.3 case 2", key: Array("Jefe".utf8),
            data: Array("what do ya want for nothing?".utf8),
            mac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        Vector(
            name: "4.4 case 3", key: [UInt8](repeating: 0xAA, count: 20),
            data: [UInt8](repeating: 0xDD, count: 50),
            mac: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        Vector(
            name: "4.5 case 4", key: Array(1...25), data: [UInt8](repeating: 0xCD, count: 50),
            mac: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        Vector(
            name: "4.7 case 6", key: [UInt8](repeating: 0xAA, count: 131),
            data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            mac: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        Vector(
            name: "4.8 case 7", key: [UInt8](repeating: 0xAA, count: 131),
            data: Array(
                "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."
                    .utf8),
            mac: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ]

    @Test("full MAC matches", arguments: vectors)
    func fullMAC(vector: Vector) {
        #expect(
            TicketTag.fullMAC(vector.data, key: SymmetricKey(data: vector.key))
                == Fixtures.hex(vector.mac))
    }

    @Test("the ticket tag is the MAC's first 16 bytes", arguments: vectors)
    func truncated(vector: Vector) {
        let key = SymmetricKey(data: vector.key)
        let expected = Array(Fixtures.hex(vector.mac).prefix(16))
        #expect(TicketTag.tag(vector.data, key: key) == expected)
        #expect(TicketTag.isValid(expected, for: vector.data, key: key))
    }

    @Test("4.6 case 5: truncation to 128 bits")
    func case5() {
        let key = SymmetricKey(data: [UInt8](repeating: 0x0C, count: 20))
        let data = Array("Test With Truncation".utf8)
        let expected = Fixtures.hex("a3b6167473100ee06e0c796c2955552b")
        #expect(TicketTag.tag(data, key: key) == expected)
        #expect(TicketTag.isValid(expected, for: data, key: key))
        var wrong = expected
        wrong[15] ^= 1
        #expect(!TicketTag.isValid(wrong, for: data, key: key))
        #expect(!TicketTag.isValid(expected.prefix(15), for: data, key: key))
    }

    @Test("constant-time comparison")
    func comparison() {
        #expect(TicketTag.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!TicketTag.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!TicketTag.constantTimeEqual([0, 2, 3], [1, 2, 3]))
        #expect(!TicketTag.constantTimeEqual([1, 2], [1, 2, 3]))
        #expect(TicketTag.constantTimeEqual([], []))
    }
}
