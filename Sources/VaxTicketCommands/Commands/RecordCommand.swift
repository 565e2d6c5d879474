import ArgumentParser
import Batch
import Foundation
import PhotoReader
import Recording
import Reports
import TicketCodec
import TicketScanning
import TicketStation

struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Verify tickets and record the doses they stand for, exactly once.",
        discussion: """
            Tickets come from images (files or folders) or, with --payloads FILE, from ticket \
            texts one per line (- for standard input), as a station that worked offline uploads \
            its queue. Each ticket is verified, then checked against the rules: already recorded \
            (a re-scan, not an error), dose already given under another serial, dose out of \
            order, too early after the previous dose, not eligible under --policy; a ticket for \
            another --site is recorded with a warning. Every scan goes into the scan log.
            Batches of --batch-size tickets are committed as one transaction; a batch cut short \
            leaves nothing behind, and running it again records the rest without duplicates.
            With --json, one object per ticket per line: {"outcome", "message", "refused", \
            "line" or "file", "serial", "registrant", "name", "dose", "vaccine", "lot", "site", \
            "ticketSite", "group", "officer", "station", "administeredAt", "recordedAt"}; an \
            image that gives no ticket has the same code and message as `verify` gives it.
            Exit status: 0 when every ticket was recorded or already recorded, 1 otherwise.
            """
    )

    @Argument(help: "Image files or folders.")
    var paths: [String] = []

    @Option(help: "A file of ticket texts, one per line (- for standard input), instead of images.")
    var payloads: String?

    @Option(help: "The officer giving the doses.")
    var officer: String

    @Option(help: "The vials' lot number.")
    var lot: String?

    @Option(help: "This scanning station's id (default: the host name).")
    var station: String?

    @Option(help: "The site where this station works (default: each ticket's own site).")
    var site: String?

    @OptionGroup var policy: PolicyOptions

    @Option(name: .customLong("batch-size"), help: "Tickets per transaction.")
    var batchSize: Int = 1000

    @Flag(help: "Print one JSON object per ticket per line.")
    var json = false

    @Flag(help: "Print only refused tickets and the summary.")
    var quiet = false

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var keyring: KeyringOptions
    @OptionGroup var clockOptions: ClockOptions
    @OptionGroup var batch: BatchOptions
    @OptionGroup var photos: PhotoOptions

    func validate() throws {
        if paths.isEmpty == (payloads == nil) {
            throw ValidationError("Give image paths or --payloads FILE, not both.")
        }
        if officer.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--officer must not be empty.")
        }
        if let station, station.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--station must not be empty.")
        }
        if let lot, lot.isEmpty { throw ValidationError("--lot must not be empty.") }
        if let site, site.isEmpty { throw ValidationError("--site must not be empty.") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1.") }
        if let problem = ScanContext.problem(administeredAt: clockOptions.instant) {
            throw ValidationError("--at \(problem).")
        }
        for (name, value) in [
            ("--officer", officer), ("--station", station), ("--lot", lot), ("--site", site),
        ] {
            if let value, let problem = FreeText.problem(in: value) {
                throw ValidationError("\(name) \(problem).")
            }
        }
    }

    func run() async throws {
        let zone = clockOptions.zone
        let verifier = try keyring.verifier(timeZone: zone)
        let rules = try policy.rules(vaccines: verifier.vaccines)
        let context = ScanContext(
            officer: officer, station: station ?? ProcessInfo.processInfo.hostName, site: site,
            lot: lot, administeredAt: clockOptions.instant)
        var output = RecordOutput(json: json, quiet: quiet)
        // The summary is printed whatever happens: a store error after some batches still
        // says what was recorded before it.
        defer { printError(output.tally.summary) }
        try await database.withStore(timeZone: zone) { store in
            let recorder = TicketRecorder(
                verifier: verifier, store: store, rules: rules, context: context, jobs: batch.jobs)
            if let payloads {
                try await recordPayloads(payloads, recorder: recorder, output: &output)
            } else {
                try await recordImages(recorder: recorder, output: &output)
            }
        }
        if output.tally.refused > 0 { throw ExitCode.failure }
    }

    private func recordPayloads(
        _ path: String, recorder: TicketRecorder, output: inout RecordOutput
    ) async throws {
        let reader: LineReader
        do {
            reader = try LineReader(path: path)
        } catch {
            throw ValidationError(error.description)
        }
        // A read error ends the input; what was read before it is recorded, then it is reported.
        var readError: LineReaderError?
        try await recorder.recordInOrder(
            next: { () async -> ([Int], [ScanInput])? in
                guard readError == nil else { return nil }
                var batch: [(line: Int, text: String)] = []
                do throws(LineReaderError) {
                    batch = try reader.nextTexts(upTo: batchSize)
                } catch {
                    readError = error
                }
                return batch.isEmpty
                    ? nil : (batch.map(\.line), await recorder.verify(batch.map(\.text)))
            },
            emit: { lines, results in
                for (line, result) in zip(lines, results) {
                    output.report(RecordReport(result, line: line))
                }
            }
        )
        if let readError { throw readError }
    }

    private func recordImages(recorder: TicketRecorder, output: inout RecordOutput) async throws {
        let files = try batch.collect(paths)
        let options = photos.readerOptions
        let verifier = recorder.verifier
        let day = CalendarDate(recorder.context.administeredAt ?? Date(), in: verifier.timeZone)
        // Images are read and verified in parallel; their scans are then recorded in batches.
        var sources: [String] = []
        var scans: [ScanInput] = []
        let progress = ProgressBar(total: files.count, label: "record")
        await ParallelBatch.run(
            count: files.count, jobs: batch.jobs,
            makeState: { TicketImageReader(verifier: verifier, options: options) },
            work: { reader, index in
                ScanInput.scans(
                    of: Result { () throws(UnreadableImage) in
                        try reader.tickets(inFileAt: files[index], on: day)
                    })
            },
            emit: { index, found in
                progress.advance()
                for (symbol, scan) in found.enumerated() {
                    sources.append(
                        found.count > 1 ? "\(files[index]) #\(symbol + 1)" : files[index])
                    scans.append(scan)
                }
            }
        )
        progress.finish()
        var start = 0
        try await recorder.recordInOrder(
            next: { () -> (Range<Int>, [ScanInput])? in
                guard start < scans.count else { return nil }
                let range = start..<min(scans.count, start + batchSize)
                start = range.upperBound
                return (range, Array(scans[range]))
            },
            emit: { range, results in
                for (index, result) in zip(range, results) {
                    output.report(RecordReport(result, file: sources[index]))
                }
            }
        )
    }
}

/// Prints each recorded scan and counts outcomes for the summary and the exit status.
struct RecordOutput {
    var json: Bool
    var quiet: Bool
    private(set) var tally = RecordTally()

    init(json: Bool, quiet: Bool) {
        self.json = json
        self.quiet = quiet
    }

    mutating func report(_ report: RecordReport) {
        tally.count(report.outcome, refused: report.refused)
        if quiet && !report.refused { return }
        if json {
            printJSON(report)
        } else {
            let source = report.file ?? report.line.map { "line \($0)" } ?? "scan"
            let line =
                report.refused
                ? "refused: \(report.message) [\(report.outcome.rawValue)]" : report.message
            print("\(source): \(line)")
        }
    }
}
