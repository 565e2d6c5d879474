import Foundation
import Recording
import TestSupport
import Testing
import TicketCodec
import TicketScanning
import TicketStation

@Suite("Dose store: recording, roster, scan log, statistics")
struct DoseStoreTests {
    @Test(
        "a verified ticket is recorded with every field, and logged", arguments: StoreKind.allCases)
    func records(kind: StoreKind) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await kind.make(in: folder)
        _ = try await store.importRoster([Fixture.roster("R1")])

        let results = try await store.record(
            [.ticket(Fixture.ticket("S1"))], context: Fixture.context(), rules: Fixture.rules)

        #expect(results.map(\.outcome) == [.recorded])
        #expect(results.first?.rosterName == "Siti Rahma")
        #expect(results.first?.message == "recorded: dose 1 of CORONAVAC for R1 (Siti Rahma)")
        let dose = try await #require(try store.dose(serial: "S1"))
        #expect(dose.registrant == "R1")
        #expect(dose.dose == 1)
        #expect(dose.vaccine == "CORONAVAC")
        #expect(dose.lot == "LOT42")
        #expect(dose.site == "JKT01")
        #expect(dose.officer == "OFC1")
        #expect(dose.station == "ST1")
        #expect(abs(dose.administeredAt.timeIntervalSince(Fixture.at())) < 0.001)
        #expect(dose.administeredDay == "2021-08-23")
        #expect(dose.syncState == .pending)
        let log = try await store.scanLog()
        #expect(log.map(\.outcome.rawValue) == ["recorded"])
        #expect(log.first?.serial == "S1")
        #expect(log.first?.officer == "OFC1")
    }

    @Test(
        "a re-scan records nothing and reports when, where and by whom",
        arguments: StoreKind.allCases)
    func rescanIsIdempotent(kind: StoreKind) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await kind.make(in: folder)
        _ = try await store.record(
            [.ticket(Fixture.ticket("S1"))],
            context: Fixture.context(officer: "OFC1", station: "ST1"), rules: Fixture.rules)

        let again = try await store.record(
            [.ticket(Fixture.ticket("S1"))],
            context: Fixture.context(officer: "OFC2", station: "ST2", day: 1),
            rules: Fixture.rules)

        let result = try #require(again.first)
        #expect(result.outcome == .alreadyRecorded)
        #expect(result.dose?.officer == "OFC1")
        #expect(result.dose?.station == "ST1")
        #expect(
            result.message.contains(
                "2021-08-23T09:00:00+07:00 at site JKT01 by officer OFC1 (station ST1)"))
        #expect(try await store.statistics(StatisticsQuery()).total == 1)
        #expect(
            try await store.scanLog().map(\.outcome.rawValue) == ["recorded", "already_recorded"])
    }

    @Test(
        "rules inside one batch see the earlier rows of the same batch",
        arguments: StoreKind.allCases)
    func batchSeesItself(kind: StoreKind) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await kind.make(in: folder)
        let batch: [ScanInput] = [
            .ticket(Fixture.ticket("S1", dose: 1)),
            .ticket(Fixture.ticket("S1", dose: 1)),
            .ticket(Fixture.ticket("S9", dose: 1)),
            .ticket(Fixture.ticket("S2", dose: 2)),
            .ticket(Fixture.ticket("S3", registrant: "R2", dose: 2)),
        ]

        let outcomes = try await store.record(
            batch, context: Fixture.context(), rules: Fixture.rules
        )
        .map(\.outcome)

        #expect(
            outcomes == [
                .recorded, .alreadyRecorded, .doseAlreadyGiven(otherSerial: "S1"),
                .tooEarly(previousDay: "2021-08-23", earliestDay: "2021-09-06"),
                .doseOutOfOrder(missingDose: 1),
            ])
        #expect(try await store.doses(registrant: "R1").map(\.serial) == ["S1"])
    }

    @Test(
        "dose 2 after the interval, dose 3 for a health worker, refused for others",
        arguments: StoreKind.allCases)
    func threeDoses(kind: StoreKind) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await kind.make(in: folder)
        for (index, group) in [PriorityGroup.healthWorker, .general].enumerated() {
            let registrant = "R\(index)"
            _ = try await store.record(
                [.ticket(Fixture.ticket("A\(index)", registrant: registrant, group: group))],
                context: Fixture.context(day: 0),
                rules: Fixture.rules)
            _ = try await store.record(
                [
                    .ticket(
                        Fixture.ticket("B\(index)", registrant: registrant, dose: 2, group: group))
                ],
                context: Fixture.context(day: 14), rules: Fixture.rules)
        }

        let third = try await store.record(
            [
                .ticket(Fixture.ticket("C0", registrant: "R0", dose: 3, group: "HEALTHWORKER")),
                .ticket(Fixture.ticket("C1", registrant: "R1", dose: 3, group: "GENERAL")),
            ],
            context: Fixture.context(day: 200), rules: Fixture.rules)

        #expect(third.map(\.outcome) == [.recorded, .notEligible(group: "GENERAL", dose: 3)])
        let stats = try await store.statistics(StatisticsQuery())
        #expect(stats.total == 5)
        #expect(stats.byDose == [1: 2, 2: 2, 3: 1])
        #expect(stats.refusals == ["not_eligible": 1])
    }

    @Test(
        "another site is recorded with a warning and counted at the recording site",
        arguments: StoreKind.allCases)
    func otherSite(kind: StoreKind) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await kind.make(in: folder)

        let results = try await store.record(
            [.ticket(Fixture.ticket("S1", site: "BDG02"))], context: Fixture.context(site: "JKT01"),
            rules: Fixture.rules)

        #expect(results.first?.outcome == .recordedAtOtherSite(ticketSite: "BDG02"))
        #expect(
            results.first?.message.contains(
                "warning: the ticket was issued for site BDG02, recorded at site JKT01") == true)
        let dose = try await #require(try store.dose(serial: "S1"))
        #expect(dose.site == "JKT01")
        #expect(dose.ticketSite == "BDG02")
        #expect(
            try await store.statistics(StatisticsQuery(dimension: .site)).rows == [
                Statistics.Row(key: "JKT01", count: 1)
            ])
    }

    @Test(
        "refused scans are logged with their code, serial when known, and no payload",
        arguments: StoreKind.allCases)
    func refusedScansAreLogged(kind: StoreKind) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await kind.make(in: folder)

        let results = try await store.record(
            [
                .refused(.unverified(.badSignature), ticket: nil),
                .refused(
                    .unverified(.expired(CalendarDate(daysSince1970: 18809))),
                    ticket: Fixture.ticket("S7")),
                .refused(.unreadable(UnreadableScan(.noCode)), ticket: nil),
            ],
            context: Fixture.context(), rules: Fixture.rules)

        #expect(results.map(\.outcome.code.rawValue) == ["bad_signature", "expired", "no_code"])
        let log = try await store.scanLog()
        #expect(log.map(\.outcome.rawValue) == ["bad_signature", "expired", "no_code"])
        #expect(log.map(\.serial) == [nil, "S7", nil])
        #expect(try await store.statistics(StatisticsQuery()).total == 0)
        #expect(
            try await store.statistics(StatisticsQuery()).refusals == [
                "bad_signature": 1, "expired": 1, "no_code": 1,
            ])
    }

    @Test("statistics by every dimension, filtered by day", arguments: StoreKind.allCases)
    func statistics(kind: StoreKind) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await kind.make(in: folder)
        _ = try await store.record(
            [
                .ticket(Fixture.ticket("S1", registrant: "R1")),
                .ticket(
                    Fixture.ticket("S2", registrant: "R2", vaccine: "ASTRAZENECA", group: "ELDERLY")
                ),
            ],
            context: Fixture.context(site: "JKT01", day: 0), rules: Fixture.rules)
        _ = try await store.record(
            [.ticket(Fixture.ticket("S3", registrant: "R1", dose: 2, site: "JKT02"))],
            context: Fixture.context(site: "JKT02", day: 20), rules: Fixture.rules)

        let byDay = try await store.statistics(StatisticsQuery(dimension: .day))
        #expect(
            byDay.rows == [.init(key: "2021-08-23", count: 2), .init(key: "2021-09-12", count: 1)])
        #expect(
            try await store.statistics(StatisticsQuery(dimension: .vaccine)).rows == [
                .init(key: "ASTRAZENECA", count: 1), .init(key: "CORONAVAC", count: 2),
            ])
        #expect(
            try await store.statistics(StatisticsQuery(dimension: .group)).rows == [
                .init(key: "ELDERLY", count: 1), .init(key: "GENERAL", count: 2),
            ])
        #expect(
            try await store.statistics(StatisticsQuery(dimension: .site)).rows == [
                .init(key: "JKT01", count: 2), .init(key: "JKT02", count: 1),
            ])
        #expect(
            try await store.statistics(StatisticsQuery(dimension: .dose)).rows == [
                .init(key: "1", count: 2), .init(key: "2", count: 1),
            ])
        let late = try await store.statistics(StatisticsQuery(dimension: .dose, from: "2021-09-01"))
        #expect(late.total == 1)
        #expect(late.byDose == [2: 1])
        #expect(late.scans == ["recorded": 1])
        let early = try await store.statistics(StatisticsQuery(dimension: .dose, to: "2021-08-23"))
        #expect(early.byDose == [1: 2])
    }

    @Test(
        "roster import inserts, updates by reference and refuses a NIK held by another registrant",
        arguments: StoreKind.allCases)
    func roster(kind: StoreKind) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await kind.make(in: folder)
        let first = try await store.importRoster([
            Fixture.roster("R1", nik: "1111111111111111"),
            Fixture.roster("R2", nik: "2222222222222222"),
        ])
        #expect(first == RosterImportResult(inserted: 2, updated: 0, rejected: [:]))

        let second = try await store.importRoster([
            Fixture.roster("R1", nik: "1111111111111111", name: "Siti Rahmawati"),
            Fixture.roster("R3", nik: "2222222222222222"),
        ])

        #expect(
            second
                == RosterImportResult(
                    inserted: 0, updated: 1,
                    rejected: [1: "NIK 2222222222222222 already belongs to registrant R2"]))
        #expect(try await store.rosterEntry(registrant: "R1")?.name == "Siti Rahmawati")
        #expect(try await store.rosterEntry(registrant: "R3") == nil)
    }
}
