import Foundation
import Reports
import Testing

@Suite("Timestamps in output")
struct TimestampTests {
    @Test(
        "instants are written as ISO8601DateFormatter writes them, and read back, however many milliseconds",
        arguments: [
            0, 1_629_684_000, 1_629_684_000.001, 1_629_684_000.0015, 1_629_684_000.999,
            1_629_684_000.9999, -86_400.5, 4_102_444_799.5,
        ])
    func sameAsFormatter(seconds: Double) throws {
        let date = Date(timeIntervalSince1970: seconds)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        #expect(Timestamp.string(date) == formatter.string(from: date))
        let back = try #require(Timestamp.date(Timestamp.string(date)))
        #expect(abs(back.timeIntervalSince(date)) < 0.001)
    }

    @Test("what phones send is read: Z or an offset, with or without milliseconds")
    func phoneForms() {
        let instant = Date(timeIntervalSince1970: 1_629_684_000)
        #expect(Timestamp.date("2021-08-23T02:00:00Z") == instant)
        #expect(Timestamp.date("2021-08-23T02:00:00.000Z") == instant)
        #expect(Timestamp.date("2021-08-23T09:00:00+07:00") == instant)
        #expect(Timestamp.date("2021-08-23T09:00:00.250+07:00") == instant.addingTimeInterval(0.25))
        #expect(Timestamp.date("23/08/2021 09:00") == nil)
        #expect(Timestamp.date("") == nil)
    }
}
