import Foundation
import Recording
import TestSupport
import Testing
import TicketCodec

@Suite("Ticket recorder: verification, then the rules, in batches")
struct TicketRecorderTests {
    let key: Key
    let signer: TicketSigner
    let verifier: TicketVerifier

    init() throws {
        key = try Key.generate(id: "K1")
        signer = TicketSigner(key: key, maxValidityDays: 365)
        verifier = TicketVerifier(
            keyring: Keyring(keys: [key], maxValidityDays: 365),
            revocations: RevocationList([0xDEAD]))
    }

    func text(
        serial: UInt64, registrant: String = "R1", dose: Int = 1, until: String = "2021-12-31"
    ) throws -> String {
        let ticket = Ticket(
            serial: serial, registrant: registrant, dose: dose, vaccine: "CORONAVAC",
            group: .general, site: "JKT01",
            validFrom: try #require(CalendarDate(iso: "2021-01-01")),
            validUntil: try #require(CalendarDate(iso: until)),
            keyID: "K1")
        return try signer.sign(ticket)
    }

    func recorder(in folder: TemporaryFolder) async throws -> TicketRecorder {
        TicketRecorder(
            verifier: verifier, store: try await SQLiteDoseStore(path: folder.path("db.sqlite")),
            rules: RecordingRules(policy: .default2021, vaccines: .builtIn),
            context: Fixture.context(), jobs: 2)
    }

    @Test(
        "verification outcomes are refusals with their codes; the serial is logged when the signature was good"
    )
    func verificationOutcomes() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let recorder = try await recorder(in: folder)
        let good = try text(serial: 1)
        var forged = Array(good)
        forged[forged.count - 2] = forged[forged.count - 2] == "A" ? "B" : "A"
        let texts = [
            good, try text(serial: 2, registrant: "R2", until: "2021-08-01"),
            try text(serial: 0xDEAD, registrant: "R3"),
            String(forged), "hello",
        ]

        let results = try await recorder.record(texts: texts)

        #expect(
            results.map(\.outcome.code.rawValue)[0...3] == [
                "recorded", "expired", "revoked", results[3].outcome.code.rawValue,
            ])
        #expect(["bad_signature", "malformed"].contains(results[3].outcome.code.rawValue))
        #expect(results[4].outcome.code.rawValue == "malformed")
        #expect(results.dropFirst().allSatisfy { $0.outcome.isRefused })
        let log = try await SQLiteDoseStore(path: folder.path("db.sqlite")).scanLog()
        #expect(
            log.map(\.serial) == [
                "0000000000000001", "0000000000000002", "000000000000DEAD", nil, nil,
            ])
    }

    @Test("the minimum interval comes from the vaccine table (CoronaVac: 28 days)")
    func intervalFromVaccineTable() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var recorder = try await recorder(in: folder)
        _ = try await recorder.record(texts: [try text(serial: 1)])
        recorder.context = Fixture.context(day: 27)
        #expect(
            try await recorder.record(texts: [try text(serial: 2, dose: 2)]).first?.outcome
                == .tooEarly(previousDay: "2021-08-23", earliestDay: "2021-09-20"))
        recorder.context = Fixture.context(day: 28)
        #expect(
            try await recorder.record(texts: [try text(serial: 2, dose: 2)]).first?.outcome
                == .recorded)
    }

    @Test("batches commit in order and each batch's results reach the caller in order")
    func pipelineKeepsOrder() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let recorder = try await recorder(in: folder)
        let texts = try (0..<95).map { try text(serial: UInt64($0 + 1), registrant: "R\($0 % 60)") }
        var start = 0
        var seen: [Int] = []
        var outcomes: [String] = []

        try await recorder.recordInOrder(
            next: { () async -> (Int, [ScanInput])? in
                guard start < texts.count else { return nil }
                let batch = Array(texts[start..<min(texts.count, start + 10)])
                defer { start += 10 }
                return (start, await recorder.verify(batch))
            },
            emit: { first, results in
                seen.append(first)
                outcomes += results.map(\.outcome.code.rawValue)
            })

        #expect(seen == Array(stride(from: 0, to: 95, by: 10)))
        #expect(outcomes.count == 95)
        #expect(outcomes.filter { $0 == "recorded" }.count == 60)
        #expect(outcomes.filter { $0 == "dose_already_given" }.count == 35)
        #expect(Array(outcomes[60...]).allSatisfy { $0 == "dose_already_given" })
    }
}
