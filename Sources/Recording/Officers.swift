public import Foundation

/// An officer allowed to use the scanning server. The store keeps only a hash of the officer's
/// token, never the token itself.
public struct Officer: Codable, Hashable, Sendable {
    /// The officer's name, unique; recorded with every dose the officer gives.
    public var name: String
    /// The site the officer works at; `nil` records each ticket at its own site.
    public var site: String?
    /// The SHA-256 of the officer's token, as 64 lowercase hex digits.
    public var tokenHash: String
    /// When the officer was added.
    public var createdAt: Date
    /// When the officer's token was revoked, or `nil` while it is valid.
    public var revokedAt: Date?

    /// An officer with every field given.
    public init(
        name: String, site: String?, tokenHash: String, createdAt: Date, revokedAt: Date? = nil
    ) {
        self.name = name
        self.site = site
        self.tokenHash = tokenHash
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    /// Whether the officer's token is still accepted.
    public var isActive: Bool { revokedAt == nil }

    /// Refuses a name or site that is not 1 to 64 printable characters, before any store writes it.
    public func validate() throws(OfficerError) {
        try OfficerError.check(name, field: "name")
        if let site { try OfficerError.check(site, field: "site") }
    }
}

/// Why an officer could not be added or revoked.
public enum OfficerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// An officer with this name exists already (revoked ones included: names are never reused).
    case nameTaken(String)
    /// No officer has this name.
    case unknownOfficer(String)
    /// The officer's token was revoked before.
    case alreadyRevoked(String)
    /// The name or site is empty, too long or holds control characters.
    case invalidField(field: String, value: String)
    /// The store failed.
    case store(StoreError)

    public var description: String {
        switch self {
        case .nameTaken(let name): "an officer named \(name) exists already"
        case .unknownOfficer(let name): "no officer named \(name)"
        case .alreadyRevoked(let name): "the token of officer \(name) is revoked already"
        case .invalidField(let field, let value):
            "invalid \(field) \"\(value)\": 1 to 64 printable characters"
        case .store(let error): error.description
        }
    }

    /// Checks a name or site: 1 to 64 characters, no control characters, no surrounding spaces.
    public static func check(_ value: String, field: String) throws(OfficerError) {
        let valid =
            !value.isEmpty && value.count <= 64
            && value.trimmingCharacters(in: .whitespaces) == value
            && !value.unicodeScalars.contains { CharacterSet.controlCharacters.contains($0) }
        if !valid { throw .invalidField(field: field, value: value) }
    }
}
