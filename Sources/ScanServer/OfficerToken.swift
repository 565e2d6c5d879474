import Crypto
public import Foundation
public import Recording

/// An officer's bearer token: 256 random bits, shown once when the officer is added. The
/// server keeps only its SHA-256.
public enum OfficerToken {
    /// The prefix every token starts with, so a leaked one is easy to recognise.
    public static let prefix = "vt_"

    /// A new random token: `vt_` and 43 base64url characters (32 bytes).
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return prefix
            + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The token's SHA-256 as 64 lowercase hex digits: what the store keeps and looks up.
    public static func hash(_ token: String) -> String {
        lowercaseHex(SHA256.hash(data: Data(token.utf8)))
    }

    /// Adds an officer with a new token to `store` and returns the token, which is not kept.
    public static func addOfficer(
        named name: String, site: String?, to store: any OfficerStore, at: Date = Date()
    ) async throws(OfficerError) -> String {
        let token = generate()
        try await store.addOfficer(
            Officer(name: name, site: site, tokenHash: hash(token), createdAt: at))
        return token
    }
}

/// `bytes` as lowercase hex digits, two a byte: token hashes, ETags, the bundle's version.
func lowercaseHex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { byte in
        let hex = String(byte, radix: 16)
        return byte < 16 ? "0" + hex : hex
    }.joined()
}
