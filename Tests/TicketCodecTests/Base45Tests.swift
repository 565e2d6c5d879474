import Testing

@testable import TicketCodec

@Suite("Base45 (RFC 9285)")
struct Base45Tests {
    @Test(
        "RFC 9285 examples",
        arguments: [
            ("AB", "BB8"), ("Hello!!", "%69 VD92EX0"), ("base-45", "UJCLQE7W581"),
            ("ietf!", "QED8WEX0"),
        ])
    func examples(plain: String, encoded: String) {
        #expect(Base45.encode(Array(plain.utf8)) == encoded)
        #expect(Base45.decode(encoded) == Array(plain.utf8))
    }

    @Test("round trip of every length up to 70")
    func roundTrip() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(Base45.decode(Base45.encode(bytes)) == bytes)
        }
        #expect(Base45.decode(Base45.encode([0xFF, 0xFF])) == [0xFF, 0xFF])
        #expect(Base45.decode(Base45.encode([0xFF])) == [0xFF])
    }

    @Test("invalid input is refused", arguments: ["GGW", "GGW0", "6", "ab8", "BB8=", "FGW"])
    func invalid(text: String) {
        // "GGW" is 65536 (too big for two bytes), "FGW" 65535+... checked below; "6" leaves one character.
        if text == "FGW" {
            #expect(Base45.decode(text) == [0xFF, 0xFF])
        } else {
            #expect(Base45.decode(text) == nil)
        }
    }

    @Test("two-character group over 255 is refused")
    func oddGroupTooBig() {
        #expect(Base45.decode("U5") == [255])
        #expect(Base45.decode("V5") == nil)
    }
}
