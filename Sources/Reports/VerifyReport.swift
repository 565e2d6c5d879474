public import TicketCodec
public import TicketScanning

/// One `verify --json` line: one ticket's verification, or an image that gives no ticket.
public struct VerifyReport: Encodable, Hashable, Sendable {
    /// How a line ended.
    public enum Status: String, Encodable, Hashable, Sendable {
        /// A genuine ticket, valid on the day checked.
        case valid
        /// A ticket that failed verification.
        case invalid
        /// An image that gives no ticket.
        case unreadable
    }

    /// The image file, or the file of ticket texts (`verify --payloads`).
    public var file: String
    /// The ticket text's line in ``file`` (`verify --payloads`); `nil` for an image.
    public var line: Int?
    /// Valid, invalid or unreadable.
    public var status: Status
    /// The outcome code.
    public var code: OutcomeCode
    /// A sentence for people.
    public var message: String
    /// For a malformed ticket, what is wrong with it, e.g. `truncated`.
    public var reason: String?
    /// The ticket's fields, present whenever its signature is good.
    public var serial: String?
    public var registrant: String?
    public var dose: Int?
    public var vaccine: String?
    public var group: String?
    public var site: String?
    public var validFrom: String?
    public var validUntil: String?
    public var keyId: String?

    /// The line of an image that gives no ticket.
    public init(file: String, unreadable: UnreadableImage) {
        self.file = file
        self.status = .unreadable
        self.code = unreadable.code
        self.message = unreadable.description
    }

    /// The line of one verified ticket, from an image or, with `line`, a file of texts.
    public init(file: String, line: Int? = nil, verification: TicketVerification) {
        self.file = file
        self.line = line
        self.status = verification.isValid ? .valid : .invalid
        self.code = verification.code
        self.message = verification.message
        if case .malformed(let why) = verification.outcome { reason = why.code }
        if let ticket = verification.ticket {
            serial = ticket.serialText
            registrant = ticket.registrant
            dose = ticket.dose
            vaccine = ticket.vaccine
            group = ticket.group.rawValue
            site = ticket.site
            validFrom = ticket.validFrom.iso
            validUntil = ticket.validUntil.iso
            keyId = ticket.keyID
        }
    }

    /// The lines of one image: one per ticket, or one saying why there is none.
    public static func lines(file: String, result: Result<[ScannedTicket], UnreadableImage>)
        -> [VerifyReport]
    {
        switch result {
        case .success(let tickets):
            tickets.map { VerifyReport(file: file, verification: $0.verification) }
        case .failure(let unreadable): [VerifyReport(file: file, unreadable: unreadable)]
        }
    }

    /// The columns of `verify --report`, in order.
    public static let csvHeader = [
        "file", "status", "code", "message", "serial", "registrant", "dose", "vaccine", "group",
        "site", "validFrom",
        "validUntil",
        "keyId",
    ]

    /// This line's cells, in the order of ``csvHeader``; a text from a file of texts is in the
    /// `file` column as `FILE:LINE`.
    public var csvCells: [String] {
        [
            line.map { "\(file):\($0)" } ?? file, status.rawValue, code.rawValue, message,
            serial ?? "", registrant ?? "",
            dose.map(String.init) ?? "",
            vaccine ?? "",
            group ?? "", site ?? "", validFrom ?? "", validUntil ?? "", keyId ?? "",
        ]
    }
}

/// Counts of `verify` outcomes, for the summary and the exit status.
public struct VerifyTally: Hashable, Sendable {
    /// Lines per outcome code.
    public private(set) var counts: [OutcomeCode: Int] = [:]
    /// Tickets seen: every line but unreadable images.
    public private(set) var tickets = 0
    /// Whether every line so far was a valid ticket.
    public private(set) var allValid = true

    /// An empty tally.
    public init() {}

    /// Counts one line.
    public mutating func count(_ line: VerifyReport) {
        counts[line.code, default: 0] += 1
        if line.status != .unreadable { tickets += 1 }
        if line.status != .valid { allValid = false }
    }

    /// `3 tickets in 4 images: bad_signature 1, no_code 1, valid 2`, or with `unit` "lines"
    /// for a file of texts.
    public func summary(images: Int, unit: String = "images") -> String {
        let parts = counts.sorted { $0.key.rawValue < $1.key.rawValue }.map {
            "\($0.key.rawValue) \($0.value)"
        }
        return "\(tickets) tickets in \(images) \(unit): "
            + (parts.isEmpty ? "nothing found" : parts.joined(separator: ", "))
    }
}
