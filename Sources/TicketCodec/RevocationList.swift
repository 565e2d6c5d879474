import Foundation

/// Why the revocation list could not be read or written.
public struct RevocationListError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// What went wrong, e.g. "line 3 is not a serial".
    public var reason: String
    public var description: String { "revocation list \(path): \(reason)" }
}

/// A set of revoked serials. The keyring keeps the revocations (``Keyring/revocations``); this
/// type also reads the text file older versions wrote beside the keyring (`revoked.txt`, one
/// serial of 16 hex digits per line, `#` starts a comment), which only ever adds revocations.
public struct RevocationList: Sendable, Hashable {
    /// The revoked serials.
    public var serials: Set<UInt64>

    /// A list of `serials`.
    public init(_ serials: Set<UInt64> = []) { self.serials = serials }

    /// Whether `serial` is revoked.
    public func contains(_ serial: UInt64) -> Bool { serials.contains(serial) }

    /// Parses the file's text.
    public init(parsing text: String, path: String = "(text)") throws(RevocationListError) {
        var serials = Set<UInt64>()
        for (index, line) in text.split(
            omittingEmptySubsequences: false, whereSeparator: \.isNewline
        ).enumerated() {
            let content =
                line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first
                ?? ""
            let trimmed = content.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { continue }
            guard let serial = TicketSerial.parse(trimmed) else {
                throw RevocationListError(
                    path: path, reason: "line \(index + 1) is not a serial: \(trimmed)")
            }
            serials.insert(serial)
        }
        self.serials = serials
    }

    /// Reads an old-style list at `path`; a missing file is an empty list (the keyring holds the
    /// revocations that count; this file can only add to them).
    public static func load(from path: String) throws(RevocationListError) -> RevocationList {
        guard FileManager.default.fileExists(atPath: path) else { return RevocationList() }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw RevocationListError(path: path, reason: error.localizedDescription)
        }
        return try RevocationList(parsing: text, path: path)
    }
}
