import Crypto
import Foundation

/// The version 2 signature: Ed25519 (RFC 8032) through swift-crypto, 64 bytes.
///
/// Keys are kept as bytes and turned into swift-crypto keys for each call: those types are not
/// `Sendable`, and the signer and verifier are shared between threads.
enum TicketSignature {
    /// The 32-byte public key of the 32-byte private key (seed) `privateKey`, or `nil` when it
    /// is not 32 bytes.
    static func publicKey(privateKey: [UInt8]) -> [UInt8]? {
        guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: privateKey) else {
            return nil
        }
        return Array(key.publicKey.rawRepresentation)
    }

    /// The signature of `message` under the private key (seed) `privateKey`. Deterministic on
    /// this platform (BoringSSL follows RFC 8032): the same key and message give the same bytes.
    static func sign(_ message: some DataProtocol, privateKey: [UInt8]) -> [UInt8]? {
        guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: privateKey),
            let signature = try? key.signature(for: message)
        else { return nil }
        return Array(signature)
    }

    /// Whether `signature` is a valid signature of `message` under `publicKey`. The check is on
    /// public data only, so it need not run in constant time; BoringSSL refuses a signature
    /// whose S is not below the group order, so no second encoding of a signature verifies.
    static func isValid(
        _ signature: some DataProtocol, for message: some DataProtocol, publicKey: [UInt8]
    ) -> Bool {
        guard signature.count == TicketFormat.signatureLength,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey)
        else { return false }
        return key.isValidSignature(signature, for: message)
    }
}
