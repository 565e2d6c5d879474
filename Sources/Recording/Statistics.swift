public import TicketCodec

/// A breakdown of the dose counts.
public enum StatisticsDimension: String, CaseIterable, Hashable, Sendable {
    /// Per dose number.
    case dose
    /// Per site where the dose was given.
    case site
    /// Per local calendar day.
    case day
    /// Per vaccine code.
    case vaccine
    /// Per priority group.
    case group
}

/// Which doses and scans to count.
public struct StatisticsQuery: Hashable, Sendable {
    /// The breakdown wanted besides the totals per dose.
    public var dimension: StatisticsDimension
    /// The first local day counted, or `nil` for no lower bound.
    public var from: CalendarDate?
    /// The last local day counted, or `nil` for no upper bound.
    public var to: CalendarDate?

    /// A query with every field given.
    public init(
        dimension: StatisticsDimension = .dose, from: CalendarDate? = nil, to: CalendarDate? = nil
    ) {
        self.dimension = dimension
        self.from = from
        self.to = to
    }
}

/// Counts of doses and scans, the way the city's report gives them.
public struct Statistics: Hashable, Sendable {
    /// One row of a breakdown.
    public struct Row: Hashable, Sendable {
        /// The dose number, site, day, vaccine or group.
        public var key: String
        /// Doses counted under `key`.
        public var count: Int

        /// A row with every field given.
        public init(key: String, count: Int) {
            self.key = key
            self.count = count
        }
    }

    /// Doses recorded.
    public var total: Int
    /// Doses recorded per dose number.
    public var byDose: [Int: Int]
    /// The requested breakdown, ordered by key.
    public var dimension: StatisticsDimension
    /// The rows of the requested breakdown.
    public var rows: [Row]
    /// Scans per outcome code, from the scan log.
    public var scans: [String: Int]

    /// Statistics with every field given.
    public init(
        total: Int, byDose: [Int: Int], dimension: StatisticsDimension, rows: [Row],
        scans: [String: Int]
    ) {
        self.total = total
        self.byDose = byDose
        self.dimension = dimension
        self.rows = rows
        self.scans = scans
    }

    /// Refused scans per outcome code: every scan outcome except recorded and already recorded.
    public var refusals: [String: Int] {
        scans.filter { !Self.acceptedCodes.contains($0.key) }
    }

    private static let acceptedCodes: Set<String> = [
        OutcomeCode.recorded.rawValue, OutcomeCode.recordedOtherSite.rawValue,
        OutcomeCode.alreadyRecorded.rawValue,
    ]
}
