import ArgumentParser
import Foundation
import Recording
import Reports

struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Look after the dose database: merge offline stations in.",
        subcommands: [DatabaseMergeCommand.self]
    )
}

struct DatabaseMergeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge a station's offline SQLite database into the --db database, exactly once.",
        discussion: """
            Brings in the station's doses and its scan log in one transaction. Every record \
            remembers where it was first written, so running the merge again (or merging a copy \
            of the file) adds nothing. A station dose that the database already holds under \
            another record (the same serial, or the same registrant and dose under another \
            serial) is a conflict: the database keeps its own dose, the station's is kept in the \
            merge_conflict table and its scan log lines are merged like all others, so nothing is \
            dropped. Rules such as intervals are not run again: the station applied them.
            With --json, one object: {"station", "dosesAdded", "dosesAlreadyMerged", \
            "scansAdded", "scansAlreadyMerged", "conflicts": [{"kind", "registrant", "dose", \
            "serial", "station", "administeredAt", "existingSerial", "existingStation"}], \
            "conflictsAlreadyKnown"}.
            Exit status: 0 when the station had no conflict, 1 when it had any (new or found by \
            an earlier merge).
            """
    )

    @Argument(help: "The station's SQLite database file.")
    var station: String

    @Flag(help: "Print one JSON object.")
    var json = false

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        // The station file is opened as a store (it must exist), which brings an older station
        // file's schema up to date, giving it an identity if it has none yet.
        let source = try await SQLiteDoseStore(
            path: station, create: false, busyTimeout: database.busyTimeout
        ).mergeSource()
        let result = try await database.withStore { store in try await store.merge(source) }
        if json {
            printJSON(MergeReport(result, station: station))
        } else {
            for conflict in result.conflicts {
                let incoming = conflict.incoming, existing = conflict.existing
                let what =
                    conflict.kind == .sameSerial
                    ? "serial \(incoming.serial) is already recorded"
                    : "dose \(incoming.dose) of \(incoming.registrant) is already recorded under serial \(existing.serial)"
                print(
                    "conflict: \(what) (station \(existing.station), \(existing.administeredDay)); station \(incoming.station) recorded serial \(incoming.serial), dose \(incoming.dose) of \(incoming.registrant) on \(incoming.administeredDay): kept as a conflict"
                )
            }
            print(
                "merged \(station): \(result.dosesAdded) doses added, \(result.dosesAlreadyMerged) already merged; \(result.scansAdded) scan log lines added, \(result.scansAlreadyMerged) already merged; \(result.conflicts.count) new conflicts, \(result.conflictsAlreadyKnown) already known"
            )
        }
        if !result.conflicts.isEmpty || result.conflictsAlreadyKnown > 0 { throw ExitCode.failure }
    }
}
