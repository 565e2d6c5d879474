import Foundation

/// Turns raw QR payload bytes into text where that is unambiguous.
public enum PayloadText {
    /// The payload as text: as UTF-8 when it is valid UTF-8; converted from Shift-JIS when it
    /// decodes as Shift-JIS and holds at least one double-byte character or a word of three or
    /// more half-width katakana (as zxing guesses); from Latin-1 when
    /// every byte is a printable Latin-1 character or common whitespace; otherwise `nil`.
    public static func decode(_ bytes: [UInt8]) -> String? {
        if let utf8 = String(validating: bytes, as: UTF8.self) { return utf8 }
        if looksLikeShiftJIS(bytes), let text = String(data: Data(bytes), encoding: .shiftJIS) {
            return text
        }
        let printableLatin1 = bytes.allSatisfy { byte in
            byte == 0x09 || byte == 0x0A || byte == 0x0D || (0x20...0x7E).contains(byte)
                || byte >= 0xA0
        }
        if printableLatin1 { return String(data: Data(bytes), encoding: .isoLatin1) }
        return nil
    }

    /// Whether every non-ASCII byte starts a valid Shift-JIS double-byte pair (or is a
    /// half-width katakana), and at least one pair or a run of three half-width katakana is
    /// present (Latin-1 text seldom has three accented capitals or signs in a row).
    private static func looksLikeShiftJIS(_ bytes: [UInt8]) -> Bool {
        var index = 0
        var pairs = 0
        var katakanaRun = 0
        var longestKatakanaRun = 0
        while index < bytes.count {
            let lead = bytes[index]
            if (0xA1...0xDF).contains(lead) {
                katakanaRun += 1
                longestKatakanaRun = max(longestKatakanaRun, katakanaRun)
                index += 1
                continue
            }
            katakanaRun = 0
            if lead < 0x80 {
                if lead < 0x20 && lead != 0x09 && lead != 0x0A && lead != 0x0D { return false }
                index += 1
            } else if (0x81...0x9F).contains(lead) || (0xE0...0xFC).contains(lead) {
                guard index + 1 < bytes.count else { return false }
                let trail = bytes[index + 1]
                guard (0x40...0x7E).contains(trail) || (0x80...0xFC).contains(trail) else {
                    return false
                }
                pairs += 1
                index += 2
            } else {
                return false
            }
        }
        return pairs > 0 || longestKatakanaRun >= 3
    }
}
