import Foundation
import Recording
import Synchronization
import TestSupport
import Testing
import TicketCodec
import TicketStation

/// A real store that counts the transactions it is asked for and the groups each holds.
final class CountedStore: RecordingStore {
    let store: any DoseStore
    let calls = Mutex<[Int]>([])

    init(_ store: any DoseStore) { self.store = store }

    var timeZone: TimeZone { store.timeZone }

    func record(_ groups: [ScanGroup], rules: RecordingRules) async throws(StoreError)
        -> [[RecordingResult]]
    {
        calls.withLock { $0.append(groups.count) }
        return try await store.record(groups, rules: rules)
    }

    func dose(serial: String) async throws(StoreError) -> DoseRecord? {
        try await store.dose(serial: serial)
    }

    func doses(registrant: String) async throws(StoreError) -> [DoseRecord] {
        try await store.doses(registrant: registrant)
    }

    func recordQueued(
        _ batch: QueuedBatch, render: @escaping @Sendable ([RecordingResult]) throws -> String
    ) async throws(StoreError) -> [QueuedAnswer] {
        try await store.recordQueued(batch, render: render)
    }
}

@Suite("Group commit: concurrent requests in one transaction")
struct GroupCommitTests {
    @Test(
        "many officers at once: each ticket recorded exactly once, each request its own answers, fewer transactions than requests",
        arguments: StoreKind.allCases)
    func concurrentRequests(kind: StoreKind) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = CountedStore(try await kind.make(in: folder))
        let commits = GroupCommit(store: store, rules: Fixture.rules)
        // 30 tickets, each scanned by four officers at once: 120 requests.
        let answers = try await withThrowingTaskGroup(of: (Int, String, [RecordingResult]).self) {
            group in
            for request in 0..<120 {
                let ticket = request % 30
                group.addTask {
                    let officer = "OFC\(request / 30)"
                    let results = try await commits.record(
                        ScanGroup(
                            [.ticket(Fixture.ticket("S\(ticket)", registrant: "R\(ticket)"))],
                            context: Fixture.context(officer: officer)))
                    return (ticket, officer, results)
                }
            }
            var all: [(Int, String, [RecordingResult])] = []
            for try await answer in group { all.append(answer) }
            return all
        }
        #expect(answers.count == 120)
        #expect(answers.allSatisfy { $0.2.count == 1 })
        for ticket in 0..<30 {
            let outcomes = answers.filter { $0.0 == ticket }.compactMap { $0.2.first?.outcome }
            #expect(outcomes.filter { $0 == .recorded }.count == 1, "ticket \(ticket)")
            #expect(outcomes.filter { $0 == .alreadyRecorded }.count == 3, "ticket \(ticket)")
            // The one recorded is the officer whose request recorded it.
            let dose = try #require(try await store.dose(serial: "S\(ticket)"))
            let winner = answers.first { $0.0 == ticket && $0.2.first?.outcome == .recorded }
            #expect(winner?.1 == dose.officer)
        }
        #expect(try await store.store.statistics(StatisticsQuery()).total == 30)
        #expect(try await store.store.scanLog().count == 120)
        let calls = store.calls.withLock { $0 }
        #expect(calls.reduce(0, +) == 120)
        #expect(calls.count < 120, "\(calls.count) transactions for 120 requests")
    }

    @Test(
        "a request the store refuses fails alone; the others waiting with it are recorded",
        arguments: StoreKind.allCases)
    func refusedRequestFailsAlone(kind: StoreKind) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = CountedStore(try await kind.make(in: folder))
        let commits = GroupCommit(store: store, rules: Fixture.rules)
        let future = ScanContext(
            officer: "OFC9", station: "ST9", site: nil, lot: nil,
            administeredAt: Date().addingTimeInterval(3600))
        let outcomes = await withTaskGroup(of: (Int, Result<[RecordingResult], StoreError>).self) {
            group in
            for request in 0..<20 {
                group.addTask {
                    let scans: [ScanInput] = [
                        .ticket(Fixture.ticket("S\(request)", registrant: "R\(request)"))
                    ]
                    let context = request == 7 ? future : Fixture.context()
                    do throws(StoreError) {
                        return (
                            request,
                            .success(try await commits.record(ScanGroup(scans, context: context)))
                        )
                    } catch {
                        return (request, .failure(error))
                    }
                }
            }
            var all: [Int: Result<[RecordingResult], StoreError>] = [:]
            for await (request, result) in group { all[request] = result }
            return all
        }
        for request in 0..<20 {
            switch outcomes[request] {
            case .success(let results)?:
                #expect(request != 7)
                #expect(results.map(\.outcome) == [.recorded])
            case .failure(let error)?:
                #expect(request == 7)
                guard case .administeredInFuture = error else {
                    Issue.record("request \(request) failed with \(error)")
                    continue
                }
            case nil:
                Issue.record("request \(request) got no answer")
            }
        }
        #expect(try await store.store.statistics(StatisticsQuery()).total == 19)
        #expect(try await store.dose(serial: "S7") == nil)
    }

    @Test(
        "issue 19 item 5: a locked database fails the whole line at once, not one transaction's wait after another"
    )
    func lockedDatabaseFailsTheLine() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("test.sqlite")
        let store = CountedStore(try await SQLiteDoseStore(path: path, busyTimeout: 1))
        let commits = GroupCommit(store: store, rules: Fixture.rules, maximumGroups: 4)
        let (locked, held) = AsyncStream<Void>.makeStream()
        let release = DispatchSemaphore(value: 0)
        async let holder: Void = SQLiteDoseStoreTests.holdWriteLock(
            path, seconds: 60, release: release
        ) { held.yield() }
        for await _ in locked { break }
        // 40 requests wait in a line ten transactions long while another program holds the lock.
        let failures = await withTaskGroup(of: StoreError?.self) { group in
            for request in 0..<40 {
                group.addTask {
                    do throws(StoreError) {
                        _ = try await commits.record(
                            ScanGroup(
                                [.ticket(Fixture.ticket("S\(request)", registrant: "R\(request)"))],
                                context: Fixture.context()))
                        return nil
                    } catch {
                        return error
                    }
                }
            }
            var all: [StoreError?] = []
            for await failure in group { all.append(failure) }
            return all
        }
        release.signal()
        try await holder
        #expect(failures.count == 40)
        #expect(
            failures.allSatisfy {
                if case .locked? = $0 { true } else { false }
            })
        // Each transaction tried waits out the busy timeout: the line failed after one or two,
        // not after ten.
        let tried = store.calls.withLock { $0.count }
        #expect(tried <= 3, "\(tried) transactions waited for the lock")
        #expect(try await store.store.scanLog().isEmpty)
    }

    @Test("a photo's tickets stay together and in order among other requests")
    func groupsKeepTheirOrder() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = CountedStore(try await StoreKind.sqlite.make(in: folder))
        let groups = [
            ScanGroup(
                [
                    .ticket(Fixture.ticket("A1", registrant: "RA")),
                    .ticket(Fixture.ticket("A2", registrant: "RC")),
                ], context: Fixture.context(officer: "OFC1")),
            ScanGroup(
                [.ticket(Fixture.ticket("A1", registrant: "RA"))],
                context: Fixture.context(officer: "OFC2")),
            ScanGroup([], context: Fixture.context(officer: "OFC3")),
            ScanGroup(
                [.ticket(Fixture.ticket("B1", registrant: "RB"))],
                context: Fixture.context(officer: "OFC4")),
        ]
        let answers = try await store.record(groups, rules: Fixture.rules)
        #expect(
            answers.map { $0.map(\.outcome) } == [
                [.recorded, .recorded], [.alreadyRecorded], [], [.recorded],
            ])
        #expect(try await store.dose(serial: "B1")?.officer == "OFC4")
        #expect(try await store.dose(serial: "A2")?.officer == "OFC1")
    }
}
