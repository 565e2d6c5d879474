import Foundation
import GRDB
import Recording
import TestSupport
import Testing

@Suite("Dose store: sync state for the registry")
struct SyncStateTests {
    /// A store with doses S1 (R1, in the roster), S2 (R2, not in the roster) and S3 (R3, given a day later).
    static func store(_ kind: StoreKind, in folder: TemporaryFolder) throws -> any DoseStore {
        let store = try kind.make(in: folder)
        _ = try store.importRoster([
            Fixture.roster("R1"), Fixture.roster("R3", nik: "3171012345678903", name: "Budi"),
        ])
        _ = try store.record(
            [
                .ticket(Fixture.ticket("S1", registrant: "R1")),
                .ticket(Fixture.ticket("S2", registrant: "R2")),
            ],
            context: Fixture.context(), rules: Fixture.rules)
        _ = try store.record(
            [.ticket(Fixture.ticket("S3", registrant: "R3"))], context: Fixture.context(day: 1),
            rules: Fixture.rules)
        return store
    }

    @Test(
        "waiting doses come in pages by row number, with their roster entry when there is one",
        arguments: StoreKind.allCases)
    func pages(kind: StoreKind) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Self.store(kind, in: folder)

        let first = try store.registryDoses(RegistryDoseQuery(unsyncedOnly: true, limit: 2))
        let second = try store.registryDoses(
            RegistryDoseQuery(unsyncedOnly: true, after: first.last?.id, limit: 2))

        #expect(first.map(\.record.serial) == ["S1", "S2"])
        #expect(first.first?.registrant?.nik == "3171012345678901")
        #expect(first.last?.registrant == nil)
        #expect(second.map(\.record.serial) == ["S3"])
        #expect(second.first?.registrant?.name == "Budi")
        #expect(
            try store.registryDoses(
                RegistryDoseQuery(unsyncedOnly: false, since: "2021-08-24", limit: 10)
            ).map(\.record.serial)
                == ["S3"])
    }

    @Test(
        "marking synced and storing refusals change what waits and the counts",
        arguments: StoreKind.allCases)
    func markAndRefuse(kind: StoreKind) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Self.store(kind, in: folder)

        try store.recordSyncRefusals(["S1": "Patient not found", "S3": "lot unknown"])
        #expect(
            try store.syncCounts(from: nil, to: nil)
                == SyncCounts(synced: 0, waiting: 3, refused: 2))
        try store.markSynced(serials: ["S1"])

        let waiting = try store.registryDoses(RegistryDoseQuery(unsyncedOnly: true, limit: 10))
        #expect(waiting.map(\.record.serial) == ["S2", "S3"])
        #expect(waiting.last?.lastRefusal == "lot unknown")
        #expect(try store.dose(serial: "S1")?.syncState == .synced)
        #expect(
            try store.registryDoses(RegistryDoseQuery(unsyncedOnly: false, limit: 1)).first?
                .lastRefusal == nil)
        #expect(
            try store.syncCounts(from: nil, to: nil)
                == SyncCounts(synced: 1, waiting: 2, refused: 1))
        #expect(
            try store.syncCounts(from: "2021-08-23", to: "2021-08-23")
                == SyncCounts(synced: 1, waiting: 1, refused: 0))

        // A refusal arriving for a dose already synced does not touch it.
        try store.recordSyncRefusals(["S1": "late"])
        #expect(try store.syncCounts(from: nil, to: nil).refused == 1)
        #expect(
            try store.statistics(StatisticsQuery()).total == 3,
            "the tallies are untouched by sync state")
    }

    @Test("a database from before \"v2 sync\" is upgraded on open; its doses wait, unrefused")
    func upgradesOldDatabase() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("old.sqlite")
        do {
            let store = try SQLiteDoseStore(path: path)
            _ = try store.importRoster([Fixture.roster("R1")])
            _ = try store.record(
                [.ticket(Fixture.ticket("S1"))], context: Fixture.context(), rules: Fixture.rules)
        }
        // Given: the file as the v1 schema left it.
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(
                sql: """
                    DROP INDEX dose_unsynced; DROP INDEX dose_unsynced_day; ALTER TABLE dose DROP COLUMN sync_refusal;
                    DELETE FROM grdb_migrations WHERE identifier = 'v2 sync';
                    """)
        }
        try queue.close()

        let store = try SQLiteDoseStore(path: path)

        let waiting = try store.registryDoses(RegistryDoseQuery(unsyncedOnly: true, limit: 10))
        #expect(waiting.map(\.record.serial) == ["S1"])
        #expect(waiting.first?.lastRefusal == nil)
        #expect(
            try store.syncCounts(from: nil, to: nil)
                == SyncCounts(synced: 0, waiting: 1, refused: 0))
    }
}
