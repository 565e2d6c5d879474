import CSVFiles
import Foundation
import TicketCodec

/// Reads the sign-up system's roster export: a CSV file with the header
/// `registrant,nik,name,birth_date,group,phone` (any order; other columns ignored; an optional
/// `doses_elsewhere` column counts earlier doses given outside the programme). Names are
/// normalised to NFC and checked by ``FreeText/name(_:)``.
public enum RosterCSV {
    /// The columns every roster must have.
    public static let requiredColumns = [
        "registrant", "nik", "name", "birth_date", "group", "phone",
    ]

    /// A data row that could not be used, with its line number in the file (the header is line 1).
    public struct RowError: Error, Hashable, Sendable, CustomStringConvertible {
        /// The line the row starts on.
        public var line: Int
        /// What is wrong with it.
        public var reason: String

        /// A row error with every field given.
        public init(line: Int, reason: String) {
            self.line = line
            self.reason = reason
        }

        public var description: String { "line \(line): \(reason)" }
    }

    /// A good row: its entry and the line it starts on.
    public struct Row: Hashable, Sendable {
        /// The line the row starts on.
        public var line: Int
        /// The roster entry it holds.
        public var entry: RosterEntry
    }

    /// The good rows and the bad rows of a file. Every line after the header is one of: a good
    /// row, a bad row, or a blank line, so the three always add up to the file's lines.
    public struct Parsed: Hashable, Sendable {
        /// Entries read from good rows.
        public var rows: [Row]
        /// Rows that could not be used.
        public var errors: [RowError]
        /// Lines that are empty or only spaces.
        public var blankLines: Int = 0
    }

    /// Parses `text`; `groups` is the set of valid priority group codes.
    /// - Throws: `RosterFileError` when the header lacks a required column.
    public static func parse(_ text: String, groups: Set<String>) throws(RosterFileError) -> Parsed
    {
        let lines = CSVFile.lines(of: text)
        guard let headerLine = lines.first, case .success(let headerFields) = headerLine.fields
        else {
            throw .missingColumns(requiredColumns)
        }
        let names = headerFields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let missing = requiredColumns.filter { !names.contains($0) }
        guard missing.isEmpty else { throw .missingColumns(missing) }
        func column(_ name: String) -> Int? { names.firstIndex(of: name) }
        let elsewhereColumn = column("doses_elsewhere")
        var parsed = Parsed(rows: [], errors: [])
        var seen: [String: Int] = [:]
        for line in lines.dropFirst() {
            if line.isBlank {
                parsed.blankLines += 1
                continue
            }
            let record: Record
            switch line.fields {
            case .success(let fields): record = Record(line: line.number, fields: fields)
            case .failure(let error):
                parsed.errors.append(RowError(line: line.number, reason: error.description))
                continue
            }
            guard record.fields.count <= names.count else {
                parsed.errors.append(
                    RowError(
                        line: line.number,
                        reason: "\(record.fields.count) fields, but the header has \(names.count)"))
                continue
            }
            func field(_ name: String) -> String {
                guard let index = column(name), index < record.fields.count else { return "" }
                return record.fields[index].trimmingCharacters(in: .whitespaces)
            }
            let elsewhere =
                elsewhereColumn.flatMap {
                    $0 < record.fields.count
                        ? record.fields[$0].trimmingCharacters(in: .whitespaces) : nil
                } ?? ""
            switch entry(
                registrant: field("registrant"), nik: field("nik"), name: field("name"),
                birthDate: field("birth_date"),
                group: field("group"), phone: field("phone"), elsewhere: elsewhere, groups: groups
            ) {
            case .success(let entry):
                if let earlier = seen[entry.registrant] {
                    parsed.errors.append(
                        RowError(
                            line: record.line,
                            reason: "registrant \(entry.registrant) repeats line \(earlier)"))
                    continue
                }
                seen[entry.registrant] = record.line
                parsed.rows.append(Row(line: record.line, entry: entry))
            case .failure(let reason):
                parsed.errors.append(RowError(line: record.line, reason: reason.text))
            }
        }
        return parsed
    }

    private struct Reason: Error {
        var text: String
    }

    private static func entry(
        registrant: String, nik: String, name: String, birthDate: String, group: String,
        phone: String, elsewhere: String,
        groups: Set<String>
    ) -> Result<RosterEntry, Reason> {
        let registrant = registrant.uppercased()
        guard (1...20).contains(registrant.utf8.count),
            registrant.utf8.allSatisfy({
                isDigit($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0)
            })
        else {
            return .failure(
                Reason(
                    text:
                        "registrant reference \"\(FreeText.excerpt(registrant))\" must be 1 to 20 letters A-Z or digits"
                ))
        }
        guard nik.utf8.count == 16, nik.utf8.allSatisfy(isDigit) else {
            return .failure(Reason(text: "NIK must be 16 digits, got \"\(FreeText.excerpt(nik))\""))
        }
        guard !name.isEmpty else { return .failure(Reason(text: "name is empty")) }
        let normalizedName: String
        do {
            normalizedName = try FreeText.name(name)
        } catch {
            return .failure(Reason(text: "name \"\(FreeText.excerpt(name))\" \(error)"))
        }
        guard let birthDay = CalendarDate(iso: birthDate) else {
            return .failure(
                Reason(
                    text:
                        "birth date \"\(FreeText.excerpt(birthDate))\" is not a date like 1980-04-30"
                ))
        }
        let group = group.uppercased()
        guard groups.contains(group), let priorityGroup = PriorityGroup(rawValue: group) else {
            return .failure(
                Reason(
                    text:
                        "unknown group \"\(FreeText.excerpt(group))\" (known: \(groups.sorted().joined(separator: ", ")))"
                ))
        }
        guard phone.allSatisfy({ $0.isASCII && ($0.isNumber || "+-() ".contains($0)) }) else {
            return .failure(
                Reason(
                    text:
                        "phone \"\(FreeText.excerpt(phone))\" may hold only digits, spaces and + - ( )"
                ))
        }
        guard phone.count <= 30 else {
            return .failure(
                Reason(text: "phone \"\(FreeText.excerpt(phone))\" is longer than 30 characters"))
        }
        var dosesElsewhere = 0
        if !elsewhere.isEmpty {
            guard let count = Int(elsewhere), (0...9).contains(count) else {
                return .failure(
                    Reason(
                        text:
                            "doses_elsewhere \"\(FreeText.excerpt(elsewhere))\" must be a number from 0 to 9"
                    ))
            }
            dosesElsewhere = count
        }
        return .success(
            RosterEntry(
                registrant: registrant, nik: nik, name: normalizedName, birthDate: birthDay,
                priorityGroup: priorityGroup, phone: phone,
                dosesElsewhere: dosesElsewhere)
        )
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private struct Record {
        var line: Int
        var fields: [String]
    }
}

/// Why a roster file could not be read at all.
public enum RosterFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The header lacks these required columns.
    case missingColumns([String])

    public var description: String {
        switch self {
        case .missingColumns(let columns):
            "the roster header lacks \(columns.joined(separator: ", ")); it must have \(RosterCSV.requiredColumns.joined(separator: ","))"
        }
    }
}
