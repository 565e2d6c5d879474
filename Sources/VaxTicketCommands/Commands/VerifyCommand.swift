import ArgumentParser
import Batch
import CSVFiles
import Foundation
import Reports
import TicketCodec
import TicketScanning

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify every ticket in PNG or JPEG images, files or folders.",
        discussion: """
            One line per ticket; an image that gives no ticket (no QR code, a code without \
            text, an unreadable or corrupt file) is one unreadable line, with the same code and \
            message as `record` gives it. With --json, one object per line: {"file", "status": \
            "valid"|"invalid"|"unreadable", "code", "message"}, plus the ticket's fields (serial, \
            registrant, dose, vaccine, group, site, validFrom, validUntil, keyId) when the \
            signature is good. Counts per outcome go to stderr. Exit status: 0 only when every \
            image held at least one ticket and all were valid, 1 otherwise.
            """
    )

    @Argument(help: "Image files or folders.")
    var paths: [String]

    @OptionGroup var batch: BatchOptions
    @OptionGroup var photos: PhotoOptions
    @OptionGroup var keyring: KeyringOptions
    @OptionGroup var clockOptions: ClockOptions

    @Flag(help: "Print one JSON object per ticket per line.")
    var json = false

    @Option(help: "Also write a CSV report with one row per ticket.")
    var report: String?

    func run() async throws {
        let files = try batch.collect(paths)
        let verifier = try keyring.verifier(timeZone: clockOptions.zone)
        let day = clockOptions.today
        let options = photos.readerOptions
        let reportFile = try report.map {
            try AppendingFile(
                path: $0, truncate: true,
                header: String(CSVFile.line(VerifyReport.csvHeader).dropLast()))
        }
        var tally = VerifyTally()
        let progress = ProgressBar(total: files.count, label: "verify")
        try await ParallelBatch.run(
            count: files.count, jobs: batch.jobs,
            makeState: { TicketImageReader(verifier: verifier, options: options) },
            work: { reader, index in
                let file = files[index]
                return VerifyReport.lines(
                    file: file,
                    result: Result { () throws(UnreadableImage) in
                        try reader.tickets(inFileAt: file, on: day)
                    })
            },
            emit: { _, lines in
                progress.advance()
                for line in lines {
                    tally.count(line)
                    if json { printJSON(line) } else { printLine(Self.sentence(line)) }
                    try reportFile?.append(CSVFile.line(line.csvCells))
                }
            }
        )
        progress.finish()
        try reportFile?.close()
        printError(tally.summary(images: files.count))
        if !tally.allValid || files.isEmpty { throw ExitCode.failure }
    }

    private static func sentence(_ line: VerifyReport) -> String {
        guard let serial = line.serial, let registrant = line.registrant, let dose = line.dose,
            let vaccine = line.vaccine,
            let group = line.group, let site = line.site
        else { return "\(line.file): \(line.status.rawValue): \(line.message)" }
        let fields =
            "serial \(serial), registrant \(registrant), dose \(dose) \(vaccine), \(group), site \(site)"
        return
            "\(line.file): \(line.status == .valid ? "VALID" : line.status.rawValue): \(line.message) (\(fields))"
    }
}
