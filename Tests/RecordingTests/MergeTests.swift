import Foundation
import Recording
import TestSupport
import Testing
import TicketScanning
import TicketStation

@Suite("Merging offline stations: exactly once, conflicts kept")
struct MergeTests {
    /// A station's own SQLite file with `scans` recorded in one batch by `station`.
    private func station(
        _ name: String, in folder: TemporaryFolder, _ scans: [ScanInput], day: Int = 0
    ) async throws -> SQLiteDoseStore {
        let store = try await SQLiteDoseStore(path: folder.path("\(name).sqlite"))
        _ = try await store.record(
            scans, context: Fixture.context(officer: "OFC-\(name)", station: name, day: day),
            rules: Fixture.rules)
        return store
    }

    @Test(
        "a station's doses and scan log come in exactly once; merging again changes nothing",
        arguments: StoreKind.allCases)
    func exactlyOnce(kind: StoreKind) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let central = try await kind.make(in: folder)
        _ = try await central.record(
            [.ticket(Fixture.ticket("S3", registrant: "R3"))],
            context: Fixture.context(station: "SERVER"), rules: Fixture.rules)
        let station = try await station(
            "ST1", in: folder,
            [
                .ticket(Fixture.ticket("S1", registrant: "R1")),
                .ticket(Fixture.ticket("S2", registrant: "R2")),
                .refused(.unreadable(UnreadableScan(.noCode)), ticket: nil),
            ])

        let first = try await central.merge(try station.mergeSource())

        #expect(
            first
                == MergeResult(
                    dosesAdded: 2, dosesAlreadyMerged: 0, scansAdded: 3, scansAlreadyMerged: 0,
                    conflicts: [],
                    conflictsAlreadyKnown: 0))
        #expect(try await central.dose(serial: "S1")?.station == "ST1")
        #expect(try await central.dose(serial: "S2")?.officer == "OFC-ST1")
        let stats = try await central.statistics(StatisticsQuery())
        #expect(stats.total == 3)
        #expect(stats.scans == ["recorded": 3, "no_code": 1])
        let log = try await central.scanLog()
        #expect(log.map(\.station) == ["SERVER", "ST1", "ST1", "ST1"])

        let second = try await central.merge(try station.mergeSource())

        #expect(
            second
                == MergeResult(
                    dosesAdded: 0, dosesAlreadyMerged: 2, scansAdded: 0, scansAlreadyMerged: 3,
                    conflicts: [],
                    conflictsAlreadyKnown: 0))
        #expect(try await central.statistics(StatisticsQuery()) == stats)
        #expect(try await central.scanLog() == log)
    }

    @Test(
        "a dose two stations recorded offline is a conflict: reported, kept, and both scans logged",
        arguments: StoreKind.allCases
    )
    func conflicts(kind: StoreKind) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let central = try await kind.make(in: folder)
        let first = try await station(
            "ST1", in: folder, [.ticket(Fixture.ticket("S1", registrant: "R1"))])
        // The same registrant's dose 1 under another serial, and the very same ticket again.
        let second = try await station(
            "ST2", in: folder,
            [
                .ticket(Fixture.ticket("S9", registrant: "R1")),
                .ticket(Fixture.ticket("S2", registrant: "R2")),
            ], day: 1)
        let third = try await station(
            "ST3", in: folder, [.ticket(Fixture.ticket("S1", registrant: "R1"))], day: 2)

        _ = try await central.merge(try first.mergeSource())
        let sameDose = try await central.merge(try second.mergeSource())
        let sameSerial = try await central.merge(try third.mergeSource())

        #expect(sameDose.dosesAdded == 1)
        #expect(sameDose.conflicts.map(\.kind) == [.sameDose])
        #expect(sameDose.conflicts.first?.incoming.serial == "S9")
        #expect(sameDose.conflicts.first?.incoming.station == "ST2")
        #expect(sameDose.conflicts.first?.existing.serial == "S1")
        #expect(sameSerial.dosesAdded == 0)
        #expect(sameSerial.conflicts.map(\.kind) == [.sameSerial])
        #expect(sameSerial.conflicts.first?.incoming.station == "ST3")
        // The database keeps its first dose; every station's scan stays in the log.
        #expect(try await central.doses(registrant: "R1").map(\.serial) == ["S1"])
        #expect(try await central.dose(serial: "S9") == nil)
        let log = try await central.scanLog()
        #expect(log.map(\.serial) == ["S1", "S9", "S2", "S1"])
        #expect(log.map(\.station) == ["ST1", "ST2", "ST2", "ST3"])
        #expect(try await central.statistics(StatisticsQuery()).total == 2)

        let again = try await central.merge(try second.mergeSource())

        #expect(
            again
                == MergeResult(
                    dosesAdded: 0, dosesAlreadyMerged: 1, scansAdded: 0, scansAlreadyMerged: 2,
                    conflicts: [],
                    conflictsAlreadyKnown: 1))
        #expect(try await central.scanLog() == log)
    }

    @Test(
        "records that reach the database by two paths come in once", arguments: StoreKind.allCases)
    func twoPaths(kind: StoreKind) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let central = try await kind.make(in: folder)
        let station = try await station(
            "ST1", in: folder, [.ticket(Fixture.ticket("S1", registrant: "R1"))])
        // A site's hub collects the station's file, records one of its own, and is merged later.
        let hub = try await self.station(
            "HUB", in: folder, [.ticket(Fixture.ticket("S2", registrant: "R2"))])
        _ = try await hub.merge(try station.mergeSource())

        _ = try await central.merge(try station.mergeSource())
        let viaHub = try await central.merge(try hub.mergeSource())

        #expect(
            viaHub
                == MergeResult(
                    dosesAdded: 1, dosesAlreadyMerged: 1, scansAdded: 1, scansAlreadyMerged: 1,
                    conflicts: [],
                    conflictsAlreadyKnown: 0))
        #expect(try await central.statistics(StatisticsQuery()).total == 2)
        #expect(try await central.scanLog().count == 2)
    }

    @Test("a database merged into itself is refused")
    func intoItself() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await station("ST1", in: folder, [.ticket(Fixture.ticket("S1"))])
        await #expect(throws: StoreError.mergeIntoItself(path: store.path)) {
            try await store.merge(try store.mergeSource())
        }
        #expect(try await store.scanLog().count == 1)
    }
}
