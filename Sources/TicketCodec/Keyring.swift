public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a keyring could not be used.
public enum KeyringError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No keyring file at this path.
    case notFound(String)
    /// The file may be read by group or others (its mode is given).
    case tooOpen(path: String, mode: Int)
    /// The file could not be read or written, with the system's reason.
    case io(path: String, reason: String)
    /// The file is not a keyring, with what is wrong.
    case malformed(path: String, reason: String)
    /// A keyring already exists where a new one was to be created.
    case alreadyExists(String)
    /// No key has this id.
    case unknownKey(String)
    /// A key with this id already exists.
    case duplicateKey(String)
    /// The id is not 1 to 8 digits and uppercase letters.
    case invalidKeyID(String)
    /// The secret of this key is shorter than 16 bytes.
    case shortSecret(String)
    /// No key of the keyring is active, so nothing can be signed.
    case noActiveKey(String)

    /// A stable machine code.
    public var code: String {
        switch self {
        case .notFound: "keyring_not_found"
        case .tooOpen: "keyring_too_open"
        case .io: "keyring_io"
        case .malformed: "keyring_malformed"
        case .alreadyExists: "keyring_exists"
        case .unknownKey: "unknown_key"
        case .duplicateKey: "duplicate_key"
        case .invalidKeyID: "invalid_key_id"
        case .shortSecret: "short_secret"
        case .noActiveKey: "no_active_key"
        }
    }

    public var description: String {
        switch self {
        case .notFound(let path): "no keyring at \(path) (create one with `vaxticket keys new`, or pass --keyring or VAXTICKET_KEYRING)"
        case .tooOpen(let path, let mode):
            "permissions \(String(mode, radix: 8)) for keyring '\(path)' are too open: it must not be readable by group or others; "
                + "this keyring is refused (run `chmod 600 \(path)`)"
        case .io(let path, let reason): "keyring \(path): \(reason)"
        case .malformed(let path, let reason): "keyring \(path) is malformed: \(reason)"
        case .alreadyExists(let path): "a keyring already exists at \(path) (use `vaxticket keys rotate` to add a key)"
        case .unknownKey(let id): "no key with id \(id) in the keyring"
        case .duplicateKey(let id): "a key with id \(id) is already in the keyring"
        case .invalidKeyID(let id): "key id \"\(id)\" is not 1 to 8 digits and uppercase letters"
        case .shortSecret(let id): "the secret of key \(id) is shorter than 16 bytes"
        case .noActiveKey(let path): "keyring \(path) has no active key (run `vaxticket keys rotate`)"
        }
    }
}

/// A set of signing keys kept in a JSON file that only its owner may read (mode 0600).
public struct Keyring: Sendable, Hashable {
    /// The keys, oldest first.
    public var keys: [Key]
    /// A free-text note kept in the file, e.g. "DEMO ONLY".
    public var note: String?

    /// The file name used when neither `--keyring` nor `VAXTICKET_KEYRING` is given.
    public static let defaultPath = "vaxticket-keyring.json"
    /// The environment variable naming the keyring.
    public static let environmentVariable = "VAXTICKET_KEYRING"
    /// The name of the revocation list, kept in the keyring's folder.
    public static let revocationFileName = "revoked.txt"

    /// A keyring holding `keys`.
    public init(keys: [Key] = [], note: String? = nil) {
        self.keys = keys
        self.note = note
    }

    /// The keyring path: `explicit` (the `--keyring` flag) if given, else `VAXTICKET_KEYRING`, else ``defaultPath``.
    public static func resolvePath(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty { return fromEnvironment }
        return defaultPath
    }

    /// The revocation list's path for the keyring at `keyringPath`.
    public static func revocationPath(forKeyringAt keyringPath: String) -> String {
        URL(fileURLWithPath: keyringPath).deletingLastPathComponent().appendingPathComponent(revocationFileName).path
    }

    /// The key with this id.
    public func key(id: String) -> Key? { keys.first { $0.id == id } }

    /// The newest active key, which signs new tickets.
    public var activeKey: Key? { keys.last { $0.state == .active } }

    /// An id for a new key: `K` and the next number after the largest `K<number>` id.
    public func nextKeyID() -> String {
        let numbers = keys.compactMap { key in key.id.hasPrefix("K") ? Int(key.id.dropFirst()) : nil }
        return "K\((numbers.max() ?? 0) + 1)"
    }

    /// Adds a new active key and makes every other active key verify-only. Returns the new key.
    @discardableResult
    public mutating func rotate(newID: String? = nil, now: Date = Date()) throws(KeyringError) -> Key {
        let id = newID ?? nextKeyID()
        guard key(id: id) == nil else { throw .duplicateKey(id) }
        let key = try Key.generate(id: id, created: now, state: .active)
        for index in keys.indices where keys[index].state == .active { keys[index].state = .verifyOnly }
        keys.append(key)
        return key
    }

    /// Marks a key retired: tickets it signed no longer verify.
    public mutating func retire(id: String) throws(KeyringError) {
        guard let index = keys.firstIndex(where: { $0.id == id }) else { throw .unknownKey(id) }
        keys[index].state = .retired
    }

    // MARK: Files

    private struct File: Codable {
        var format: String
        var note: String?
        var keys: [Entry]
    }

    private struct Entry: Codable {
        var id: String
        var secret: String
        var created: String
        var state: KeyState
    }

    private static let format = "vaxticket-keyring-1"

    /// Reads a keyring, refusing a file that group or others may read.
    public static func load(from path: String) throws(KeyringError) -> Keyring {
        let manager = FileManager.default
        guard manager.fileExists(atPath: path) else { throw .notFound(path) }
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try manager.attributesOfItem(atPath: path)
        } catch {
            throw .io(path: path, reason: error.localizedDescription)
        }
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
        guard mode & 0o077 == 0 else { throw .tooOpen(path: path, mode: mode & 0o7777) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .io(path: path, reason: error.localizedDescription)
        }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw .malformed(path: path, reason: "not keyring JSON")
        }
        guard file.format == format else { throw .malformed(path: path, reason: "unknown format \"\(file.format)\"") }
        var keys: [Key] = []
        for entry in file.keys {
            guard let secret = Data(base64Encoded: entry.secret) else {
                throw .malformed(path: path, reason: "the secret of key \(entry.id) is not Base64")
            }
            guard let created = parseTimestamp(entry.created) else {
                throw .malformed(path: path, reason: "key \(entry.id) has a bad creation time")
            }
            guard !keys.contains(where: { $0.id == entry.id }) else { throw .duplicateKey(entry.id) }
            keys.append(try Key(id: entry.id, secret: Array(secret), created: created, state: entry.state))
        }
        return Keyring(keys: keys, note: file.note)
    }

    /// Writes the keyring to `path` with mode 0600; the secrets never touch a file others may read.
    public func save(to path: String) throws(KeyringError) {
        let file = File(
            format: Keyring.format, note: note,
            keys: keys.map { key in
                Entry(id: key.id, secret: Data(key.secretBytes).base64EncodedString(), created: Keyring.timestamp(key.created), state: key.state)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do {
            data = try encoder.encode(file) + Data("\n".utf8)
        } catch {
            throw .io(path: path, reason: "cannot encode the keyring")
        }
        try Keyring.writePrivately(data, to: path)
    }

    /// Replaces the file at `path` with `data` atomically, the file made with mode 0600.
    ///
    /// Foundation's atomic write goes through a temporary file and rename(2), so a crash leaves
    /// the old keyring or the new one, never neither. The umask of 077 around it makes both the
    /// temporary file and the result private before any secret is in them. umask is process-wide:
    /// keyrings are written by single-threaded commands only.
    static func writePrivately(_ data: Data, to path: String) throws(KeyringError) {
        let previous = umask(0o077)
        defer { umask(previous) }
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .io(path: path, reason: error.localizedDescription)
        }
    }

    static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }

    static func parseTimestamp(_ text: String) -> Date? {
        ISO8601DateFormatter().date(from: text)
    }
}
