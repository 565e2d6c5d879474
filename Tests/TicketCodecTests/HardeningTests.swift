import Foundation
import Testing

@testable import TicketCodec

/// Regression tests for issue 9 items 4 to 6 (keys and revocation), named after the items.
@Suite("Issue 9 hardening: keys and revocation")
struct KeyHardeningTests {
    /// A ticket of `key` valid from `from` for `days` days.
    private func text(_ key: Key, from: String, days: Int = 30, limit: Int = 90) throws -> String {
        var ticket = Fixtures.ticket
        ticket.keyID = key.id
        ticket.validFrom = Fixtures.date(from)
        ticket.validUntil = Fixtures.date(from).adding(days: days - 1)
        return try TicketSigner(key: key, maxValidityDays: limit).sign(ticket)
    }

    @Test(
        "issue 9 item 4: after keys rotate, a ticket of the old key whose validity starts after the rotation is refused"
    )
    func item4SignedAfterRotation() throws {
        var keyring = Keyring()
        let old = try keyring.rotate(now: Fixtures.created)
        // Rotated on 2021-09-01 at 10:00 Jakarta time.
        let rotation = Date(timeIntervalSince1970: 1_630_465_200)
        try keyring.rotate(now: rotation)
        let demoted = try #require(keyring.key(id: old.id))
        #expect(demoted.stoppedSigning == rotation)
        let verifier = TicketVerifier(keyring: keyring)

        // Signed before the rotation: still valid.
        #expect(
            verifier.verify(try text(old, from: "2021-08-23"), on: Fixtures.date("2021-09-10"))
                .outcome == .valid)
        #expect(
            verifier.verify(try text(old, from: "2021-09-01"), on: Fixtures.date("2021-09-10"))
                .outcome == .valid)
        // Signed with the old key after it stopped signing.
        #expect(
            verifier.verify(try text(old, from: "2021-09-02"), on: Fixtures.date("2021-09-10"))
                .outcome
                == .signedAfterRotation(old.id))
        // The new key signs as before.
        let new = try #require(keyring.activeKey)
        #expect(
            verifier.verify(try text(new, from: "2021-09-02"), on: Fixtures.date("2021-09-10"))
                .outcome == .valid)

        // The stop time survives the file, and a keyring written before it was kept infers it
        // from the next key's creation.
        let scratch = try Scratch()
        let path = scratch.path("keyring.json")
        try keyring.save(to: path)
        #expect(try Keyring.load(from: path).key(id: old.id)?.stoppedSigning == rotation)
        var json = try String(contentsOfFile: path, encoding: .utf8)
        json = json.split(separator: "\n").filter { !$0.contains("stoppedSigning") }.joined(
            separator: "\n")
        json = json.replacingOccurrences(
            of: "\"state\" : \"verify-only\",", with: "\"state\" : \"verify-only\"")
        try Keyring.writePrivately(Data(json.utf8), to: path)
        #expect(try Keyring.load(from: path).key(id: old.id)?.stoppedSigning == rotation)
    }

    @Test(
        "issue 9 item 4: a ticket's validity is capped (default 90 days) at issue and at verification"
    )
    func item4ValidityCap() throws {
        let key = Fixtures.key
        #expect(throws: TicketError.validityTooLong(days: 91, limit: 90)) {
            try text(key, from: "2021-08-23", days: 91)
        }
        #expect(throws: Never.self) { try text(key, from: "2021-08-23", days: 90) }
        // 2020 to 2199, signed by a careless or hostile issuer with no cap.
        var forever = Fixtures.ticket
        forever.validFrom = Fixtures.date("2020-01-01")
        forever.validUntil = Fixtures.date("2199-06-06")
        let long = try TicketSigner(key: key, maxValidityDays: Int.max).sign(forever)
        let days = Fixtures.date("2020-01-01").days(to: Fixtures.date("2199-06-06")) + 1
        #expect(
            TicketVerifier(keyring: Keyring(keys: [key])).verify(
                long, on: Fixtures.date("2021-08-23")
            ).outcome
                == .validityTooLong(days: days, limit: 90))
        // The cap is the programme's setting, kept in the keyring.
        #expect(
            TicketVerifier(keyring: Keyring(keys: [key], maxValidityDays: 365)).verify(
                try text(key, from: "2021-08-23", days: 200, limit: 365),
                on: Fixtures.date("2021-08-24")
            ).outcome == .valid)
        let scratch = try Scratch()
        let path = scratch.path("keyring.json")
        try Keyring(keys: [key], maxValidityDays: 120).save(to: path)
        #expect(try Keyring.load(from: path).maxValidityDays == 120)
    }

    @Test(
        "issue 9 item 5: revocations live in the 0600 keyring; deleting or editing revoked.txt cannot undo them"
    )
    func item5RevocationsInKeyring() throws {
        let scratch = try Scratch()
        let path = scratch.path("keyring.json")
        try Fixtures.keyring.save(to: path)
        try Keyring.update(at: path) { (ring: inout Keyring) throws(KeyringError) in
            try ring.revoke(Fixtures.ticket.serial, reason: "reported lost")
        }
        let loaded = try Keyring.load(from: path)
        #expect(loaded.revocations.map(\.serial) == [Fixtures.ticket.serial])
        #expect(loaded.revocations.first?.reason == "reported lost")
        #expect(try permissions(path) & 0o777 == 0o600)
        // No revoked.txt at all, or an empty world-writable one: still revoked.
        let legacy = Keyring.revocationPath(forKeyringAt: path)
        #expect(!FileManager.default.fileExists(atPath: legacy))
        let day = Fixtures.date("2021-08-25")
        #expect(TicketVerifier(keyring: loaded).verify(Fixtures.text, on: day).outcome == .revoked)
        try Data().write(to: URL(fileURLWithPath: legacy))
        #expect(
            TicketVerifier(keyring: loaded, revocations: try RevocationList.load(from: legacy))
                .verify(Fixtures.text, on: day)
                .outcome == .revoked)
    }

    @Test(
        "issue 9 item 5: control characters in a revocation reason are refused, and free text is checked everywhere"
    )
    func item5ControlCharacters() throws {
        var ring = Fixtures.keyring
        for reason in [
            "lost\rphone", "lost\nphone", "tab\there", "\u{1B}[2Jclear", "line\u{2028}sep",
        ] {
            #expect(throws: KeyringError.self) { try ring.revoke(42, reason: reason) }
            #expect(FreeText.problem(in: reason) != nil)
        }
        #expect(ring.revocations.isEmpty)
        #expect(FreeText.problem(in: String(repeating: "a", count: 201)) != nil)
        #expect(FreeText.problem(in: "Siti Rahma, lost phone (reported 23/8)") == nil)
        #expect(FreeText.excerpt(String(repeating: "x", count: 5_000_000)).count < 300)
        #expect(FreeText.escaped("a\rb\u{1B}") == "a\\rb\\u{1B}")
    }

    @Test("issue 9 item 6: a symlinked keyring is refused with a message that names its target")
    func item6SymlinkedKeyring() throws {
        let scratch = try Scratch()
        let real = scratch.path("real.json")
        try Fixtures.keyring.save(to: real)
        let link = scratch.path("keyring.json")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        #expect(throws: KeyringError.symbolicLink(path: link, target: real)) {
            try Keyring.load(from: link)
        }
        #expect(
            KeyringError.symbolicLink(path: link, target: real).description.contains(
                "--keyring \(real)"))
        // A folder is not a keyring either.
        try FileManager.default.createDirectory(
            atPath: scratch.path("folder.json"), withIntermediateDirectories: false)
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o700], ofItemAtPath: scratch.path("folder.json"))
        #expect(throws: KeyringError.notARegularFile(scratch.path("folder.json"))) {
            try Keyring.load(from: scratch.path("folder.json"))
        }
        #expect(try Keyring.load(from: real) == Fixtures.keyring)
    }

    @Test("issue 9 item 6: updates of one keyring at the same time lose nothing (flock)")
    func item6ConcurrentUpdates() throws {
        let scratch = try Scratch()
        let path = scratch.path("keyring.json")
        try Fixtures.keyring.save(to: path)
        let count = 12
        DispatchQueue.concurrentPerform(iterations: count) { index in
            _ = try? Keyring.update(at: path) { (ring: inout Keyring) throws(KeyringError) in
                // Read, think, write: without the lock, most of these updates would be lost.
                Thread.sleep(forTimeInterval: 0.01)
                if index % 3 == 0 {
                    try ring.rotate(newID: "R\(index)")
                } else {
                    try ring.revoke(UInt64(index), reason: nil)
                }
            }
        }
        let ring = try Keyring.load(from: path)
        #expect(ring.revocations.count == count - (0..<count).filter { $0 % 3 == 0 }.count)
        #expect(ring.keys.count == 1 + (0..<count).filter { $0 % 3 == 0 }.count)
        #expect(try permissions(path + ".lock") & 0o777 == 0o600)
        // A missing keyring is reported as missing, and no lock file is left for it.
        let missing = scratch.path("none/keyring.json")
        #expect(throws: KeyringError.notFound(missing)) {
            try Keyring.update(at: missing) { (ring: inout Keyring) throws(KeyringError) in
                ring.note = "x"
            }
        }
    }

    @Test(
        "issue 9 item 12: a huge value is cut, and its control characters escaped, in ticket and key errors"
    )
    func item12HugeValuesCut() {
        let huge = String(repeating: "x", count: 5_000_000) + "\u{1B}"
        for message in [
            TicketError.invalidRegistrant(huge).description,
            KeyringError.invalidKeyID(huge).description,
            TicketError.invalidSite("a\rb").description,
        ] {
            #expect(message.count < 400)
            #expect(!message.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\r" })
        }
    }
}
