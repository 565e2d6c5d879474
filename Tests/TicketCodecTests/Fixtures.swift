import Foundation

@testable import TicketCodec

/// Shared test values: a fixed key and a typical ticket.
enum Fixtures {
    static let created = Date(timeIntervalSince1970: 1_627_776_000)  // 2021-08-01T00:00:00Z
    static let key = make { try Key(id: "K1", secret: Array(0..<32), created: created) }
    static let otherKey = make { try Key(id: "K1", secret: Array(100..<132), created: created) }
    static let keyring = Keyring(keys: [key])
    /// An Ed25519 key with the private key (seed) `20 21 ... 3f`.
    static let ed25519Key = make {
        try Key(id: "K2", secret: Array(32..<64), created: created, algorithm: .ed25519)
    }

    /// Whether Ed25519 signatures here are RFC 8032's deterministic ones, so that signing the
    /// same bytes twice gives the same signature: swift-crypto on Linux signs with BoringSSL,
    /// which is; on Apple platforms it uses CryptoKit, which adds randomness (every signature
    /// still verifies).
    #if canImport(Darwin)
        static let deterministicEd25519 = false
    #else
        static let deterministicEd25519 = true
    #endif

    static func date(_ iso: String) -> CalendarDate {
        guard let date = CalendarDate(iso: iso) else { preconditionFailure("not a day: \(iso)") }
        return date
    }

    /// A fixture value whose making cannot fail unless the fixture itself is wrong.
    static func make<T>(_ body: () throws -> T) -> T {
        do { return try body() } catch { preconditionFailure("fixture: \(error)") }
    }

    static let ticket = Ticket(
        serial: 0x0123_4567_89AB_CDEF, registrant: "2108230000012345", dose: 1,
        vaccine: "CORONAVAC",
        group: .healthWorker, site: "BDG001", validFrom: date("2021-08-23"),
        validUntil: date("2021-09-21"), keyID: "K1"
    )

    static var text: String { make { try TicketSigner(key: key).sign(ticket) } }
    static var binary: [UInt8] { make { try TicketSigner(key: key).binary(for: ticket) } }

    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else {
                preconditionFailure("not hex: \(text)")
            }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}
