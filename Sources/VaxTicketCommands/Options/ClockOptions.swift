import ArgumentParser
import Foundation
import TicketCodec

/// `--time-zone`: the programme's time zone, whose calendar days count.
struct TimeZoneOptions: ParsableArguments {
    @Option(
        name: .customLong("time-zone"),
        help: "The programme's time zone, whose calendar days count.")
    var timeZone: String = TimeZone.programmeDefault.identifier

    func validate() throws {
        guard TimeZone(identifier: timeZone) != nil else {
            throw ValidationError("Unknown time zone '\(timeZone)'.")
        }
    }

    /// The programme's time zone.
    var zone: TimeZone { TimeZone(identifier: timeZone) ?? .programmeDefault }
}

/// The clock and time zone that decide which calendar day it is.
struct ClockOptions: ParsableArguments {
    @Option(
        help:
            "Judge dates as of this day or instant (2021-08-23 or 2021-08-23T09:30:00+07:00; default: now)."
    )
    var at: String?

    @OptionGroup var timeZone: TimeZoneOptions

    func validate() throws {
        if let at, ValidityClock(parsing: at, timeZone: zone) == nil {
            throw ValidationError(
                "--at must be a date (2021-08-23) or an ISO 8601 date-time (2021-08-23T09:30:00+07:00)."
            )
        }
    }

    /// The programme's time zone.
    var zone: TimeZone { timeZone.zone }

    /// The clock: `--at`, or now.
    var clock: ValidityClock {
        at.flatMap { ValidityClock(parsing: $0, timeZone: zone) } ?? .instant(Date())
    }

    /// `--at` as an instant (a day given alone is its first moment), or `nil` without `--at`.
    var instant: Date? {
        switch at.flatMap({ ValidityClock(parsing: $0, timeZone: zone) }) {
        case .day(let day): day.start(in: zone)
        case .instant(let date): date
        case nil: nil
        }
    }

    /// Today, in the programme's time zone.
    var today: CalendarDate { clock.day(in: zone) }
}
