/// Reads the sign-up system's roster export: a CSV file with the header
/// `registrant,nik,name,birth_date,group,phone` (any order; other columns ignored; an optional
/// `doses_elsewhere` column counts earlier doses given outside the programme).
public enum RosterCSV {
    /// The columns every roster must have.
    public static let requiredColumns = ["registrant", "nik", "name", "birth_date", "group", "phone"]

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

    /// The good rows and the bad rows of a file.
    public struct Parsed: Hashable, Sendable {
        /// Entries read from good rows.
        public var rows: [Row]
        /// Rows that could not be used.
        public var errors: [RowError]
    }

    /// Parses `text`; `groups` is the set of valid priority group codes.
    /// - Throws: `RosterFileError` when the header lacks a required column.
    public static func parse(_ text: String, groups: Set<String>) throws(RosterFileError) -> Parsed {
        let records = splitRecords(text)
        guard let header = records.first else { throw .missingColumns(requiredColumns) }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let missing = requiredColumns.filter { !names.contains($0) }
        guard missing.isEmpty else { throw .missingColumns(missing) }
        func column(_ name: String) -> Int? { names.firstIndex(of: name) }
        let elsewhereColumn = column("doses_elsewhere")
        var parsed = Parsed(rows: [], errors: [])
        var seen: [String: Int] = [:]
        for record in records.dropFirst() {
            if record.fields.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            func field(_ name: String) -> String {
                guard let index = column(name), index < record.fields.count else { return "" }
                return record.fields[index].trimmingCharacters(in: .whitespaces)
            }
            let elsewhere = elsewhereColumn.flatMap { $0 < record.fields.count ? record.fields[$0].trimmingCharacters(in: .whitespaces) : nil } ?? ""
            switch entry(
                registrant: field("registrant"), nik: field("nik"), name: field("name"), birthDate: field("birth_date"),
                group: field("group"), phone: field("phone"), elsewhere: elsewhere, groups: groups
            ) {
            case .success(let entry):
                if let earlier = seen[entry.registrant] {
                    parsed.errors.append(RowError(line: record.line, reason: "registrant \(entry.registrant) repeats line \(earlier)"))
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
        registrant: String, nik: String, name: String, birthDate: String, group: String, phone: String, elsewhere: String, groups: Set<String>
    ) -> Result<RosterEntry, Reason> {
        let registrant = registrant.uppercased()
        guard (1...20).contains(registrant.utf8.count), registrant.utf8.allSatisfy({ isDigit($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) else {
            return .failure(Reason(text: "registrant reference \"\(registrant)\" must be 1 to 20 letters A-Z or digits"))
        }
        guard nik.utf8.count == 16, nik.utf8.allSatisfy(isDigit) else {
            return .failure(Reason(text: "NIK must be 16 digits, got \"\(nik)\""))
        }
        guard !name.isEmpty else { return .failure(Reason(text: "name is empty")) }
        guard LocalDay.isValid(birthDate) else {
            return .failure(Reason(text: "birth date \"\(birthDate)\" is not a date like 1980-04-30"))
        }
        let group = group.uppercased()
        guard groups.contains(group) else {
            return .failure(Reason(text: "unknown group \"\(group)\" (known: \(groups.sorted().joined(separator: ", ")))"))
        }
        guard phone.allSatisfy({ $0.isASCII && ($0.isNumber || "+-() ".contains($0)) }) else {
            return .failure(Reason(text: "phone \"\(phone)\" may hold only digits, spaces and + - ( )"))
        }
        var dosesElsewhere = 0
        if !elsewhere.isEmpty {
            guard let count = Int(elsewhere), (0...9).contains(count) else {
                return .failure(Reason(text: "doses_elsewhere \"\(elsewhere)\" must be a number from 0 to 9"))
            }
            dosesElsewhere = count
        }
        return .success(
            RosterEntry(registrant: registrant, nik: nik, name: name, birthDate: birthDate, priorityGroup: group, phone: phone, dosesElsewhere: dosesElsewhere)
        )
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private struct Record {
        var line: Int
        var fields: [String]
    }

    /// Splits RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks.
    private static func splitRecords(_ text: String) -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var line = 1
        var recordLine = 1
        var iterator = text.unicodeScalars.makeIterator()
        var pending = iterator.next()
        if pending == "\u{FEFF}" { pending = iterator.next() }
        while let scalar = pending {
            pending = iterator.next()
            if inQuotes {
                if scalar == "\"" {
                    if pending == "\"" {
                        field.unicodeScalars.append("\"")
                        pending = iterator.next()
                    } else {
                        inQuotes = false
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"":
                inQuotes = true
            case ",":
                fields.append(field)
                field = ""
            case "\r":
                continue
            case "\n":
                fields.append(field)
                records.append(Record(line: recordLine, fields: fields))
                fields = []
                field = ""
                line += 1
                recordLine = line
            default:
                field.unicodeScalars.append(scalar)
            }
        }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            records.append(Record(line: recordLine, fields: fields))
        }
        return records
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
