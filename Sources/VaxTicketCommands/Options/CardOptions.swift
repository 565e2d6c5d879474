public import ArgumentParser
public import TicketCards
import TicketCodec

extension CardLanguage: ExpressibleByArgument {}

/// What printed cards say, for `issue --format card|pdf`.
struct CardOptions: ParsableArguments {
    @Option(help: "Card language: id (Indonesian) or en (English).")
    var lang: CardLanguage = .indonesian

    @Option(help: "The registrant's name, printed on the card only (one card).")
    var name: String?

    @Option(
        name: .customLong("site-name"), help: "The site's name, printed on the card (one card).")
    var siteName: String?

    @Option(
        name: .customLong("db"),
        help: "Print names from this database's roster (see roster import) for rows without a name."
    )
    var rosterDatabase: String?

    /// Card PNGs print at 300 dpi unless `--dpi` says otherwise.
    static let defaultDPI = 300

    func validate(format: IssueCommand.OutputFormat, batch: Bool, dpi: Int?, modulePixels: Int)
        throws
    {
        let forCards = format == .card || format == .pdf
        guard
            forCards
                || (name == nil && siteName == nil && rosterDatabase == nil && lang == .indonesian)
        else {
            throw ValidationError(
                "--lang, --name, --site-name and --db are for --format card or pdf.")
        }
        if forCards, modulePixels != 4 {  // 4 is PrintOptions' default
            throw ValidationError(
                "--module-px is for bare QR codes; a card's code is sized to print at least 30 mm wide."
            )
        }
        if format == .pdf, !batch {
            throw ValidationError("--format pdf needs --csv FILE --out-dir DIR.")
        }
        if batch, name != nil || siteName != nil {
            throw ValidationError(
                "--csv takes names from its name and site_name columns; drop --name and --site-name."
            )
        }
        if format == .card, let dpi, !CardRenderer.dpiRange.contains(dpi) {
            throw ValidationError(
                "--dpi for cards must be \(CardRenderer.dpiRange.lowerBound) to \(CardRenderer.dpiRange.upperBound)."
            )
        }
        for (flag, text) in [("--name", name), ("--site-name", siteName)] {
            guard let text else { continue }
            do {
                _ = try FreeText.name(text)
            } catch {
                throw ValidationError("\(flag) \(error).")
            }
        }
    }
}
