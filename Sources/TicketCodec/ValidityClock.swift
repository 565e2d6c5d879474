public import Foundation

/// The moment validity is judged at: a calendar day, or an instant turned into a day in the
/// programme's time zone. Set with `--at` for tests and audits.
public enum ValidityClock: Hashable, Sendable {
    /// A given calendar day.
    case day(CalendarDate)
    /// A given instant.
    case instant(Date)

    /// Parses `2021-08-23`, or an ISO 8601 date-time such as `2021-08-23T09:30:00+07:00`; a
    /// date-time without an offset is read in `timeZone`.
    public init?(parsing text: String, timeZone: TimeZone) {
        if let day = CalendarDate(iso: text) {
            self = .day(day)
            return
        }
        let withOffset = ISO8601DateFormatter()
        withOffset.formatOptions = [.withInternetDateTime]
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = withOffset.date(from: text) ?? withFraction.date(from: text) {
            self = .instant(date)
            return
        }
        let local = ISO8601DateFormatter()
        local.timeZone = timeZone
        local.formatOptions = [
            .withFullDate, .withTime, .withColonSeparatorInTime, .withDashSeparatorInDate,
        ]
        if let date = local.date(from: text) {
            self = .instant(date)
            return
        }
        return nil
    }

    /// The calendar day in `timeZone`.
    public func day(in timeZone: TimeZone) -> CalendarDate {
        switch self {
        case .day(let day): day
        case .instant(let date): CalendarDate(date, in: timeZone)
        }
    }
}
