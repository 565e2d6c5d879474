import Foundation
import Recording
import TestSupport
import Testing

@Suite("Merging offline stations: exactly once, conflicts kept")
struct MergeTests {
    /// A station's own SQLite file with `scans` recorded in one batch by `station`.
    private func station(
        _ name: String, in folder: TemporaryFolder, _ scans: [ScanInput], day: Int = 0
    ) throws -> SQLiteDoseStore {
        let store = try SQLiteDoseStore(path: folder.path("\(name).sqlite"))
        _ = try store.record(
            scans, context: Fixture.context(officer: "OFC-\(name)", station: name, day: day),
            rules: Fixture.rules)
        return store
    }

    @Test(
        "a station's doses and scan log come in exactly once; merging again changes nothing",
        arguments: StoreKind.allCases)
    func exactlyOnce(kind: StoreKind) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let central = try kind.make(in: folder)
        _ = try central.record(
            [.ticket(Fixture.ticket("S3", registrant: "R3"))],
            context: Fixture.context(station: "SERVER"), rules: Fixture.rules)
        let station = try station(
            "ST1", in: folder,
            [
                .ticket(Fixture.ticket("S1", registrant: "R1")),
                .ticket(Fixture.ticket("S2", registrant: "R2")),
                .refused(.unreadable(.noCode), ticket: nil),
            ])

        let first = try central.merge(try station.mergeSource())

        #expect(
            first
                == MergeResult(
                    dosesAdded: 2, dosesAlreadyMerged: 0, scansAdded: 3, scansAlreadyMerged: 0,
                    conflicts: [],
                    conflictsAlreadyKnown: 0))
        #expect(try central.dose(serial: "S1")?.station == "ST1")
        #expect(try central.dose(serial: "S2")?.officer == "OFC-ST1")
        let stats = try central.statistics(StatisticsQuery())
        #expect(stats.total == 3)
        #expect(stats.scans == ["recorded": 3, "no_code": 1])
        let log = try central.scanLog()
        #expect(log.map(\.station) == ["SERVER", "ST1", "ST1", "ST1"])

        let second = try central.merge(try station.mergeSource())

        #expect(
            second
                == MergeResult(
                    dosesAdded: 0, dosesAlreadyMerged: 2, scansAdded: 0, scansAlreadyMerged: 3,
                    conflicts: [],
                    conflictsAlreadyKnown: 0))
        #expect(try central.statistics(StatisticsQuery()) == stats)
        #expect(try central.scanLog() == log)
    }

    @Test(
        "a dose two stations recorded offline is a conflict: reported, kept, and both scans logged",
        arguments: StoreKind.allCases
    )
    func conflicts(kind: StoreKind) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let central = try kind.make(in: folder)
        let first = try station(
            "ST1", in: folder, [.ticket(Fixture.ticket("S1", registrant: "R1"))])
        // The same registrant's dose 1 under another serial, and the very same ticket again.
        let second = try station(
            "ST2", in: folder,
            [
                .ticket(Fixture.ticket("S9", registrant: "R1")),
                .ticket(Fixture.ticket("S2", registrant: "R2")),
            ], day: 1)
        let third = try station(
            "ST3", in: folder, [.ticket(Fixture.ticket("S1", registrant: "R1"))], day: 2)

        _ = try central.merge(try first.mergeSource())
        let sameDose = try central.merge(try second.mergeSource())
        let sameSerial = try central.merge(try third.mergeSource())

        #expect(sameDose.dosesAdded == 1)
        #expect(sameDose.conflicts.map(\.kind) == [.sameDose])
        #expect(sameDose.conflicts.first?.incoming.serial == "S9")
        #expect(sameDose.conflicts.first?.incoming.station == "ST2")
        #expect(sameDose.conflicts.first?.existing.serial == "S1")
        #expect(sameSerial.dosesAdded == 0)
        #expect(sameSerial.conflicts.map(\.kind) == [.sameSerial])
        #expect(sameSerial.conflicts.first?.incoming.station == "ST3")
        // The database keeps its first dose; every station's scan stays in the log.
        #expect(try central.doses(registrant: "R1").map(\.serial) == ["S1"])
        #expect(try central.dose(serial: "S9") == nil)
        let log = try central.scanLog()
        #expect(log.map(\.serial) == ["S1", "S9", "S2", "S1"])
        #expect(log.map(\.station) == ["ST1", "ST2", "ST2", "ST3"])
        #expect(try central.statistics(StatisticsQuery()).total == 2)

        let again = try central.merge(try second.mergeSource())

        #expect(
            again
                == MergeResult(
                    dosesAdded: 0, dosesAlreadyMerged: 1, scansAdded: 0, scansAlreadyMerged: 2,
                    conflicts: [],
                    conflictsAlreadyKnown: 1))
        #expect(try central.scanLog() == log)
    }

    @Test(
        "records that reach the database by two paths come in once", arguments: StoreKind.allCases)
    func twoPaths(kind: StoreKind) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let central = try kind.make(in: folder)
        let station = try station(
            "ST1", in: folder, [.ticket(Fixture.ticket("S1", registrant: "R1"))])
        // A site's hub collects the station's file, records one of its own, and is merged later.
        let hub = try self.station(
            "HUB", in: folder, [.ticket(Fixture.ticket("S2", registrant: "R2"))])
        _ = try hub.merge(try station.mergeSource())

        _ = try central.merge(try station.mergeSource())
        let viaHub = try central.merge(try hub.mergeSource())

        #expect(
            viaHub
                == MergeResult(
                    dosesAdded: 1, dosesAlreadyMerged: 1, scansAdded: 1, scansAlreadyMerged: 1,
                    conflicts: [],
                    conflictsAlreadyKnown: 0))
        #expect(try central.statistics(StatisticsQuery()).total == 2)
        #expect(try central.scanLog().count == 2)
    }

    @Test("a database merged into itself is refused")
    func intoItself() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try station("ST1", in: folder, [.ticket(Fixture.ticket("S1"))])
        #expect(throws: StoreError.mergeIntoItself(path: store.path)) {
            try store.merge(try store.mergeSource())
        }
        #expect(try store.scanLog().count == 1)
    }
}
