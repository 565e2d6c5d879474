public import Foundation

/// The result of checking one ticket.
public enum VerificationOutcome: Hashable, Sendable {
    /// Signed by a known, unretired key, not revoked, and valid on the day checked.
    case valid
    /// The text or binary form could not be read.
    case malformed(MalformedReason)
    /// The keyring has no key with this id.
    case unknownKey(String)
    /// The tag does not match: the ticket was altered or signed with another secret.
    case badSignature
    /// The signing key has been retired.
    case keyRetired(String)
    /// The day checked is before the ticket's first valid day.
    case notYetValid(CalendarDate)
    /// The day checked is after the ticket's last valid day.
    case expired(CalendarDate)
    /// The serial is on the revocation list.
    case revoked
    /// The key had stopped signing (rotated or retired) before the ticket's validity began: it
    /// was signed afterwards, with a key that should no longer sign.
    case signedAfterRotation(String)
    /// The ticket is valid for more days than the programme allows.
    case validityTooLong(days: Int, limit: Int)

    /// The stable machine code.
    public var code: OutcomeCode {
        switch self {
        case .valid: .valid
        case .malformed: .malformed
        case .unknownKey: .unknownKey
        case .badSignature: .badSignature
        case .keyRetired: .keyRetired
        case .notYetValid: .notYetValid
        case .expired: .expired
        case .revoked: .revoked
        case .signedAfterRotation: .signedAfterRotation
        case .validityTooLong: .validityTooLong
        }
    }

    /// A sentence for people.
    public var message: String {
        switch self {
        case .valid: "valid ticket"
        case .malformed(let reason): "malformed ticket: \(reason)"
        case .unknownKey(let id): "unknown key \(id): the keyring has no such key"
        case .badSignature: "bad signature: the ticket was altered or not signed by this keyring"
        case .keyRetired(let id): "key \(id) is retired: tickets it signed are no longer accepted"
        case .notYetValid(let from): "not yet valid: valid from \(from)"
        case .expired(let until): "expired: valid until \(until)"
        case .revoked: "revoked: this ticket's serial is on the revocation list"
        case .signedAfterRotation(let id):
            "key \(id) had stopped signing before this ticket's validity began: it was signed after the key was rotated"
        case .validityTooLong(let days, let limit):
            "valid for \(days) days, longer than the programme's limit of \(limit) days"
        }
    }
}

/// What verifying one ticket found.
public struct TicketVerification: Hashable, Sendable {
    /// The outcome.
    public var outcome: VerificationOutcome
    /// The ticket's fields, present whenever the signature is good (also when expired, revoked or not yet valid).
    public var ticket: Ticket?

    /// A result with `outcome` and, when the signature was good, the `ticket`.
    public init(outcome: VerificationOutcome, ticket: Ticket? = nil) {
        self.outcome = outcome
        self.ticket = ticket
    }

    /// The stable machine code, e.g. `bad_signature`.
    public var code: OutcomeCode { outcome.code }
    /// A sentence for people, e.g. "malformed ticket: truncated".
    public var message: String { outcome.message }
    /// Whether the ticket is valid.
    public var isValid: Bool { outcome == .valid }
}

/// Checks tickets against a keyring, a revocation list and a day in the programme's time zone.
public struct TicketVerifier: Sendable {

    /// The keys tickets may be signed with.
    public let keyring: Keyring
    /// Revoked serials: the keyring's, and any given besides.
    public let revocations: RevocationList
    /// The zone whose calendar days decide validity.
    public let timeZone: TimeZone
    /// The table that turns vaccine numbers back into codes.
    public let vaccines: VaccineTable
    private let keysByID: [String: Key]

    /// A verifier; `timeZone` defaults to the programme's, Asia/Jakarta.
    public init(
        keyring: Keyring, revocations: RevocationList = RevocationList(),
        timeZone: TimeZone = .programmeDefault,
        vaccines: VaccineTable = .builtIn
    ) {
        self.keyring = keyring
        // The keyring's own revocations always count; `revocations` can only add to them.
        self.revocations = RevocationList(
            revocations.serials.union(keyring.revocations.map(\.serial)))
        self.timeZone = timeZone
        self.vaccines = vaccines
        self.keysByID = Dictionary(
            keyring.keys.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Verifies a ticket text at the instant `at`, judged on its calendar day in ``timeZone``.
    public func verify(_ text: String, at date: Date) -> TicketVerification {
        verify(text, on: CalendarDate(date, in: timeZone))
    }

    /// Verifies a ticket text on the calendar day `day`.
    public func verify(_ text: String, on day: CalendarDate) -> TicketVerification {
        switch TicketFormat.binary(text: text) {
        case .success(let binary): verify(binary: binary, on: day)
        case .failure(let reason): TicketVerification(outcome: .malformed(reason))
        }
    }

    /// Verifies a binary ticket on the calendar day `day`. The tag is checked before any field
    /// after the header (version and key id) is read.
    public func verify(binary: [UInt8], on day: CalendarDate) -> TicketVerification {
        let header: (keyID: String, fieldsStart: Int)
        switch TicketFormat.header(of: binary) {
        case .success(let value): header = value
        case .failure(let reason): return TicketVerification(outcome: .malformed(reason))
        }
        guard let key = keysByID[header.keyID] else {
            return TicketVerification(outcome: .unknownKey(header.keyID))
        }
        let signed = binary[..<(binary.count - TicketFormat.tagLength)]
        let tag = binary[(binary.count - TicketFormat.tagLength)...]
        guard TicketTag.isValid(tag, for: signed, key: key.secret) else {
            return TicketVerification(outcome: .badSignature)
        }
        let ticket: Ticket
        switch TicketFormat.fields(
            of: signed, keyID: header.keyID, fieldsStart: header.fieldsStart, vaccines: vaccines)
        {
        case .success(let value): ticket = value
        case .failure(let reason): return TicketVerification(outcome: .malformed(reason))
        }
        let validityDays = ticket.validFrom.days(to: ticket.validUntil) + 1
        let outcome: VerificationOutcome =
            if key.state == .retired {
                .keyRetired(key.id)
            } else if let stopped = key.stoppedSigning,
                ticket.validFrom > CalendarDate(stopped, in: timeZone)
            {
                .signedAfterRotation(key.id)
            } else if validityDays > keyring.maxValidityDays {
                .validityTooLong(days: validityDays, limit: keyring.maxValidityDays)
            } else if revocations.contains(ticket.serial) {
                .revoked
            } else if day < ticket.validFrom {
                .notYetValid(ticket.validFrom)
            } else if day > ticket.validUntil {
                .expired(ticket.validUntil)
            } else {
                .valid
            }
        return TicketVerification(outcome: outcome, ticket: ticket)
    }
}
