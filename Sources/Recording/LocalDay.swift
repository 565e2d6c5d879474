public import Foundation

/// Calendar days as `YYYY-MM-DD` strings, in the programme's time zone.
public enum LocalDay {
    /// Asia/Jakarta (UTC+7, no daylight saving), the default for day buckets.
    public static let jakarta: TimeZone = TimeZone(identifier: "Asia/Jakarta") ?? TimeZone(secondsFromGMT: 7 * 3600)!

    /// The calendar day `date` falls on in `timeZone`.
    public static func of(_ date: Date, in timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return format(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1)
    }

    /// Whether `text` is a valid `YYYY-MM-DD` day.
    public static func isValid(_ text: String) -> Bool {
        parse(text) != nil
    }

    /// The number of days from `start` to `end` (negative when `end` is earlier); `nil` when either is not a valid day.
    public static func days(from start: String, to end: String) -> Int? {
        guard let a = parse(start), let b = parse(end) else { return nil }
        return julianDay(b) - julianDay(a)
    }

    /// The day `count` days after `day`; `nil` when `day` is not a valid day.
    public static func adding(_ count: Int, to day: String) -> String? {
        guard let parts = parse(day) else { return nil }
        return fromJulianDay(julianDay(parts) + count)
    }

    /// The start of `day` (midnight) in `timeZone`.
    public static func start(of day: String, in timeZone: TimeZone) -> Date? {
        guard let parts = parse(day) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.date(from: DateComponents(year: parts.year, month: parts.month, day: parts.day))
    }

    private struct Parts {
        var year: Int
        var month: Int
        var day: Int
    }

    private static func parse(_ text: String) -> Parts? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 10, utf8[4] == UInt8(ascii: "-"), utf8[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in utf8[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        return Parts(year: year, month: month, day: day)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func format(year: Int, month: Int, day: Int) -> String {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    // Julian day numbers (Fliegel and Van Flandern), exact for the proleptic Gregorian calendar.
    private static func julianDay(_ p: Parts) -> Int {
        let a = (14 - p.month) / 12
        let y = p.year + 4800 - a
        let m = p.month + 12 * a - 3
        return p.day + (153 * m + 2) / 5 + 365 * y + y / 4 - y / 100 + y / 400 - 32045
    }

    private static func fromJulianDay(_ jdn: Int) -> String {
        let a = jdn + 32044
        let b = (4 * a + 3) / 146097
        let c = a - 146097 * b / 4
        let d = (4 * c + 3) / 1461
        let e = c - 1461 * d / 4
        let m = (5 * e + 2) / 153
        let day = e - (153 * m + 2) / 5 + 1
        let month = m + 3 - 12 * (m / 10)
        let year = 100 * b + d - 4800 + m / 10
        return format(year: year, month: month, day: day)
    }
}
