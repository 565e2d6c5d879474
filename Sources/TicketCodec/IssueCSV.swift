import CSVFiles
import Foundation

/// One row of a registrants CSV: what to put on a ticket, before it has a serial and a key.
public struct IssueRequest: Hashable, Sendable {
    /// The registrant reference.
    public var registrant: String
    /// The dose number.
    public var dose: Int
    /// The vaccine code.
    public var vaccine: String
    /// The site code.
    public var site: String
    /// The priority group; `nil` means general.
    public var group: PriorityGroup?
    /// The first valid day; `nil` means the issuing day.
    public var validFrom: CalendarDate?
    /// The last valid day; `nil` means `validFrom` plus the default validity.
    public var validUntil: CalendarDate?
    /// The registrant's name, for a printed card only: never part of the ticket.
    public var name: String?
    /// The site's name, for a printed card only.
    public var siteName: String?

    /// A request with every field given.
    public init(
        registrant: String, dose: Int, vaccine: String, site: String, group: PriorityGroup? = nil,
        validFrom: CalendarDate? = nil, validUntil: CalendarDate? = nil, name: String? = nil,
        siteName: String? = nil
    ) {
        self.registrant = registrant
        self.dose = dose
        self.vaccine = vaccine
        self.site = site
        self.group = group
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.name = name
        self.siteName = siteName
    }

    /// The ticket for this request: valid from `validFrom` or `today`, for `validityDays` days
    /// (the first day included) unless `validUntil` is given.
    public func ticket(serial: UInt64, keyID: String, today: CalendarDate, validityDays: Int)
        -> Ticket
    {
        let from = validFrom ?? today
        return Ticket(
            serial: serial, registrant: registrant, dose: dose, vaccine: vaccine,
            group: group ?? .general, site: site,
            validFrom: from, validUntil: validUntil ?? from.adding(days: validityDays - 1),
            keyID: keyID)
    }
}

/// A CSV row that cannot become a ticket, with its line number in the file.
public struct IssueRowError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The 1-based line number (the header is line 1).
    public var line: Int
    /// What is wrong.
    public var reason: String
    public var description: String { "line \(line): \(reason)" }
}

/// A parsed data row of a registrants CSV.
public struct IssueRow: Hashable, Sendable {
    /// The 1-based line number in the file; the manifest's `row`.
    public var line: Int
    /// The request, or why the row is refused.
    public var request: Result<IssueRequest, IssueRowError>
}

/// Registrants CSV: header `registrant,dose,vaccine,site,group,valid_from,valid_until`, the last three optional.
/// Optional `name` and `site_name` columns, anywhere in the header, are printed on cards only;
/// they are normalised and checked as ``FreeText/name(_:)`` says.
public enum IssueCSV {
    /// The columns, in the required order.
    public static let columns = [
        "registrant", "dose", "vaccine", "site", "group", "valid_from", "valid_until",
    ]
    /// Optional columns printed on cards, never signed into tickets, in any position.
    public static let cardColumns = ["name", "site_name"]

    /// Parses a whole file with the CSV library (quoted commas, doubled quotes, CRLF, a BOM).
    /// Throws when the header is wrong; every other line comes back as a row or a failure with
    /// its line number, except blank lines, which ``IssueCSV/blankLines(in:)`` counts.
    public static func parse(_ text: String, vaccines: VaccineTable = .builtIn)
        throws(IssueRowError) -> [IssueRow]
    {
        let lines = CSVFile.lines(of: text)
        guard let header = lines.first else {
            throw IssueRowError(line: 1, reason: "the file is empty")
        }
        guard case .success(let headerCells) = header.fields else {
            throw IssueRowError(line: 1, reason: "the header cannot be read as CSV")
        }
        let headerNames = headerCells.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let nameColumn = headerNames.firstIndex(of: "name")
        let siteNameColumn = headerNames.firstIndex(of: "site_name")
        let cardColumnIndices = [nameColumn, siteNameColumn].compactMap { $0 }.sorted(by: >)
        var names = headerNames
        for index in cardColumnIndices { names.remove(at: index) }
        guard names.count >= 4, names.count <= columns.count,
            names == Array(columns.prefix(names.count))
        else {
            throw IssueRowError(
                line: 1,
                reason:
                    "the header must be \(columns.joined(separator: ",")) (the last three optional)"
            )
        }
        var rows: [IssueRow] = []
        for line in lines.dropFirst() where !line.isBlank {
            let number = line.number
            guard case .success(let allCells) = line.fields else {
                if case .failure(let error) = line.fields {
                    rows.append(
                        IssueRow(
                            line: number,
                            request: .failure(
                                IssueRowError(line: number, reason: error.description))))
                }
                continue
            }
            var cells = allCells.map(CSVFile.trimmingSpaces)
            let name = nameColumn.flatMap { $0 < cells.count ? cells[$0] : nil }
            let siteName = siteNameColumn.flatMap { $0 < cells.count ? cells[$0] : nil }
            for index in cardColumnIndices where index < cells.count { cells.remove(at: index) }
            var result = request(cells, line: number, vaccines: vaccines)
            if case .success(var parsed) = result {
                switch (
                    cardText(name, column: "name", line: number),
                    cardText(siteName, column: "site_name", line: number)
                ) {
                case (.success(let name), .success(let siteName)):
                    parsed.name = name
                    parsed.siteName = siteName
                    result = .success(parsed)
                case (.failure(let error), _), (_, .failure(let error)):
                    result = .failure(error)
                }
            }
            rows.append(IssueRow(line: number, request: result))
        }
        return rows
    }

    /// How many lines after the header are blank, so a summary can account for every line.
    public static func blankLines(in text: String) -> Int {
        CSVFile.lines(of: text).dropFirst().filter(\.isBlank).count
    }

    /// A name cell: empty is `nil`; anything else is normalised to NFC and must pass
    /// ``FreeText/name(_:)``.
    static func cardText(_ cell: String?, column: String, line: Int) -> Result<
        String?, IssueRowError
    > {
        guard let cell, !cell.isEmpty else { return .success(nil) }
        do {
            return .success(try FreeText.name(cell))
        } catch {
            return .failure(IssueRowError(line: line, reason: "\(column) \(error)"))
        }
    }

    static func request(_ cells: [String], line: Int, vaccines: VaccineTable) -> Result<
        IssueRequest, IssueRowError
    > {
        func fail(_ reason: String) -> Result<IssueRequest, IssueRowError> {
            .failure(IssueRowError(line: line, reason: reason))
        }
        guard (4...columns.count).contains(cells.count) else {
            return fail("expected 4 to 7 fields, found \(cells.count)")
        }
        func cell(_ index: Int) -> String? {
            index < cells.count && !cells[index].isEmpty ? cells[index] : nil
        }
        let registrant = cells[0]
        guard registrant.isCode(maxLength: 20) else {
            return fail(
                "registrant \"\(FreeText.excerpt(registrant))\" is not 1 to 20 digits and uppercase letters"
            )
        }
        guard let dose = Int(cells[1]), (1...9).contains(dose) else {
            return fail("dose \"\(FreeText.excerpt(cells[1]))\" is not 1 to 9")
        }
        guard vaccines.vaccine(code: cells[2]) != nil else {
            return fail("unknown vaccine \"\(FreeText.excerpt(cells[2]))\"")
        }
        guard cells[3].isCode(maxLength: 8) else {
            return fail(
                "site \"\(FreeText.excerpt(cells[3]))\" is not 1 to 8 digits and uppercase letters")
        }
        var group: PriorityGroup?
        if let text = cell(4) {
            guard let value = PriorityGroup(rawValue: text) else {
                return fail("unknown group \"\(FreeText.excerpt(text))\"")
            }
            group = value
        }
        var from: CalendarDate?
        if let text = cell(5) {
            guard let value = CalendarDate(iso: text) else {
                return fail("valid_from \"\(FreeText.excerpt(text))\" is not a YYYY-MM-DD date")
            }
            from = value
        }
        var until: CalendarDate?
        if let text = cell(6) {
            guard let value = CalendarDate(iso: text) else {
                return fail("valid_until \"\(FreeText.excerpt(text))\" is not a YYYY-MM-DD date")
            }
            until = value
        }
        if let from, let until, until < from {
            return fail("valid_until \(until) is before valid_from \(from)")
        }
        return .success(
            IssueRequest(
                registrant: registrant, dose: dose, vaccine: cells[2], site: cells[3], group: group,
                validFrom: from,
                validUntil: until))
    }
}

/// The `manifest.csv` of a batch: `row,registrant,serial,file`, one line per issued ticket.
public enum IssueManifest {
    /// The header line.
    public static let header = "row,registrant,serial,file"

    /// One manifest line (without newline), written by the CSV library.
    public static func line(row: Int, registrant: String, serial: UInt64, file: String) -> String {
        String(CSVFile.line([String(row), registrant, TicketSerial.text(serial), file]).dropLast())
    }

    /// The rows already issued, as `row` and `registrant` pairs, read with the CSV library;
    /// lines that do not parse are ignored (their rows are issued again).
    public static func issuedRows(in text: String) -> Set<IssuedRow> {
        var rows = Set<IssuedRow>()
        for line in CSVFile.lines(of: text).dropFirst() {
            guard case .success(let cells) = line.fields, cells.count >= 4, let row = Int(cells[0]),
                TicketSerial.parse(cells[2]) != nil
            else { continue }
            rows.insert(IssuedRow(row: row, registrant: cells[1]))
        }
        return rows
    }

    /// A CSV row that has a ticket.
    public struct IssuedRow: Hashable, Sendable {
        /// The line number in the registrants CSV.
        public var row: Int
        /// The registrant on that line.
        public var registrant: String

        /// A row and its registrant.
        public init(row: Int, registrant: String) {
            self.row = row
            self.registrant = registrant
        }
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}

/// What a batch run does with each CSV row: issue it, skip it (already in the manifest), or
/// report it (a bad row).
public struct IssuePlan: Hashable, Sendable {
    /// A row to issue a ticket for.
    public struct Pending: Hashable, Sendable {
        /// The row's line number in the CSV.
        public var line: Int
        /// What to put on the ticket.
        public var request: IssueRequest
    }

    /// Rows to issue, in file order.
    public var pending: [Pending] = []
    /// How many rows the manifest already lists.
    public var skipped = 0
    /// Bad rows, in file order.
    public var errors: [IssueRowError] = []

    /// Splits `rows`; a row whose line and registrant are in `issued` is skipped.
    public init(rows: [IssueRow], issued: Set<IssueManifest.IssuedRow>) {
        for row in rows {
            switch row.request {
            case .failure(let error):
                errors.append(error)
            case .success(let request):
                if issued.contains(
                    IssueManifest.IssuedRow(row: row.line, registrant: request.registrant))
                {
                    skipped += 1
                } else {
                    pending.append(Pending(line: row.line, request: request))
                }
            }
        }
    }
}
