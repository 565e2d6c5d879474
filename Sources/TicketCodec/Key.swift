import Crypto
public import Foundation

/// What a key may still do.
public enum KeyState: String, CaseIterable, Hashable, Sendable, Codable {
    /// Signs new tickets and verifies.
    case active
    /// Verifies tickets it signed earlier; signs nothing new.
    case verifyOnly = "verify-only"
    /// Tickets it signed are refused (`key_retired`).
    case retired
}

/// A signing key: an id, an algorithm, a 256-bit secret that is never printed, a creation time
/// and a state. An Ed25519 key's secret is its private key (the 32-byte seed of RFC 8032); its
/// public key is derived from it.
public struct Key: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The id written into tickets: 1 to 8 digits and uppercase letters.
    public let id: String
    /// How the key signs: HMAC-SHA256 (version 1 tickets) or Ed25519 (version 2).
    public let algorithm: KeyAlgorithm
    /// An Ed25519 key's 32-byte public key; `nil` for an HMAC key, which has none.
    public let publicKey: [UInt8]?
    /// When the key was made.
    public var created: Date
    /// Whether it signs, verifies only, or is retired.
    public var state: KeyState
    /// When the key stopped signing (rotated or retired); `nil` while it is active. A ticket of
    /// this key whose validity starts after that day was signed later, with a leaked key.
    public var stoppedSigning: Date?
    let secretBytes: [UInt8]

    /// An HMAC key's secret as a swift-crypto key (made on demand: `SymmetricKey` is not
    /// `Sendable`).
    var secret: SymmetricKey { SymmetricKey(data: secretBytes) }

    /// A key with a given secret, e.g. from a test vector: at least 16 bytes for HMAC-SHA256,
    /// exactly the 32-byte private key (seed) for Ed25519.
    public init(
        id: String, secret: [UInt8], created: Date, state: KeyState = .active,
        stoppedSigning: Date? = nil, algorithm: KeyAlgorithm = .hmacSHA256
    )
        throws(KeyringError)
    {
        guard id.isCode(maxLength: 8) else { throw .invalidKeyID(id) }
        switch algorithm {
        case .hmacSHA256:
            guard secret.count >= 16 else { throw .shortSecret(id) }
            publicKey = nil
        case .ed25519:
            guard let derived = TicketSignature.publicKey(privateKey: secret) else {
                throw .badPrivateKey(id)
            }
            publicKey = derived
        }
        self.id = id
        self.algorithm = algorithm
        self.secretBytes = secret
        self.created = created
        self.state = state
        self.stoppedSigning = stoppedSigning
    }

    /// A key with a fresh random 256-bit secret from the system's cryptographic random source.
    public static func generate(
        id: String, created: Date = Date(), state: KeyState = .active,
        algorithm: KeyAlgorithm = .hmacSHA256
    )
        throws(KeyringError) -> Key
    {
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return try Key(
            id: id, secret: secret, created: created, state: state, algorithm: algorithm)
    }

    public var description: String {
        "Key(\(id), \(algorithm.rawValue), \(state.rawValue), secret hidden)"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "id": id, "algorithm": algorithm, "created": created, "state": state,
                "stoppedSigning": stoppedSigning as Any, "publicKey": publicKey as Any,
            ])
    }

    public static func == (lhs: Key, rhs: Key) -> Bool {
        lhs.id == rhs.id && lhs.algorithm == rhs.algorithm && lhs.created == rhs.created
            && lhs.state == rhs.state && lhs.stoppedSigning == rhs.stoppedSigning
            && TicketTag.constantTimeEqual(lhs.secretBytes, rhs.secretBytes)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(state)
    }
}
