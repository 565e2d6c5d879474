import Foundation
import Recording
import TestSupport
import Testing

/// Officers in the SQLite store: names unique, tokens kept as hashes only, revocation final.
@Suite("officer store")
struct OfficerStoreTests {
    static let hashA = String(repeating: "a1", count: 32)
    static let hashB = String(repeating: "b2", count: 32)

    @Test(
        "many token hashes in one lookup: the active officers among them, never a revoked or unknown one",
        arguments: StoreKind.allCases)
    func manyInOneLookup(kind: StoreKind) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await kind.make(in: folder)
        guard let officers = store as? any OfficerStore else {
            Issue.record("the \(kind) store keeps no officers")
            return
        }
        let added = Date(timeIntervalSince1970: 1_630_000_000)
        let hashes = (0..<5).map { String(repeating: "d\($0)", count: 32) }
        for (index, hash) in hashes.enumerated() {
            try await officers.addOfficer(
                Officer(name: "OFC\(index)", site: "JKT01", tokenHash: hash, createdAt: added))
        }
        try await officers.revokeOfficer(name: "OFC3", at: added.addingTimeInterval(60))
        let unknown = String(repeating: "e9", count: 32)
        let found = try await officers.activeOfficers(tokenHashes: hashes + [unknown, hashes[0]])
        #expect(Set(found.map(\.name)) == ["OFC0", "OFC1", "OFC2", "OFC4"])
        #expect(found.allSatisfy { hashes.contains($0.tokenHash) && $0.revokedAt == nil })
        #expect(try await officers.activeOfficers(tokenHashes: []).isEmpty)
        #expect(try await officers.activeOfficers(tokenHashes: [unknown]).isEmpty)
    }

    @Test("add, look up by token hash, list, revoke")
    func lifecycle() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await SQLiteDoseStore(path: folder.path("doses.sqlite"))
        let added = Date(timeIntervalSince1970: 1_630_000_000)
        try await store.addOfficer(
            Officer(name: "Budi", site: "JKT01", tokenHash: Self.hashA, createdAt: added))
        try await store.addOfficer(
            Officer(name: "Ani", site: nil, tokenHash: Self.hashB, createdAt: added))
        #expect(try await store.officers().map(\.name) == ["Ani", "Budi"])
        #expect(try await store.activeOfficer(tokenHash: Self.hashA)?.name == "Budi")
        #expect(try await store.activeOfficer(tokenHash: Self.hashA)?.site == "JKT01")
        #expect(try await store.activeOfficer(tokenHash: String(repeating: "0", count: 64)) == nil)

        await #expect(throws: OfficerError.nameTaken("Budi")) {
            try await store.addOfficer(
                Officer(
                    name: "Budi", site: nil, tokenHash: String(repeating: "c3", count: 32),
                    createdAt: added))
        }
        try await store.revokeOfficer(name: "Budi", at: added.addingTimeInterval(60))
        #expect(try await store.activeOfficer(tokenHash: Self.hashA) == nil)
        #expect(
            try await store.officers().first { $0.name == "Budi" }?.revokedAt
                == added.addingTimeInterval(60))
        await #expect(throws: OfficerError.alreadyRevoked("Budi")) {
            try await store.revokeOfficer(name: "Budi", at: Date())
        }
        await #expect(throws: OfficerError.unknownOfficer("Nobody")) {
            try await store.revokeOfficer(name: "Nobody", at: Date())
        }

        // Kept across reopening: the officers live in the database file.
        let reopened = try await SQLiteDoseStore(path: folder.path("doses.sqlite"), create: false)
        #expect(try await reopened.activeOfficer(tokenHash: Self.hashB)?.name == "Ani")
    }

    @Test(
        "names and sites are checked; a token hash that is not 64 hex digits is refused by the schema"
    )
    func validation() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await SQLiteDoseStore(path: folder.path("doses.sqlite"))
        for name in ["", " padded", String(repeating: "x", count: 65), "tab\there"] {
            await #expect(throws: OfficerError.invalidField(field: "name", value: name)) {
                try await store.addOfficer(
                    Officer(name: name, site: nil, tokenHash: Self.hashA, createdAt: Date()))
            }
        }
        await #expect(throws: OfficerError.self) {
            try await store.addOfficer(
                Officer(name: "X", site: nil, tokenHash: "secret-token", createdAt: Date()))
        }
        #expect(try await store.officers().isEmpty)
    }
}
