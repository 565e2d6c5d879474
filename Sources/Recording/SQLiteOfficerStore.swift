public import Foundation
public import GRDB

extension SQLiteDoseStore {
    public func addOfficer(_ officer: Officer) async throws(OfficerError) {
        try officer.validate()
        let inserted: Bool
        do {
            inserted = try await write { db in
                if try Officer.fetchOne(db, key: officer.name) != nil { return false }
                try officer.insert(db)
                return true
            }
        } catch {
            throw .store(error)
        }
        if !inserted { throw .nameTaken(officer.name) }
    }

    public func officers() async throws(StoreError) -> [Officer] {
        try await read { db in try Officer.order(Column("name")).fetchAll(db) }
    }

    public func activeOfficer(tokenHash: String) async throws(StoreError) -> Officer? {
        try await read { db in
            try Officer.filter(Column("token_hash") == tokenHash && Column("revoked_at") == nil)
                .fetchOne(db)
        }
    }

    public func activeOfficers(tokenHashes: [String]) async throws(StoreError) -> [Officer] {
        guard !tokenHashes.isEmpty else { return [] }
        return try await read { db in
            try Officer.filter(tokenHashes.contains(Column("token_hash")))
                .filter(Column("revoked_at") == nil).fetchAll(db)
        }
    }

    public func revokeOfficer(name: String, at: Date) async throws(OfficerError) {
        enum Found { case revoked, unknown, already }
        let found: Found
        do {
            found = try await write { db in
                guard var officer = try Officer.fetchOne(db, key: name) else { return .unknown }
                guard officer.isActive else { return .already }
                officer.revokedAt = at
                try officer.update(db)
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
}

extension Officer: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "officer"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy
        .convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy
        .convertToSnakeCase
}
