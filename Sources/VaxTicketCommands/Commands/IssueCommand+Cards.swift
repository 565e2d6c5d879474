import ArgumentParser
import Batch
import Foundation
import Recording
import Reports
import TicketCards
import TicketCodec

/// `issue --format card|pdf`: printable ticket cards, one PNG each or A4 sheets in one PDF.
extension IssueCommand {
    func issueCards(signer: TicketSigner) async throws {
        let settings = CardBatchSettings(
            signer: signer, today: clockOptions.today, validityDays: days, language: cards.lang,
            dpi: printing.dpi ?? CardOptions.defaultDPI, jobs: jobs)
        if let csv, let outDir {
            try await issueCardBatch(csv: csv, outDir: outDir, settings: settings)
            return
        }
        guard let registrant, let dose, let vaccine, let site, let out else { return }
        let request = IssueRequest(
            registrant: registrant, dose: dose, vaccine: vaccine, site: site,
            group: PriorityGroup(rawValue: group),
            validFrom: validFrom.flatMap(CalendarDate.init(iso:)),
            validUntil: validUntil.flatMap(CalendarDate.init(iso:)),
            name: cards.name, siteName: cards.siteName)
        let names = try await rosterNames(for: cards.name == nil ? [registrant] : [])
        let issued = try CardBatch.writeCard(request, names: names, settings: settings, to: out)
        if json {
            printJSON(
                IssuedCardReport(
                    file: out, serial: TicketSerial.text(issued.serial), text: issued.text))
        } else {
            print(
                "\(out): ticket card, serial \(groupedSerial(issued.serial)), \(settings.dpi) dpi")
        }
    }

    private func issueCardBatch(csv: String, outDir: String, settings: CardBatchSettings)
        async throws
    {
        let (content, plan, manifestPath, fresh) = try batchPlan(
            csv: csv, outDir: outDir, vaccines: settings.signer.vaccines)
        let names = try await rosterNames(
            for: plan.pending.filter { $0.request.name == nil }.map(\.request.registrant))
        let manifest = try AppendingFile(
            path: manifestPath, truncate: fresh, header: IssueManifest.header)
        let pending = plan.pending
        let progress = ProgressBar(total: pending.count, label: "issue")
        var written = 0
        var failures = plan.errors.count
        func emit(_ index: Int, _ result: Result<IssuedCard, CardError>) throws(CardError) {
            switch result {
            case .success(let card):
                do throws(FileOutputError) {
                    try manifest.append(
                        IssueManifest.line(
                            row: card.line, registrant: card.registrant, serial: card.serial,
                            file: card.file) + "\n")
                } catch {
                    throw .write(path: error.path, reason: error.reason)
                }
                written += 1
            case .failure(let error):
                printError("\(csv): line \(pending[index].line): \(error)")
                failures += 1
            }
        }
        var pdf: String?
        if format == .pdf {
            // A re-run adds its cards to a new file instead of replacing sheets not yet printed.
            let path = SheetWriter.freePath(in: outDir, replacing: fresh)
            let batch = "\((csv as NSString).lastPathComponent) \(settings.today.iso)"
            try await CardBatch.writeSheets(
                pending, names: names, settings: settings, path: path, batch: batch,
                progress: { progress.advance() }, emit: emit)
            if written > 0 { pdf = path }
        } else {
            try await CardBatch.writeCards(
                pending, names: names, settings: settings, folder: outDir,
                fileName: TicketFileName.fileName,
                progress: { progress.advance() },
                emit: emit)
        }
        progress.finish()
        try manifest.close()
        if json {
            var report = IssueBatchReport(
                issued: written, skipped: plan.skipped, failed: failures,
                blank: IssueCSV.blankLines(in: content),
                manifest: manifestPath)
            report.pdf = pdf
            report.pages = pdf.map { _ in SheetGeometry.pages(for: written) }
            printJSON(report)
        } else {
            let into = pdf.map { "\($0) (\(SheetGeometry.pages(for: written)) pages)" } ?? outDir
            printError(
                "issued \(written) ticket cards into \(into), skipped \(plan.skipped) already in the manifest, \(failures) rows failed"
            )
        }
        if failures > 0 { throw ExitCode.failure }
    }

    /// Names from the roster in `--db` for `registrants`; empty without `--db`.
    private func rosterNames(for registrants: [String]) async throws -> [String: String] {
        guard let path = cards.rosterDatabase, !registrants.isEmpty else { return [:] }
        let store: SQLiteDoseStore
        do {
            store = try await SQLiteDoseStore(path: path, create: false)
        } catch {
            throw ValidationError("--db \(path): \(error)")
        }
        var names: [String: String] = [:]
        for registrant in Set(registrants) {
            if let entry = try await store.rosterEntry(registrant: registrant) {
                names[registrant] = entry.name
            }
        }
        return names
    }
}
