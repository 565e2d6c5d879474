import Foundation

@testable import TicketCodec

/// Shared test values: a fixed key and a typical ticket.
enum Fixtures {
    static let created = Date(timeIntervalSince1970: 1_627_776_000)  // 2021-08-01T00:00:00Z
    static let key = try! Key(id: "K1", secret: Array(0..<32), created: created)
    static let otherKey = try! Key(id: "K1", secret: Array(100..<132), created: created)
    static let keyring = Keyring(keys: [key])

    static func date(_ iso: String) -> CalendarDate { CalendarDate(iso: iso)! }

    static let ticket = Ticket(
        serial: 0x0123_4567_89AB_CDEF, registrant: "2108230000012345", dose: 1, vaccine: "CORONAVAC",
        group: .healthWorker, site: "BDG001", validFrom: date("2021-08-23"), validUntil: date("2021-09-21"), keyID: "K1"
    )

    static var text: String { try! TicketSigner(key: key).sign(ticket) }
    static var binary: [UInt8] { try! TicketSigner(key: key).binary(for: ticket) }

    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }
}
