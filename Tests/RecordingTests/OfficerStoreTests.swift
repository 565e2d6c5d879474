import Foundation
import Recording
import TestSupport
import Testing

/// Officers in the SQLite store: names unique, tokens kept as hashes only, revocation final.
@Suite("officer store")
struct OfficerStoreTests {
    static let hashA = String(repeating: "a1", count: 32)
    static let hashB = String(repeating: "b2", count: 32)

    @Test("add, look up by token hash, list, revoke")
    func lifecycle() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteDoseStore(path: folder.path("doses.sqlite"))
        let added = Date(timeIntervalSince1970: 1_630_000_000)
        try store.addOfficer(
            Officer(name: "Budi", site: "JKT01", tokenHash: Self.hashA, createdAt: added))
        try store.addOfficer(
            Officer(name: "Ani", site: nil, tokenHash: Self.hashB, createdAt: added))
        #expect(try store.officers().map(\.name) == ["Ani", "Budi"])
        #expect(try store.activeOfficer(tokenHash: Self.hashA)?.name == "Budi")
        #expect(try store.activeOfficer(tokenHash: Self.hashA)?.site == "JKT01")
        #expect(try store.activeOfficer(tokenHash: String(repeating: "0", count: 64)) == nil)

        #expect(throws: OfficerError.nameTaken("Budi")) {
            try store.addOfficer(
                Officer(
                    name: "Budi", site: nil, tokenHash: String(repeating: "c3", count: 32),
                    createdAt: added))
        }
        try store.revokeOfficer(name: "Budi", at: added.addingTimeInterval(60))
        #expect(try store.activeOfficer(tokenHash: Self.hashA) == nil)
        #expect(
            try store.officers().first { $0.name == "Budi" }?.revokedAt
                == added.addingTimeInterval(60))
        #expect(throws: OfficerError.alreadyRevoked("Budi")) {
            try store.revokeOfficer(name: "Budi", at: Date())
        }
        #expect(throws: OfficerError.unknownOfficer("Nobody")) {
            try store.revokeOfficer(name: "Nobody", at: Date())
        }

        // Kept across reopening: the officers live in the database file.
        let reopened = try SQLiteDoseStore(path: folder.path("doses.sqlite"), create: false)
        #expect(try reopened.activeOfficer(tokenHash: Self.hashB)?.name == "Ani")
    }

    @Test(
        "names and sites are checked; a token hash that is not 64 hex digits is refused by the schema"
    )
    func validation() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteDoseStore(path: folder.path("doses.sqlite"))
        for name in ["", " padded", String(repeating: "x", count: 65), "tab\there"] {
            #expect(throws: OfficerError.invalidField(field: "name", value: name)) {
                try store.addOfficer(
                    Officer(name: name, site: nil, tokenHash: Self.hashA, createdAt: Date()))
            }
        }
        #expect(throws: OfficerError.self) {
            try store.addOfficer(
                Officer(name: "X", site: nil, tokenHash: "secret-token", createdAt: Date()))
        }
        #expect(try store.officers().isEmpty)
    }
}
