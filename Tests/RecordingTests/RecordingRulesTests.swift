import Foundation
import Recording
import TestSupport
import Testing
import TicketCodec
import TicketScanning
import TicketStation

@Suite("Recording rules on plain values")
struct RecordingRulesTests {
    let rules = Fixture.rules

    @Test("a first dose with no history is recorded")
    func firstDose() {
        let outcome = rules.decide(
            Fixture.ticket("S1"), day: "2021-08-23", site: "JKT01",
            history: RegistrantHistory(sameSerial: nil, doses: [], roster: nil))
        #expect(outcome == .recorded)
    }

    @Test("the same serial again is already recorded, before any other rule")
    func rescan() {
        let earlier = Fixture.dose("S1", dose: 3, day: "2021-08-23")
        // Even a ticket the policy would refuse now is reported as already recorded.
        let ticket = Fixture.ticket("S1", dose: 3, group: "GENERAL")
        let outcome = rules.decide(
            ticket, day: "2021-09-01", site: "OTHER",
            history: RegistrantHistory(sameSerial: earlier, doses: [earlier], roster: nil))
        #expect(outcome == .alreadyRecorded)
    }

    @Test("the same dose under another serial is refused with that serial")
    func doseAlreadyGiven() {
        let earlier = Fixture.dose("S1", dose: 1, day: "2021-08-01")
        let outcome = rules.decide(
            Fixture.ticket("S2", dose: 1), day: "2021-08-23", site: "JKT01",
            history: RegistrantHistory(sameSerial: nil, doses: [earlier], roster: nil))
        #expect(outcome == .doseAlreadyGiven(otherSerial: "S1"))
        #expect(outcome.code.rawValue == "dose_already_given")
        #expect(outcome.isRefused)
    }

    @Test(
        "dose 2 without dose 1 is out of order, unless the roster says dose 1 was given elsewhere")
    func outOfOrder() {
        let ticket = Fixture.ticket("S2", dose: 2)
        let none = RegistrantHistory(sameSerial: nil, doses: [], roster: Fixture.roster("R1"))
        #expect(
            rules.decide(ticket, day: "2021-08-23", site: "JKT01", history: none)
                == .doseOutOfOrder(missingDose: 1))
        let elsewhere = RegistrantHistory(
            sameSerial: nil, doses: [], roster: Fixture.roster("R1", elsewhere: 1))
        #expect(
            rules.decide(ticket, day: "2021-08-23", site: "JKT01", history: elsewhere) == .recorded)
    }

    @Test(
        "the minimum interval after the previous dose's vaccine",
        arguments: [
            ("CORONAVAC", "2021-08-14", false), ("CORONAVAC", "2021-08-15", true),
            ("ASTRAZENECA", "2021-08-28", false),
            ("ASTRAZENECA", "2021-08-29", true), ("UNKNOWNVAX", "2021-08-01", true),
        ]
    )
    func interval(previousVaccine: String, day: CalendarDate, allowed: Bool) {
        let previous = Fixture.dose("S1", dose: 1, vaccine: previousVaccine, day: "2021-08-01")
        let outcome = rules.decide(
            Fixture.ticket("S2", dose: 2), day: day, site: "JKT01",
            history: RegistrantHistory(sameSerial: nil, doses: [previous], roster: nil))
        if allowed {
            #expect(outcome == .recorded)
        } else {
            let minimum: CalendarDate = previousVaccine == "CORONAVAC" ? "2021-08-15" : "2021-08-29"
            #expect(outcome == .tooEarly(previousDay: "2021-08-01", earliestDay: minimum))
        }
    }

    @Test(
        "dose 3 only for health workers under the 2021 policy",
        arguments: [("GENERAL", false), ("ELDERLY", false), ("HEALTHWORKER", true)])
    func eligibility(group: PriorityGroup, allowed: Bool) {
        let history = RegistrantHistory(
            sameSerial: nil,
            doses: [
                Fixture.dose("S1", dose: 1, day: "2021-01-14"),
                Fixture.dose("S2", dose: 2, day: "2021-01-28"),
            ], roster: nil)
        let outcome = rules.decide(
            Fixture.ticket("S3", dose: 3, group: group), day: "2021-08-23", site: "JKT01",
            history: history)
        #expect(outcome == (allowed ? .recorded : .notEligible(group: group, dose: 3)))
    }

    @Test("a ticket for another site is recorded with a warning, not refused")
    func otherSite() {
        let outcome = rules.decide(
            Fixture.ticket("S1", site: "BDG02"), day: "2021-08-23", site: "JKT01",
            history: RegistrantHistory(sameSerial: nil, doses: [], roster: nil))
        #expect(outcome == .recordedAtOtherSite(ticketSite: "BDG02"))
        #expect(outcome.code.rawValue == "recorded_other_site")
        #expect(!outcome.isRefused)
        #expect(outcome.wroteDose)
    }

    @Test("every outcome has its stable code")
    func codes() {
        let table: [(RecordingOutcome, String)] = [
            (.recorded, "recorded"), (.recordedAtOtherSite(ticketSite: "X"), "recorded_other_site"),
            (.alreadyRecorded, "already_recorded"),
            (.doseAlreadyGiven(otherSerial: "S"), "dose_already_given"),
            (.doseOutOfOrder(missingDose: 1), "dose_out_of_order"),
            (.tooEarly(previousDay: "2021-01-01", earliestDay: "2021-01-15"), "too_early"),
            (.notEligible(group: "GENERAL", dose: 3), "not_eligible"),
            (.unverified(.badSignature), "bad_signature"),
            (.unreadable(UnreadableScan(.noCode)), "no_code"),
        ]
        for (outcome, code) in table {
            #expect(outcome.code.rawValue == code)
        }
        #expect(!RecordingOutcome.alreadyRecorded.isRefused)
        #expect(!RecordingOutcome.alreadyRecorded.wroteDose)
    }

    @Test("the policy file in samples/ is the 2021 default")
    func samplePolicy() async throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../samples/policy.json")
            .standardized.path
        let policy = try EligibilityPolicy(contentsOf: path)
        #expect(policy.doses == EligibilityPolicy.default2021.doses)
    }

    @Test("a policy file with a dose out of range is refused")
    func badPolicy() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("policy.json")
        try Data(#"{"name": "x", "doses": [{"dose": 12, "groups": ["*"]}]}"#.utf8).write(
            to: URL(fileURLWithPath: path))
        #expect(throws: PolicyError.invalid(path: path, reason: "dose 12 is not between 1 and 9")) {
            try EligibilityPolicy(contentsOf: path)
        }
        #expect(throws: PolicyError.unreadable(path: folder.path("none.json"))) {
            try EligibilityPolicy(contentsOf: folder.path("none.json"))
        }
    }
}
