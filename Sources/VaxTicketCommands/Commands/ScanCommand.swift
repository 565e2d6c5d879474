import ArgumentParser
import Batch
import Foundation
import PhotoReader
import Reports
import ZBarScanner

struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Read every QR code in PNG or JPEG images, files or folders.",
        discussion: """
            Folders are searched recursively for .png and .jpg files. Images are read in \
            parallel. Exit status: 0 when every image yielded at least one code, 1 otherwise.
            With --json, one object per image per line:
            {"file", "symbols": [{"text", "bytes" (Base64), "corners"}], "error": null or {"code", "message"}}
            The error codes are those of `verify` and `record` for a file that cannot be read.
            """
    )

    @Argument(help: "Image files or folders.")
    var paths: [String]

    @OptionGroup var batch: BatchOptions
    @OptionGroup var photos: PhotoOptions

    @Flag(help: "Print one JSON object per image per line.")
    var json = false

    @Flag(
        name: .customLong("full-resolution"),
        help:
            "Decode JPEGs at full size for the first look instead of TurboJPEG's cheaper 1/2, 1/4 or 1/8 scale."
    )
    var fullResolution = false

    /// Diagnostics for measuring the photo reader, on standard error.
    enum Trace: String, ExpressibleByArgument {
        /// One line per photo naming the cascade step that read it and the time taken.
        case outcome
        /// One line per photo and cascade step, each step run on its own.
        case steps
    }

    @Option(help: .hidden)
    var trace: Trace?

    func run() async throws {
        let files = try batch.collect(paths)
        let options = readerOptions
        let trace = trace
        let progress = ProgressBar(total: files.count, label: "scan")
        var failures = 0
        await ParallelBatch.run(
            count: files.count, jobs: batch.jobs,
            makeState: { PhotoReader(options: options) },
            work: { reader, index in
                let start = ContinuousClock.now
                let reading = Result { () throws(PhotoReadError) in
                    try reader.reading(contentsOf: files[index])
                }
                if let trace {
                    Self.write(
                        trace, reader: reader, file: files[index], reading: reading, since: start)
                }
                return reading.map(\.symbols)
            },
            emit: { index, result in
                progress.advance()
                if (try? result.get())?.isEmpty ?? true { failures += 1 }
                report(file: files[index], result: result)
            }
        )
        progress.finish()
        if failures > 0 { throw ExitCode.failure }
    }

    private static func write(
        _ trace: Trace, reader: PhotoReader, file: String,
        reading: Result<PhotoReading, PhotoReadError>,
        since start: ContinuousClock.Instant
    ) {
        switch trace {
        case .outcome:
            let read = try? reading.get()
            let step = read?.outcome.map { "\($0.step):\($0.attempt)" } ?? "none"
            var work = read.map { ["\($0.work.units)", "\($0.work.attempts)"] } ?? ["0", "0"]
            if let evidence = read?.work.evidence { work += Self.fields(of: evidence) }
            let fields = [
                "photo-trace", file, step, "\(read?.symbols.count ?? 0)",
                milliseconds(ContinuousClock.now - start),
            ]
            printError((fields + work).joined(separator: "\t"))
        case .steps:
            guard let bytes = try? PhotoReader.contents(of: file),
                let reports = try? reader.eachAttempt(of: bytes)
            else {
                return
            }
            for report in reports {
                let texts = report.symbols.map { PayloadText.decode($0.bytes) ?? "" }
                let json =
                    (try? JSONSerialization.data(withJSONObject: texts)).map {
                        String(decoding: $0, as: UTF8.self)
                    } ?? "[]"
                let fields = [
                    "photo-step", file, "\(report.step):\(report.attempt)",
                    report.ran ? "ran" : "skipped",
                    milliseconds(report.duration), json, "\(report.work)",
                ]
                printError(fields.joined(separator: "\t"))
            }
        }
    }

    /// What the photo reader's finder check found, for `--trace outcome`: the strength of the
    /// evidence, then the numbers it was judged by.
    private static func fields(of evidence: CodeEvidence) -> [String] {
        func number(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "-" }
        return [
            evidence.strength.rawValue, "\(evidence.finders)", "\(evidence.weakFinders)",
            "\(evidence.threeFinders)", "\(evidence.rowsSeen)", "\(evidence.findersInside)",
            evidence.modules.map { "\($0)" } ?? "-", number(evidence.modulePixels),
            number(evidence.finderClarity), number(evidence.timingClarity),
        ]
    }

    private static func milliseconds(_ duration: Duration) -> String {
        let ms =
            Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds)
            / 1e15
        return String(format: "%.2f", ms)
    }

    private var readerOptions: PhotoReaderOptions {
        var options = photos.readerOptions
        if fullResolution { options.firstLookPixels = .max }
        return options
    }

    private func report(file: String, result: Result<[ScannedSymbol], PhotoReadError>) {
        if json {
            printJSON(ScanReport(file: file, result: result))
            return
        }
        switch result {
        case .success(let symbols) where symbols.isEmpty:
            print("\(file): no QR code found")
        case .success(let symbols):
            for symbol in symbols {
                let text =
                    PayloadText.decode(symbol.bytes) ?? "(binary, base64) "
                    + Data(symbol.bytes).base64EncodedString()
                print("\(file): \(text)")
            }
        case .failure(let error):
            print("\(file): error: \(error)")
        }
    }
}
