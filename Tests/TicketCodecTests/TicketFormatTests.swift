import Foundation
import Testing

@testable import TicketCodec

@Suite("Ticket binary and text forms")
struct TicketFormatTests {
    let verifier = TicketVerifier(keyring: Fixtures.keyring)
    let day = Fixtures.date("2021-08-25")

    @Test("a signed ticket verifies and decodes to the same fields")
    func roundTrip() {
        let result = verifier.verify(Fixtures.text, on: day)
        #expect(result.outcome == .valid)
        #expect(result.code.rawValue == "valid")
        #expect(result.isValid)
        #expect(result.ticket == Fixtures.ticket)
    }

    @Test("a typical ticket is short and uses QR alphanumeric characters only")
    func typicalSize() {
        let text = Fixtures.text
        #expect(text.hasPrefix("VT1:"))
        let alphanumeric = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
        #expect(text.allSatisfy { alphanumeric.contains($0) })
        // 87 alphanumeric characters is the capacity of a version 5 symbol at ECC Q.
        #expect(text.count <= 87)
        #expect(!text.hasSuffix(" "))
        #expect(Fixtures.binary.count == 46)
    }

    @Test("the largest ticket still fits QR version 6 at ECC Q (108 characters)")
    func largestSize() throws {
        let key = try Key(id: "ABCDEFGH", secret: Array(0..<32), created: Fixtures.created)
        let ticket = Ticket(
            serial: .max, registrant: "ZZZZZZZZZZZZZZZZZZZZ", dose: 9, vaccine: "ASTRAZENECA",
            group: .adolescent,
            site: "ZZZZZZZZ", validFrom: Fixtures.date("2199-06-06"),
            validUntil: Fixtures.date("2199-06-06"), keyID: "ABCDEFGH")
        let text = try TicketSigner(key: key).sign(ticket)
        #expect(text.count <= 108)
        let result = TicketVerifier(keyring: Keyring(keys: [key])).verify(
            text, on: Fixtures.date("2199-06-06"))
        #expect(result.outcome == .valid)
        #expect(result.ticket == ticket)
    }

    @Test(
        "fields of every kind survive the round trip",
        arguments: [
            ("1", "A"), ("12", "AB1"), ("123", "ABC12345"), ("1234", "Z"),
            ("00000000000000000000", "0"), ("A", "S1"),
            ("AB", "XY"), ("ABC", "Q"), ("0A9Z", "BDG001"), ("ZZZZZZZZZZZZZZZZZZZZ", "ZZZZZZZZ"),
            ("000", "00"),
        ])
    func fields(registrant: String, site: String) throws {
        for group in PriorityGroup.allCases {
            for vaccine in VaccineTable.builtIn.vaccines {
                var ticket = Fixtures.ticket
                ticket.registrant = registrant
                ticket.site = site
                ticket.group = group
                ticket.vaccine = vaccine.code
                ticket.dose = vaccine.id
                let text = try TicketSigner(key: Fixtures.key).sign(ticket)
                #expect(verifier.verify(text, on: day).ticket == ticket)
            }
        }
    }

    @Test("invalid fields are refused when signing")
    func invalidFields() {
        let signer = TicketSigner(key: Fixtures.key)
        func signing(_ change: (inout Ticket) -> Void) throws(TicketError) {
            var ticket = Fixtures.ticket
            change(&ticket)
            _ = try signer.sign(ticket)
        }
        #expect(throws: TicketError.invalidRegistrant("")) { try signing { $0.registrant = "" } }
        #expect(throws: TicketError.invalidRegistrant("abc")) {
            try signing { $0.registrant = "abc" }
        }
        #expect(throws: TicketError.invalidRegistrant("123456789012345678901")) {
            try signing { $0.registrant = "123456789012345678901" }
        }
        #expect(throws: TicketError.invalidDose(0)) { try signing { $0.dose = 0 } }
        #expect(throws: TicketError.invalidDose(10)) { try signing { $0.dose = 10 } }
        #expect(throws: TicketError.unknownVaccine("ASPIRIN")) {
            try signing { $0.vaccine = "ASPIRIN" }
        }
        #expect(throws: TicketError.invalidSite("BANDUNG01")) {
            try signing { $0.site = "BANDUNG01" }
        }
        #expect(throws: TicketError.invalidSite("B-1")) { try signing { $0.site = "B-1" } }
        #expect(throws: TicketError.keyMismatch(ticket: "K2", signer: "K1")) {
            try signing { $0.keyID = "K2" }
        }
        #expect(throws: TicketError.dateOutOfRange(Fixtures.date("2019-12-31"))) {
            try signing { $0.validFrom = Fixtures.date("2019-12-31") }
        }
        #expect(
            throws: TicketError.validUntilBeforeValidFrom(
                Fixtures.date("2021-08-23"), Fixtures.date("2021-08-22"))
        ) {
            try signing { $0.validUntil = Fixtures.date("2021-08-22") }
        }
    }

    @Test("every single-character change of the text is rejected")
    func characterChanges() {
        let text = Array(Fixtures.text.utf8)
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
        #expect(checked > 3000)
    }

    @Test("every truncation of the text is rejected")
    func truncations() {
        let text = Fixtures.text
        for length in 0..<text.count {
            let result = verifier.verify(String(text.prefix(length)), on: day)
            #expect(!result.isValid, "length \(length)")
            #expect(result.ticket == nil)
        }
    }

    @Test("every single-bit flip of the binary form is rejected")
    func bitFlips() {
        let binary = Fixtures.binary
        for bit in 0..<(binary.count * 8) {
            var flipped = binary
            flipped[bit / 8] ^= 0x80 >> UInt8(bit % 8)
            let result = verifier.verify(binary: flipped, on: day)
            #expect(!result.isValid, "bit \(bit)")
            #expect(result.ticket == nil)
        }
    }

    @Test(
        "malformed texts get their reason",
        arguments: [
            ("", MalformedReason.notATicket), ("HC1:ABC", .notATicket), ("VT1", .notATicket),
            ("vt1:AB", .notATicket),
            ("VT3:BB8", .unknownVersion("VT3")), ("VT12:BB8", .unknownVersion("VT12")),
            ("VT2:BB8", .unknownVersion("65")),
            ("VT2:X50ZM9", .unknownVersion("VT2 with version byte 1")),
            ("VT1:ab8", .badEncoding), ("VT1:B", .badEncoding), ("VT1:GGW", .badEncoding),
            ("VT1:", .truncated), ("VT1:BB8", .unknownVersion("65")),
        ])
    func malformed(text: String, reason: MalformedReason) {
        let result = verifier.verify(text, on: day)
        #expect(result.outcome == .malformed(reason))
        #expect(result.code.rawValue == "malformed")
        #expect(result.message == "malformed ticket: \(reason)")
    }

    @Test("a well-signed ticket with a field out of range is malformed, not valid")
    func signedButOutOfRange() {
        // Hand-made fields: the same layout as a real ticket but dose 0, signed with the right key.
        var signed = Array(Fixtures.binary.dropLast(16))
        let doseBitOffset = (4 * 8) + 64 + 1 + 5 + 54
        for bit in 0..<4 {
            signed[(doseBitOffset + bit) / 8] &= ~(0x80 >> UInt8((doseBitOffset + bit) % 8))
        }
        let binary = signed + TicketTag.tag(signed, key: Fixtures.key.secret)
        #expect(
            verifier.verify(binary: binary, on: day).outcome == .malformed(.fieldOutOfRange("dose"))
        )
        let padded = Array(Fixtures.binary.dropLast(16)) + [0]
        let withTrailing = padded + TicketTag.tag(padded, key: Fixtures.key.secret)
        #expect(
            verifier.verify(binary: withTrailing, on: day).outcome == .malformed(.trailingBytes))
    }
}
