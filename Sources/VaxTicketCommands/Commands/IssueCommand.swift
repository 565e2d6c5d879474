import ArgumentParser
import Batch
import Foundation
import PNGCodec
import QREncoding
import Reports
import TicketCodec

struct IssueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Sign tickets and write them as QR code PNGs (one ticket, or a whole CSV).",
        discussion: """
            One ticket: vaxticket issue --registrant 2108230000012345 --dose 1 --vaccine CORONAVAC \
            --site BDG001 --out ticket.png
            A batch: vaxticket issue --csv registrants.csv --out-dir tickets/ (header \
            registrant,dose,vaccine,site,group,valid_from,valid_until; the last three optional). \
            Writes one PNG per row, or with --format text one ticket text per line in tickets.txt, \
            and manifest.csv (row,registrant,serial,file). Rows already in the manifest are skipped \
            unless --force. A bad row is reported with its line number and skipped; the exit status \
            is then 1.
            Without dates a ticket is valid from today (see --at, --time-zone) for --days days.
            --format card writes a printable ticket card instead of a bare QR code (one PNG, or one \
            per row); --format pdf writes a batch as A4 sheets of 8 cards with cut marks in \
            DIR/tickets.pdf. Cards print the name from the CSV's optional name column (or the \
            roster in --db), never putting it in the QR code, and an optional site_name column.
            """
    )

    @Option(help: "Registrant reference: 1 to 20 digits and uppercase letters.")
    var registrant: String?

    @Option(help: "Dose number, 1 to 9.")
    var dose: Int?

    @Option(help: "Vaccine code, e.g. CORONAVAC, ASTRAZENECA, PFIZER.")
    var vaccine: String?

    @Option(help: "Site code: 1 to 8 digits and uppercase letters.")
    var site: String?

    @Option(
        help:
            "Priority group: GENERAL, HEALTHWORKER, ELDERLY, PUBLICSERVANT, PREGNANT or ADOLESCENT."
    )
    var group: String = PriorityGroup.general.rawValue

    @Option(name: .customLong("valid-from"), help: "First valid day, YYYY-MM-DD (default: today).")
    var validFrom: String?

    @Option(
        name: .customLong("valid-until"),
        help: "Last valid day, YYYY-MM-DD (default: valid-from + days - 1).")
    var validUntil: String?

    @Option(help: "Days a ticket is valid when no valid-until is given, the first day included.")
    var days: Int = 30

    @Option(name: .shortAndLong, help: "The PNG file to write (one ticket).")
    var out: String?

    @Option(help: "A CSV of registrants to issue tickets for.")
    var csv: String?

    @Option(
        name: .customLong("out-dir"), help: "The folder for a batch's tickets and manifest.csv.")
    var outDir: String?

    @Option(
        help:
            "png (QR code), text (tickets.txt, batch only), card (ticket card PNG) or pdf (A4 sheets, batch only)."
    )
    var format: OutputFormat = .png

    @OptionGroup var cards: CardOptions

    @Flag(help: "Re-issue rows already in the manifest.")
    var force = false

    @Option(help: "Parallel jobs; the default is the number of cores.")
    var jobs: Int = ParallelBatch.defaultJobs

    @OptionGroup var printing: PrintOptions

    @Flag(help: "Print JSON instead of sentences.")
    var json = false

    @OptionGroup var keyring: KeyringOptions
    @OptionGroup var clockOptions: ClockOptions

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case png, text, card, pdf
    }

    func validate() throws {
        try cards.validate(
            format: format, batch: csv != nil, dpi: printing.dpi,
            modulePixels: printing.modulePixels)
        guard (1...3650).contains(days) else { throw ValidationError("--days must be 1 to 3650.") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1.") }
        if csv != nil {
            guard outDir != nil else { throw ValidationError("--csv needs --out-dir.") }
            let single: [String?] = [
                registrant, dose.map(String.init), vaccine, site, out, validFrom, validUntil,
            ]
            guard single.allSatisfy({ $0 == nil }) else {
                throw ValidationError(
                    "--csv takes the ticket fields from the file; drop --registrant, --dose, --vaccine, --site, --valid-from, --valid-until and --out."
                )
            }
            return
        }
        guard registrant != nil, dose != nil, vaccine != nil, site != nil else {
            throw ValidationError(
                "Give --registrant, --dose, --vaccine and --site (or --csv FILE --out-dir DIR).")
        }
        guard out != nil else { throw ValidationError("Give --out FILE.png.") }
        guard PriorityGroup(rawValue: group) != nil else {
            throw ValidationError(
                "--group must be one of \(PriorityGroup.allCases.map(\.rawValue).joined(separator: ", "))."
            )
        }
        if let validFrom, CalendarDate(iso: validFrom) == nil {
            throw ValidationError("--valid-from must be a YYYY-MM-DD date.")
        }
        if let validUntil, CalendarDate(iso: validUntil) == nil {
            throw ValidationError("--valid-until must be a YYYY-MM-DD date.")
        }
    }

    func run() async throws {
        let ring = try keyring.load()
        guard let key = ring.activeKey else { throw KeyringError.noActiveKey(keyring.path) }
        let signer = TicketSigner(
            key: key, vaccines: try keyring.vaccineTable(), maxValidityDays: ring.maxValidityDays)
        if format == .card || format == .pdf {
            try await issueCards(signer: signer)
        } else if let csv, let outDir {
            try await issueBatch(csv: csv, outDir: outDir, signer: signer)
        } else {
            try issueOne(signer: signer)
        }
    }

    private var rendering: QRRendering {
        QRRendering(modulePixels: printing.modulePixels, dpi: printing.dpi)
    }

    private func issueOne(signer: TicketSigner) throws {
        guard let registrant, let dose, let vaccine, let site, let out else { return }
        let request = IssueRequest(
            registrant: registrant, dose: dose, vaccine: vaccine, site: site,
            group: PriorityGroup(rawValue: group),
            validFrom: validFrom.flatMap(CalendarDate.init(iso:)),
            validUntil: validUntil.flatMap(CalendarDate.init(iso:)))
        let ticket = request.ticket(
            serial: TicketSerial.random(), keyID: signer.key.id, today: clockOptions.today,
            validityDays: days)
        let text = try signer.sign(ticket)
        let image = try rendering.png(for: text)
        try FileOutput.write(image.png, to: out)
        if json {
            printJSON(
                IssuedTicketReport(
                    file: out, ticket: ticket, text: text, qrVersion: image.version,
                    modules: image.modules))
        } else {
            print(
                "\(out): serial \(ticket.serialText), QR version \(image.version) (\(image.modules)x\(image.modules) modules, \(text.count) characters), valid \(ticket.validFrom) to \(ticket.validUntil), key \(ticket.keyID)"
            )
        }
    }

    /// A batch's CSV read and checked (its bad rows reported), less the rows its manifest lists
    /// as issued; `fresh` when the manifest starts anew (no earlier run, or `--force`).
    func batchPlan(csv: String, outDir: String, vaccines: VaccineTable) throws
        -> (content: String, plan: IssuePlan, manifestPath: String, fresh: Bool)
    {
        guard let content = try? String(contentsOfFile: csv, encoding: .utf8) else {
            throw ValidationError("Cannot read the CSV file \(csv).")
        }
        let rows: [IssueRow]
        do {
            rows = try IssueCSV.parse(content, vaccines: vaccines)
        } catch {
            throw ValidationError("\(csv): \(error)")
        }
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        let manifestPath = (outDir as NSString).appendingPathComponent("manifest.csv")
        var issued = Set<IssueManifest.IssuedRow>()
        if !force, FileManager.default.fileExists(atPath: manifestPath) {
            // A manifest that exists but cannot be read would re-issue every row: refuse instead.
            issued = IssueManifest.issuedRows(
                in: try String(contentsOfFile: manifestPath, encoding: .utf8))
        }
        let plan = IssuePlan(rows: rows, issued: issued)
        for error in plan.errors { printError("\(csv): \(error)") }
        return (content, plan, manifestPath, force || issued.isEmpty)
    }

    private func issueBatch(csv: String, outDir: String, signer: TicketSigner) async throws {
        let (content, plan, manifestPath, fresh) = try batchPlan(
            csv: csv, outDir: outDir, vaccines: signer.vaccines)
        var failures = plan.errors.count

        let manifest = try AppendingFile(
            path: manifestPath, truncate: fresh, header: IssueManifest.header)
        let textFileName = "tickets.txt"
        let texts =
            format == .text
            ? try AppendingFile(
                path: (outDir as NSString).appendingPathComponent(textFileName), truncate: fresh,
                privateFile: true)
            : nil
        let today = clockOptions.today
        let days = days
        let rendering = rendering
        let format = format
        let pending = plan.pending
        let progress = ProgressBar(total: pending.count, label: "issue")
        var written = 0
        let folder = outDir.hasSuffix("/") ? outDir : outDir + "/"
        try await ParallelBatch.run(
            count: pending.count, jobs: jobs,
            makeState: { signer },
            work: { signer, index in
                let (line, request) = (pending[index].line, pending[index].request)
                return Result { () throws -> (serial: UInt64, text: String, file: String) in
                    let ticket = request.ticket(
                        serial: TicketSerial.random(), keyID: signer.key.id, today: today,
                        validityDays: days)
                    let text = try signer.sign(ticket)
                    guard format == .png else { return (ticket.serial, text, textFileName) }
                    let name = TicketFileName.fileName(line: line, registrant: request.registrant)
                    let png = try rendering.png(for: text).png
                    try FileOutput.write(png, to: folder + name)
                    return (ticket.serial, text, name)
                }
            },
            emit: { index, result in
                progress.advance()
                let (line, request) = (pending[index].line, pending[index].request)
                switch result {
                case .success(let issued):
                    try texts?.append(issued.text + "\n")
                    try manifest.append(
                        IssueManifest.line(
                            row: line, registrant: request.registrant, serial: issued.serial,
                            file: issued.file)
                            + "\n")
                    written += 1
                case .failure(let error):
                    printError("\(csv): line \(line): \(error)")
                    failures += 1
                }
            }
        )
        progress.finish()
        try manifest.close()
        try texts?.close()
        // Issued, skipped, failed and blank add up to the lines after the header.
        let blank = IssueCSV.blankLines(in: content)
        let summary =
            "issued \(written) tickets into \(outDir), skipped \(plan.skipped) already in the manifest, \(failures) rows failed, \(blank) blank lines"
        if json {
            printJSON(
                IssueBatchReport(
                    issued: written, skipped: plan.skipped, failed: failures, blank: blank,
                    manifest: manifestPath))
        } else {
            printError(summary)
        }
        if failures > 0 { throw ExitCode.failure }
    }
}
