import CairoGraphics
import Foundation
import Imaging
import PNGCodec
import Testing
import TicketCards
import TicketCodec
import ZBarScanner

/// A fixed key, a typical ticket and helpers to read cards back.
enum CardFixtures {
    static let created = Date(timeIntervalSince1970: 1_627_776_000)

    static func key() throws -> Key { try Key(id: "K1", secret: Array(0..<32), created: created) }

    /// An Ed25519 key, K2, whose tickets are version 2 (`VT2:`, QR version 8 for a typical one).
    static func ed25519Key() throws -> Key {
        try Key(id: "K2", secret: Array(32..<64), created: created, algorithm: .ed25519)
    }

    static func date(_ iso: String) throws -> CalendarDate { try #require(CalendarDate(iso: iso)) }

    static func ticket(
        serial: UInt64 = 0x0123_4567_89AB_CDEF, registrant: String = "2108230000012345",
        keyID: String = "K1"
    ) throws -> Ticket {
        Ticket(
            serial: serial, registrant: registrant, dose: 1, vaccine: "CORONAVAC",
            group: .healthWorker, site: "BDG001",
            validFrom: try date("2021-08-23"), validUntil: try date("2021-09-21"), keyID: keyID)
    }

    /// A card signed by `key` (K1, HMAC, unless given).
    static func card(
        name: String? = "Siti Rahmawati", siteName: String? = "Puskesmas Sukajadi",
        serial: UInt64 = 0x0123_4567_89AB_CDEF, key: Key? = nil
    ) throws -> TicketCard {
        let key = try key ?? self.key()
        return try TicketCard(
            signing: try ticket(serial: serial, keyID: key.id), with: TicketSigner(key: key),
            name: name, siteName: siteName)
    }

    /// A verifier with both keys, K1 (HMAC) and K2 (Ed25519).
    static func verifier() throws -> TicketVerifier {
        TicketVerifier(keyring: Keyring(keys: [try key(), try ed25519Key()]))
    }

    /// Every QR code zbar finds in `image`, as text.
    static func texts(in image: GrayImage) -> [String] {
        QRScanner().scan(image).map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    /// The repository's root, from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A folder under `.build/` (ignored by git) for images kept for a person to look at.
    static func artefactFolder() throws -> URL {
        let folder = root.appendingPathComponent(".build/test-artefacts/cards")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}
