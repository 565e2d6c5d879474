import ArgumentParser
import Foundation
import Recording
import Reports
import TicketCodec

struct RosterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roster",
        abstract: "Manage the roster imported from the sign-up system.",
        subcommands: [RosterImportCommand.self]
    )
}

struct RosterImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import or update registrants from a sign-up CSV export.",
        discussion: """
            The header must have registrant,nik,name,birth_date,group,phone (any order; other \
            columns are ignored; an optional doses_elsewhere column counts earlier doses given \
            outside the programme). NIK must be 16 digits. Rows are upserted by registrant \
            reference; bad rows are reported by line and skipped. Exit status: 0 when every row \
            was imported, 1 when any row was refused.
            """
    )

    @Argument(help: "The CSV file.")
    var file: String

    @OptionGroup var database: DatabaseOptions

    @Flag(
        help:
            "Print one JSON object: {\"inserted\", \"updated\", \"errors\": [{\"line\", \"reason\"}]}."
    )
    var json = false

    func run() async throws {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read \(file) as UTF-8 text")
        }
        let parsed: RosterCSV.Parsed
        do {
            parsed = try RosterCSV.parse(text, groups: Set(PriorityGroup.allCases.map(\.rawValue)))
        } catch {
            throw ValidationError("\(file): \(error)")
        }
        let entries = parsed.rows.map(\.entry)
        let result = try await database.withStore { store in try await store.importRoster(entries) }
        let errors =
            (parsed.errors
            + result.rejected.map {
                RosterCSV.RowError(line: parsed.rows[$0.key].line, reason: $0.value)
            })
            .sorted { $0.line < $1.line }
        // Every line after the header is added, updated, refused or blank: the sum is the file's rows.
        let rows = result.inserted + result.updated + errors.count + parsed.blankLines
        if json {
            printJSON(
                RosterImportReport(
                    rows: rows, inserted: result.inserted, updated: result.updated,
                    blank: parsed.blankLines,
                    errors: errors.map {
                        RosterImportReport.RowError(line: $0.line, reason: $0.reason)
                    }))
        } else {
            for error in errors { printError("\(file): \(error)") }
            print(
                "roster: \(rows) rows: \(result.inserted) added, \(result.updated) updated, \(errors.count) refused, \(parsed.blankLines) blank"
            )
        }
        if !errors.isEmpty { throw ExitCode.failure }
    }
}
