public import Foundation
public import TicketCodec

/// What happened to one scanned ticket. Every case has a stable code for scripts and the scan
/// log, and a sentence for the officer.
public enum RecordingOutcome: Hashable, Sendable {
    /// The dose was recorded.
    case recorded
    /// The dose was recorded, but the ticket was issued for another site.
    case recordedAtOtherSite(ticketSite: String)
    /// This serial was recorded before; nothing new was written.
    case alreadyRecorded
    /// The registrant already has this dose number, under another serial.
    case doseAlreadyGiven(otherSerial: String)
    /// The previous dose number has not been recorded (nor marked as given elsewhere).
    case doseOutOfOrder(missingDose: Int)
    /// The minimum interval since the previous dose has not passed; `earliestDay` is the first allowed day.
    case tooEarly(previousDay: CalendarDate, earliestDay: CalendarDate)
    /// The eligibility policy does not allow this dose for this priority group.
    case notEligible(group: PriorityGroup, dose: Int)
    /// The ticket failed verification (malformed, bad signature, expired, revoked, ...).
    case unverified(VerificationOutcome)
    /// No ticket could be read from the image.
    case unreadable(UnreadableScan)
    /// A phone's queued scan claims a time in the future; its phone's clock is wrong.
    case scannedInFuture(claimed: Date)
    /// A phone's queued scan claims a time older than a queue may hold, `limitDays`.
    case scannedTooLongAgo(claimed: Date, limitDays: Int)

    /// The stable machine code.
    public var code: OutcomeCode {
        switch self {
        case .recorded: .recorded
        case .recordedAtOtherSite: .recordedOtherSite
        case .alreadyRecorded: .alreadyRecorded
        case .doseAlreadyGiven: .doseAlreadyGiven
        case .doseOutOfOrder: .doseOutOfOrder
        case .tooEarly: .tooEarly
        case .notEligible: .notEligible
        case .unverified(let outcome): outcome.code
        case .unreadable(let reason): reason.code
        case .scannedInFuture: .scannedInFuture
        case .scannedTooLongAgo: .scannedTooLongAgo
        }
    }

    /// Whether the scan was refused: anything but recorded or already recorded.
    public var isRefused: Bool {
        switch self {
        case .recorded, .recordedAtOtherSite, .alreadyRecorded: false
        default: true
        }
    }

    /// Whether this scan wrote a new dose record.
    public var wroteDose: Bool {
        switch self {
        case .recorded, .recordedAtOtherSite: true
        default: false
        }
    }
}

/// Why an image gave no ticket, as the scanning layer said it: its outcome code and its sentence.
/// The recording core logs it; it never reads images itself.
public struct UnreadableScan: Hashable, Sendable, CustomStringConvertible {
    /// The outcome code, e.g. `no_code` or `corrupt_image`.
    public var code: OutcomeCode
    /// The sentence for the officer.
    public var description: String

    /// A reason with its code and sentence.
    public init(code: OutcomeCode, description: String) {
        self.code = code
        self.description = description
    }
}
