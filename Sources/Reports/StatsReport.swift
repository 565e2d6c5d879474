public import Recording
import TicketCodec

/// The `stats --json` object, and the scanning server's `GET /api/v1/stats` body.
public struct StatsReport: Encodable, Hashable, Sendable {
    /// One row of the breakdown.
    public struct Row: Encodable, Hashable, Sendable {
        /// The dose number, site, day, vaccine or group.
        public var key: String
        /// Doses counted under it.
        public var count: Int
    }

    /// Doses recorded.
    public var total: Int
    /// Doses per dose number, keyed by the number as text.
    public var byDose: [String: Int]
    /// The breakdown's dimension.
    public var by: String
    /// The breakdown.
    public var breakdown: [Row]
    /// Scans per outcome code.
    public var scans: [String: Int]
    /// Refused scans per outcome code.
    public var refusals: [String: Int]
    /// The first day counted, or `nil` for no bound.
    public var from: String?
    /// The last day counted, or `nil` for no bound.
    public var to: String?
    /// Doses the national registry confirmed, and those still waiting (refused ones included).
    public var sync: SyncCounts
    /// Phones' queued scans that arrived more than five minutes after they were made.
    public var late: LateScans

    /// The report of `statistics` and the registry's `sync` counts for `query`.
    public init(
        _ statistics: Statistics, query: StatisticsQuery, sync: SyncCounts,
        late: LateScans = LateScans(count: 0, averageSeconds: 0, maximumSeconds: 0)
    ) {
        self.sync = sync
        self.late = late
        total = statistics.total
        byDose = Dictionary(
            uniqueKeysWithValues: statistics.byDose.map { (String($0.key), $0.value) })
        by = statistics.dimension.rawValue
        breakdown = statistics.rows.map { Row(key: $0.key, count: $0.count) }
        scans = statistics.scans
        refusals = statistics.refusals
        from = query.from?.iso
        to = query.to?.iso
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(total, forKey: .total)
        try container.encode(byDose, forKey: .byDose)
        try container.encode(by, forKey: .by)
        try container.encode(breakdown, forKey: .breakdown)
        try container.encode(scans, forKey: .scans)
        try container.encode(refusals, forKey: .refusals)
        try container.encode(from, forKey: .from)
        try container.encode(to, forKey: .to)
        try container.encode(sync, forKey: .sync)
        try container.encode(late, forKey: .late)
    }

    private enum CodingKeys: String, CodingKey {
        case total, byDose, by, breakdown, scans, refusals, from, to, sync, late
    }
}
