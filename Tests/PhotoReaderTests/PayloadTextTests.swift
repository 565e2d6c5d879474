import PhotoReader
import Testing

/// Payload bytes become text only when the encoding is clear.
@Suite("payload text")
struct PayloadTextTests {
    @Test("UTF-8 text, line ends kept exactly")
    func utf8() {
        #expect(PayloadText.decode(Array("Sean Owen\r\nhttp://x".utf8)) == "Sean Owen\r\nhttp://x")
        #expect(PayloadText.decode(Array("Google モバイル".utf8)) == "Google モバイル")
    }

    @Test("Shift-JIS with double-byte characters")
    func shiftJISDoubleByte() {
        // "モバイル" in Shift-JIS.
        let bytes: [UInt8] = [0x83, 0x82, 0x83, 0x6F, 0x83, 0x43, 0x83, 0x8B]
        #expect(PayloadText.decode(bytes) == "モバイル")
    }

    @Test("Shift-JIS with half-width katakana only")
    func shiftJISHalfWidth() {
        // "*ﾃﾞｻﾞｲﾝQR*\r\n" in Shift-JIS: single-byte half-width katakana, no double-byte pair.
        let bytes: [UInt8] = [
            0x2A, 0xC3, 0xDE, 0xBB, 0xDE, 0xB2, 0xDD, 0x51, 0x52, 0x2A, 0x0D, 0x0A,
        ]
        #expect(PayloadText.decode(bytes) == "*ﾃﾞｻﾞｲﾝQR*\r\n")
    }

    @Test("Latin-1 with an isolated accented capital stays Latin-1")
    func latin1() {
        // "Ä la carte" and "Zoë": no run of three katakana-range bytes.
        #expect(PayloadText.decode([0xC4, 0x20, 0x6C, 0x61]) == "Ä la")
        #expect(PayloadText.decode([0x5A, 0x6F, 0xEB]) == "Zoë")
    }

    @Test("binary bytes are not text")
    func binary() {
        #expect(PayloadText.decode([0x00, 0x01, 0x02, 0xFF]) == nil)
    }
}
