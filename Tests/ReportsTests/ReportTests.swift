import Foundation
import PhotoReader
import Recording
import Reports
import TestSupport
import Testing
import TicketCodec
import TicketScanning
import TicketStation

/// Every key of an object, nested objects included (the values of `byDose`, `scans` and
/// `refusals` are maps keyed by data, so only their own names count).
func keys(of object: Any, dataMaps: Set<String> = ["byDose", "scans", "refusals"]) -> [String] {
    if let array = object as? [Any] { return array.flatMap { keys(of: $0, dataMaps: dataMaps) } }
    guard let dictionary = object as? [String: Any] else { return [] }
    return dictionary.flatMap { key, value in
        [key] + (dataMaps.contains(key) ? [] : keys(of: value, dataMaps: dataMaps))
    }
}

func jsonObject(_ value: some Encodable) throws -> [String: Any] {
    let line = try JSONLineWriter.line(value)
    return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
}

func isCamelCase(_ key: String) -> Bool {
    key.first.map { $0.isLowercase } == true && key.allSatisfy { $0.isLetter || $0.isNumber }
}

@Suite("reports: the JSON every front end prints or answers")
struct ReportTests {
    static let ticket = Ticket(
        serial: 0xAB, registrant: "R1", dose: 2, vaccine: "CORONAVAC", group: .healthWorker,
        site: "JKT01",
        validFrom: CalendarDate(daysSince1970: 18862),
        validUntil: CalendarDate(daysSince1970: 18891), keyID: "K1")
    static let dose = DoseRecord(
        serial: "00000000000000AB", registrant: "R1", dose: 2, vaccine: "CORONAVAC", lot: "LOT1",
        site: "JKT01",
        ticketSite: "JKT01",
        priorityGroup: "HEALTHWORKER", officer: "OFC1", station: "ST1",
        administeredAt: Date(timeIntervalSince1970: 1_629_684_000),
        administeredDay: "2021-08-23", recordedAt: Date(timeIntervalSince1970: 1_629_684_001.5))
    static let facts = TicketFacts(
        serial: "00000000000000AB", registrant: "R1", dose: 2, vaccine: "CORONAVAC",
        group: "HEALTHWORKER", site: "JKT01")

    static func allReports() throws -> [[String: Any]] {
        let recorded = RecordingResult(
            outcome: .recorded, ticket: facts, dose: dose, rosterName: "Siti")
        let given = RecordingResult(
            outcome: .doseAlreadyGiven(otherSerial: "S9"), ticket: facts, dose: dose,
            rosterName: nil)
        var statistics = Statistics(
            total: 3, byDose: [1: 2, 2: 1], dimension: .site, rows: [.init(key: "JKT01", count: 3)],
            scans: ["recorded": 3, "expired": 1])
        statistics.dimension = .site
        let key = try Key(id: "K1", secret: Array(0..<32), created: Date(timeIntervalSince1970: 0))
        return try [
            jsonObject(ScanReport(file: "a.png", result: .failure(.corrupt("libpng: bad")))),
            jsonObject(
                VerifyReport(
                    file: "a.png",
                    verification: TicketVerification(
                        outcome: .expired(ticket.validUntil), ticket: ticket))),
            jsonObject(VerifyReport(file: "a.png", unreadable: .noCode)),
            jsonObject(RecordReport(recorded, line: 3)),
            jsonObject(RecordReport(given, file: "a.png")),
            jsonObject(
                StatsReport(
                    statistics, query: StatisticsQuery(dimension: .site, from: "2021-08-01"),
                    sync: SyncCounts(synced: 1, waiting: 2, refused: 1))),
            jsonObject(
                IssuedTicketReport(
                    file: "t.png", ticket: ticket, text: "VT1:X", qrVersion: 5, modules: 37)),
            jsonObject(
                IssueBatchReport(issued: 1, skipped: 0, failed: 0, blank: 0, manifest: "m.csv")),
            jsonObject(
                QRImageReport(file: "q.png", version: 1, modules: 21, pixels: 116, bytes: 300)),
            jsonObject(KeyReport(key)),
            jsonObject(
                RosterImportReport(
                    rows: 2, inserted: 1, updated: 0, blank: 0,
                    errors: [.init(line: 2, reason: "bad NIK")])),
        ]
    }

    @Test("every key of every report is camelCase")
    func camelCase() throws {
        for report in try Self.allReports() {
            for key in keys(of: report) {
                #expect(isCamelCase(key), "\(key) in \(report)")
            }
        }
    }

    @Test("a verify line carries the ticket's fields under their camelCase names")
    func verifyFields() throws {
        let object = try jsonObject(
            VerifyReport(
                file: "a.png",
                verification: TicketVerification(outcome: .valid, ticket: Self.ticket)))
        #expect(object["status"] as? String == "valid")
        #expect(object["code"] as? String == "valid")
        #expect(object["validFrom"] as? String == "2021-08-23")
        #expect(object["validUntil"] as? String == "2021-09-21")
        #expect(object["keyId"] as? String == "K1")
        #expect(object["serial"] as? String == "00000000000000AB")
    }

    @Test("a record line has every dose key, null when unknown, and dates in UTC with milliseconds")
    func recordNulls() throws {
        let refused = RecordingResult(
            outcome: .unreadable(UnreadableScan(.noCode)), ticket: nil, dose: nil, rosterName: nil)
        let object = try jsonObject(RecordReport(refused, file: "a.png"))
        for key in [
            "serial", "registrant", "name", "dose", "vaccine", "group", "ticketSite", "lot", "site",
            "officer", "station",
            "administeredAt", "recordedAt",
        ] {
            #expect(object[key] is NSNull, "\(key) should be null")
        }
        #expect(object["line"] == nil)
        #expect(object["outcome"] as? String == "no_code")
        #expect(object["refused"] as? Bool == true)

        let recorded = try jsonObject(
            RecordReport(
                RecordingResult(
                    outcome: .recorded, ticket: Self.facts, dose: Self.dose, rosterName: "Siti"),
                line: 7))
        #expect(recorded["administeredAt"] as? String == "2021-08-23T02:00:00.000Z")
        #expect(recorded["recordedAt"] as? String == "2021-08-23T02:00:01.500Z")
        #expect(recorded["name"] as? String == "Siti")
        #expect(recorded["line"] as? Int == 7)
    }

    @Test(
        "verify and record give the same code and message for an image without a ticket and for a refused ticket",
        arguments: [
            UnreadableImage.noCode, .noText, .photo(.corrupt("libpng: IDAT: CRC error")),
            .photo(.unknownFormat),
        ])
    func sameAnswer(unreadable: UnreadableImage) throws {
        let verify = VerifyReport(file: "a.png", unreadable: unreadable)
        let record = RecordReport(
            RecordingResult(
                outcome: .unreadable(UnreadableScan(unreadable)), ticket: nil, dose: nil,
                rosterName: nil))
        #expect(verify.code == record.outcome)
        #expect(verify.message == record.message)

        let forged = TicketVerification(outcome: .badSignature)
        let verifyForged = VerifyReport(file: "a.png", verification: forged)
        let recordForged = RecordReport(
            RecordingResult(
                outcome: .unverified(forged.outcome), ticket: nil, dose: nil, rosterName: nil))
        #expect(verifyForged.code == recordForged.outcome)
        #expect(verifyForged.message == recordForged.message)
    }

    @Test("the tallies add up and name each refusal")
    func tallies() {
        var record = RecordTally()
        record.count(.recorded, refused: false)
        record.count(.alreadyRecorded, refused: false)
        record.count(.expired, refused: true)
        record.count(.expired, refused: true)
        #expect(record.summary == "record: 1 recorded, 1 already recorded, 2 refused (expired 2)")

        var verify = VerifyTally()
        verify.count(VerifyReport(file: "a", unreadable: .noCode))
        verify.count(
            VerifyReport(
                file: "b", verification: TicketVerification(outcome: .valid, ticket: Self.ticket)))
        #expect(verify.summary(images: 2) == "1 tickets in 2 images: no_code 1, valid 1")
        #expect(!verify.allValid)
    }
}
