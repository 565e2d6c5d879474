import Foundation
import Testing

@testable import TicketCodec

#if canImport(Glibc)
    import Glibc
#endif

/// Regression tests for issue 20 items 4, 6 and 8 that live in TicketCodec: text from other
/// systems, names, loopback hosts and the keyring's lock file, named after the items.
@Suite("Issue 20 hardening: outside text, names, loopback hosts, the keyring lock")
struct Issue20Tests {
    // MARK: Item 6: text from outside

    @Test(
        "issue 20 item 6: escape sequences, control characters and bidirectional controls from a registry are stripped",
        arguments: [
            // Clear screen and cursor home, then a fake message.
            ("\u{1B}[2J\u{1B}[HAll doses accepted", "All doses accepted"),
            // Colours around a word.
            ("\u{1B}[1;31mrefused\u{1B}[0m: bad NIK", "refused: bad NIK"),
            // An OSC 8 hyperlink, ended by ST (ESC \) and by BEL.
            (
                "see \u{1B}]8;;https://evil.example/\u{1B}\\the registry\u{1B}]8;;\u{1B}\\ now",
                "see the registry now"
            ),
            ("see \u{1B}]8;;https://evil.example/\u{07}here\u{1B}]8;;\u{07}", "see here"),
            // A window title.
            ("\u{1B}]0;vaxticket: all synced\u{07}refused", "refused"),
            // The carriage return that would overwrite the start of the line.
            ("Patient not found\rOK: dose stored     ", "Patient not found OK: dose stored"),
            // A right-to-left override that turns "exe.pdf" around, and the other bidi controls.
            ("invoice\u{202E}fdp.exe", "invoicefdp.exe"),
            ("a\u{2066}b\u{2069}c\u{200F}d\u{061C}e\u{202A}f\u{202C}", "abcdef"),
            // Zero-width characters, DEL, C0 and C1 controls, the one-byte CSI and OSC.
            ("a\u{200B}b\u{FEFF}c\u{7F}d\u{07}e\u{85}f", "abcde f"),
            ("\u{9B}31mred\u{9B}0m \u{9D}0;title\u{9C}text", "red text"),
            // A DCS string, a charset designation (ESC ( B) and a two-character escape (ESC c).
            ("\u{1B}Pq#0;2;0;0;0\u{1B}\\x\u{1B}(By\u{1B}cz", "xyz"),
            // An unterminated OSC hides nothing but itself and what follows it.
            ("kept \u{1B}]8;;https://evil.example/ never shown", "kept"),
            // Line breaks and tabs become one space each run.
            ("line one\n\n\tline two", "line one line two"),
            // An ESC before an ordinary letter outside 0x30-0x7E is dropped alone.
            ("a\u{1B}\u{E9}b", "a\u{E9}b"),
            // Ordinary text, accents and scripts pass as they are.
            ("Nguyễn Thị: pasien tidak ditemukan", "Nguyễn Thị: pasien tidak ditemukan"),
            ("المريض غير موجود", "المريض غير موجود"),
        ])
    func item6Sanitized(input: String, expected: String) {
        let cleaned = FreeText.sanitized(input)
        #expect(cleaned == expected)
        #expect(
            !cleaned.unicodeScalars.contains { FreeText.isControl($0) || FreeText.isFormat($0) })
    }

    @Test("issue 20 item 6: text from outside is cut in scalars, and stacks of marks thinned")
    func item6SanitizedBounds() {
        let huge = String(repeating: "x", count: 5_000_000)
        let cut = FreeText.sanitized(huge)
        #expect(cut.unicodeScalars.count == FreeText.outsideTextLimit + 1)
        #expect(cut.hasSuffix("…"))
        #expect(FreeText.sanitized("short", limit: 5) == "short")
        #expect(FreeText.sanitized("longer", limit: 5) == "longe…")
        // One grapheme of a thousand marks cannot slip past a limit counted in characters.
        let zalgo = "Z" + String(repeating: "\u{0301}", count: 1000) + "algo"
        #expect(FreeText.sanitized(zalgo) == "Z" + String(repeating: "\u{0301}", count: 4) + "algo")
        #expect(FreeText.sanitized("") == "")
        #expect(FreeText.sanitized("\u{1B}[2J") == "")
    }

    // MARK: Item 6: names

    @Test(
        "issue 20 item 6: real names in Latin, Vietnamese, Arabic and Javanese script are accepted, in NFC",
        arguments: [
            "Nguyễn Thị Minh Khai", "Siti Nurhaliza", "Zoë", "Budi Santoso", "I Gusti Ayu Made",
            "Raden Ajeng Kartini", "O'Brien-Sastrowardoyo", "Trần Hưng Đạo", "محمد عبد الله",
            "مُحَمَّد", "ꦱꦶꦠꦶ ꦫꦃꦩꦮꦠꦶ", "ꦏꦿꦺꦴꦁ", "สมชาย", "Ngô Bảo Châu", "José María Núñez",
        ])
    func item6RealNames(name: String) throws {
        let checked = try FreeText.name(name)
        #expect(checked == name.precomposedStringWithCanonicalMapping)
        // The same name typed with decomposed accents comes out the same.
        #expect(try FreeText.name(name.decomposedStringWithCanonicalMapping) == checked)
    }

    @Test("issue 20 item 6: a decomposed Vietnamese name is stored precomposed (NFC)")
    func item6NFC() throws {
        let decomposed = "Nguye\u{302}\u{303}n Thi\u{323}"
        let checked = try FreeText.name(decomposed)
        #expect(checked == "Nguy\u{1EC5}n Th\u{1ECB}")
        #expect(checked.unicodeScalars.count == 10)
        #expect(decomposed.unicodeScalars.count == 13)
    }

    @Test(
        "issue 20 item 6: bidirectional overrides, isolates and marks in a name are refused",
        arguments: [
            0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E,
            0x200F, 0x061C,
        ] as [UInt32])
    func item6BidiRefused(value: UInt32) throws {
        let scalar = try #require(Unicode.Scalar(value))
        let name = "Siti \(scalar)Rahma"
        #expect(throws: NameError.bidirectionalControl(value)) { try FreeText.name(name) }
        #expect(NameError.bidirectionalControl(value).description.contains("reorders"))
        // Quoted in an error message, it is escaped, never printed raw.
        #expect(!FreeText.excerpt(name).unicodeScalars.contains(scalar))
    }

    @Test(
        "issue 20 item 6: zero-width characters and other invisible characters in a name are refused",
        arguments: [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x180E, 0x00AD, 0xE0041] as [UInt32])
    func item6InvisibleRefused(value: UInt32) throws {
        let scalar = try #require(Unicode.Scalar(value))
        #expect(throws: NameError.invisibleCharacter(value)) { try FreeText.name("Bu\(scalar)di") }
        #expect(FreeText.problem(in: "note \(scalar)") != nil)
    }

    @Test("issue 20 item 6: control characters, private use, marks and lengths in a name")
    func item6NameRules() throws {
        #expect(throws: NameError.controlCharacter(0x1B)) { try FreeText.name("a\u{1B}[2Jb") }
        #expect(throws: NameError.controlCharacter(0x0D)) { try FreeText.name("Siti\rBudi") }
        #expect(throws: NameError.controlCharacter(0x2028)) { try FreeText.name("a\u{2028}b") }
        #expect(throws: NameError.privateUseCharacter(0xE000)) { try FreeText.name("a\u{E000}") }
        #expect(throws: NameError.leadingMark(0x0301)) { try FreeText.name("\u{0301}Ana") }
        // Four marks on one letter pass (Javanese needs them), five do not.
        let four = "q" + String(repeating: "\u{0307}", count: 4)
        #expect(try FreeText.name(four) == four)
        #expect(throws: NameError.tooManyMarks) { try FreeText.name(four + "\u{0307}") }
        // Zalgo text; quoted in a message, the marks beyond four are escaped.
        #expect(throws: NameError.tooManyMarks) {
            try FreeText.name("Z\u{0351}\u{0352}\u{0357}\u{035B}\u{0363}\u{0364}algo")
        }
        let zalgo = "Z" + String(repeating: "\u{0351}", count: 10) + "a"
        #expect(
            FreeText.excerpt(zalgo)
                == "Z" + String(repeating: "\u{0351}", count: 4)
                + String(repeating: "\\u{0351}", count: 6) + "a")
        // 100 characters pass, 101 do not.
        let hundred = String(repeating: "a", count: FreeText.maximumNameCharacters)
        #expect(try FreeText.name(hundred) == hundred)
        #expect(throws: NameError.tooLong) { try FreeText.name(hundred + "a") }
        // Length in scalars: 67 letters with two marks each that NFC cannot compose are only
        // 67 characters but 201 scalars.
        let marked = String(repeating: "q\u{0303}\u{0307}", count: 67)
        #expect(marked.count == 67)
        #expect(throws: NameError.tooManyScalars) { try FreeText.name(marked) }
        #expect(try FreeText.name(String(marked.unicodeScalars.dropLast(3))).count == 66)
        // Hangul leading jamo: 201 scalars in one character.
        let jamo = String(repeating: "\u{1100}", count: 201)
        #expect(jamo.count == 1)
        #expect(throws: NameError.tooManyScalars) { try FreeText.name(jamo) }
        // A 5 MB name is refused before it is normalised.
        #expect(throws: NameError.tooManyScalars) {
            try FreeText.name(String(repeating: "a", count: 5_000_000))
        }
        #expect(NameError.tooManyScalars.description.contains("200"))
        #expect(
            NameError.bidirectionalControl(0x202E).description.contains(
                "U+202E RIGHT-TO-LEFT OVERRIDE"))
    }

    @Test("issue 20 item 6: docs/security.md states the limits the code uses")
    func item6DocumentedLimits() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/security.md").path
        let doc = try String(contentsOfFile: path, encoding: .utf8)
        for row in [
            "| a name's length | \(FreeText.maximumNameCharacters) characters and "
                + "\(FreeText.maximumNameScalars) Unicode code points |",
            "| combining marks on one letter | \(FreeText.maximumMarksPerLetter) (",
            "printed or stored | \(FreeText.outsideTextLimit) code points (the token endpoint's 200) |",
            "| \(FreeText.maximumLength) characters, no control or invisible characters |",
            "| a value quoted in an error message | \(FreeText.excerptLimit) code points, escaped |",
        ] {
            #expect(doc.contains(row), "\(row)")
        }
    }

    // MARK: Item 4: loopback hosts

    @Test(
        "issue 20 item 4: only localhost, 127.0.0.0/8 and ::1 count as loopback",
        arguments: [
            ("localhost", true), ("LOCALHOST", true), ("localhost.", true), ("127.0.0.1", true),
            ("127.1.2.3", true), ("127.255.255.254", true), ("::1", true), ("[::1]", true),
            ("0:0:0:0:0:0:0:1", true), ("0000::0001", true),
            ("127.0.0.1.nip.io", false), ("localhost.example", false), ("128.0.0.1", false),
            ("10.0.0.1", false), ("0.0.0.0", false), ("127.1", false), ("127.0.0.256", false),
            ("::", false), ("::2", false), ("::ffff:127.0.0.1", false), ("fe80::1", false),
            ("1::1::1", false), ("registry.example", false), ("", false), ("[::1", false),
        ])
    func item4Loopback(host: String, loopback: Bool) {
        #expect(NetworkHost.isLoopback(host) == loopback)
    }

    // MARK: Item 8: the keyring's lock file

    @Test(
        "issue 20 item 8: a lock file group or others may open is refused, and the keyring is left as it was"
    )
    func item8OpenLock() throws {
        let scratch = try Scratch()
        let path = scratch.path("keyring.json")
        try Fixtures.keyring.save(to: path)
        let lock = path + ".lock"
        for mode in [0o666, 0o644, 0o640, 0o604] {
            try? FileManager.default.removeItem(atPath: lock)
            #expect(FileManager.default.createFile(atPath: lock, contents: nil))
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: lock)
            #expect(
                throws: KeyringError.untrustedLock(
                    path: lock,
                    reason: "may be opened by group or others (mode \(String(mode, radix: 8)))")
            ) {
                try Keyring.update(at: path) { (ring: inout Keyring) throws(KeyringError) in
                    try ring.revoke(7, reason: nil)
                }
            }
        }
        #expect(try Keyring.load(from: path).revocations.isEmpty)
        let message = KeyringError.untrustedLock(path: lock, reason: "x").description
        #expect(message.contains("remove it") && message.contains("0600"))
        // Removed, it is made again with mode 0600 and the update goes through.
        try FileManager.default.removeItem(atPath: lock)
        try Keyring.update(at: path) { (ring: inout Keyring) throws(KeyringError) in
            try ring.revoke(7, reason: nil)
        }
        #expect(try permissions(lock) & 0o777 == 0o600)
        #expect(try Keyring.load(from: path).revocations.map(\.serial) == [7])
    }

    @Test("issue 20 item 8: a lock file that is a symbolic link or a folder is refused")
    func item8LinkedLock() throws {
        let scratch = try Scratch()
        let path = scratch.path("keyring.json")
        try Fixtures.keyring.save(to: path)
        let lock = path + ".lock"
        // A link to a file of ours, and a dangling link that would create a file elsewhere.
        let elsewhere = scratch.path("elsewhere")
        for target in [path, elsewhere] {
            try FileManager.default.createSymbolicLink(atPath: lock, withDestinationPath: target)
            #expect(
                throws: KeyringError.untrustedLock(
                    path: lock, reason: "is a symbolic link to \(target)")
            ) {
                try Keyring.update(at: path) { (ring: inout Keyring) throws(KeyringError) in
                    ring.note = "changed"
                }
            }
            try FileManager.default.removeItem(atPath: lock)
        }
        #expect(!FileManager.default.fileExists(atPath: elsewhere))
        try FileManager.default.createDirectory(atPath: lock, withIntermediateDirectories: false)
        #expect(throws: KeyringError.self) {
            try Keyring.update(at: path) { (ring: inout Keyring) throws(KeyringError) in
                ring.note = "changed"
            }
        }
        #expect(try Keyring.load(from: path).note == Fixtures.keyring.note)
    }

    @Test(
        "issue 20 item 8: a lock file another user owns is refused, even with mode 0600",
        .enabled(if: geteuid() == 0, "needs root to give the file to another user"))
    func item8ForeignLock() throws {
        let scratch = try Scratch()
        let path = scratch.path("keyring.json")
        try Fixtures.keyring.save(to: path)
        let lock = path + ".lock"
        #expect(FileManager.default.createFile(atPath: lock, contents: nil))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: lock)
        try FileManager.default.setAttributes(
            [.ownerAccountID: 65534, .groupOwnerAccountID: 65534], ofItemAtPath: lock)
        #expect(
            throws: KeyringError.untrustedLock(
                path: lock, reason: "belongs to user 65534, not to you (\(geteuid()))")
        ) {
            try Keyring.update(at: path) { (ring: inout Keyring) throws(KeyringError) in
                try ring.rotate(newID: "K9")
            }
        }
        #expect(try Keyring.load(from: path).keys.count == 1)
    }
}
