import ArgumentParser
import Batch
import Foundation
import PhotoReader
import TicketCodec

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify every ticket in PNG or JPEG images, files or folders.",
        discussion: """
            One line per ticket; an image with no QR code is reported as unreadable. With --json, \
            one object per ticket per line: {"file", "status": "valid"|"invalid"|"unreadable", \
            "code", "message"}, plus the ticket's fields (serial, registrant, dose, vaccine, group, \
            site, valid_from, valid_until, key_id) when the signature is good. Counts per outcome \
            go to stderr. Exit status: 0 only when every image held at least one ticket and all \
            were valid, 1 otherwise.
            """
    )

    @Argument(help: "Image files or folders.")
    var paths: [String]

    @OptionGroup var batch: BatchOptions
    @OptionGroup var keyring: KeyringOptions
    @OptionGroup var clockOptions: ClockOptions

    @Flag(help: "Print one JSON object per ticket per line.")
    var json = false

    @Option(help: "Also write a CSV report with one row per ticket.")
    var report: String?

    func run() throws {
        let files = try batch.collect(paths)
        let verifier = TicketVerifier(
            keyring: try keyring.load(), revocations: try keyring.loadRevocations(), timeZone: clockOptions.zone,
            vaccines: try keyring.vaccineTable())
        let day = clockOptions.today
        let options = batch.readerOptions
        let reportFile = try report.map { try AppendingFile(path: $0, truncate: true, header: VerifyReport.csvHeader) }
        var tally = VerifyTally()
        let progress = ProgressBar(total: files.count, label: "verify")
        ParallelBatch.run(
            count: files.count, jobs: batch.jobs,
            makeState: { PhotoReader(options: options) },
            work: { reader, index in VerifyReport.check(file: files[index], reader: reader, verifier: verifier, on: day) },
            emit: { _, lines in
                progress.advance()
                tally.count(lines)
                for line in lines {
                    if json { JSONLine.print(line.jsonObject) } else { printLine(line.sentence) }
                    reportFile?.append(line.csvRow + "\n")
                }
            }
        )
        progress.finish()
        try reportFile?.close()
        printError(tally.summary(images: files.count))
        if !tally.allValid || files.isEmpty { throw ExitCode.failure }
    }
}

/// One line of `verify` output: a ticket's verification, or an image with no readable ticket.
struct VerifyReport: Sendable {
    var file: String
    var status: String
    var code: String
    var message: String
    var reason: String?
    var ticket: Ticket?

    static let csvHeader = "file,status,code,message,serial,registrant,dose,vaccine,group,site,valid_from,valid_until,key_id"

    /// Reads every QR code in `file` and verifies each.
    static func check(file: String, reader: PhotoReader, verifier: TicketVerifier, on day: CalendarDate) -> [VerifyReport] {
        let texts: [String?]
        switch TicketImage.texts(in: file, reader: reader) {
        case .failure(let unreadable):
            return [VerifyReport(file: file, status: "unreadable", code: unreadable.code, message: unreadable.message)]
        case .success(let found):
            texts = found
        }
        return texts.map { text in
            // A code that holds no text is judged as an empty ticket text: malformed.
            let result = verifier.verify(text ?? "", on: day)
            var reason: String?
            if case .malformed(let why) = result.outcome { reason = why.code }
            return VerifyReport(
                file: file, status: result.isValid ? "valid" : "invalid", code: result.code, message: result.message,
                reason: reason, ticket: result.ticket)
        }
    }

    var jsonObject: [String: Any] {
        var object: [String: Any] = ["file": file, "status": status, "code": code, "message": message]
        if let reason { object["reason"] = reason }
        if let ticket {
            object["serial"] = ticket.serialText
            object["registrant"] = ticket.registrant
            object["dose"] = ticket.dose
            object["vaccine"] = ticket.vaccine
            object["group"] = ticket.group.rawValue
            object["site"] = ticket.site
            object["valid_from"] = ticket.validFrom.iso
            object["valid_until"] = ticket.validUntil.iso
            object["key_id"] = ticket.keyID
        }
        return object
    }

    var sentence: String {
        guard let ticket else { return "\(file): \(status): \(message)" }
        let fields = "serial \(ticket.serialText), registrant \(ticket.registrant), dose \(ticket.dose) \(ticket.vaccine), \(ticket.group.rawValue), site \(ticket.site)"
        return "\(file): \(status == "valid" ? "VALID" : status): \(message) (\(fields))"
    }

    var csvRow: String {
        var cells = [file, status, code, message]
        if let ticket {
            cells += [
                ticket.serialText, ticket.registrant, String(ticket.dose), ticket.vaccine, ticket.group.rawValue, ticket.site,
                ticket.validFrom.iso, ticket.validUntil.iso, ticket.keyID,
            ]
        } else {
            cells += Array(repeating: "", count: 9)
        }
        return cells.map(Self.csvCell).joined(separator: ",")
    }

    private static func csvCell(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Counts of `verify` outcomes, for the summary on stderr and the exit status.
struct VerifyTally {
    private(set) var counts: [String: Int] = [:]
    private(set) var tickets = 0
    private(set) var allValid = true

    mutating func count(_ lines: [VerifyReport]) {
        for line in lines {
            counts[line.status == "unreadable" ? "unreadable" : line.code, default: 0] += 1
            if line.status != "unreadable" { tickets += 1 }
            if line.status != "valid" { allValid = false }
        }
    }

    func summary(images: Int) -> String {
        let parts = counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        return "\(tickets) tickets in \(images) images: " + (parts.isEmpty ? "nothing found" : parts.joined(separator: ", "))
    }
}
