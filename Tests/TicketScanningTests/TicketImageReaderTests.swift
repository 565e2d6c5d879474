import Foundation
import Imaging
import PNGCodec
import PhotoReader
import QREncoding
import TestSupport
import Testing
import TicketCodec
import TicketScanning
import ZBarScanner

/// A keyring with one fixed key, a ticket signed with it, and its code as a PNG.
enum Fixture {
    static func key() throws -> Key {
        try Key(
            id: "K1", secret: Array(0..<32), created: Date(timeIntervalSince1970: 1_627_776_000))
    }

    static func ticket(serial: UInt64 = 0x0123_4567_89AB_CDEF) -> Ticket {
        Ticket(
            serial: serial, registrant: "2108230000012345", dose: 1, vaccine: "CORONAVAC",
            group: .healthWorker, site: "BDG001",
            validFrom: CalendarDate(daysSince1970: 18862),
            validUntil: CalendarDate(daysSince1970: 18891), keyID: "K1")
    }

    static func png(_ payload: [UInt8]) throws -> [UInt8] {
        try PNG.encode(QRCode(encoding: payload).rendered(modulePixels: 4, quietZone: 4))
    }

    static func verifier() throws -> TicketVerifier {
        TicketVerifier(keyring: Keyring(keys: [try key()]))
    }

    /// 2021-08-24, a day the fixture ticket is valid on.
    static let day = CalendarDate(daysSince1970: 18863)
}

@Suite("image to verified tickets")
struct TicketImageReaderTests {
    @Test("a ticket's code in memory comes back verified, with its symbol")
    func bytes() throws {
        let text = try TicketSigner(key: Fixture.key()).sign(Fixture.ticket())
        let reader = TicketImageReader(verifier: try Fixture.verifier())

        let tickets = try reader.tickets(in: Fixture.png(Array(text.utf8)), on: Fixture.day)

        #expect(tickets.count == 1)
        #expect(tickets.first?.text == text)
        #expect(tickets.first?.verification.outcome == .valid)
        #expect(tickets.first?.verification.ticket?.registrant == "2108230000012345")
        #expect(tickets.first?.symbol.corners.count == 4)
    }

    @Test("a file reads as its bytes do; a forged ticket is found and refused by verification")
    func file() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let other = try Key(id: "K1", secret: Array(100..<132), created: Date())
        let forged = try TicketSigner(key: other).sign(Fixture.ticket())
        try Data(Fixture.png(Array(forged.utf8))).write(
            to: URL(fileURLWithPath: folder.path("forged.png")))

        let tickets = try TicketImageReader(verifier: try Fixture.verifier()).tickets(
            inFileAt: folder.path("forged.png"), on: Fixture.day)

        #expect(tickets.map(\.verification.code) == [.badSignature])
    }

    @Test(
        "an image that gives no ticket says why, with one typed reason",
        arguments: [
            ("blank", UnreadableImage.noCode),
            ("binary", UnreadableImage.noText),
            ("empty", UnreadableImage.photo(.empty)),
            ("text", UnreadableImage.photo(.unknownFormat)),
        ])
    func unreadable(name: String, expected: UnreadableImage) throws {
        let bytes: [UInt8] =
            switch name {
            case "blank": try PNG.encode(GrayImage(width: 120, height: 90, filledWith: 200))
            case "binary": try Fixture.png([0xFF, 0xFE, 0x00, 0x81, 0x82, 0x83, 0x00, 0x01])
            case "empty": []
            default: Array("VT1:not an image".utf8)
            }
        let reader = TicketImageReader(verifier: try Fixture.verifier())

        #expect(throws: expected) { try reader.tickets(in: bytes, on: Fixture.day) }
        #expect(
            expected.code.rawValue
                == [
                    "blank": "no_code", "binary": "no_text", "empty": "empty_file",
                    "text": "unknown_format",
                ][name])
    }

    @Test("a truncated PNG is a corrupt image; a missing file is unreadable")
    func corrupt() throws {
        let text = try TicketSigner(key: Fixture.key()).sign(Fixture.ticket())
        let png = try Fixture.png(Array(text.utf8))
        let reader = TicketImageReader(verifier: try Fixture.verifier())

        #expect {
            try reader.tickets(in: Array(png.prefix(png.count / 2)), on: Fixture.day)
        } throws: { error in
            (error as? UnreadableImage)?.code == .corruptImage
        }
        #expect { try reader.tickets(inFileAt: "/no/such/file.png", on: Fixture.day) } throws: {
            error in
            (error as? UnreadableImage)?.code == .unreadableFile
        }
    }

    @Test("an image over the pixel cap is refused before decoding")
    func tooLarge() throws {
        let text = try TicketSigner(key: Fixture.key()).sign(Fixture.ticket())
        var options = PhotoReaderOptions()
        options.maxPixels = 100
        let reader = TicketImageReader(verifier: try Fixture.verifier(), options: options)

        #expect { try reader.tickets(in: Fixture.png(Array(text.utf8)), on: Fixture.day) } throws: {
            error in
            (error as? UnreadableImage)?.code == .tooLarge
        }
    }
}
