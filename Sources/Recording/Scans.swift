public import Foundation
public import TicketCodec

/// The facts of a verified ticket that the rules and the records need.
public struct TicketFacts: Hashable, Sendable {
    /// The serial, in its printed form.
    public var serial: String
    /// The registrant reference.
    public var registrant: String
    /// The dose number.
    public var dose: Int
    /// The vaccine code.
    public var vaccine: String
    /// The priority group the ticket was issued for.
    public var group: PriorityGroup
    /// The site the ticket was issued for.
    public var site: String

    /// Ticket facts with every field given.
    public init(
        serial: String, registrant: String, dose: Int, vaccine: String, group: PriorityGroup,
        site: String
    ) {
        self.serial = serial
        self.registrant = registrant
        self.dose = dose
        self.vaccine = vaccine
        self.group = group
        self.site = site
    }
}

/// One scan handed to the store: a verified ticket to record, or a scan already refused before
/// the rules (unreadable image, failed verification) that only goes into the scan log.
public enum ScanInput: Hashable, Sendable {
    /// A ticket whose verification succeeded.
    case ticket(TicketFacts)
    /// A scan refused before the rules; `ticket` is set when the signature was good (expired, revoked).
    case refused(RecordingOutcome, ticket: TicketFacts?)
}

/// Who records, where and when: the same for every scan of a batch.
public struct ScanContext: Hashable, Sendable {
    /// The officer giving the doses.
    public var officer: String
    /// The scanning station.
    public var station: String
    /// The site where this station works; `nil` means the ticket's own site.
    public var site: String?
    /// The vial's lot number, when known.
    public var lot: String?
    /// When the doses were given (`--at`), or `nil` for the moment each scan is recorded. It
    /// may lie in the past (a station uploading its offline queue), never in the future beyond
    /// ``maximumClockSkew``.
    public var administeredAt: Date?

    /// How far ahead of the station's clock a claimed administration time may be: five minutes
    /// of clock skew between devices.
    public static let maximumClockSkew: TimeInterval = 300

    /// Why `administeredAt` cannot be used at `now`, or `nil`.
    public static func problem(administeredAt: Date?, now: Date = Date()) -> String? {
        guard let administeredAt, administeredAt.timeIntervalSince(now) > maximumClockSkew else {
            return nil
        }
        return
            "lies in the future (more than \(Int(maximumClockSkew / 60)) minutes ahead of this station's clock)"
    }

    /// A context with every field given.
    public init(
        officer: String, station: String, site: String? = nil, lot: String? = nil,
        administeredAt: Date? = nil
    ) {
        self.officer = officer
        self.station = station
        self.site = site
        self.lot = lot
        self.administeredAt = administeredAt
    }
}

/// What recording one scan did, with what the officer needs to see.
public struct RecordingResult: Hashable, Sendable {
    /// The outcome, with its code.
    public var outcome: RecordingOutcome
    /// The ticket's facts, when the ticket could be read and its signature was good.
    public var ticket: TicketFacts?
    /// The dose record: the new one when recorded, the earlier one when already recorded or
    /// when the dose was already given under another serial.
    public var dose: DoseRecord?
    /// The registrant's name from the roster, when known.
    public var rosterName: String?

    /// A result with every field given.
    public init(
        outcome: RecordingOutcome, ticket: TicketFacts?, dose: DoseRecord?, rosterName: String?
    ) {
        self.outcome = outcome
        self.ticket = ticket
        self.dose = dose
        self.rosterName = rosterName
    }

    /// The sentence for the officer. A refusal's sentence says why, not that it is one: for a
    /// ticket that fails verification or an image without one, the same sentence `verify` gives.
    public var message: String {
        // Names and officer or station names come from files and options: control characters in
        // them are escaped so a stored value can never rewrite the officer's terminal.
        let who =
            ticket.map { ticket in
                rosterName.map { "\(ticket.registrant) (\(FreeText.escaped($0)))" }
                    ?? ticket.registrant
            }
            ?? "unknown registrant"
        switch outcome {
        case .recorded:
            return "recorded: dose \(ticket?.dose ?? 0) of \(ticket?.vaccine ?? "?") for \(who)"
        case .recordedAtOtherSite(let ticketSite):
            return
                "recorded: dose \(ticket?.dose ?? 0) of \(ticket?.vaccine ?? "?") for \(who); warning: the ticket was issued for site \(ticketSite), recorded at site \(dose?.site ?? "?")"
        case .alreadyRecorded:
            guard let dose else { return "already recorded" }
            return
                "already recorded: dose \(dose.dose) for \(who) was recorded \(Self.format(dose.administeredAt)) at site \(dose.site) by officer \(FreeText.escaped(dose.officer)) (station \(FreeText.escaped(dose.station))); nothing new written"
        case .doseAlreadyGiven(let otherSerial):
            let when = dose.map { " on \($0.administeredDay) at site \($0.site)" } ?? ""
            return
                "\(who) already received dose \(ticket?.dose ?? 0)\(when) under serial \(otherSerial)"
        case .doseOutOfOrder(let missing):
            return
                "dose \(ticket?.dose ?? 0) for \(who) needs dose \(missing) first, which is not recorded"
        case .tooEarly(let previousDay, let earliestDay):
            return
                "too early for dose \(ticket?.dose ?? 0) of \(who); the previous dose was on \(previousDay), the next is allowed from \(earliestDay)"
        case .notEligible(let group, let doseNumber):
            return "the policy does not allow dose \(doseNumber) for group \(group.rawValue)"
        case .unverified(let outcome):
            return outcome.message
        case .unreadable(let reason):
            return reason.description
        case .scannedInFuture(let claimed):
            return
                "the phone's clock says this scan was made \(Self.format(claimed)), in the future: set the phone's clock and scan again; nothing was recorded"
        case .scannedTooLongAgo(let claimed, let limit):
            return
                "this scan was queued \(Self.format(claimed)), more than \(limit) days ago: enter the dose by hand; nothing was recorded"
        }
    }

    private static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = .programmeDefault
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

/// What a roster import did.
public struct RosterImportResult: Hashable, Sendable {
    /// Entries new to the roster.
    public var inserted: Int
    /// Entries that replaced an existing one with the same reference.
    public var updated: Int
    /// Entries the store refused, by their index in the input, with the reason.
    public var rejected: [Int: String]

    /// A result with every field given.
    public init(inserted: Int, updated: Int, rejected: [Int: String]) {
        self.inserted = inserted
        self.updated = updated
        self.rejected = rejected
    }
}
