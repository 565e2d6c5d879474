public import Foundation
public import TicketCodec

/// What the store knows about a registrant when a ticket is scanned.
public struct RegistrantHistory: Hashable, Sendable {
    /// The dose already recorded under the scanned serial, if any.
    public var sameSerial: DoseRecord?
    /// Every dose recorded for the registrant.
    public var doses: [DoseRecord]
    /// The registrant's roster entry, if the roster has one.
    public var roster: RosterEntry?

    /// A history with every field given.
    public init(sameSerial: DoseRecord?, doses: [DoseRecord], roster: RosterEntry?) {
        self.sameSerial = sameSerial
        self.doses = doses
        self.roster = roster
    }
}

/// The programme's rules for recording a verified ticket, on plain values.
public struct RecordingRules: Sendable {
    /// Which groups may receive which dose.
    public var policy: EligibilityPolicy
    /// The minimum number of days after a dose of the given vaccine code before the next dose;
    /// `nil` for an unknown vaccine (no interval enforced).
    public var minimumDaysAfter: @Sendable (String) -> Int?

    /// Rules from a policy and the vaccines' minimum intervals.
    public init(policy: EligibilityPolicy, minimumDaysAfter: @escaping @Sendable (String) -> Int?) {
        self.policy = policy
        self.minimumDaysAfter = minimumDaysAfter
    }

    /// The outcome of recording `ticket` on local day `day` at `site`, given `history`.
    ///
    /// The checks run in this order: same serial (a re-scan), eligibility, the same dose under
    /// another serial, dose order, the interval since the previous dose, the site.
    public func decide(
        _ ticket: TicketFacts, day: CalendarDate, site: String, history: RegistrantHistory
    ) -> RecordingOutcome {
        if history.sameSerial != nil {
            return .alreadyRecorded
        }
        guard policy.allows(group: ticket.group.rawValue, dose: ticket.dose) else {
            return .notEligible(group: ticket.group, dose: ticket.dose)
        }
        if let given = history.doses.first(where: { $0.dose == ticket.dose }) {
            return .doseAlreadyGiven(otherSerial: given.serial)
        }
        if ticket.dose > 1 {
            if let previous = history.doses.first(where: { $0.dose == ticket.dose - 1 }) {
                let minimum = minimumDaysAfter(previous.vaccine) ?? 0
                if previous.administeredDay.days(to: day) < minimum {
                    return .tooEarly(
                        previousDay: previous.administeredDay,
                        earliestDay: previous.administeredDay.adding(days: minimum))
                }
            } else if (history.roster?.dosesElsewhere ?? 0) < ticket.dose - 1 {
                return .doseOutOfOrder(missingDose: ticket.dose - 1)
            }
        }
        if site != ticket.site {
            return .recordedAtOtherSite(ticketSite: ticket.site)
        }
        return .recorded
    }
}

extension RecordingRules {
    /// What scanning `ticket` at the site `context` names does, given what the store knows of
    /// its registrant: the answer (the outcome, and the dose it points to: the new record, or
    /// the earlier one a re-scan or a dose given under another serial refers to), and the dose
    /// record to write when there is one. Every store records through this one decision.
    public func scan(
        _ ticket: TicketFacts, history: RegistrantHistory, context: ScanContext, day: CalendarDate,
        at: Date, now: Date
    ) -> (result: RecordingResult, newDose: DoseRecord?) {
        let site = context.site ?? ticket.site
        let outcome = decide(ticket, day: day, site: site, history: history)
        var newDose: DoseRecord?
        let dose: DoseRecord?
        switch outcome {
        case .recorded, .recordedAtOtherSite:
            newDose = DoseRecord(
                serial: ticket.serial, registrant: ticket.registrant, dose: ticket.dose,
                vaccine: ticket.vaccine,
                lot: context.lot, site: site, ticketSite: ticket.site, priorityGroup: ticket.group,
                officer: context.officer, station: context.station, administeredAt: at,
                administeredDay: day, recordedAt: now)
            dose = newDose
        case .alreadyRecorded:
            dose = history.sameSerial
        case .doseAlreadyGiven(let otherSerial):
            dose = history.doses.first { $0.serial == otherSerial }
        default:
            dose = nil
        }
        return (
            RecordingResult(
                outcome: outcome, ticket: ticket, dose: dose, rosterName: history.roster?.name),
            newDose
        )
    }
}
