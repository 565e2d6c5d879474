import Foundation
import Testing
import TicketCodec

/// The one calendar-day type: days in the programme's time zone and day arithmetic, which
/// validity, dose intervals and reports all count with.
@Suite("calendar days in the programme's zone")
struct ProgrammeDayTests {
    @Test(
        "an instant falls on its local day in the programme's zone; a day starts at its local midnight"
    )
    func localDays() throws {
        let lateEvening = try #require(ISO8601DateFormatter().date(from: "2021-08-23T17:30:00Z"))
        #expect(CalendarDate(lateEvening, in: .programmeDefault).iso == "2021-08-24")
        #expect(TimeZone.programmeDefault.identifier == "Asia/Jakarta")
        let day = try #require(CalendarDate(iso: "2021-08-24"))
        #expect(
            day.start(in: .programmeDefault)
                == ISO8601DateFormatter().date(from: "2021-08-23T17:00:00Z"))
        let newYork = try #require(TimeZone(identifier: "America/New_York"))
        // The night clocks went forward: midnight itself is still standard time.
        let spring = try #require(CalendarDate(iso: "2021-03-14"))
        #expect(
            spring.start(in: newYork) == ISO8601DateFormatter().date(from: "2021-03-14T05:00:00Z"))
        #expect(CalendarDate(spring.start(in: newYork), in: newYork) == spring)
    }

    @Test("day arithmetic across months and leap years; impossible days are refused")
    func arithmetic() throws {
        let day = { (text: String) throws -> CalendarDate in try #require(CalendarDate(iso: text)) }
        #expect(try day("2021-08-23").days(to: day("2021-09-06")) == 14)
        #expect(try day("2024-02-28").days(to: day("2024-03-01")) == 2)
        #expect(try day("2021-03-01").days(to: day("2021-02-28")) == -1)
        #expect(try day("2021-12-20").adding(days: 28).iso == "2022-01-17")
        #expect(CalendarDate(iso: "2021-02-30") == nil)
        #expect(CalendarDate(iso: "2021-8-23") == nil)
    }
}
