import Crypto
import Foundation

/// The ticket tag: HMAC-SHA256 truncated to its first 16 bytes (128 bits, RFC 4868's length).
enum TicketTag {
    /// The full 32-byte HMAC-SHA256 of `message` under `key`.
    static func fullMAC(_ message: some DataProtocol, key: SymmetricKey) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
    }

    /// The tag of `message`: the first ``TicketFormat/tagLength`` bytes of its HMAC-SHA256.
    static func tag(_ message: some DataProtocol, key: SymmetricKey) -> [UInt8] {
        Array(fullMAC(message, key: key).prefix(TicketFormat.tagLength))
    }

    /// Whether `tag` is the tag of `message`, compared in constant time.
    ///
    /// swift-crypto's `isValidAuthenticationCode` compares a full 32-byte MAC, so it cannot check
    /// a truncated tag; this comparison visits every byte whatever the first difference is.
    static func isValid(
        _ tag: some Collection<UInt8>, for message: some DataProtocol, key: SymmetricKey
    ) -> Bool {
        constantTimeEqual(self.tag(message, key: key), Array(tag))
    }

    /// Whether `a` and `b` are equal, in time that depends only on their lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
