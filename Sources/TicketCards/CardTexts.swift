import Foundation
public import TicketCodec

/// The language printed on cards and sheets.
public enum CardLanguage: String, CaseIterable, Hashable, Sendable {
    /// Bahasa Indonesia, the default.
    case indonesian = "id"
    /// English.
    case english = "en"

    /// Every text of the card in this language.
    public var texts: CardTexts {
        switch self {
        case .indonesian: .indonesian
        case .english: .english
        }
    }
}

/// Every word printed on a card or sheet, for one language. Templates hold `{n}`-style
/// placeholders filled by the methods below.
public struct CardTexts: Hashable, Sendable {
    /// The card's title, in the header band.
    public var title: String
    /// The dose badge: `{dose}`.
    public var dose: String
    /// Field labels, printed small above each value.
    public var nameLabel: String
    /// The vaccine field's label.
    public var vaccineLabel: String
    /// The site field's label.
    public var siteLabel: String
    /// The valid-dates field's label.
    public var validLabel: String
    /// The serial field's label.
    public var serialLabel: String
    /// The two lines of instructions at the bottom of the card.
    public var instructions: [String]
    /// Abbreviated month names, January first.
    public var months: [String]
    /// The sheet footer: `{batch}`, `{page}`, `{pages}`.
    public var footer: String
    /// The PDF's title: `{batch}`.
    public var documentTitle: String

    /// Indonesian, the default language of the programme.
    public static let indonesian = CardTexts(
        title: "TIKET VAKSINASI",
        dose: "DOSIS {dose}",
        nameLabel: "NAMA",
        vaccineLabel: "VAKSIN",
        siteLabel: "LOKASI",
        validLabel: "BERLAKU",
        serialLabel: "NOMOR SERI",
        instructions: [
            "Bawa kartu ini dan KTP ke lokasi vaksinasi pada tanggal berlaku.",
            "Jangan lipat atau coret kode QR. Kartu ini bukan sertifikat vaksin.",
        ],
        months: [
            "Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des",
        ],
        footer: "Batch {batch}  ·  halaman {page} dari {pages}",
        documentTitle: "Tiket vaksinasi, batch {batch}"
    )

    /// English.
    public static let english = CardTexts(
        title: "VACCINATION TICKET",
        dose: "DOSE {dose}",
        nameLabel: "NAME",
        vaccineLabel: "VACCINE",
        siteLabel: "SITE",
        validLabel: "VALID",
        serialLabel: "SERIAL NUMBER",
        instructions: [
            "Bring this card and your ID card to the site on a valid day.",
            "Do not fold or mark the QR code. This card is not a vaccine certificate.",
        ],
        months: [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ],
        footer: "Batch {batch}  ·  page {page} of {pages}",
        documentTitle: "Vaccination tickets, batch {batch}"
    )

    /// The dose badge for `dose`.
    public func dose(_ dose: Int) -> String { fill(self.dose, ["dose": String(dose)]) }

    /// `23 Agu 2021`.
    public func date(_ date: CalendarDate) -> String {
        let month = (1...12).contains(date.month) ? months[date.month - 1] : String(date.month)
        return "\(date.day) \(month) \(date.year)"
    }

    /// `23 Agu 2021 – 21 Sep 2021`, or one date when both are the same day.
    public func validity(from start: CalendarDate, until end: CalendarDate) -> String {
        start == end ? date(start) : "\(date(start)) – \(date(end))"
    }

    /// The footer of page `page` of `pages`.
    public func footer(batch: String, page: Int, pages: Int) -> String {
        fill(footer, ["batch": batch, "page": String(page), "pages": String(pages)])
    }

    /// The PDF's title for `batch`.
    public func documentTitle(batch: String) -> String { fill(documentTitle, ["batch": batch]) }

    private func fill(_ template: String, _ values: [String: String]) -> String {
        var text = template
        for (key, value) in values { text = text.replacingOccurrences(of: "{\(key)}", with: value) }
        return text
    }
}

/// The serial in four groups of four, easy to read out over the phone: `0123 4567 89AB CDEF`.
public func groupedSerial(_ serial: UInt64) -> String {
    let text = TicketSerial.text(serial)
    var groups: [Substring] = []
    var rest = Substring(text)
    while !rest.isEmpty {
        groups.append(rest.prefix(4))
        rest = rest.dropFirst(4)
    }
    return groups.joined(separator: " ")
}
