import Crypto
public import Foundation

/// The result of checking one ticket.
public enum VerificationOutcome: Hashable, Sendable {
    /// Signed by a known, unretired key, not revoked, and valid on the day checked.
    case valid
    /// The text or binary form could not be read.
    case malformed(MalformedReason)
    /// The keyring has no key with this id.
    case unknownKey(String)
    /// The key named is of another algorithm than the ticket's version needs (an Ed25519 key
    /// on a version 1 ticket, an HMAC key on a version 2 ticket): altered or forged.
    case wrongAlgorithm(keyID: String, algorithm: KeyAlgorithm, version: TicketVersion)
    /// A version 1 (HMAC) ticket checked with public keys only: only the keyring's secret can
    /// check it.
    case needsKeyring(String)
    /// The tag or signature does not match: the ticket was altered or signed with another key.
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
        case .wrongAlgorithm: .wrongAlgorithm
        case .needsKeyring: .needsKeyring
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
        case .wrongAlgorithm(let id, let algorithm, let version):
            "wrong algorithm: key \(id) is an \(algorithm.rawValue) key, which never signs "
                + "\(version.textPrefix.dropLast()) tickets: the ticket was altered or forged"
        case .needsKeyring(let id):
            "needs the keyring: key \(id) is an HMAC key, and its VT1 tickets can only be "
                + "checked with the keyring's secret, not with public keys"
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

/// Checks tickets against a keyring (or the public keys exported from one), a revocation list
/// and a day in the programme's time zone.
public struct TicketVerifier: Sendable {
    /// What the verifier knows of one key: its algorithm, state and stop time, and the material
    /// that checks its tickets.
    struct VerificationKey: Sendable {
        enum Material: Sendable {
            /// An HMAC key's secret.
            case secret([UInt8])
            /// An Ed25519 key's public key.
            case publicKey([UInt8])
            /// An HMAC key listed in a public keyring, without its secret.
            case withheld
        }

        var id: String
        var algorithm: KeyAlgorithm
        var state: KeyState
        var stoppedSigning: Date?
        var material: Material
    }

    /// What this verifier checks against, secrets left out: every key's public form, every
    /// revoked serial (the keyring's or public keyring's, and those given besides) and the
    /// validity cap. The object a phone or third party needs to decide as this verifier does
    /// for version 2 tickets, e.g. for the scanning server's offline bundle.
    public let publicKeys: PublicKeyring
    /// The programme's longest ticket validity in days, the first day included.
    public let maxValidityDays: Int
    /// Revoked serials: the keyring's, and any given besides.
    public let revocations: RevocationList
    /// The zone whose calendar days decide validity.
    public let timeZone: TimeZone
    /// The table that turns vaccine numbers back into codes.
    public let vaccines: VaccineTable
    /// Whether the verifier holds the keyring's secrets, so that it can check version 1 tickets.
    public let holdsSecrets: Bool
    private let keysByID: [String: VerificationKey]

    /// A verifier with the keyring's keys, secrets included, so that it checks both versions;
    /// `timeZone` defaults to the programme's, Asia/Jakarta.
    public init(
        keyring: Keyring, revocations: RevocationList = RevocationList(),
        timeZone: TimeZone = .programmeDefault,
        vaccines: VaccineTable = .builtIn
    ) {
        self.init(
            publicKeys: PublicKeyring(keyring, revocations: revocations),
            keys: keyring.keys.map { key in
                VerificationKey(
                    id: key.id, algorithm: key.algorithm, state: key.state,
                    stoppedSigning: key.stoppedSigning,
                    material: key.publicKey.map { .publicKey($0) } ?? .secret(key.secretBytes))
            },
            revocations: revocations, timeZone: timeZone, vaccines: vaccines, holdsSecrets: true)
    }

    /// A verifier with public keys only, as a third party or a phone holds them: it checks
    /// version 2 (Ed25519) tickets, and answers `needs_keyring` for version 1 (HMAC) tickets of
    /// the programme's HMAC keys. The public keyring's revocations and validity cap count.
    public init(
        publicKeys: PublicKeyring, revocations: RevocationList = RevocationList(),
        timeZone: TimeZone = .programmeDefault,
        vaccines: VaccineTable = .builtIn
    ) {
        self.init(
            publicKeys: publicKeys.adding(revocations),
            keys: publicKeys.keys.map { key in
                VerificationKey(
                    id: key.id, algorithm: key.algorithm, state: key.state,
                    stoppedSigning: key.stoppedSigning,
                    material: key.publicKey.map { .publicKey($0) } ?? .withheld)
            },
            revocations: revocations, timeZone: timeZone, vaccines: vaccines, holdsSecrets: false)
    }

    private init(
        publicKeys: PublicKeyring, keys: [VerificationKey], revocations: RevocationList,
        timeZone: TimeZone, vaccines: VaccineTable, holdsSecrets: Bool
    ) {
        self.publicKeys = publicKeys
        self.maxValidityDays = publicKeys.maxValidityDays
        // The keyring's own revocations always count; `revocations` can only add to them (the
        // public keyring has them added already).
        self.revocations = RevocationList(
            revocations.serials.union(publicKeys.revocations.map(\.serial)))
        self.timeZone = timeZone
        self.vaccines = vaccines
        self.holdsSecrets = holdsSecrets
        self.keysByID = Dictionary(
            keys.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
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

    /// Verifies a binary ticket on the calendar day `day`. The tag or signature is checked
    /// before any field after the header (version and key id) is read.
    public func verify(binary: [UInt8], on day: CalendarDate) -> TicketVerification {
        let header: (version: TicketVersion, keyID: String, fieldsStart: Int)
        switch TicketFormat.header(of: binary) {
        case .success(let value): header = value
        case .failure(let reason): return TicketVerification(outcome: .malformed(reason))
        }
        guard let key = keysByID[header.keyID] else {
            return TicketVerification(outcome: .unknownKey(header.keyID))
        }
        guard key.algorithm == header.version.algorithm else {
            return TicketVerification(
                outcome: .wrongAlgorithm(
                    keyID: key.id, algorithm: key.algorithm, version: header.version))
        }
        let end = binary.count - header.version.signatureLength
        let signed = binary[..<end]
        let signature = binary[end...]
        let genuine: Bool
        switch key.material {
        case .secret(let secret):
            genuine = TicketTag.isValid(signature, for: signed, key: SymmetricKey(data: secret))
        case .publicKey(let publicKey):
            genuine = TicketSignature.isValid(signature, for: signed, publicKey: publicKey)
        case .withheld:
            return TicketVerification(outcome: .needsKeyring(key.id))
        }
        guard genuine else { return TicketVerification(outcome: .badSignature) }
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
            } else if validityDays > maxValidityDays {
                .validityTooLong(days: validityDays, limit: maxValidityDays)
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
