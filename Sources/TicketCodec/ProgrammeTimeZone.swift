public import Foundation

extension TimeZone {
    /// The programme's time zone unless it names another: Asia/Jakarta (Western Indonesian Time,
    /// UTC+7, no daylight saving), whose calendar days decide validity, intervals and reports.
    public static let programmeDefault: TimeZone =
        TimeZone(identifier: "Asia/Jakarta") ?? TimeZone(secondsFromGMT: 7 * 3600) ?? .gmt
}
