/// Why a ticket's text or binary form could not be read.
public enum MalformedReason: Error, Hashable, Sendable, CustomStringConvertible {
    /// The text does not start with a VaxTicket prefix.
    case notATicket
    /// The prefix or version byte names a format version this program does not know.
    case unknownVersion(String)
    /// The text after the prefix is not valid Base45.
    case badEncoding
    /// The binary form ends before its fields and tag or signature do.
    case truncated
    /// A field holds a value outside its range, e.g. dose 0 or an unknown vaccine number.
    case fieldOutOfRange(String)
    /// Bytes remain between the last field and the tag or signature.
    case trailingBytes

    /// A stable machine code, e.g. `truncated`.
    public var code: String {
        switch self {
        case .notATicket: "not_a_ticket"
        case .unknownVersion: "unknown_version"
        case .badEncoding: "bad_encoding"
        case .truncated: "truncated"
        case .fieldOutOfRange: "field_out_of_range"
        case .trailingBytes: "trailing_bytes"
        }
    }

    public var description: String {
        switch self {
        case .notATicket: "not a ticket"
        case .unknownVersion(let version): "unknown version \(version)"
        case .badEncoding: "bad encoding"
        case .truncated: "truncated"
        case .fieldOutOfRange(let field): "field out of range (\(field))"
        case .trailingBytes: "trailing bytes"
        }
    }
}

/// Why a ticket could not be signed.
public enum TicketError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The registrant reference is not 1 to 20 digits and uppercase letters.
    case invalidRegistrant(String)
    /// The dose is not 1 to 9.
    case invalidDose(Int)
    /// The vaccine code is not in the vaccine table.
    case unknownVaccine(String)
    /// The site code is not 1 to 8 digits and uppercase letters.
    case invalidSite(String)
    /// The key id is not 1 to 8 digits and uppercase letters.
    case invalidKeyID(String)
    /// A date is outside 2020-01-01 ... 2199-06-06, the range of the binary form.
    case dateOutOfRange(CalendarDate)
    /// The ticket's last valid day is before its first.
    case validUntilBeforeValidFrom(CalendarDate, CalendarDate)
    /// The ticket names another key than the signer's.
    case keyMismatch(ticket: String, signer: String)
    /// The ticket would be valid for more days than the programme allows.
    case validityTooLong(days: Int, limit: Int)
    /// The cryptography library refused to sign with this key (never seen with a key the
    /// keyring accepted).
    case signingFailed(String)

    public var description: String {
        switch self {
        case .invalidRegistrant(let value):
            "registrant \"\(FreeText.excerpt(value))\" is not 1 to 20 digits and uppercase letters"
        case .invalidDose(let value): "dose \(value) is not 1 to 9"
        case .unknownVaccine(let value):
            "vaccine \"\(FreeText.excerpt(value))\" is not in the vaccine table"
        case .invalidSite(let value):
            "site \"\(FreeText.excerpt(value))\" is not 1 to 8 digits and uppercase letters"
        case .invalidKeyID(let value):
            "key id \"\(FreeText.excerpt(value))\" is not 1 to 8 digits and uppercase letters"
        case .dateOutOfRange(let date): "date \(date) is outside 2020-01-01 to 2199-06-06"
        case .validUntilBeforeValidFrom(let from, let until):
            "valid-until \(until) is before valid-from \(from)"
        case .keyMismatch(let ticket, let signer):
            "the ticket names key \(ticket) but the signer holds key \(signer)"
        case .validityTooLong(let days, let limit):
            "a ticket valid for \(days) days is longer than the programme's limit of \(limit) days"
        case .signingFailed(let id): "key \(id) could not sign the ticket"
        }
    }
}
