public import Foundation
public import Recording
public import TicketCodec

/// The file formats of `vaxticket export`.
public enum ExportFormat: String, CaseIterable, Sendable {
    /// One FHIR R4 `Immunization` per line, for bulk upload.
    case fhirNDJSON = "fhir-ndjson"
    /// A CSV for a data-entry clerk, columns in the order the registry's form asks for them.
    case csv
}

/// A dose left out of an export or a sync, and why.
public struct HeldBackDose: Hashable, Sendable {
    /// The ticket serial.
    public var serial: String
    /// Why it was held back.
    public var reason: HoldBackReason

    /// A held-back dose with every field given.
    public init(serial: String, reason: HoldBackReason) {
        self.serial = serial
        self.reason = reason
    }
}

/// What an export wrote.
public struct ExportSummary: Hashable, Sendable {
    /// Doses written.
    public var exported: Int
    /// Doses left out, with the reason.
    public var heldBack: [HeldBackDose]

    /// A summary with every field given.
    public init(exported: Int, heldBack: [HeldBackDose]) {
        self.exported = exported
        self.heldBack = heldBack
    }
}

/// Why an export stopped.
public enum ExportError: Error, Sendable, CustomStringConvertible {
    /// The dose store failed.
    case store(StoreError)
    /// The output could not be written.
    case write(String)

    public var description: String {
        switch self {
        case .store(let error): "\(error)"
        case .write(let reason): "cannot write the export: \(reason)"
        }
    }
}

/// Writes recorded doses for bulk or manual upload to the registry.
public struct RegistryExport: Sendable {
    /// The CSV columns, in the order a data-entry clerk types them into the registry's form:
    /// find the person by NIK and check name and birth date, then the vaccination itself.
    public static let csvColumns = [
        "nik", "name", "birth_date", "vaccination_date", "vaccination_time", "vaccine", "kfa_code",
        "dose", "lot",
        "site", "officer", "serial",
    ]

    /// The mapping used for both formats.
    public var mapping: ImmunizationMapping
    /// Doses read from the store per page.
    public var pageSize: Int

    /// An export with its mapping.
    public init(mapping: ImmunizationMapping, pageSize: Int = 1000) {
        self.mapping = mapping
        self.pageSize = max(pageSize, 1)
    }

    /// Writes every dose given on or after `since` (a local day), synced or not, through `write`.
    /// Doses that cannot be mapped are left out and listed in the summary.
    public func export(
        from store: any RegistryOutbox, format: ExportFormat, since: CalendarDate?,
        write: (Data) async throws -> Void
    ) async throws(ExportError) -> ExportSummary {
        var summary = ExportSummary(exported: 0, heldBack: [])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if format == .csv {
            try await emit(Data((Self.csvColumns.joined(separator: ",") + "\r\n").utf8), write)
        }
        var after: Int64?
        while true {
            let page: [RegistryDose]
            do {
                page = try await store.registryDoses(
                    RegistryDoseQuery(
                        unsyncedOnly: false, since: since, after: after, limit: pageSize))
            } catch {
                throw .store(error)
            }
            guard let last = page.last else { break }
            after = last.id
            var chunk = Data()
            for dose in page {
                let immunization: Immunization
                do {
                    immunization = try mapping.immunization(for: dose)
                } catch {
                    summary.heldBack.append(HeldBackDose(serial: dose.record.serial, reason: error))
                    continue
                }
                switch format {
                case .fhirNDJSON:
                    do {
                        chunk.append(try encoder.encode(immunization))
                    } catch {
                        throw .write("cannot encode \(dose.record.serial): \(error)")
                    }
                    chunk.append(UInt8(ascii: "\n"))
                case .csv:
                    chunk.append(
                        Data(
                            (csvRow(dose, immunization).map(Self.csvField).joined(separator: ",")
                                + "\r\n").utf8))
                }
                summary.exported += 1
            }
            try await emit(chunk, write)
        }
        return summary
    }

    private func emit(_ data: Data, _ write: (Data) async throws -> Void) async throws(ExportError)
    {
        do {
            try await write(data)
        } catch {
            throw .write("\(error)")
        }
    }

    /// The CSV fields of one dose, in `csvColumns` order.
    func csvRow(_ dose: RegistryDose, _ immunization: Immunization) -> [String] {
        let record = dose.record
        let occurrence = immunization.occurrenceDateTime ?? ""
        let date = String(occurrence.prefix(10))
        let time = String(occurrence.dropFirst(11).prefix(5))
        let kfa =
            immunization.vaccineCode.coding?.first { $0.system == RegistryCoding.kfaSystem }?.code
            ?? ""
        return [
            dose.registrant?.nik ?? "", dose.registrant?.name ?? "",
            dose.registrant?.birthDate.iso ?? "", date, time,
            immunization.vaccineCode.text ?? record.vaccine, kfa, String(record.dose),
            record.lot ?? "", record.site,
            record.officer,
            record.serial,
        ]
    }

    /// A CSV field, quoted when it holds a comma, quote or line break; a leading `=`, `+`, `-`
    /// or `@` is prefixed with `'` so spreadsheet programs do not run it as a formula.
    public static func csvField(_ text: String) -> String {
        var text = text
        if let first = text.first, "=+-@".contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
            return text
        }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
