import Crypto
public import Foundation
public import Recording
import Reports
public import TicketCodec

/// What a phone needs to decide offline, as `GET /api/v1/offline-bundle` answers it: the public
/// keys with their states and rotation days, the revoked serials, the programme's time zone, the
/// rules a phone can apply, the server's clock and a version. Never a secret: HMAC keys are
/// listed without key material, as in ``PublicKeyring``.
///
/// ``version`` is a digest of everything but ``serverTime``, so it changes exactly when what a
/// phone decides with changes; the server sends it as the ETag.
public struct OfflineBundle: Encodable, Hashable, Sendable {
    /// The rules a phone applies besides the signature.
    public struct Rules: Encodable, Hashable, Sendable {
        /// How far a scan's time may lie ahead of the server's clock, in seconds.
        public var clockSkewSeconds: Int
        /// Days a queued scan may wait before the server refuses it.
        public var queueDays: Int
        /// Scans one upload of the queue may hold.
        public var maxBatchScans: Int
        /// Which priority groups may receive which dose number.
        public var policy: EligibilityPolicy
        /// The vaccines tickets can name, with their minimum intervals.
        public var vaccines: [Vaccine]
    }

    /// The officer the bundle was fetched for.
    public struct OfficerInfo: Encodable, Hashable, Sendable {
        /// The officer's name, recorded with every dose.
        public var name: String
        /// The officer's site; `nil` records each ticket at its own site.
        public var site: String?

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(site, forKey: .site)
        }

        enum CodingKeys: String, CodingKey { case name, site }
    }

    /// The value of the JSON's `format` field.
    public static let format = "vaxticket-offline-bundle-1"

    /// A digest of every field but ``serverTime``: 64 lowercase hex digits.
    public private(set) var version: String
    /// The server's clock when it answered.
    public var serverTime: Date
    /// The programme's time zone, an IANA name such as `Asia/Jakarta`.
    public let timeZone: String
    /// The public keys, revocations and longest validity, as `keys export-public` writes them.
    public let publicKeys: PublicKeyring
    /// For each key that stopped signing, its last signing day in the programme's time zone: a
    /// ticket of that key whose validity starts later is refused (`signed_after_rotation`).
    public let stoppedSigningDays: [String: String]
    /// The rules a phone can apply.
    public let rules: Rules
    /// Who fetched it.
    public let officer: OfficerInfo

    /// The bundle of `verifier`'s keys and `rules` for `officer`, at `now`.
    public init(
        verifier: TicketVerifier, rules: RecordingRules, configuration: ServerConfiguration,
        officer: Officer, now: Date = Date()
    ) {
        timeZone = verifier.timeZone.identifier
        publicKeys = verifier.publicKeys
        var days: [String: String] = [:]
        for key in verifier.publicKeys.keys {
            if let stopped = key.stoppedSigning {
                days[key.id] = CalendarDate(stopped, in: verifier.timeZone).iso
            }
        }
        stoppedSigningDays = days
        self.rules = Rules(
            clockSkewSeconds: Int(ScanContext.maximumClockSkew),
            queueDays: configuration.queueDays, maxBatchScans: configuration.maxBatchScans,
            policy: rules.policy, vaccines: verifier.vaccines.vaccines)
        self.officer = OfficerInfo(name: officer.name, site: officer.site)
        serverTime = now
        version = ""
        version = Self.digest(of: self)
    }

    /// The hex SHA-256 of the bundle's JSON without its version and server time.
    private static func digest(of bundle: OfflineBundle) -> String {
        var content = bundle
        content.version = ""
        content.serverTime = Date(timeIntervalSince1970: 0)
        // Sorted keys make the encoding canonical; a failure cannot happen for these types, and
        // would only make every answer a full one.
        let data = (try? JSONLineWriter.encoder().encode(content)) ?? Data()
        return lowercaseHex(SHA256.hash(data: data))
    }

    enum CodingKeys: String, CodingKey {
        case format, version, serverTime, timeZone, publicKeys, stoppedSigningDays, rules, officer
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.format, forKey: .format)
        try container.encode(version, forKey: .version)
        try container.encode(serverTime, forKey: .serverTime)
        try container.encode(timeZone, forKey: .timeZone)
        try container.encode(publicKeys, forKey: .publicKeys)
        try container.encode(stoppedSigningDays, forKey: .stoppedSigningDays)
        try container.encode(rules, forKey: .rules)
        try container.encode(officer, forKey: .officer)
    }

    /// Whether an `If-None-Match` header names this bundle's version (or is `*`).
    public func isMatched(byIfNoneMatch header: String) -> Bool {
        header.split(separator: ",").contains { part in
            var tag = part.trimmingCharacters(in: .whitespaces)
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            return tag == "\"\(version)\""
        }
    }
}
