import Foundation
import GRDB

/// An instant as the SQLite store keeps it: `YYYY-MM-DD HH:MM:SS.SSS` in UTC, the text GRDB
/// writes for a `Date` (and the schema's timestamp checks accept). Written here by arithmetic:
/// GRDB formats through `DateFormatter`, which cost a tenth of all the time spent recording a
/// city's doses (three timestamps a dose, two a scan).
enum StoredTimestamp {
    /// `date` in the stored form, to the nearest millisecond as GRDB's formatter rounds it.
    static func text(_ date: Date) -> String {
        // Far outside any real dose (a damaged row merged in): GRDB's own formatting.
        guard
            let milliseconds = Int64(
                exactly: (date.timeIntervalSince1970 * 1000 + 0.5).rounded(.down)),
            abs(milliseconds) < 200_000_000_000_000
        else { return String.fromDatabaseValue(date.databaseValue) ?? "" }
        let (days, inDay) = floorDivision(milliseconds, 86_400_000)
        let (year, month, day) = civil(fromDays: days)
        let hour = inDay / 3_600_000, minute = inDay / 60_000 % 60
        let second = inDay / 1000 % 60, millisecond = inDay % 1000
        var bytes: [UInt8] = []
        bytes.reserveCapacity(23)
        append(year, digits: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        append(month, digits: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        append(day, digits: 2, to: &bytes)
        bytes.append(UInt8(ascii: " "))
        append(hour, digits: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        append(minute, digits: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        append(second, digits: 2, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        append(millisecond, digits: 3, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let quotient = value / divisor, remainder = value % divisor
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }

    /// The proleptic Gregorian date of `days` since 1970-01-01 (Howard Hinnant's algorithm).
    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func append(_ value: Int64, digits: Int, to bytes: inout [UInt8]) {
        var divisor: Int64 = 1
        for _ in 1..<digits { divisor *= 10 }
        var rest = max(value, 0)
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }
}
