import ArgumentParser
import Batch
import Foundation
import PhotoReader
import Recording
import TicketCodec

struct RecordCommand: ParsableCommand {
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
            "ticketSite", "group", "officer", "station", "administeredAt", "recordedAt"}.
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

    @Option(help: "An eligibility policy JSON file (default: the 2021 policy, dose 3 only for HEALTHWORKER).")
    var policy: String?

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

    func validate() throws {
        if paths.isEmpty == (payloads == nil) { throw ValidationError("Give image paths or --payloads FILE, not both.") }
        if officer.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--officer must not be empty.") }
        if let station, station.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--station must not be empty.") }
        if let lot, lot.isEmpty { throw ValidationError("--lot must not be empty.") }
        if let site, site.isEmpty { throw ValidationError("--site must not be empty.") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1.") }
    }

    func run() throws {
        let recorder = try makeRecorder()
        var output = RecordOutput(json: json, quiet: quiet)
        do {
            if let payloads {
                try recordPayloads(payloads, recorder: recorder, output: &output)
            } else {
                try recordImages(recorder: recorder, output: &output)
            }
        } catch let error as StoreError {
            printError(output.summary)
            printError("error: \(error)")
            throw ExitCode.failure
        }
        printError(output.summary)
        if output.refused > 0 { throw ExitCode.failure }
    }

    private func makeRecorder() throws -> TicketRecorder {
        let verifier: TicketVerifier
        let rules: RecordingRules
        do {
            let vaccines = try keyring.vaccineTable()
            verifier = TicketVerifier(keyring: try keyring.load(), revocations: try keyring.loadRevocations(), timeZone: clockOptions.zone, vaccines: vaccines)
            rules = RecordingRules(policy: try policy.map { try EligibilityPolicy(contentsOf: $0) } ?? .default2021, vaccines: vaccines)
        } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        let administeredAt: Date? =
            switch clockOptions.at.flatMap({ ValidityClock(parsing: $0, timeZone: clockOptions.zone) }) {
            case .day(let day): LocalDay.start(of: day.iso, in: clockOptions.zone)
            case .instant(let date): date
            case nil: nil
            }
        let context = ScanContext(
            officer: officer, station: station ?? ProcessInfo.processInfo.hostName, site: site, lot: lot, administeredAt: administeredAt)
        let store: SQLiteDoseStore
        do {
            store = try SQLiteDoseStore(path: database.resolvedPath, timeZone: clockOptions.zone)
        } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        return TicketRecorder(verifier: verifier, store: store, rules: rules, context: context, jobs: batch.jobs)
    }

    private func recordPayloads(_ path: String, recorder: TicketRecorder, output: inout RecordOutput) throws {
        let reader: LineReader
        do {
            reader = try LineReader(path: path)
        } catch {
            throw ValidationError(error.description)
        }
        var lineNumber = 0
        try recorder.recordInOrder(
            next: { () -> ([Int], [ScanInput])? in
                var lines: [Int] = []
                var texts: [String] = []
                while texts.count < batchSize, let line = reader.nextLine() {
                    lineNumber += 1
                    let text = line.trimmingCharacters(in: .whitespaces)
                    if text.isEmpty { continue }
                    lines.append(lineNumber)
                    texts.append(text)
                }
                return texts.isEmpty ? nil : (lines, recorder.verify(texts))
            },
            emit: { lines, results in
                for (line, result) in zip(lines, results) { output.report(result, source: .line(line)) }
            }
        )
    }

    private func recordImages(recorder: TicketRecorder, output: inout RecordOutput) throws {
        let files = try batch.collect(paths)
        let options = batch.readerOptions
        let verifier = recorder.verifier
        let at = recorder.context.administeredAt ?? Date()
        // Images are read and verified in parallel; their scans are then recorded in batches.
        var sources: [RecordOutput.Source] = []
        var scans: [ScanInput] = []
        let progress = ProgressBar(total: files.count, label: "record")
        ParallelBatch.run(
            count: files.count, jobs: batch.jobs,
            makeState: { PhotoReader(options: options) },
            work: { reader, index in Self.scans(in: files[index], reader: reader, verifier: verifier, at: at) },
            emit: { index, found in
                progress.advance()
                for (symbol, scan) in found.enumerated() {
                    sources.append(.file(files[index], symbol: found.count > 1 ? symbol + 1 : nil))
                    scans.append(scan)
                }
            }
        )
        progress.finish()
        var start = 0
        try recorder.recordInOrder(
            next: { () -> (Range<Int>, [ScanInput])? in
                guard start < scans.count else { return nil }
                let range = start..<min(scans.count, start + batchSize)
                start = range.upperBound
                return (range, Array(scans[range]))
            },
            emit: { range, results in
                for (index, result) in zip(range, results) { output.report(result, source: sources[index]) }
            }
        )
    }

    /// Every ticket in one image, verified; an image without a readable ticket is one refused scan.
    private static func scans(in file: String, reader: PhotoReader, verifier: TicketVerifier, at: Date) -> [ScanInput] {
        switch TicketImage.texts(in: file, reader: reader) {
        case .failure(let unreadable):
            return [.refused(.unreadable(code: unreadable.code, message: unreadable.message), ticket: nil)]
        case .success(let texts):
            return texts.map { text in
                guard let text else {
                    return .refused(.unverified(code: "malformed", message: "malformed ticket: the QR code does not hold text"), ticket: nil)
                }
                return ScanInput(verifier.verify(text, at: at))
            }
        }
    }
}

/// Prints each recorded scan and counts outcomes for the summary and the exit status.
struct RecordOutput {
    /// Where a scan came from.
    enum Source {
        case line(Int)
        case file(String, symbol: Int?)

        var label: String {
            switch self {
            case .line(let line): "line \(line)"
            case .file(let file, let symbol): symbol.map { "\(file) #\($0)" } ?? file
            }
        }
    }

    var json: Bool
    var quiet: Bool
    private(set) var counts: [String: Int] = [:]
    private(set) var refused = 0

    init(json: Bool, quiet: Bool) {
        self.json = json
        self.quiet = quiet
    }

    mutating func report(_ result: RecordingResult, source: Source) {
        counts[result.outcome.code, default: 0] += 1
        if result.outcome.isRefused { refused += 1 }
        if quiet && !result.outcome.isRefused { return }
        if json {
            JSONLine.print(Self.jsonObject(result, source: source))
        } else {
            let code = result.outcome.isRefused ? " [\(result.outcome.code)]" : ""
            print("\(source.label): \(result.message)\(code)")
        }
    }

    /// `record: 998 recorded, 2 already recorded, 3 refused (expired 2, bad_signature 1)`.
    var summary: String {
        let recorded = (counts["recorded"] ?? 0) + (counts["recorded_other_site"] ?? 0)
        let refusedParts = counts.filter { key, _ in !["recorded", "recorded_other_site", "already_recorded"].contains(key) }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\($0.key) \($0.value)" }
        var text = "record: \(recorded) recorded"
        if let other = counts["recorded_other_site"] { text += " (\(other) at another site)" }
        text += ", \(counts["already_recorded"] ?? 0) already recorded, \(refused) refused"
        if !refusedParts.isEmpty { text += " (" + refusedParts.joined(separator: ", ") + ")" }
        return text
    }

    static func jsonObject(_ result: RecordingResult, source: Source) -> [String: Any] {
        var object: [String: Any] = [
            "outcome": result.outcome.code, "message": result.message, "refused": result.outcome.isRefused,
            "serial": NSNull(), "registrant": NSNull(), "name": result.rosterName ?? NSNull(), "dose": NSNull(), "vaccine": NSNull(),
            "lot": NSNull(), "site": NSNull(), "ticketSite": NSNull(), "group": NSNull(), "officer": NSNull(), "station": NSNull(),
            "administeredAt": NSNull(), "recordedAt": NSNull(),
        ]
        switch source {
        case .line(let line): object["line"] = line
        case .file(let file, _): object["file"] = file
        }
        if let ticket = result.ticket {
            object["serial"] = ticket.serial
            object["registrant"] = ticket.registrant
            object["dose"] = ticket.dose
            object["vaccine"] = ticket.vaccine
            object["ticketSite"] = ticket.site
            object["group"] = ticket.group
        }
        // The dose's own fields: the new record, or the earlier one a re-scan points to.
        if let dose = result.dose, result.outcome.wroteDose || result.outcome == .alreadyRecorded {
            object["lot"] = dose.lot ?? NSNull()
            object["site"] = dose.site
            object["officer"] = dose.officer
            object["station"] = dose.station
            object["administeredAt"] = timestamp(dose.administeredAt)
            object["recordedAt"] = timestamp(dose.recordedAt)
        }
        if case .doseAlreadyGiven(let other) = result.outcome { object["otherSerial"] = other }
        return object
    }

    private static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
