import ArgumentParser
import CSVFiles
import Foundation
import Recording
import Reports
import TicketCodec

/// The `--by` values, one per statistics dimension.
enum Breakdown: String, CaseIterable, ExpressibleByArgument {
    case dose, site, day, vaccine, group

    var dimension: StatisticsDimension {
        switch self {
        case .dose: .dose
        case .site: .site
        case .day: .day
        case .vaccine: .vaccine
        case .group: .group
        }
    }
}

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Count recorded doses like the city's report, and refused scans.",
        discussion: """
            Days are the local days doses were given on, in the time zone they were recorded \
            with (record --time-zone, default Asia/Jakarta). --json prints one object: {"total", "byDose", \
            "by", "breakdown": [{"key", "count"}], "scans", "refusals", "from", "to", "sync": {"synced", "waiting", "refused"}, "late": {"count", "averageSeconds", "maximumSeconds"}}. --csv prints \
            the requested breakdown as key,count rows.
            """
    )

    @Option(help: "The breakdown besides the totals per dose.")
    var by: Breakdown = .dose

    @Option(help: "First day counted (YYYY-MM-DD).")
    var from: String?

    @Option(help: "Last day counted (YYYY-MM-DD).")
    var to: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    @Flag(help: "Print the breakdown as CSV.")
    var csv = false

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        for (name, value) in [("--from", from), ("--to", to)] {
            if let value, CalendarDate(iso: value) == nil {
                throw ValidationError("\(name) must be a date like 2021-08-23, got \"\(value)\".")
            }
        }
        if let from, let to, from > to {
            throw ValidationError("--from \(from) is after --to \(to).")
        }
        if json && csv { throw ValidationError("--json and --csv cannot be combined.") }
    }

    func run() async throws {
        let query = StatisticsQuery(
            dimension: by.dimension, from: from.flatMap { CalendarDate(iso: $0) },
            to: to.flatMap { CalendarDate(iso: $0) })
        let (statistics, sync, late) = try await database.withStore(create: false) { store in
            (
                try await store.statistics(query),
                try await store.syncCounts(from: query.from, to: query.to),
                try await store.lateScans(from: query.from, to: query.to)
            )
        }
        if json {
            printJSON(StatsReport(statistics, query: query, sync: sync, late: late))
        } else if csv {
            print(
                CSVFile.text(
                    header: [by.rawValue, "count"],
                    rows: statistics.rows.map { [$0.key, String($0.count)] }),
                terminator: "")
        } else {
            print(Self.report(statistics, from: from, to: to), terminator: "")
            print(Self.syncReport(sync), terminator: "")
            if late.count > 0 { print(Self.lateReport(late), terminator: "") }
        }
    }

    /// The human report: totals first, like the city's, then the breakdown and the refusals.
    static func report(_ statistics: Statistics, from: String?, to: String?) -> String {
        var lines: [String] = []
        let period = from == nil && to == nil ? "" : " (\(from ?? "start") to \(to ?? "today"))"
        let perDose = statistics.byDose.keys.sorted().map {
            "dose \($0) \(grouped(statistics.byDose[$0] ?? 0))"
        }
        lines.append(
            "\(grouped(statistics.total)) doses\(period)"
                + (perDose.isEmpty ? "" : ": " + perDose.joined(separator: ", ")))
        if statistics.dimension != .dose {
            lines.append("")
            lines.append("by \(statistics.dimension.rawValue):")
            let width = statistics.rows.map(\.key.count).max() ?? 0
            for row in statistics.rows {
                lines.append(
                    "  " + row.key.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                        + grouped(row.count))
            }
        }
        let refusals = statistics.refusals.sorted {
            $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key
        }
        lines.append("")
        lines.append("refused scans: \(grouped(refusals.map(\.value).reduce(0, +)))")
        for (code, count) in refusals { lines.append("  \(code)  \(grouped(count))") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The registry line: how many doses are synced and how many wait.
    static func syncReport(_ sync: SyncCounts) -> String {
        "\nregistry: \(grouped(sync.synced)) synced, \(grouped(sync.waiting)) waiting"
            + (sync.refused > 0 ? " (\(grouped(sync.refused)) refused last time)" : "") + "\n"
    }

    /// `1205265` as `1,205,265`.
    static func lateReport(_ late: LateScans) -> String {
        "phones' queued scans that arrived late: \(grouped(late.count)) (on average \(late.averageSeconds / 60) min, the latest \(late.maximumSeconds / 60) min after they were made)\n"
    }

    static func grouped(_ value: Int) -> String {
        let digits = Array(String(value))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }
}
