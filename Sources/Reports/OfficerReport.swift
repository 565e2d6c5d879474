public import Foundation
public import Recording

/// One `officers list --json` line: never the token or its hash.
public struct OfficerReport: Encodable, Hashable, Sendable {
    /// The officer's name.
    public var name: String
    /// The officer's site, if any.
    public var site: String?
    /// Whether the token is accepted.
    public var active: Bool
    /// When the officer was added.
    public var createdAt: Date
    /// When the token was revoked.
    public var revokedAt: Date?

    /// The report of `officer`.
    public init(_ officer: Officer) {
        name = officer.name
        site = officer.site
        active = officer.isActive
        createdAt = officer.createdAt
        revokedAt = officer.revokedAt
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(site, forKey: .site)
        try container.encode(active, forKey: .active)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(revokedAt, forKey: .revokedAt)
    }

    private enum CodingKeys: String, CodingKey { case name, site, active, createdAt, revokedAt }
}
