/// How a key signs tickets, and so which ticket version it makes.
public enum KeyAlgorithm: String, CaseIterable, Hashable, Sendable, Codable {
    /// HMAC-SHA256 truncated to 16 bytes: version 1 tickets (`VT1:`); every verifier needs the
    /// secret. The default, and what a keyring entry without `algorithm` holds.
    case hmacSHA256 = "hmac-sha256"
    /// Ed25519 (RFC 8032): version 2 tickets (`VT2:`); verifiers need only the public key.
    case ed25519

    /// The ticket version this algorithm signs.
    public var ticketVersion: TicketVersion {
        switch self {
        case .hmacSHA256: .v1
        case .ed25519: .v2
        }
    }

    /// Whether verifying needs the secret (a symmetric key) rather than a public key.
    public var isSymmetric: Bool { self == .hmacSHA256 }
}

/// A version of the ticket format: its text prefix, version byte and signature.
public enum TicketVersion: UInt8, CaseIterable, Hashable, Sendable {
    /// `VT1:`, version byte 1, a 16-byte truncated HMAC-SHA256 tag.
    case v1 = 1
    /// `VT2:`, version byte 2, a 64-byte Ed25519 signature.
    case v2 = 2

    /// The prefix of the text form, e.g. `VT2:`.
    public var textPrefix: String { "VT\(rawValue):" }

    /// The length of the tag or signature that ends the binary form, in bytes.
    public var signatureLength: Int {
        switch self {
        case .v1: TicketFormat.tagLength
        case .v2: TicketFormat.signatureLength
        }
    }

    /// The algorithm of the keys that sign this version.
    public var algorithm: KeyAlgorithm {
        switch self {
        case .v1: .hmacSHA256
        case .v2: .ed25519
        }
    }
}
