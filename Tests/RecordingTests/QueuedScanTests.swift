import Foundation
import Recording
import TestSupport
import Testing
import TicketCodec

@Suite("Queued scans from phones: each id exactly once")
struct QueuedScanTests {
    static let officer = Officer(
        name: "OFC1", site: "JKT01", tokenHash: String(repeating: "a", count: 64),
        createdAt: Fixture.at())
    /// A second phone at the same site: whichever phone's upload wins, it records at the
    /// ticket's own site.
    static let other = Officer(
        name: "OFC2", site: "JKT01", tokenHash: String(repeating: "b", count: 64),
        createdAt: Fixture.at())

    static func scan(
        _ id: String, _ ticket: TicketFacts, minutesAgo: Double = 30, station: String = "PHONE1"
    )
        -> QueuedScan
    {
        QueuedScan(
            id: id, scans: [.ticket(ticket)],
            scannedAt: Fixture.at().addingTimeInterval(-minutesAgo * 60), station: station,
            lot: "LOT9")
    }

    static func batch(_ scans: [QueuedScan], officer: Officer = officer) -> QueuedBatch {
        QueuedBatch(
            scans, officer: officer, rules: Fixture.rules, timeZone: .programmeDefault,
            limits: QueueLimits(maximumAgeDays: 7), receivedAt: Fixture.at())
    }

    /// Answers as a phone would get them: the outcome codes, joined.
    static let render: @Sendable ([RecordingResult]) throws -> String = { results in
        results.map(\.outcome.code.rawValue).joined(separator: "+")
    }

    @Test(
        "issue 21 item 4: an upload sent again writes nothing and gets the first answers",
        arguments: StoreKind.allCases)
    func repeatedUpload(kind: StoreKind) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await kind.make(in: folder)
        let upload = Self.batch([
            Self.scan("scan-0001", Fixture.ticket("S1", registrant: "R1")),
            Self.scan("scan-0002", Fixture.ticket("S2", registrant: "R2", dose: 2)),
            Self.scan("scan-0003", Fixture.ticket("S1", registrant: "R1")),
        ])
        let first = try await store.recordQueued(upload, render: Self.render)
        #expect(first.map(\.answer) == ["recorded", "dose_out_of_order", "already_recorded"])
        #expect(first.allSatisfy { !$0.repeated })
        let dose = try #require(try await store.dose(serial: "S1"))
        #expect(dose.administeredAt == Fixture.at().addingTimeInterval(-30 * 60))
        #expect(dose.station == "PHONE1")
        #expect(dose.lot == "LOT9")
        #expect(dose.site == "JKT01")
        let log = try await store.scanLog()
        #expect(log.count == 3)
        #expect(log.first?.clockTime == Fixture.at())

        let again = try await store.recordQueued(upload, render: Self.render)
        #expect(again.map(\.answer) == first.map(\.answer))
        #expect(again.allSatisfy { $0.repeated })
        #expect(try await store.scanLog().count == 3)
        #expect(try await store.statistics(StatisticsQuery()).total == 1)
    }

    @Test(
        "issue 21 item 4: two phones that scanned one ticket offline: one dose, the other already recorded with when, where and by whom",
        arguments: StoreKind.allCases)
    func twoPhones(kind: StoreKind) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await kind.make(in: folder)
        let ticket = Fixture.ticket("S7", registrant: "R7")
        async let first = store.recordQueued(
            Self.batch([Self.scan("phone-a-001", ticket, minutesAgo: 40, station: "A")]),
            render: Self.render)
        async let second = store.recordQueued(
            Self.batch(
                [Self.scan("phone-b-001", ticket, minutesAgo: 20, station: "B")],
                officer: Self.other), render: Self.render)
        let answers = try await [first, second].flatMap { $0 }
        #expect(answers.map(\.answer).sorted() == ["already_recorded", "recorded"])
        let later = try #require(answers.first { $0.answer == "already_recorded" })
        let earlier = try #require(try await store.dose(serial: "S7"))
        #expect(later.results.first?.dose == earlier)
        #expect(later.results.first?.message.contains("by officer \(earlier.officer)") == true)
        #expect(try await store.statistics(StatisticsQuery()).total == 1)
    }

    @Test(
        "issue 21 item 4: a claimed time in the future or too old is refused and logged at arrival; late scans are counted",
        arguments: StoreKind.allCases)
    func claimedTimes(kind: StoreKind) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await kind.make(in: folder)
        let answers = try await store.recordQueued(
            Self.batch([
                Self.scan("future-0001", Fixture.ticket("S1", registrant: "R1"), minutesAgo: -60),
                Self.scan(
                    "old-00000001", Fixture.ticket("S2", registrant: "R2"), minutesAgo: 8 * 1440),
                Self.scan("late-0000001", Fixture.ticket("S3", registrant: "R3"), minutesAgo: 120),
                Self.scan("fresh-000001", Fixture.ticket("S4", registrant: "R4"), minutesAgo: 1),
            ]), render: Self.render)
        #expect(
            answers.map(\.answer) == [
                "scanned_in_future", "scanned_too_long_ago", "recorded", "recorded",
            ])
        #expect(try await store.dose(serial: "S1") == nil)
        #expect(try await store.dose(serial: "S2") == nil)
        let log = try await store.scanLog()
        #expect(log.filter { $0.outcome == .scannedInFuture }.first?.time == Fixture.at())
        // Late: the one recorded two hours after it was made, and the one refused as too old.
        let late = try await store.lateScans(from: nil, to: nil)
        #expect(late.count == 2)
        #expect(late.maximumSeconds == 8 * 86_400)
        #expect(late.averageSeconds == (8 * 86_400 + 7200) / 2)
    }
}
