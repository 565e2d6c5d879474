import Foundation
import Testing

@testable import TicketCodec

@Suite("Verification outcomes")
struct VerificationTests {
    @Test("validity is judged on inclusive calendar days")
    func dates() {
        let verifier = TicketVerifier(keyring: Fixtures.keyring)
        let text = Fixtures.text
        #expect(
            verifier.verify(text, on: Fixtures.date("2021-08-22")).outcome
                == .notYetValid(Fixtures.date("2021-08-23")))
        #expect(verifier.verify(text, on: Fixtures.date("2021-08-23")).outcome == .valid)
        #expect(verifier.verify(text, on: Fixtures.date("2021-09-21")).outcome == .valid)
        let expired = verifier.verify(text, on: Fixtures.date("2021-09-22"))
        #expect(expired.outcome == .expired(Fixtures.date("2021-09-21")))
        #expect(expired.code.rawValue == "expired")
        #expect(expired.ticket == Fixtures.ticket)
    }

    @Test("the day is taken in the programme's time zone")
    func timeZones() throws {
        // 2021-08-22T17:30:00Z is 2021-08-23 00:30 in Jakarta (UTC+7) but still the 22nd in UTC.
        let instant = try #require(ISO8601DateFormatter().date(from: "2021-08-22T17:30:00Z"))
        #expect(
            TicketVerifier(keyring: Fixtures.keyring).verify(Fixtures.text, at: instant).outcome
                == .valid)
        let utc = TicketVerifier(keyring: Fixtures.keyring, timeZone: TimeZone(identifier: "UTC")!)
        #expect(utc.verify(Fixtures.text, at: instant).code.rawValue == "not_yet_valid")
    }

    @Test("unknown key, bad signature, retired key, revoked")
    func keyOutcomes() throws {
        let day = Fixtures.date("2021-08-25")
        let other = try Key(id: "K2", secret: Array(0..<32), created: Fixtures.created)
        #expect(
            TicketVerifier(keyring: Keyring(keys: [other])).verify(Fixtures.text, on: day).outcome
                == .unknownKey("K1"))
        let wrongSecret = TicketVerifier(keyring: Keyring(keys: [Fixtures.otherKey])).verify(
            Fixtures.text, on: day)
        #expect(wrongSecret.outcome == .badSignature)
        #expect(wrongSecret.code.rawValue == "bad_signature")
        #expect(wrongSecret.ticket == nil)

        var retired = Fixtures.keyring
        try retired.retire(id: "K1")
        let retiredResult = TicketVerifier(keyring: retired).verify(Fixtures.text, on: day)
        #expect(retiredResult.outcome == .keyRetired("K1"))
        #expect(retiredResult.ticket == Fixtures.ticket)

        let revoked = TicketVerifier(
            keyring: Fixtures.keyring, revocations: RevocationList([Fixtures.ticket.serial])
        ).verify(
            Fixtures.text, on: day)
        #expect(revoked.outcome == .revoked)
        #expect(revoked.code.rawValue == "revoked")
        #expect(revoked.ticket?.serialText == "0123456789ABCDEF")

        // Rotated after the ticket's validity began (2021-08-24), so it was signed before.
        var verifyOnly = Fixtures.keyring
        try verifyOnly.rotate(now: Date(timeIntervalSince1970: 1_629_763_200))
        #expect(verifyOnly.key(id: "K1")?.state == .verifyOnly)
        #expect(
            TicketVerifier(keyring: verifyOnly).verify(Fixtures.text, on: day).outcome == .valid)
    }

    @Test("every outcome has a stable code and a sentence")
    func codes() {
        let outcomes: [VerificationOutcome] = [
            .valid, .malformed(.truncated), .unknownKey("K9"), .badSignature, .keyRetired("K1"),
            .notYetValid(Fixtures.date("2021-01-01")), .expired(Fixtures.date("2021-01-01")),
            .revoked,
        ]
        #expect(
            outcomes.map(\.code.rawValue) == [
                "valid", "malformed", "unknown_key", "bad_signature", "key_retired",
                "not_yet_valid", "expired", "revoked",
            ])
        #expect(Set(outcomes.map(\.message)).count == outcomes.count)
    }
}

@Suite("Calendar dates")
struct CalendarDateTests {
    @Test(
        "ISO parsing is strict",
        arguments: [
            "2021-02-29", "2021-13-01", "2021-1-01", "21-01-01", "2021-01-01T00:00", "",
            "2021/01/01", "0000-01-01",
        ])
    func invalid(text: String) {
        #expect(CalendarDate(iso: text) == nil)
    }

    @Test("day counts agree with Foundation's calendar for every day of 1990...2210")
    func dayCounts() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var components = DateComponents(year: 1990, month: 1, day: 1)
        var date = try #require(calendar.date(from: components))
        let last = try #require(calendar.date(from: DateComponents(year: 2210, month: 12, day: 31)))
        while date <= last {
            components = calendar.dateComponents([.year, .month, .day], from: date)
            let days = Int(date.timeIntervalSince1970 / 86_400)
            let expected = try #require(
                CalendarDate(year: components.year!, month: components.month!, day: components.day!)
            )
            #expect(CalendarDate(daysSince1970: days) == expected)
            #expect(expected.daysSince1970 == days)
            date += 86_400 * 7
        }
        #expect(CalendarDate(iso: "2024-02-29")?.adding(days: 1).iso == "2024-03-01")
        #expect(Fixtures.date("2021-08-23").days(to: Fixtures.date("2021-09-21")) == 29)
        #expect(Fixtures.date("0987-06-05").iso == "0987-06-05")
    }
}
