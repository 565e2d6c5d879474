public import Foundation
import SystemPackage

/// Why a public key file could not be used.
public enum PublicKeyringError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No file at this path.
    case notFound(String)
    /// The file could not be read or written, with the system's reason.
    case io(path: String, reason: String)
    /// The path is not a regular file (a folder, a device, a FIFO).
    case notARegularFile(String)
    /// The file is larger than ``PublicKeyring/maximumFileSize`` (its size is given).
    case tooLarge(path: String, bytes: Int)
    /// The file is not a public key file, with what is wrong.
    case malformed(path: String, reason: String)

    /// A stable machine code.
    public var code: String {
        switch self {
        case .notFound: "public_keys_not_found"
        case .io: "public_keys_io"
        case .notARegularFile: "public_keys_not_a_file"
        case .tooLarge: "public_keys_too_large"
        case .malformed: "public_keys_malformed"
        }
    }

    public var description: String {
        switch self {
        case .notFound(let path):
            "no public key file at \(path) (write one with `vaxticket keys export-public --out FILE`)"
        case .io(let path, let reason): "public key file \(path): \(reason)"
        case .notARegularFile(let path): "public key file \(path) is not a regular file"
        case .tooLarge(let path, let bytes):
            "public key file \(path) is \(bytes) bytes, more than the \(PublicKeyring.maximumFileSize) accepted"
        case .malformed(let path, let reason): "public key file \(path) is malformed: \(reason)"
        }
    }
}

/// The public half of a keyring: each key's id, algorithm, state, times and, for an Ed25519
/// key, its public key; the revoked serials; the programme's longest validity. Never a secret:
/// an HMAC key is listed without any key material. What a third party (a clinic, the ministry)
/// or a phone needs to verify version 2 tickets, and what `keys export-public` writes.
///
/// Its JSON form (format `vaxticket-public-keys-1`, docs/ticket-format.md) is the same whatever
/// encoder's date and data strategies: times are ISO 8601 strings, keys Base64 strings.
public struct PublicKeyring: Hashable, Sendable, Codable {
    /// One key, as anyone may see it.
    public struct Entry: Hashable, Sendable, Codable {
        /// The id written into tickets.
        public var id: String
        /// HMAC-SHA256 (version 1 tickets) or Ed25519 (version 2).
        public var algorithm: KeyAlgorithm
        /// Whether it signs, verifies only, or is retired.
        public var state: KeyState
        /// When the key was made.
        public var created: Date
        /// When it stopped signing; tickets whose validity starts on a later day (in the
        /// programme's time zone) are refused. `nil` while the key is active.
        public var stoppedSigning: Date?
        /// The 32-byte Ed25519 public key; `nil` for an HMAC key, whose secret is never exported.
        public var publicKey: [UInt8]?

        /// An entry with every field given.
        public init(
            id: String, algorithm: KeyAlgorithm, state: KeyState, created: Date,
            stoppedSigning: Date?, publicKey: [UInt8]?
        ) {
            self.id = id
            self.algorithm = algorithm
            self.state = state
            self.created = created
            self.stoppedSigning = stoppedSigning
            self.publicKey = publicKey
        }

        /// The public part of `key`.
        public init(_ key: Key) {
            self.init(
                id: key.id, algorithm: key.algorithm, state: key.state, created: key.created,
                stoppedSigning: key.stoppedSigning, publicKey: key.publicKey)
        }

        enum CodingKeys: String, CodingKey {
            case id, algorithm, state, created, stoppedSigning, publicKey
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let id = try container.decode(String.self, forKey: .id)
            guard id.isCode(maxLength: 8) else {
                throw Self.corrupt(
                    .id, in: container,
                    "key id \"\(FreeText.excerpt(id))\" is not 1 to 8 digits and uppercase letters")
            }
            let algorithmName = try container.decode(String.self, forKey: .algorithm)
            guard let algorithm = KeyAlgorithm(rawValue: algorithmName) else {
                throw Self.corrupt(
                    .algorithm, in: container,
                    "key \(id) has an unknown algorithm \"\(FreeText.excerpt(algorithmName))\"")
            }
            let stateName = try container.decode(String.self, forKey: .state)
            guard let state = KeyState(rawValue: stateName) else {
                throw Self.corrupt(
                    .state, in: container,
                    "key \(id) has an unknown state \"\(FreeText.excerpt(stateName))\"")
            }
            guard
                let created = Keyring.parseTimestamp(
                    try container.decode(String.self, forKey: .created))
            else {
                throw Self.corrupt(.created, in: container, "key \(id) has a bad creation time")
            }
            var stopped: Date?
            if let text = try container.decodeIfPresent(String.self, forKey: .stoppedSigning) {
                guard let date = Keyring.parseTimestamp(text) else {
                    throw Self.corrupt(
                        .stoppedSigning, in: container, "key \(id) has a bad stoppedSigning time")
                }
                stopped = date
            }
            // A key that no longer signs must say since when, or the verifier would take
            // tickets signed with it after its rotation.
            guard state == .active || stopped != nil else {
                throw Self.corrupt(
                    .stoppedSigning, in: container,
                    "key \(id) is \(state.rawValue) but has no stoppedSigning time")
            }
            let text = try container.decodeIfPresent(String.self, forKey: .publicKey)
            var publicKey: [UInt8]?
            switch algorithm {
            case .hmacSHA256:
                guard text == nil else {
                    throw Self.corrupt(
                        .publicKey, in: container,
                        "key \(id) is an HMAC key, which has no public key")
                }
            case .ed25519:
                guard let text, let bytes = Data(base64Encoded: text),
                    bytes.count == 32
                else {
                    throw Self.corrupt(
                        .publicKey, in: container,
                        "key \(id) needs a publicKey of 32 bytes in Base64")
                }
                publicKey = Array(bytes)
            }
            self.init(
                id: id, algorithm: algorithm, state: state, created: created,
                stoppedSigning: stopped, publicKey: publicKey)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(algorithm.rawValue, forKey: .algorithm)
            try container.encode(state.rawValue, forKey: .state)
            try container.encode(Keyring.timestamp(created), forKey: .created)
            try container.encodeIfPresent(
                stoppedSigning.map(Keyring.timestamp), forKey: .stoppedSigning)
            try container.encodeIfPresent(
                publicKey.map { Data($0).base64EncodedString() }, forKey: .publicKey)
        }

        private static func corrupt(
            _ key: CodingKeys, in container: KeyedDecodingContainer<CodingKeys>, _ reason: String
        ) -> DecodingError {
            DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: reason)
        }
    }

    /// A revoked ticket, without the reason kept in the keyring (free text that may name
    /// people and has no use outside the programme).
    public struct Revoked: Hashable, Sendable, Codable {
        /// The ticket's serial.
        public var serial: UInt64
        /// When it was revoked; `nil` when that is not known (a serial from an old
        /// `revoked.txt`, or given to a verifier besides the keyring).
        public var revoked: Date?

        /// A revocation with every field given.
        public init(serial: UInt64, revoked: Date?) {
            self.serial = serial
            self.revoked = revoked
        }

        enum CodingKeys: String, CodingKey { case serial, revoked }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            guard
                let serial = TicketSerial.parse(try container.decode(String.self, forKey: .serial))
            else {
                throw DecodingError.dataCorruptedError(
                    forKey: .serial, in: container,
                    debugDescription: "a revocation's serial is not 1 to 16 hexadecimal digits")
            }
            var revoked: Date?
            if let text = try container.decodeIfPresent(String.self, forKey: .revoked) {
                guard let date = Keyring.parseTimestamp(text) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .revoked, in: container,
                        debugDescription:
                            "the revocation of \(TicketSerial.text(serial)) has a bad time")
                }
                revoked = date
            }
            self.init(serial: serial, revoked: revoked)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(TicketSerial.text(serial), forKey: .serial)
            try container.encodeIfPresent(revoked.map(Keyring.timestamp), forKey: .revoked)
        }
    }

    /// The value of the JSON's `format` field.
    public static let format = "vaxticket-public-keys-1"
    /// The largest public key file read, in bytes (about a million revocations).
    public static let maximumFileSize = 64 * 1024 * 1024

    /// The keys, oldest first.
    public var keys: [Entry]
    /// The revoked tickets, oldest first.
    public var revocations: [Revoked]
    /// The programme's longest ticket validity in days, the first day included.
    public var maxValidityDays: Int

    /// A public keyring with every field given.
    public init(
        keys: [Entry], revocations: [Revoked] = [],
        maxValidityDays: Int = Keyring.defaultMaxValidityDays
    ) {
        self.keys = keys
        self.revocations = revocations
        self.maxValidityDays = maxValidityDays
    }

    /// The public half of `keyring`: no secret of any key, and no revocation reason. Serials in
    /// `revocations` that the keyring lacks (an old `revoked.txt`) are added, undated.
    public init(_ keyring: Keyring, revocations: RevocationList = RevocationList()) {
        self.init(
            keys: keyring.keys.map(Entry.init),
            revocations: keyring.revocations.map {
                Revoked(serial: $0.serial, revoked: $0.revoked)
            },
            maxValidityDays: keyring.maxValidityDays)
        self = adding(revocations)
    }

    /// This public keyring with the serials of `list` it lacks added, undated, in serial order.
    public func adding(_ list: RevocationList) -> PublicKeyring {
        let known = Set(revocations.map(\.serial))
        var result = self
        result.revocations += list.serials.subtracting(known).sorted().map {
            Revoked(serial: $0, revoked: nil)
        }
        return result
    }

    /// The key with this id.
    public func key(id: String) -> Entry? { keys.first { $0.id == id } }

    /// The revoked serials.
    public var revocationList: RevocationList { RevocationList(Set(revocations.map(\.serial))) }

    enum CodingKeys: String, CodingKey {
        case format, keys, revoked, maxValidityDays
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let format = try container.decode(String.self, forKey: .format)
        guard format == Self.format else {
            throw DecodingError.dataCorruptedError(
                forKey: .format, in: container,
                debugDescription:
                    "unknown format \"\(FreeText.excerpt(format))\" (expected \(Self.format))")
        }
        let maxValidityDays = try container.decode(Int.self, forKey: .maxValidityDays)
        guard (1...Keyring.maxValidityDaysLimit).contains(maxValidityDays) else {
            throw DecodingError.dataCorruptedError(
                forKey: .maxValidityDays, in: container,
                debugDescription: "maxValidityDays must be 1 to \(Keyring.maxValidityDaysLimit)")
        }
        let keys = try container.decode([Entry].self, forKey: .keys)
        var ids = Set<String>()
        for key in keys where !ids.insert(key.id).inserted {
            throw DecodingError.dataCorruptedError(
                forKey: .keys, in: container, debugDescription: "key \(key.id) is listed twice")
        }
        self.init(
            keys: keys, revocations: try container.decode([Revoked].self, forKey: .revoked),
            maxValidityDays: maxValidityDays)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.format, forKey: .format)
        try container.encode(keys, forKey: .keys)
        try container.encode(revocations, forKey: .revoked)
        try container.encode(maxValidityDays, forKey: .maxValidityDays)
    }

    /// Reads the JSON form; `path` names the source in errors.
    public init(json data: Data, path: String = "(data)") throws(PublicKeyringError) {
        do {
            self = try JSONDecoder().decode(PublicKeyring.self, from: data)
        } catch let error as DecodingError {
            throw .malformed(path: path, reason: Self.reason(error))
        } catch {
            throw .malformed(path: path, reason: "not JSON")
        }
    }

    /// The JSON form, pretty-printed with sorted keys and a final newline.
    public func json() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Every field is a string, a number or an array of them: encoding cannot fail.
        return ((try? encoder.encode(self)) ?? Data()) + Data("\n".utf8)
    }

    /// Reads a public key file: a regular file of at most ``maximumFileSize`` bytes. Unlike a
    /// keyring it holds nothing secret, so anyone may own or read it; whoever gives it to you
    /// decides which tickets verify, so take it only from the programme, over a channel you trust.
    public static func load(from path: String) throws(PublicKeyringError) -> PublicKeyring {
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(
                FilePath(path), .readOnly, options: [.closeOnExec, .nonBlocking])
        } catch {
            if (error as? Errno) == .noSuchFileOrDirectory { throw .notFound(path) }
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
        guard info.size <= maximumFileSize else {
            throw .tooLarge(path: path, bytes: Int(info.size))
        }
        let data: Data
        do {
            // One byte more than allowed, in case the file grew since its size was read.
            data = try handle.read(upToCount: maximumFileSize + 1) ?? Data()
        } catch {
            throw .io(path: path, reason: error.localizedDescription)
        }
        guard data.count <= maximumFileSize else {
            throw .tooLarge(path: path, bytes: data.count)
        }
        return try PublicKeyring(json: data, path: path)
    }

    /// Writes the JSON form to `path` atomically (a temporary file beside it, renamed into
    /// place), mode 0644 less the umask: nothing in it is secret.
    public func save(to path: String) throws(PublicKeyringError) {
        do {
            try AtomicFile.write(
                json(), to: path, permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            throw .io(path: path, reason: "\(error)")
        }
    }

    /// What a decoding error says, with where in the file.
    private static func reason(_ error: DecodingError) -> String {
        func place(_ path: [any CodingKey]) -> String {
            let names = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }
            return names.isEmpty ? "" : " at \(names.joined())"
        }
        switch error {
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "not JSON" : context.debugDescription
        case .keyNotFound(let key, let context):
            return "\(key.stringValue) is missing\(place(context.codingPath))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type\(place(context.codingPath))"
        @unknown default:
            return "not a public key file"
        }
    }
}
