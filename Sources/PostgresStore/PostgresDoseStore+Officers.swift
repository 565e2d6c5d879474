public import Foundation
import PostgresNIO
public import Recording

extension PostgresDoseStore {
    public func addOfficer(_ officer: Officer) async throws(OfficerError) {
        try officer.validate()
        let inserted: Bool
        do {
            inserted = try await transaction { connection in
                try await connection.run(
                    """
                    INSERT INTO officer (name, site, token_hash, created_at, revoked_at)
                    VALUES (\(officer.name), \(officer.site), \(officer.tokenHash), \(officer.createdAt), \(officer.revokedAt))
                    ON CONFLICT (name) DO NOTHING RETURNING name
                    """
                ).count == 1
            }
        } catch {
            throw .store(error)
        }
        if !inserted { throw .nameTaken(officer.name) }
    }

    public func officers() async throws(StoreError) -> [Officer] {
        try await statement { connection in
            try await connection.run(
                "SELECT name, site, token_hash, created_at, revoked_at FROM officer ORDER BY name"
            ).map(Self.officer)
        }
    }

    public func activeOfficer(tokenHash: String) async throws(StoreError) -> Officer? {
        try await statement { connection in
            try await connection.run(
                "SELECT name, site, token_hash, created_at, revoked_at FROM officer WHERE token_hash = \(tokenHash) AND revoked_at IS NULL"
            ).first.map(Self.officer)
        }
    }

    public func activeOfficers(tokenHashes: [String]) async throws(StoreError) -> [Officer] {
        guard !tokenHashes.isEmpty else { return [] }
        return try await statement { connection in
            try await connection.run(
                "SELECT name, site, token_hash, created_at, revoked_at FROM officer WHERE token_hash = ANY(\(tokenHashes)::text[]) AND revoked_at IS NULL"
            ).map(Self.officer)
        }
    }

    public func revokeOfficer(name: String, at: Date) async throws(OfficerError) {
        enum Found { case revoked, unknown, already }
        let found: Found
        do {
            found = try await transaction { connection in
                let rows = try await connection.run(
                    "SELECT revoked_at FROM officer WHERE name = \(name) FOR UPDATE")
                guard let row = rows.first else { return .unknown }
                if try row.decode(Date?.self) != nil { return .already }
                try await connection.run(
                    "UPDATE officer SET revoked_at = \(at) WHERE name = \(name)")
                return .revoked
            }
        } catch {
            throw .store(error)
        }
        switch found {
        case .revoked: return
        case .unknown: throw .unknownOfficer(name)
        case .already: throw .alreadyRevoked(name)
        }
    }

    private static func officer(_ row: PostgresRow) throws -> Officer {
        let (name, site, hash, created, revoked) = try row.decode(
            (String, String?, String, Date, Date?).self)
        return Officer(
            name: name, site: site, tokenHash: hash, createdAt: created, revokedAt: revoked)
    }
}
