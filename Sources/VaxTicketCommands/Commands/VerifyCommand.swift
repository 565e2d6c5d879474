import ArgumentParser
import Batch
import CSVFiles
import Foundation
import Recording
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
            signature is good, and "line" with --payloads. Counts per outcome go to stderr. Exit \
            status: 0 only when every image held at least one ticket and all were valid, 1 \
            otherwise.
            With --public-keys FILE (written by `keys export-public`) no keyring is read: VT2 \
            (Ed25519) tickets are verified with the public keys, and VT1 (HMAC) tickets get \
            needs_keyring.
            """
    )

    @Argument(help: "Image files or folders.")
    var paths: [String] = []

    @Option(help: "A file of ticket texts, one per line (- for standard input), instead of images.")
    var payloads: String?

    @Option(
        name: .customLong("public-keys"),
        help: "Verify with this public key file (keys export-public) instead of a keyring.")
    var publicKeys: String?

    @OptionGroup var batch: BatchOptions
    @OptionGroup var photos: PhotoOptions
    @OptionGroup var keyring: KeyringOptions
    @OptionGroup var clockOptions: ClockOptions

    @Flag(help: "Print one JSON object per ticket per line.")
    var json = false

    @Option(help: "Also write a CSV report with one row per ticket.")
    var report: String?

    func validate() throws {
        if paths.isEmpty == (payloads == nil) {
            throw ValidationError("Give image paths or --payloads FILE, not both.")
        }
        if publicKeys != nil, keyring.keyring != nil {
            throw ValidationError("Give --keyring or --public-keys, not both.")
        }
    }

    func run() async throws {
        let verifier =
            try publicKeys.map { try keyring.verifier(publicKeys: $0, timeZone: clockOptions.zone) }
            ?? keyring.verifier(timeZone: clockOptions.zone)
        let day = clockOptions.today
        let reportFile = try report.map {
            try AppendingFile(
                path: $0, truncate: true,
                header: String(CSVFile.line(VerifyReport.csvHeader).dropLast()))
        }
        var tally = VerifyTally()
        let emit = { (line: VerifyReport) throws in
            tally.count(line)
            if json { printJSON(line) } else { printLine(Self.sentence(line)) }
            try reportFile?.append(CSVFile.line(line.csvCells))
        }
        if let payloads {
            let lines = try await verifyPayloads(payloads, verifier: verifier, day: day, emit: emit)
            try reportFile?.close()
            printError(tally.summary(images: lines, unit: "lines"))
            if !tally.allValid || tally.tickets == 0 { throw ExitCode.failure }
            return
        }
        let files = try batch.collect(paths)
        let options = photos.readerOptions
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
                for line in lines { try emit(line) }
            }
        )
        progress.finish()
        try reportFile?.close()
        printError(tally.summary(images: files.count))
        if !tally.allValid || files.isEmpty { throw ExitCode.failure }
    }

    /// Verifies each ticket text of the file at `path` (blank lines skipped), in blocks read one
    /// after another, so a file of millions of texts never has to fit in memory. Returns the
    /// number of lines read.
    private func verifyPayloads(
        _ path: String, verifier: TicketVerifier, day: CalendarDate,
        emit: (VerifyReport) throws -> Void
    ) async throws -> Int {
        let reader: LineReader
        do {
            reader = try LineReader(path: path)
        } catch {
            throw ValidationError(error.description)
        }
        let blockSize = 4096
        while true {
            let block = try reader.nextTexts(upTo: blockSize)
            if block.isEmpty { return reader.lineNumber }
            try await ParallelBatch.run(
                count: block.count, jobs: batch.jobs,
                makeState: { verifier },
                work: { verifier, index in
                    VerifyReport(
                        file: path, line: block[index].line,
                        verification: verifier.verify(block[index].text, on: day))
                },
                emit: { _, line in try emit(line) })
        }
    }

    private static func sentence(_ line: VerifyReport) -> String {
        let source = line.line.map { "\(line.file) line \($0)" } ?? line.file
        guard let serial = line.serial, let registrant = line.registrant, let dose = line.dose,
            let vaccine = line.vaccine,
            let group = line.group, let site = line.site
        else { return "\(source): \(line.status.rawValue): \(line.message)" }
        let fields =
            "serial \(serial), registrant \(registrant), dose \(dose) \(vaccine), \(group), site \(site)"
        return
            "\(source): \(line.status == .valid ? "VALID" : line.status.rawValue): \(line.message) (\(fields))"
    }
}
