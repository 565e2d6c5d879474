public import Foundation
import SystemPackage

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
    /// The Ed25519 private key of this key is not 32 bytes.
    case badPrivateKey(String)
    /// No key of the keyring is active, so nothing can be signed.
    case noActiveKey(String)
    /// The path is a symbolic link (to the given target); a keyring is opened only as itself.
    case symbolicLink(path: String, target: String)
    /// The path is not a regular file (a folder, a device, a FIFO).
    case notARegularFile(String)
    /// The file belongs to another user (its owner's uid is given).
    case wrongOwner(path: String, owner: Int)
    /// Another process held the keyring's lock for too long.
    case locked(String)
    /// The lock file beside the keyring (its path given) is not one only this user can open:
    /// another user's, open to group or others, a symbolic link or not a regular file.
    case untrustedLock(path: String, reason: String)

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
        case .badPrivateKey: "bad_private_key"
        case .noActiveKey: "no_active_key"
        case .symbolicLink: "keyring_symlink"
        case .notARegularFile: "keyring_not_a_file"
        case .wrongOwner: "keyring_wrong_owner"
        case .locked: "keyring_locked"
        case .untrustedLock: "keyring_lock_untrusted"
        }
    }

    public var description: String {
        switch self {
        case .notFound(let path):
            "no keyring at \(path) (create one with `vaxticket keys new`, or pass --keyring or VAXTICKET_KEYRING)"
        case .tooOpen(let path, let mode):
            "permissions \(String(mode, radix: 8)) for keyring '\(path)' are too open: it must not be readable by group or others; "
                + "this keyring is refused (run `chmod 600 \(path)`)"
        case .io(let path, let reason): "keyring \(path): \(reason)"
        case .malformed(let path, let reason): "keyring \(path) is malformed: \(reason)"
        case .alreadyExists(let path):
            "a keyring already exists at \(path) (use `vaxticket keys rotate` to add a key)"
        case .unknownKey(let id): "no key with id \(FreeText.excerpt(id)) in the keyring"
        case .duplicateKey(let id):
            "a key with id \(FreeText.excerpt(id)) is already in the keyring"
        case .invalidKeyID(let id):
            "key id \"\(FreeText.excerpt(id))\" is not 1 to 8 digits and uppercase letters"
        case .shortSecret(let id): "the secret of key \(id) is shorter than 16 bytes"
        case .badPrivateKey(let id):
            "the Ed25519 private key of key \(id) is not 32 bytes"
        case .noActiveKey(let path):
            "keyring \(path) has no active key (run `vaxticket keys rotate`)"
        case .symbolicLink(let path, let target):
            "keyring \(path) is a symbolic link to \(target); a keyring is never read through a link, "
                + "which someone else could point elsewhere: pass the real file with --keyring \(target)"
        case .notARegularFile(let path): "keyring \(path) is not a regular file"
        case .wrongOwner(let path, let owner):
            "keyring \(path) belongs to user \(owner), not to you (\(getuid())); it is refused: a keyring is only trusted from its owner"
        case .locked(let path):
            "keyring \(path) stayed locked by another vaxticket command; try again"
        case .untrustedLock(let path, let reason):
            "the keyring's lock file \(path) \(reason); it is refused, since whoever else can open "
                + "it can hold the lock and stop revoke and keys rotate: remove it, and vaxticket "
                + "makes a new one, mode 0600"
        }
    }
}

/// A set of signing keys kept in a JSON file that only its owner may read (mode 0600).
///
/// Keys of both algorithms may live side by side: HMAC-SHA256 keys sign version 1 tickets,
/// Ed25519 keys version 2 tickets, and the newest active key signs.
public struct Keyring: Sendable, Hashable {
    /// The keys, oldest first.
    public var keys: [Key]
    /// A free-text note kept in the file, e.g. "DEMO ONLY".
    public var note: String?
    /// Revoked tickets, oldest first. They live in the keyring, a file only its owner may read
    /// or write, so deleting or editing some other file cannot undo a revocation.
    public var revocations: [Revocation] = []
    /// The programme's longest ticket validity in days, the first day included: longer tickets
    /// are neither issued nor accepted. It bounds how long a ticket signed with a leaked,
    /// since-rotated key can stay valid.
    public var maxValidityDays: Int

    /// The default of ``maxValidityDays``.
    public static let defaultMaxValidityDays = 90
    /// The largest ``maxValidityDays`` a keyring may set (ten years).
    public static let maxValidityDaysLimit = 3650

    /// The file name used when neither `--keyring` nor `VAXTICKET_KEYRING` is given.
    public static let defaultPath = "vaxticket-keyring.json"
    /// The environment variable naming the keyring.
    public static let environmentVariable = "VAXTICKET_KEYRING"
    /// The name of the revocation list older versions kept in the keyring's folder; revocations
    /// now live in the keyring, and `revoke` moves an old list into it.
    public static let revocationFileName = "revoked.txt"

    /// A keyring holding `keys`.
    public init(
        keys: [Key] = [], note: String? = nil, maxValidityDays: Int = Keyring.defaultMaxValidityDays
    ) {
        self.keys = keys
        self.note = note
        self.maxValidityDays = maxValidityDays
    }

    /// The keyring path: `explicit` (the `--keyring` flag) if given, else `VAXTICKET_KEYRING`, else ``defaultPath``.
    public static func resolvePath(
        explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    )
        -> String
    {
        if let explicit, !explicit.isEmpty { return explicit }
        if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return defaultPath
    }

    /// The revocation list's path for the keyring at `keyringPath`.
    public static func revocationPath(forKeyringAt keyringPath: String) -> String {
        URL(fileURLWithPath: keyringPath).deletingLastPathComponent().appendingPathComponent(
            revocationFileName
        ).path
    }

    /// The key with this id.
    public func key(id: String) -> Key? { keys.first { $0.id == id } }

    /// The revoked serials.
    public var revocationList: RevocationList { RevocationList(Set(revocations.map(\.serial))) }

    /// Revokes `serial` with an optional reason (no control characters). Returns false when it
    /// was already revoked (the first revocation is kept).
    @discardableResult
    public mutating func revoke(_ serial: UInt64, reason: String? = nil, now: Date = Date())
        throws(KeyringError) -> Bool
    {
        if let reason, let problem = FreeText.problem(in: reason) {
            throw .malformed(path: "(revocation)", reason: "the reason \(problem)")
        }
        guard !revocations.contains(where: { $0.serial == serial }) else { return false }
        revocations.append(Revocation(serial: serial, reason: reason, revoked: now))
        return true
    }

    /// The newest active key, which signs new tickets.
    public var activeKey: Key? { keys.last { $0.state == .active } }

    /// An id for a new key: `K` and the next number after the largest `K<number>` id.
    public func nextKeyID() -> String {
        let numbers = keys.compactMap { key in key.id.hasPrefix("K") ? Int(key.id.dropFirst()) : nil
        }
        return "K\((numbers.max() ?? 0) + 1)"
    }

    /// Adds a new active key and makes every other active key verify-only. Returns the new key.
    /// Its algorithm is `algorithm`, else that of the active key it replaces, else HMAC-SHA256:
    /// a rotation never changes what kind of ticket the programme issues unless asked to.
    @discardableResult
    public mutating func rotate(
        newID: String? = nil, algorithm: KeyAlgorithm? = nil, now: Date = Date()
    ) throws(KeyringError)
        -> Key
    {
        let id = newID ?? nextKeyID()
        guard key(id: id) == nil else { throw .duplicateKey(id) }
        let key = try Key.generate(
            id: id, created: now, state: .active,
            algorithm: algorithm ?? activeKey?.algorithm ?? .hmacSHA256)
        for index in keys.indices where keys[index].state == .active {
            keys[index].state = .verifyOnly
            keys[index].stoppedSigning = now
        }
        keys.append(key)
        return key
    }

    /// Marks a key retired: tickets it signed no longer verify.
    public mutating func retire(id: String, now: Date = Date()) throws(KeyringError) {
        guard let index = keys.firstIndex(where: { $0.id == id }) else { throw .unknownKey(id) }
        keys[index].state = .retired
        if keys[index].stoppedSigning == nil { keys[index].stoppedSigning = now }
    }

    // MARK: Files

    private struct File: Codable {
        var format: String
        var note: String?
        var maxValidityDays: Int?
        var keys: [Entry]
        var revoked: [RevokedEntry]?
    }

    private struct RevokedEntry: Codable {
        var serial: String
        var reason: String?
        var revoked: String
    }

    private struct Entry: Codable {
        var id: String
        /// Absent in files written before Ed25519 keys: HMAC-SHA256.
        var algorithm: KeyAlgorithm?
        var secret: String
        var created: String
        var state: KeyState
        var stoppedSigning: String?
    }

    /// The format of a keyring of HMAC keys only, which every version of VaxTicket reads.
    static let format = "vaxticket-keyring-1"
    /// The format of a keyring holding an Ed25519 key. Versions from before Ed25519 refuse it
    /// (unknown format) instead of reading the key as an HMAC secret, or dropping its algorithm
    /// when they rewrite the file.
    static let formatWithPublicKeyAlgorithms = "vaxticket-keyring-2"

    /// The format this keyring is written in: version 1 while it holds HMAC keys only.
    var fileFormat: String {
        keys.allSatisfy({ $0.algorithm == .hmacSHA256 })
            ? Keyring.format : Keyring.formatWithPublicKeyAlgorithms
    }

    /// Reads a keyring, refusing anything but a regular file owned by the current user that
    /// group and others cannot read or write.
    ///
    /// The file is opened once, without following a symbolic link, and every check is made on
    /// the open descriptor, which is then read: nothing can swap the file between the check and
    /// the read.
    public static func load(from path: String) throws(KeyringError) -> Keyring {
        let data = try readPrivateFile(path)
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw .malformed(path: path, reason: "not keyring JSON")
        }
        guard file.format == format || file.format == formatWithPublicKeyAlgorithms else {
            throw .malformed(path: path, reason: "unknown format \"\(file.format)\"")
        }
        let maxValidityDays = file.maxValidityDays ?? defaultMaxValidityDays
        guard (1...maxValidityDaysLimit).contains(maxValidityDays) else {
            throw .malformed(
                path: path, reason: "maxValidityDays must be 1 to \(maxValidityDaysLimit)")
        }
        var keys: [Key] = []
        for entry in file.keys {
            guard let secret = Data(base64Encoded: entry.secret) else {
                throw .malformed(path: path, reason: "the secret of key \(entry.id) is not Base64")
            }
            guard let created = parseTimestamp(entry.created) else {
                throw .malformed(path: path, reason: "key \(entry.id) has a bad creation time")
            }
            var stopped: Date?
            if let text = entry.stoppedSigning {
                guard let date = parseTimestamp(text) else {
                    throw .malformed(
                        path: path, reason: "key \(entry.id) has a bad stoppedSigning time")
                }
                stopped = date
            }
            guard !keys.contains(where: { $0.id == entry.id }) else {
                throw .duplicateKey(entry.id)
            }
            keys.append(
                try Key(
                    id: entry.id, secret: Array(secret), created: created, state: entry.state,
                    stoppedSigning: stopped, algorithm: entry.algorithm ?? .hmacSHA256))
        }
        // A keyring written before stop times were kept: a key that no longer signs stopped
        // when the next key was made (rotation makes the new key and demotes the old at once);
        // with no newer key, when it was itself made, the strictest reading.
        for index in keys.indices
        where keys[index].state != .active && keys[index].stoppedSigning == nil {
            keys[index].stoppedSigning = keys[(index + 1)...].first?.created ?? keys[index].created
        }
        var ring = Keyring(keys: keys, note: file.note, maxValidityDays: maxValidityDays)
        for entry in file.revoked ?? [] {
            guard let serial = TicketSerial.parse(entry.serial),
                let date = parseTimestamp(entry.revoked)
            else {
                throw .malformed(path: path, reason: "a revocation has a bad serial or time")
            }
            ring.revocations.append(Revocation(serial: serial, reason: entry.reason, revoked: date))
        }
        return ring
    }

    /// The bytes of the private file at `path`, checked and read through one descriptor.
    static func readPrivateFile(_ path: String) throws(KeyringError) -> Data {
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(
                FilePath(path), .readOnly, options: [.noFollow, .closeOnExec, .nonBlocking])
        } catch {
            let code = error as? Errno
            if code == .noSuchFileOrDirectory { throw .notFound(path) }
            if code == .tooManySymbolicLinkLevels || code == .tooManyLinks {
                let target =
                    (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
                throw .symbolicLink(path: path, target: target)
            }
            throw .io(path: path, reason: "\(error)")
        }
        // The handle owns the descriptor from here and closes it on every path.
        let handle = FileHandle(fileDescriptor: descriptor.rawValue, closeOnDealloc: true)
        let info: Stat
        do {
            info = try descriptor.stat()
        } catch {
            throw .io(path: path, reason: error.description)
        }
        guard info.type == .regular else { throw .notARegularFile(path) }
        guard info.userID.rawValue == geteuid() else {
            throw .wrongOwner(path: path, owner: Int(info.userID.rawValue))
        }
        let mode = Int(info.permissions.rawValue & 0o7777)
        guard mode & 0o077 == 0 else { throw .tooOpen(path: path, mode: mode) }
        do {
            return try handle.readToEnd() ?? Data()
        } catch {
            throw .io(path: path, reason: error.localizedDescription)
        }
    }

    /// Loads the keyring at `path`, lets `change` modify it, and saves it, holding an exclusive
    /// lock (flock(2) on `<path>.lock`, mode 0600) from before the read until after the write,
    /// so two `keys rotate`, `keys retire` or `revoke` at once cannot lose an update. The lock
    /// file gets the keyring's own checks (``openLock(_:)``).
    @discardableResult
    public static func update<T>(
        at path: String, _ change: (inout Keyring) throws(KeyringError) -> T
    ) throws(KeyringError) -> T {
        // A missing keyring is reported as such, before a lock file is made beside it.
        guard FileManager.default.fileExists(atPath: path) else { throw .notFound(path) }
        let lock = try openLock(path + ".lock")
        defer { try? lock.close() }
        // Wait up to about ten seconds for another command to finish.
        var attempts = 0
        while flock(lock.rawValue, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, attempts < 200 else {
                throw .locked(path)
            }
            attempts += 1
            usleep(50_000)
        }
        defer { flock(lock.rawValue, LOCK_UN) }
        var ring = try load(from: path)
        let result = try change(&ring)
        try ring.save(to: path)
        return result
    }

    /// Opens (or creates, mode 0600) the lock file at `lockPath`, refusing one that anybody
    /// but this user could open: flock(2) needs only a descriptor, even a read-only one, so a
    /// lock file another user owns or may open lets them hold the lock for ever. Like the
    /// keyring, it is opened without following a symbolic link and checked on the descriptor.
    static func openLock(_ lockPath: String) throws(KeyringError) -> FileDescriptor {
        let lock: FileDescriptor
        do {
            lock = try FileDescriptor.open(
                FilePath(lockPath), .readWrite,
                options: [.create, .noFollow, .closeOnExec, .nonBlocking],
                permissions: .ownerReadWrite)
        } catch {
            let code = error as? Errno
            if code == .tooManySymbolicLinkLevels || code == .tooManyLinks {
                let target =
                    (try? FileManager.default.destinationOfSymbolicLink(atPath: lockPath)) ?? "?"
                throw .untrustedLock(path: lockPath, reason: "is a symbolic link to \(target)")
            }
            throw .io(path: lockPath, reason: "\(error)")
        }
        let info: Stat
        do {
            info = try lock.stat()
        } catch {
            try? lock.close()
            throw .io(path: lockPath, reason: error.description)
        }
        var problem: String?
        let mode = Int(info.permissions.rawValue & 0o7777)
        if info.type != .regular {
            problem = "is not a regular file"
        } else if info.userID.rawValue != geteuid() {
            problem = "belongs to user \(info.userID.rawValue), not to you (\(geteuid()))"
        } else if mode & 0o077 != 0 {
            problem = "may be opened by group or others (mode \(String(mode, radix: 8)))"
        }
        if let problem {
            try? lock.close()
            throw .untrustedLock(path: lockPath, reason: problem)
        }
        return lock
    }

    /// Writes the keyring to `path` with mode 0600; the secrets never touch a file others may read.
    public func save(to path: String) throws(KeyringError) {
        let file = File(
            format: fileFormat, note: note, maxValidityDays: maxValidityDays,
            keys: keys.map { key in
                Entry(
                    id: key.id, algorithm: key.algorithm,
                    secret: Data(key.secretBytes).base64EncodedString(),
                    created: Keyring.timestamp(key.created),
                    state: key.state,
                    stoppedSigning: key.stoppedSigning.map(Keyring.timestamp))
            },
            revoked: revocations.map {
                RevokedEntry(
                    serial: TicketSerial.text($0.serial), reason: $0.reason,
                    revoked: Keyring.timestamp($0.revoked))
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

    /// Replaces the file at `path` with `data` atomically, the file made with mode 0600 before
    /// any secret is in it (see ``AtomicFile/write(_:to:permissions:)``), so a crash leaves the
    /// old keyring or the new one, never neither, and never one others may read.
    static func writePrivately(_ data: Data, to path: String) throws(KeyringError) {
        do {
            try AtomicFile.write(data, to: path, permissions: .ownerReadWrite)
        } catch {
            throw .io(path: path, reason: "\(error)")
        }
    }

    static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }

    static func parseTimestamp(_ text: String) -> Date? {
        ISO8601DateFormatter().date(from: text)
    }
}

/// One revoked ticket, kept in the keyring.
public struct Revocation: Hashable, Sendable {
    /// The ticket's serial.
    public var serial: UInt64
    /// Why it was revoked, free text without control characters.
    public var reason: String?
    /// When it was revoked.
    public var revoked: Date

    /// A revocation with every field given.
    public init(serial: UInt64, reason: String?, revoked: Date) {
        self.serial = serial
        self.reason = reason
        self.revoked = revoked
    }
}
