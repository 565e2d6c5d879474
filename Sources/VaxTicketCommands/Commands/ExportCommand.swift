import ArgumentParser
import Batch
import FHIR
import Foundation
import Recording
import TicketCodec

/// The `--format` values, one per export format.
enum ExportFormatArgument: String, CaseIterable, ExpressibleByArgument {
    case fhirNDJSON = "fhir-ndjson"
    case csv

    var format: ExportFormat {
        switch self {
        case .fhirNDJSON: .fhirNDJSON
        case .csv: .csv
        }
    }
}

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write recorded doses for bulk or manual upload to the national registry.",
        discussion: """
            fhir-ndjson writes one FHIR R4 Immunization per line (see docs/sync.md); csv writes one \
            row per dose with the columns \(RegistryExport.csvColumns.joined(separator: ",")), in the \
            order a data-entry clerk types them. Every dose is written, synced or not. A dose whose \
            registrant has no NIK in the roster is left out and named on stderr, and the exit code is \
            then 1. The file holds NIKs and names: it is created with mode 0600.
            """
    )

    @Option(help: "fhir-ndjson or csv.")
    var format: ExportFormatArgument = .fhirNDJSON

    @Option(help: "Only doses given on or after this day (YYYY-MM-DD).")
    var since: String?

    @Option(help: "The output file (default: standard output).")
    var out: String?

    @OptionGroup var registry: RegistryOptions
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        if let since, CalendarDate(iso: since) == nil {
            throw ValidationError("--since must be a date like 2021-08-23, got \"\(since)\".")
        }
    }

    func run() async throws {
        let export = RegistryExport(mapping: try registry.mapping())
        let since = since.flatMap { CalendarDate(iso: $0) }
        let format = format.format
        let summary: ExportSummary = try await database.withStore(create: false) { store in
            guard let out else {
                return try await export.export(from: store, format: format, since: since) {
                    FileHandle.standardOutput.write($0)
                }
            }
            let file = try StreamedFile(path: out, privateToOwner: true)
            let summary = try await export.export(from: store, format: format, since: since) {
                try file.write($0)
            }
            try file.commit()
            return summary
        }
        for held in summary.heldBack { printError("held back \(held.serial): \(held.reason)") }
        printError(
            "exported \(summary.exported) doses"
                + (summary.heldBack.isEmpty ? "" : ", held back \(summary.heldBack.count)"))
        if !summary.heldBack.isEmpty { throw ExitCode.failure }
    }
}
