internal import CSV
import Foundation

/// Why one line of a CSV file could not be read.
public enum CSVLineError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A quoted field is not closed on its line. Fields of our files never span lines, so an
    /// unclosed quote is refused on its own line instead of swallowing the lines after it.
    case unclosedQuote
    /// A quote inside an unquoted field, or text after a closing quote.
    case misplacedQuote
    /// A carriage return or other control character outside a quoted field's text.
    case strayLineBreak

    public var description: String {
        switch self {
        case .unclosedQuote: "a quoted field is not closed on this line (fields may not span lines)"
        case .misplacedQuote:
            "a double quote where none may be (quote a whole field, and double quotes inside it)"
        case .strayLineBreak: "a carriage return in the middle of the line"
        }
    }
}

/// One physical line of a CSV file: its number (1 for the first) and its fields, or why it
/// could not be read.
public struct CSVLine: Hashable, Sendable {
    /// The line number in the file, 1 for the first line.
    public var number: Int
    /// The fields, or the reason the line is refused.
    public var fields: Result<[String], CSVLineError>

    /// Whether the line is empty or only spaces: counted, never read as a row.
    public var isBlank: Bool {
        if case .success(let fields) = fields {
            return fields.allSatisfy { CSVFile.trimmingSpaces($0).isEmpty }
        }
        return false
    }
}

/// CSV files read and written with yaslab/CSV.swift (RFC 4180: quoted fields, doubled quotes,
/// CRLF or LF line ends, a UTF-8 byte order mark).
///
/// Reading is strict and line by line: every physical line becomes exactly one ``CSVLine``, so
/// a bad line is reported with its number and the lines after it are still read, and callers
/// can account for every line of the file. Fields may not span lines (none of our files has a
/// field that may hold a line break).
public enum CSVFile {
    /// The lines of `text`, header included, in order. A trailing line break does not make an
    /// extra line.
    public static func lines(of text: String) -> [CSVLine] {
        // Split on scalars: "\r\n" is one Character, which a split on "\n" would not see.
        var scalars = text.unicodeScalars[...]
        if scalars.first == "\u{FEFF}" { scalars = scalars.dropFirst() }
        var physical = scalars.split(separator: "\n", omittingEmptySubsequences: false)
        if physical.last?.isEmpty == true { physical.removeLast() }
        return physical.enumerated().map { index, raw in
            var line = raw
            if line.last == "\r" { line = line.dropLast() }
            return CSVLine(
                number: index + 1, fields: fields(of: String(String.UnicodeScalarView(line))))
        }
    }

    /// The fields of one line, read by the library (spaces and tabs around a field dropped) and
    /// then checked against the line, so that quoting the library passes over leniently is
    /// refused.
    static func fields(of line: String) -> Result<[String], CSVLineError> {
        if line.isEmpty { return .success([""]) }
        var quotes = 0
        for scalar in line.unicodeScalars {
            if scalar == "\r" { return .failure(.strayLineBreak) }
            if scalar == "\"" { quotes += 1 }
        }
        // A line without quotes is its commas: the library reads it the same (a test checks),
        // at a fraction of the cost, which matters at a hundred thousand rows.
        if quotes == 0 {
            return .success(
                line.unicodeScalars.split(separator: ",", omittingEmptySubsequences: false).map {
                    trimmingSpaces(String(String.UnicodeScalarView($0)))
                })
        }
        return libraryFields(of: line, quotes: quotes)
    }

    /// ``fields(of:)`` by the library alone, for a line with `quotes` double quotes.
    static func libraryFields(of line: String, quotes: Int) -> Result<[String], CSVLineError> {
        guard quotes % 2 == 0 else {
            return .failure(.unclosedQuote)
        }
        guard let reader = try? CSVReader(string: line, hasHeaderRow: false, trimFields: true),
            let fields = reader.next()
        else {
            return .failure(.misplacedQuote)
        }
        guard reader.next() == nil, reader.error == nil, conforms(line, to: fields) else {
            return .failure(.misplacedQuote)
        }
        return .success(fields)
    }

    /// Whether `line` is exactly `fields`, each written plain (no quote in it) or quoted with its
    /// quotes doubled, joined by commas.
    private static func conforms(_ line: String, to fields: [String]) -> Bool {
        var rest = Substring(line).unicodeScalars[...]
        for (index, field) in fields.enumerated() {
            if index > 0 {
                guard rest.first == "," else { return false }
                rest = rest.dropFirst()
            }
            rest = rest.drop(while: isSpace)
            let plain = field.unicodeScalars
            let quoted = ("\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"")
                .unicodeScalars
            if rest.starts(with: quoted) {
                rest = rest.dropFirst(quoted.count)
            } else if !plain.contains("\""), rest.starts(with: plain) {
                rest = rest.dropFirst(plain.count)
            } else {
                return false
            }
            rest = rest.drop(while: isSpace)
        }
        return rest.isEmpty
    }

    /// `text` without the spaces and tabs (`CharacterSet.whitespaces`) at either end.
    public static func trimmingSpaces(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
            let last = scalars.lastIndex(where: { !isSpace($0) })
        else { return "" }
        if first == scalars.startIndex, last == scalars.index(before: scalars.endIndex) {
            return text
        }
        return String(scalars[first...last])
    }

    /// Whether `scalar` is one the library trims around a field (`CharacterSet.whitespaces`),
    /// looked up only beyond ASCII.
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII ? scalar == " " || scalar == "\t" : CharacterSet.whitespaces.contains(scalar)
    }

    // MARK: Writing

    /// One CSV line for `fields`, ending with a line feed, each cell made safe for spreadsheets
    /// (see ``neutralised(_:)``) and quoted by the library where it needs to be.
    public static func line(_ fields: [String]) -> String {
        let cells = fields.map(neutralised)
        // Cells the library would not quote are written as they are, joined by commas: the
        // same bytes (a test checks), without a stream per line.
        let plain = cells.allSatisfy { cell in
            !cell.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }
        }
        if plain { return cells.joined(separator: ",") + "\n" }
        return libraryLine(cells)
    }

    /// ``line(_:)`` by the library alone, for cells already neutralised.
    static func libraryLine(_ cells: [String]) -> String {
        let fields = cells
        let stream = OutputStream.toMemory()
        guard let writer = try? CSVWriter(stream: stream) else { return fallbackLine(fields) }
        do {
            try writer.write(row: fields)
        } catch {
            return fallbackLine(fields)
        }
        writer.stream.close()
        guard let data = writer.stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data
        else {
            return fallbackLine(fields)
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// A whole CSV text: `header`, then `rows`.
    public static func text(header: [String], rows: [[String]]) -> String {
        ([header] + rows).map(line).joined()
    }

    /// The cell a spreadsheet shows as text: a cell starting with `=`, `+`, `-`, `@`, a tab or a
    /// carriage return would run as a formula (CSV injection), so it gets a leading `'`; a plain
    /// number such as `-3` or `+62` is left alone.
    public static func neutralised(_ cell: String) -> String {
        guard let first = cell.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first)
        else { return cell }
        let isNumber =
            cell.unicodeScalars.count > 1 && (first == "-" || first == "+")
            && cell.unicodeScalars.dropFirst().allSatisfy { ("0"..."9").contains($0) || $0 == "." }
        return isNumber ? cell : "'" + cell
    }

    /// The same line written by hand, only if the memory stream could not be opened.
    private static func fallbackLine(_ cells: [String]) -> String {
        cells.map { cell in
            cell.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline })
                ? "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : cell
        }.joined(separator: ",") + "\n"
    }
}
