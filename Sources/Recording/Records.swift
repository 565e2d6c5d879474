public import Foundation
public import TicketCodec

/// Whether a dose record has been sent to the central registry yet.
public enum SyncState: String, Codable, Hashable, Sendable {
    /// Recorded here, not yet sent.
    case pending
    /// Accepted by the central registry.
    case synced
}

/// One administered dose: a verified ticket that passed the rules, recorded exactly once.
public struct DoseRecord: Codable, Hashable, Sendable {
    /// The ticket's serial, in its printed form.
    public var serial: String
    /// The registrant reference from the sign-up system.
    public var registrant: String
    /// The dose number, 1 for the first dose.
    public var dose: Int
    /// The vaccine code, e.g. `CORONAVAC`.
    public var vaccine: String
    /// The vial's lot number, when the officer gave one.
    public var lot: String?
    /// The site where the dose was given.
    public var site: String
    /// The site the ticket was issued for; differs from `site` when recorded elsewhere.
    public var ticketSite: String
    /// The priority group the ticket was issued for.
    public var priorityGroup: PriorityGroup
    /// The officer who gave the dose.
    public var officer: String
    /// The scanning station that recorded it.
    public var station: String
    /// When the dose was given.
    public var administeredAt: Date
    /// The local calendar day of `administeredAt` in the programme's time zone.
    public var administeredDay: CalendarDate
    /// When the record was written.
    public var recordedAt: Date
    /// Whether the record has reached the central registry.
    public var syncState: SyncState

    /// A dose record with every field given.
    public init(
        serial: String, registrant: String, dose: Int, vaccine: String, lot: String?, site: String,
        ticketSite: String, priorityGroup: PriorityGroup, officer: String, station: String,
        administeredAt: Date, administeredDay: CalendarDate, recordedAt: Date,
        syncState: SyncState = .pending
    ) {
        self.serial = serial
        self.registrant = registrant
        self.dose = dose
        self.vaccine = vaccine
        self.lot = lot
        self.site = site
        self.ticketSite = ticketSite
        self.priorityGroup = priorityGroup
        self.officer = officer
        self.station = station
        self.administeredAt = administeredAt
        self.administeredDay = administeredDay
        self.recordedAt = recordedAt
        self.syncState = syncState
    }
}

/// One line of the append-only scan log: every attempt, whatever its outcome. Holds no payload
/// and no secret.
public struct ScanLogEntry: Codable, Hashable, Sendable {
    /// The row number, assigned by the store.
    public var id: Int64?
    /// When the scan happened.
    public var time: Date
    /// The local calendar day of `time` in the programme's time zone.
    public var day: CalendarDate
    /// The officer at the station.
    public var officer: String
    /// The scanning station.
    public var station: String
    /// The outcome code, e.g. `recorded` or `bad_signature`.
    public var outcome: OutcomeCode
    /// The ticket's serial, when the ticket was readable and its signature good.
    public var serial: String?
    /// The station's own clock when the scan was recorded, kept beside `time`, which is the
    /// administration time the officer claimed (`--at`); `nil` in rows from before it was kept.
    public var clockTime: Date?

    /// A log entry; `id` is assigned when it is stored.
    public init(
        id: Int64? = nil, time: Date, day: CalendarDate, officer: String, station: String,
        outcome: OutcomeCode, serial: String?,
        clockTime: Date? = nil
    ) {
        self.clockTime = clockTime
        self.id = id
        self.time = time
        self.day = day
        self.officer = officer
        self.station = station
        self.outcome = outcome
        self.serial = serial
    }
}

/// A registrant as exported by the sign-up system.
public struct RosterEntry: Codable, Hashable, Sendable {
    /// The registrant reference, the key tickets carry.
    public var registrant: String
    /// The 16-digit national identity number (NIK).
    public var nik: String
    /// The registrant's name.
    public var name: String
    /// The birth date.
    public var birthDate: CalendarDate
    /// The priority group.
    public var priorityGroup: PriorityGroup
    /// A phone number, possibly empty.
    public var phone: String
    /// How many earlier doses were given elsewhere (outside this programme's records).
    public var dosesElsewhere: Int

    /// A roster entry with every field given.
    public init(
        registrant: String, nik: String, name: String, birthDate: CalendarDate,
        priorityGroup: PriorityGroup,
        phone: String,
        dosesElsewhere: Int = 0
    ) {
        self.registrant = registrant
        self.nik = nik
        self.name = name
        self.birthDate = birthDate
        self.priorityGroup = priorityGroup
        self.phone = phone
        self.dosesElsewhere = dosesElsewhere
    }
}
