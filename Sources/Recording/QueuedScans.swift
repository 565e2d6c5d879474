public import Foundation
public import TicketCodec

/// A scan a phone made while it had no signal, uploaded later from its queue.
public struct QueuedScan: Hashable, Sendable {
    /// The id the phone gave the scan: the server records each id of an officer once.
    public var id: String
    /// What the scan held: one ticket, several, or one refusal (a photo without a code).
    public var scans: [ScanInput]
    /// When the phone made the scan, by its own clock.
    public var scannedAt: Date
    /// The scanning station (the phone).
    public var station: String
    /// The vials' lot number, when given.
    public var lot: String?

    /// A queued scan with every field given.
    public init(id: String, scans: [ScanInput], scannedAt: Date, station: String, lot: String?) {
        self.id = id
        self.scans = scans
        self.scannedAt = scannedAt
        self.station = station
        self.lot = lot
    }

    /// Whether `id` may name a scan: 8 to 64 letters, digits, `-` and `_` (a UUID is).
    public static func isValidID(_ id: String) -> Bool {
        (8...64).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
    }
}

/// The answer to one queued scan: the first answer the server gave for its id.
public struct QueuedAnswer: Hashable, Sendable {
    /// The scan's id.
    public var id: String
    /// The answer as the caller rendered it when the scan was first recorded (a JSON object for
    /// the phone), given again, unchanged, for every repeat.
    public var answer: String
    /// Whether this id was recorded by an earlier upload: nothing was written now.
    public var repeated: Bool
    /// What recording it did now; empty for a repeat.
    public var results: [RecordingResult]

    /// An answer with every field given.
    public init(id: String, answer: String, repeated: Bool, results: [RecordingResult]) {
        self.id = id
        self.answer = answer
        self.repeated = repeated
        self.results = results
    }
}

/// The row a store keeps for each queued scan it recorded, so that a repeat of its id writes
/// nothing and gets the first answer.
public struct QueuedScanRow: Hashable, Sendable {
    /// The officer who uploaded it; ids are the officer's own.
    public var officer: String
    /// The phone's id for the scan.
    public var id: String
    /// When the phone says it scanned.
    public var scannedAt: Date
    /// The local day of `scannedAt`.
    public var scannedDay: CalendarDate
    /// When the server received it.
    public var receivedAt: Date
    /// The rendered first answer.
    public var answer: String
}

/// How long after a scan the server still takes it from a phone's queue, and how late a scan
/// counts as late in the statistics.
public struct QueueLimits: Hashable, Sendable {
    /// The oldest claimed scan time accepted, in days before the upload.
    public var maximumAgeDays: Int
    /// A scan received later than this after it was made counts as late.
    public static let lateAfter: TimeInterval = 300

    /// Limits with every field given.
    public init(maximumAgeDays: Int = 7) {
        self.maximumAgeDays = max(1, maximumAgeDays)
    }
}

/// A phone's upload of queued scans on its way into a store, in one transaction: the scans
/// whose ids the store already holds are answered as they were the first time; the others are
/// checked for their claimed time and recorded, each at its own time, lot and station.
public struct QueuedBatch: Sendable {
    /// The uploaded scans, in order.
    public let scans: [QueuedScan]
    /// The officer uploading them.
    public let officer: Officer
    /// The programme's rules.
    public let rules: RecordingRules
    /// The programme's time zone.
    public let timeZone: TimeZone
    /// When the upload arrived.
    public let receivedAt: Date
    /// How old a queued scan may be.
    public let limits: QueueLimits

    /// An upload received at `receivedAt`.
    public init(
        _ scans: [QueuedScan], officer: Officer, rules: RecordingRules, timeZone: TimeZone,
        limits: QueueLimits, receivedAt: Date = Date()
    ) {
        self.scans = scans
        self.officer = officer
        self.rules = rules
        self.timeZone = timeZone
        self.limits = limits
        self.receivedAt = receivedAt
    }

    /// The ids the store must look up among the officer's recorded queued scans.
    public var ids: [String] { scans.map(\.id) }

    /// The registrants the upload may touch: a store with many writers locks them first.
    public var registrants: [String] {
        var registrants = Set<String>()
        for scan in scans {
            for case .ticket(let ticket) in scan.scans { registrants.insert(ticket.registrant) }
        }
        return registrants.sorted()
    }

    /// The recording batch of the scans whose ids the store does not hold (`known`): each at
    /// its claimed time, lot and station, or refused for a claimed time out of bounds.
    public func fresh(known: Set<String>) -> RecordingBatch {
        var entries: [RecordingBatch.Entry] = []
        var seen = Set<String>()
        for scan in scans where !known.contains(scan.id) && seen.insert(scan.id).inserted {
            let context = ScanContext(
                officer: officer.name, station: scan.station, site: officer.site, lot: scan.lot,
                administeredAt: scan.scannedAt)
            let age = receivedAt.timeIntervalSince(scan.scannedAt)
            let refusal: RecordingOutcome? =
                -age > ScanContext.maximumClockSkew
                ? .scannedInFuture(claimed: scan.scannedAt)
                : age > Double(limits.maximumAgeDays) * 86_400
                    ? .scannedTooLongAgo(claimed: scan.scannedAt, limitDays: limits.maximumAgeDays)
                    : nil
            if let refusal {
                // Logged at the time it arrived: a day its phone made up would skew the tallies.
                entries.append(
                    RecordingBatch.Entry(
                        scan: .refused(refusal, ticket: nil), context: context,
                        administeredAt: receivedAt, day: CalendarDate(receivedAt, in: timeZone)))
                continue
            }
            let day = CalendarDate(scan.scannedAt, in: timeZone)
            for input in scan.scans {
                entries.append(
                    RecordingBatch.Entry(
                        scan: input, context: context, administeredAt: scan.scannedAt, day: day))
            }
        }
        return RecordingBatch(entries, rules: rules, now: receivedAt)
    }

    /// Every scan's answer, and the rows to keep for the new ones, from the stored answers of
    /// the `known` ids and what recording the fresh ones did (`writes`, in the order of
    /// ``fresh(known:)``); `render` makes a new answer from its results.
    public func answers(
        known: [String: String], writes: RecordingWrites,
        render: ([RecordingResult]) throws -> String
    ) rethrows -> (answers: [QueuedAnswer], rows: [QueuedScanRow]) {
        var results = writes.results[...]
        var answers: [QueuedAnswer] = []
        var rows: [QueuedScanRow] = []
        var given: [String: String] = known
        for scan in scans {
            if let answer = given[scan.id] {
                answers.append(
                    QueuedAnswer(id: scan.id, answer: answer, repeated: true, results: []))
                continue
            }
            let age = receivedAt.timeIntervalSince(scan.scannedAt)
            let inBounds =
                -age <= ScanContext.maximumClockSkew
                && age <= Double(limits.maximumAgeDays) * 86_400
            let count = inBounds ? scan.scans.count : 1
            let own = Array(results.prefix(count))
            results = results.dropFirst(count)
            let answer = try render(own)
            given[scan.id] = answer
            answers.append(QueuedAnswer(id: scan.id, answer: answer, repeated: false, results: own))
            rows.append(
                QueuedScanRow(
                    officer: officer.name, id: scan.id, scannedAt: scan.scannedAt,
                    scannedDay: CalendarDate(scan.scannedAt, in: timeZone), receivedAt: receivedAt,
                    answer: answer))
        }
        return (answers, rows)
    }
}

/// How many queued scans reached the server late, and how late.
public struct LateScans: Codable, Hashable, Sendable {
    /// Queued scans received more than five minutes after they were made (those refused as too
    /// old included).
    public var count: Int
    /// Their mean delay, in seconds.
    public var averageSeconds: Int
    /// The longest delay, in seconds.
    public var maximumSeconds: Int

    /// Counts with every field given.
    public init(count: Int, averageSeconds: Int, maximumSeconds: Int) {
        self.count = count
        self.averageSeconds = averageSeconds
        self.maximumSeconds = maximumSeconds
    }
}
