public import Foundation
public import TicketCodec

/// One `issue --json` line for a single ticket.
public struct IssuedTicketReport: Encodable, Hashable, Sendable {
    /// The PNG written.
    public var file: String
    /// The ticket's serial.
    public var serial: String
    /// The QR version, 1 to 40.
    public var qrVersion: Int
    /// Modules per side.
    public var modules: Int
    /// The ticket text in the code.
    public var text: String
    /// Its length in characters.
    public var characters: Int
    /// The signing key.
    public var keyId: String
    /// The first valid day.
    public var validFrom: String
    /// The last valid day.
    public var validUntil: String

    /// The report of `ticket`, signed as `text`, drawn as a code of `qrVersion` into `file`.
    public init(file: String, ticket: Ticket, text: String, qrVersion: Int, modules: Int) {
        self.file = file
        self.serial = ticket.serialText
        self.qrVersion = qrVersion
        self.modules = modules
        self.text = text
        self.characters = text.count
        self.keyId = ticket.keyID
        self.validFrom = ticket.validFrom.iso
        self.validUntil = ticket.validUntil.iso
    }
}

/// One `issue --format card --json` line for a single card.
public struct IssuedCardReport: Encodable, Hashable, Sendable {
    /// The card PNG written.
    public var file: String
    /// The ticket's serial.
    public var serial: String
    /// The ticket text in the code.
    public var text: String
    /// Always `card`.
    public var format = "card"

    /// The report of a card for the ticket `serial`, signed as `text`, written to `file`.
    public init(file: String, serial: String, text: String) {
        self.file = file
        self.serial = serial
        self.text = text
    }
}

/// The `issue --csv --json` summary.
public struct IssueBatchReport: Encodable, Hashable, Sendable {
    /// Tickets written.
    public var issued: Int
    /// Rows skipped because the manifest already lists them.
    public var skipped: Int
    /// Rows that failed.
    public var failed: Int
    /// Blank lines in the CSV, passed over.
    public var blank: Int
    /// The manifest's path.
    public var manifest: String
    /// For `--format pdf`, the sheets' PDF, when any ticket was written.
    public var pdf: String?
    /// For `--format pdf`, its page count.
    public var pages: Int?

    /// A summary with every field given.
    public init(issued: Int, skipped: Int, failed: Int, blank: Int, manifest: String) {
        self.issued = issued
        self.skipped = skipped
        self.failed = failed
        self.blank = blank
        self.manifest = manifest
    }
}

/// One `qr --json` line: a code written as a PNG.
public struct QRImageReport: Encodable, Hashable, Sendable {
    /// The PNG written.
    public var file: String
    /// The QR version.
    public var version: Int
    /// Modules per side.
    public var modules: Int
    /// The image's width in pixels.
    public var width: Int
    /// The image's height in pixels.
    public var height: Int
    /// The PNG's size in bytes.
    public var bytes: Int

    /// A report with every field given; the image is square.
    public init(file: String, version: Int, modules: Int, pixels: Int, bytes: Int) {
        self.file = file
        self.version = version
        self.modules = modules
        self.width = pixels
        self.height = pixels
        self.bytes = bytes
    }
}

/// One `keys list --json` line.
public struct KeyReport: Encodable, Hashable, Sendable {
    /// The key id.
    public var id: String
    /// Active, verify-only or retired.
    public var state: KeyState
    /// When it was made.
    public var created: Date
    /// `hmac-sha256` or `ed25519`.
    public var algorithm: KeyAlgorithm
    /// An Ed25519 key's public key, Base64; absent for an HMAC key.
    public var publicKey: String?

    /// The report of `key`; never its secret.
    public init(_ key: Key) {
        id = key.id
        state = key.state
        created = key.created
        algorithm = key.algorithm
        publicKey = key.publicKey.map { Data($0).base64EncodedString() }
    }
}

/// The `roster import --json` object.
public struct RosterImportReport: Encodable, Hashable, Sendable {
    /// A refused row.
    public struct RowError: Encodable, Hashable, Sendable {
        /// Its line in the file.
        public var line: Int
        /// Why it was refused.
        public var reason: String

        /// A refused row with every field given.
        public init(line: Int, reason: String) {
            self.line = line
            self.reason = reason
        }
    }

    /// Lines after the header: added, updated, refused and blank add up to it.
    public var rows: Int
    /// Entries added.
    public var inserted: Int
    /// Entries replaced.
    public var updated: Int
    /// Rows refused.
    public var refused: Int { errors.count }
    /// Blank lines, passed over.
    public var blank: Int
    /// Rows refused, with why.
    public var errors: [RowError]

    /// A summary with every field given.
    public init(rows: Int, inserted: Int, updated: Int, blank: Int, errors: [RowError]) {
        self.rows = rows
        self.inserted = inserted
        self.updated = updated
        self.blank = blank
        self.errors = errors
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rows, forKey: .rows)
        try container.encode(inserted, forKey: .inserted)
        try container.encode(updated, forKey: .updated)
        try container.encode(refused, forKey: .refused)
        try container.encode(blank, forKey: .blank)
        try container.encode(errors, forKey: .errors)
    }

    private enum CodingKeys: String, CodingKey {
        case rows, inserted, updated, refused, blank, errors
    }
}
