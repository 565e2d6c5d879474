public import Foundation
public import Recording
public import TicketCodec

/// One `record --json` line, and the scanning server's answer to one scan: what recording one
/// ticket did, with the dose's fields. Every key is always present, `null` when unknown, but
/// `line` and `file`, which say where a batch's scan came from.
public struct RecordReport: Codable, Hashable, Sendable {
    /// The outcome code.
    public var outcome: OutcomeCode
    /// The sentence for the officer.
    public var message: String
    /// Whether the scan was refused.
    public var refused: Bool
    /// The line of a `--payloads` file the ticket came from.
    public var line: Int?
    /// The image file the ticket came from.
    public var file: String?
    /// The ticket's serial, when its signature was good.
    public var serial: String?
    /// The registrant reference.
    public var registrant: String?
    /// The registrant's name from the roster, when known.
    public var name: String?
    /// The dose number.
    public var dose: Int?
    /// The vaccine code.
    public var vaccine: String?
    /// The priority group.
    public var group: String?
    /// The site the ticket was issued for.
    public var ticketSite: String?
    /// The dose's lot, site, officer, station and times: the new record, or the earlier one a
    /// re-scan points to.
    public var lot: String?
    public var site: String?
    public var officer: String?
    public var station: String?
    public var administeredAt: Date?
    public var recordedAt: Date?
    /// For `dose_already_given`, the serial the dose was given under.
    public var otherSerial: String?

    /// The report of `result`, from line `line` or file `file`.
    public init(_ result: RecordingResult, line: Int? = nil, file: String? = nil) {
        outcome = result.outcome.code
        message = result.message
        refused = result.outcome.isRefused
        self.line = line
        self.file = file
        name = result.rosterName
        if let ticket = result.ticket {
            serial = ticket.serial
            registrant = ticket.registrant
            dose = ticket.dose
            vaccine = ticket.vaccine
            group = ticket.group.rawValue
            ticketSite = ticket.site
        }
        if let record = result.dose, result.outcome.wroteDose || result.outcome == .alreadyRecorded
        {
            lot = record.lot
            site = record.site
            officer = record.officer
            station = record.station
            administeredAt = record.administeredAt
            recordedAt = record.recordedAt
        }
        if case .doseAlreadyGiven(let other) = result.outcome { otherSerial = other }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(outcome, forKey: .outcome)
        try container.encode(message, forKey: .message)
        try container.encode(refused, forKey: .refused)
        try container.encodeIfPresent(line, forKey: .line)
        try container.encodeIfPresent(file, forKey: .file)
        try container.encode(serial, forKey: .serial)
        try container.encode(registrant, forKey: .registrant)
        try container.encode(name, forKey: .name)
        try container.encode(dose, forKey: .dose)
        try container.encode(vaccine, forKey: .vaccine)
        try container.encode(group, forKey: .group)
        try container.encode(ticketSite, forKey: .ticketSite)
        try container.encode(lot, forKey: .lot)
        try container.encode(site, forKey: .site)
        try container.encode(officer, forKey: .officer)
        try container.encode(station, forKey: .station)
        try container.encode(administeredAt, forKey: .administeredAt)
        try container.encode(recordedAt, forKey: .recordedAt)
        try container.encodeIfPresent(otherSerial, forKey: .otherSerial)
    }

    private enum CodingKeys: String, CodingKey {
        case outcome, message, refused, line, file, serial, registrant, name, dose, vaccine, group,
            ticketSite, lot, site,
            officer, station
        case administeredAt, recordedAt, otherSerial
    }
}

/// Counts of `record` outcomes, for the summary and the exit status.
public struct RecordTally: Hashable, Sendable {
    /// Scans per outcome.
    public private(set) var counts: [OutcomeCode: Int] = [:]
    /// Scans refused.
    public private(set) var refused = 0

    /// An empty tally.
    public init() {}

    /// Counts one scan's outcome.
    public mutating func count(_ outcome: OutcomeCode, refused isRefused: Bool) {
        counts[outcome, default: 0] += 1
        if isRefused { refused += 1 }
    }

    /// `record: 998 recorded, 2 already recorded, 3 refused (expired 2, bad_signature 1)`.
    public var summary: String {
        let recorded = (counts[.recorded] ?? 0) + (counts[.recordedOtherSite] ?? 0)
        let refusedParts = counts.filter { code, _ in
            ![.recorded, .recordedOtherSite, .alreadyRecorded].contains(code)
        }
        .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.rawValue < $1.key.rawValue }
        .map { "\($0.key.rawValue) \($0.value)" }
        var text = "record: \(recorded) recorded"
        if let other = counts[.recordedOtherSite] { text += " (\(other) at another site)" }
        text += ", \(counts[.alreadyRecorded] ?? 0) already recorded, \(refused) refused"
        if !refusedParts.isEmpty { text += " (" + refusedParts.joined(separator: ", ") + ")" }
        return text
    }
}

/// The scanning server's answer to one upload: the first ticket's report at the top level, the
/// same object as a `record --json` line, and every ticket the upload held, in order, under
/// `tickets` (a photo can hold more than one).
public struct ScanAnswer: Codable, Hashable, Sendable {
    /// Every ticket's report, in the order the photo gave them; never empty.
    public var tickets: [RecordReport]

    /// The answer for `results`, which must not be empty.
    public init(_ results: [RecordingResult]) {
        tickets = results.map { RecordReport($0) }
    }

    private enum CodingKeys: String, CodingKey {
        case tickets
    }

    public func encode(to encoder: any Encoder) throws {
        try tickets.first?.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tickets, forKey: .tickets)
    }

    /// An answer read back (the top level repeats the first ticket, so only `tickets` is read).
    public init(from decoder: any Decoder) throws {
        tickets = try decoder.container(keyedBy: CodingKeys.self).decode(
            [RecordReport].self, forKey: .tickets)
    }
}

/// The answer to one scan of a phone's queue: its id, whether an earlier upload recorded it
/// already (then nothing was written now), and the answer it got when it was first recorded.
public struct QueuedScanReport: Codable, Hashable, Sendable {
    /// The phone's id for the scan.
    public var id: String
    /// Whether an earlier upload recorded this id: the answer is the first one, unchanged.
    public var repeated: Bool
    /// What recording the scan did.
    public var answer: ScanAnswer

    /// A report with every field given.
    public init(id: String, repeated: Bool, answer: ScanAnswer) {
        self.id = id
        self.repeated = repeated
        self.answer = answer
    }
}

/// The scanning server's answer to an upload of queued scans: one report per scan, in order.
public struct QueueUploadReport: Codable, Hashable, Sendable {
    /// The reports, in the order of the upload.
    public var results: [QueuedScanReport]

    /// The answer with every report given.
    public init(results: [QueuedScanReport]) { self.results = results }
}
