/// Signs tickets with one key: an HMAC-SHA256 key makes version 1 tickets (`VT1:`), an Ed25519
/// key version 2 tickets (`VT2:`). Cheap to copy; one per thread is fine.
public struct TicketSigner: Sendable {
    /// The signing key.
    public let key: Key
    /// The table that turns vaccine codes into their binary numbers.
    public let vaccines: VaccineTable

    /// The longest validity signed, in days with the first day included (the programme's
    /// ``Keyring/maxValidityDays``).
    public let maxValidityDays: Int

    /// A signer holding `key`.
    public init(
        key: Key, vaccines: VaccineTable = .builtIn,
        maxValidityDays: Int = Keyring.defaultMaxValidityDays
    ) {
        self.key = key
        self.vaccines = vaccines
        self.maxValidityDays = maxValidityDays
    }

    /// The ticket version the key makes.
    public var version: TicketVersion { key.algorithm.ticketVersion }

    /// The binary form of `ticket`: its fields and their tag or signature. `ticket.keyID` must
    /// be the key's id.
    public func binary(for ticket: Ticket) throws(TicketError) -> [UInt8] {
        guard ticket.keyID == key.id else {
            throw .keyMismatch(ticket: ticket.keyID, signer: key.id)
        }
        let signed = try TicketFormat.signedBytes(of: ticket, version: version, vaccines: vaccines)
        let days = ticket.validFrom.days(to: ticket.validUntil) + 1
        if days > maxValidityDays { throw .validityTooLong(days: days, limit: maxValidityDays) }
        switch key.algorithm {
        case .hmacSHA256:
            return signed + TicketTag.tag(signed, key: key.secret)
        case .ed25519:
            guard let signature = TicketSignature.sign(signed, privateKey: key.secretBytes) else {
                throw .signingFailed(key.id)
            }
            return signed + signature
        }
    }

    /// The text form of `ticket`, `VT1:` or `VT2:` and Base45, ready for a QR code.
    public func sign(_ ticket: Ticket) throws(TicketError) -> String {
        TicketFormat.text(binary: try binary(for: ticket))
    }
}
