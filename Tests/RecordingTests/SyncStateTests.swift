import Foundation
import GRDB
import Recording
import TestSupport
import Testing

@Suite("Dose store: sync state for the registry")
struct SyncStateTests {
    /// A store with doses S1 (R1, in the roster), S2 (R2, not in the roster) and S3 (R3, given a day later).
    static func store(_ kind: StoreKind, in folder: TemporaryFolder) async throws -> any DoseStore {
        let store = try await kind.make(in: folder)
        _ = try await store.importRoster([
            Fixture.roster("R1"), Fixture.roster("R3", nik: "3171012345678903", name: "Budi"),
        ])
        _ = try await store.record(
            [
                .ticket(Fixture.ticket("S1", registrant: "R1")),
                .ticket(Fixture.ticket("S2", registrant: "R2")),
            ],
            context: Fixture.context(), rules: Fixture.rules)
        _ = try await store.record(
            [.ticket(Fixture.ticket("S3", registrant: "R3"))], context: Fixture.context(day: 1),
            rules: Fixture.rules)
        return store
    }

    @Test(
        "waiting doses come in pages by row number, with their roster entry when there is one",
        arguments: StoreKind.allCases)
    func pages(kind: StoreKind) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await Self.store(kind, in: folder)

        let first = try await store.registryDoses(RegistryDoseQuery(unsyncedOnly: true, limit: 2))
        let second = try await store.registryDoses(
            RegistryDoseQuery(unsyncedOnly: true, after: first.last?.id, limit: 2))

        #expect(first.map(\.record.serial) == ["S1", "S2"])
        #expect(first.first?.registrant?.nik == "3171012345678901")
        #expect(first.last?.registrant == nil)
        #expect(second.map(\.record.serial) == ["S3"])
        #expect(second.first?.registrant?.name == "Budi")
        #expect(
            try await store.registryDoses(
                RegistryDoseQuery(unsyncedOnly: false, since: "2021-08-24", limit: 10)
            ).map(\.record.serial)
                == ["S3"])
    }

    @Test(
        "marking synced and storing refusals change what waits and the counts",
        arguments: StoreKind.allCases)
    func markAndRefuse(kind: StoreKind) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await Self.store(kind, in: folder)

        try await store.recordSyncRefusals(["S1": "Patient not found", "S3": "lot unknown"])
        #expect(
            try await store.syncCounts(from: nil, to: nil)
                == SyncCounts(synced: 0, waiting: 3, refused: 2))
        try await store.markSynced(serials: ["S1"])

        let waiting = try await store.registryDoses(
            RegistryDoseQuery(unsyncedOnly: true, limit: 10))
        #expect(waiting.map(\.record.serial) == ["S2", "S3"])
        #expect(waiting.last?.lastRefusal == "lot unknown")
        #expect(try await store.dose(serial: "S1")?.syncState == .synced)
        #expect(
            try await store.registryDoses(RegistryDoseQuery(unsyncedOnly: false, limit: 1)).first?
                .lastRefusal == nil)
        #expect(
            try await store.syncCounts(from: nil, to: nil)
                == SyncCounts(synced: 1, waiting: 2, refused: 1))
        #expect(
            try await store.syncCounts(from: "2021-08-23", to: "2021-08-23")
                == SyncCounts(synced: 1, waiting: 1, refused: 0))

        // A refusal arriving for a dose already synced does not touch it.
        try await store.recordSyncRefusals(["S1": "late"])
        #expect(try await store.syncCounts(from: nil, to: nil).refused == 1)
        #expect(
            try await store.statistics(StatisticsQuery()).total == 3,
            "the tallies are untouched by sync state")
    }

    @Test("a database from before \"v2 sync\" is upgraded on open; its doses wait, unrefused")
    func upgradesOldDatabase() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("old.sqlite")
        do {
            let store = try await SQLiteDoseStore(path: path)
            _ = try await store.importRoster([Fixture.roster("R1")])
            _ = try await store.record(
                [.ticket(Fixture.ticket("S1"))], context: Fixture.context(), rules: Fixture.rules)
        }
        // Given: the file as the v1 schema left it.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(
                sql: """
                    \(Self.beforeSyncTally)
                    DROP INDEX dose_unsynced; DROP INDEX dose_unsynced_day; ALTER TABLE dose DROP COLUMN sync_refusal;
                    DELETE FROM grdb_migrations WHERE identifier = 'v2 sync';
                    """)
        }
        try queue.close()

        let store = try await SQLiteDoseStore(path: path)

        let waiting = try await store.registryDoses(
            RegistryDoseQuery(unsyncedOnly: true, limit: 10))
        #expect(waiting.map(\.record.serial) == ["S1"])
        #expect(waiting.first?.lastRefusal == nil)
        #expect(
            try await store.syncCounts(from: nil, to: nil)
                == SyncCounts(synced: 0, waiting: 1, refused: 0))
    }

    /// SQL that takes a database back to before "v3 sync tally", as an older vaxticket left it.
    static let beforeSyncTally = """
        DROP TRIGGER sync_tally_insert; DROP TRIGGER sync_tally_delete; DROP TRIGGER sync_tally_update;
        DROP TABLE sync_tally;
        CREATE INDEX dose_unsynced_day ON dose (administered_day) WHERE sync_state = 'pending';
        DROP INDEX dose_origin; CREATE UNIQUE INDEX dose_origin ON dose (origin, origin_id);
        DROP INDEX scan_log_origin; CREATE UNIQUE INDEX scan_log_origin ON scan_log (origin, origin_id);
        DELETE FROM grdb_migrations WHERE identifier = 'v3 sync tally';
        """

    @Test("a database from before \"v3 sync tally\" is upgraded on open: its counts are tallied")
    func backfillsSyncTally() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("old.sqlite")
        do {
            let store = try await SQLiteDoseStore(path: path)
            _ = try await store.record(
                (1...4).map { .ticket(Fixture.ticket("S\($0)", registrant: "R\($0)")) },
                context: Fixture.context(), rules: Fixture.rules)
            _ = try await store.record(
                [.ticket(Fixture.ticket("S5", registrant: "R5"))], context: Fixture.context(day: 1),
                rules: Fixture.rules)
            try await store.markSynced(serials: ["S1", "S5"])
            try await store.recordSyncRefusals(["S2": "no NIK"])
        }
        // Given: the file as vaxticket left it before the sync tally.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in try db.execute(sql: Self.beforeSyncTally) }
        try queue.close()

        // When it is opened, then the counts come from the new tally, per day.
        let store = try await SQLiteDoseStore(path: path)
        #expect(
            try await store.syncCounts(from: nil, to: nil)
                == SyncCounts(synced: 2, waiting: 3, refused: 1))
        #expect(
            try await store.syncCounts(from: "2021-08-24", to: nil)
                == SyncCounts(synced: 1, waiting: 0, refused: 0))
        // And it keeps counting.
        try await store.markSynced(serials: ["S2"])
        #expect(
            try await store.syncCounts(from: nil, to: nil)
                == SyncCounts(synced: 3, waiting: 2, refused: 0))
    }
}
