import Foundation
import Recording
import Testing

@Suite("Local days")
struct LocalDayTests {
    @Test("local days in Jakarta, day arithmetic across months and leap years")
    func days() throws {
        let lateEvening = try #require(ISO8601DateFormatter().date(from: "2021-08-23T17:30:00Z"))
        #expect(LocalDay.of(lateEvening, in: LocalDay.jakarta) == "2021-08-24")
        #expect(LocalDay.days(from: "2021-08-23", to: "2021-09-06") == 14)
        #expect(LocalDay.days(from: "2024-02-28", to: "2024-03-01") == 2)
        #expect(LocalDay.days(from: "2021-03-01", to: "2021-02-28") == -1)
        #expect(LocalDay.adding(28, to: "2021-12-20") == "2022-01-17")
        #expect(LocalDay.days(from: "2021-02-30", to: "2021-03-01") == nil)
    }
}
