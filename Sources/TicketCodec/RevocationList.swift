import Foundation

/// Why the revocation list could not be read or written.
public struct RevocationListError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// What went wrong, e.g. "line 3 is not a serial".
    public var reason: String
    public var description: String { "revocation list \(path): \(reason)" }
}

/// The serials of revoked tickets: a text file, one serial (16 hex digits) per line, `#` starts a comment.
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
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let trimmed = content.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { continue }
            guard let serial = TicketSerial.parse(trimmed) else {
                throw RevocationListError(path: path, reason: "line \(index + 1) is not a serial: \(trimmed)")
            }
            serials.insert(serial)
        }
        self.serials = serials
    }

    /// Reads the list at `path`; a missing file is an empty list.
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

    /// Appends `serial` to the list at `path` (created if missing), with an optional comment.
    public static func append(_ serial: UInt64, comment: String? = nil, to path: String) throws(RevocationListError) {
        let cleaned = comment.map { $0.replacingOccurrences(of: "\n", with: " ") }
        let line = TicketSerial.text(serial) + (cleaned.map { " # \($0)" } ?? "") + "\n"
        do {
            let manager = FileManager.default
            if !manager.fileExists(atPath: path) {
                guard manager.createFile(atPath: path, contents: Data(), attributes: [.posixPermissions: 0o644]) else {
                    throw RevocationListError(path: path, reason: "cannot create the file")
                }
            }
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            let end = try handle.seekToEnd()
            // A file whose last line has no newline gets one first.
            if end > 0 {
                try handle.seek(toOffset: end - 1)
                let last = try handle.read(upToCount: 1)
                try handle.seekToEnd()
                if last != Data("\n".utf8) { try handle.write(contentsOf: Data("\n".utf8)) }
            }
            try handle.write(contentsOf: Data(line.utf8))
        } catch let error as RevocationListError {
            throw error
        } catch {
            throw RevocationListError(path: path, reason: error.localizedDescription)
        }
    }
}
