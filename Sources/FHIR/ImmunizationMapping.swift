public import Foundation
public import Recording
public import TicketCodec

/// The identifier systems and terminology the mapping writes; each can be set for the
/// registry at hand.
public struct RegistryCoding: Hashable, Sendable {
    /// The Ministry of Health's KFA terminology, used for vaccines that have a KFA code.
    public static let kfaSystem = "http://sys-ids.kemkes.go.id/kfa"
    /// The national identity number (NIK) system.
    public static let nikSystem = "https://fhir.kemkes.go.id/id/nik"
    /// HL7's participation function table, where `AP` means administering provider.
    public static let performerFunctionSystem = "http://terminology.hl7.org/CodeSystem/v2-0443"

    /// The system of the ticket-serial identifier that makes resending safe.
    public var serialSystem: String
    /// The system for vaccine codes from our own table, for vaccines without a KFA code.
    public var vaccineSystem: String
    /// The system of officer identifiers.
    public var officerSystem: String
    /// The system of site identifiers.
    public var siteSystem: String
    /// The time zone the dose times are written in (the programme's, +07:00).
    public var timeZone: TimeZone

    /// The defaults: URNs in VaxTicket's own namespace, and Asia/Jakarta.
    public static let standard = RegistryCoding(
        serialSystem: "urn:vaxticket:ticket-serial", vaccineSystem: "urn:vaxticket:vaccine",
        officerSystem: "urn:vaxticket:officer", siteSystem: "urn:vaxticket:site",
        timeZone: .programmeDefault)

    /// Systems with every field given.
    public init(
        serialSystem: String, vaccineSystem: String, officerSystem: String, siteSystem: String,
        timeZone: TimeZone
    ) {
        self.serialSystem = serialSystem
        self.vaccineSystem = vaccineSystem
        self.officerSystem = officerSystem
        self.siteSystem = siteSystem
        self.timeZone = timeZone
    }
}

/// Why a dose is held back instead of being sent.
public enum HoldBackReason: Error, Hashable, Sendable, CustomStringConvertible {
    /// The roster has no entry, and so no NIK, for the dose's registrant.
    case noNIK(registrant: String)
    /// The dose's vaccine code is not in the vaccine table.
    case unknownVaccine(code: String)

    /// A stable machine code for scripts.
    public var code: String {
        switch self {
        case .noNIK: "no_nik"
        case .unknownVaccine: "unknown_vaccine"
        }
    }

    public var description: String {
        switch self {
        case .noNIK(let registrant):
            "registrant \(registrant) has no NIK in the roster (import the roster entry, then sync again)"
        case .unknownVaccine(let code):
            "vaccine \(code) is not in the vaccine table (give --vaccines with it)"
        }
    }
}

/// Turns recorded doses into FHIR R4 `Immunization` resources.
public struct ImmunizationMapping: Sendable {
    /// The systems written.
    public var coding: RegistryCoding
    /// The vaccine table, for names and KFA codes.
    public var vaccines: VaccineTable

    /// A mapping with its systems and vaccine table.
    public init(coding: RegistryCoding = .standard, vaccines: VaccineTable = .builtIn) {
        self.coding = coding
        self.vaccines = vaccines
    }

    /// The `Immunization` for `dose`; throws when a required fact is missing, so that nothing
    /// half-filled is ever sent.
    public func immunization(for dose: RegistryDose) throws(HoldBackReason) -> Immunization {
        let record = dose.record
        guard let registrant = dose.registrant else { throw .noNIK(registrant: record.registrant) }
        guard let vaccine = vaccines.vaccine(code: record.vaccine) else {
            throw .unknownVaccine(code: record.vaccine)
        }
        let vaccineCoding: Coding =
            if let kfaCode = vaccine.kfaCode {
                Coding(
                    system: RegistryCoding.kfaSystem, code: kfaCode,
                    display: vaccine.kfaName ?? vaccine.displayName)
            } else {
                Coding(
                    system: coding.vaccineSystem, code: vaccine.code, display: vaccine.displayName)
            }
        return Immunization(
            identifier: [serialIdentifier(record.serial)],
            status: "completed",
            vaccineCode: CodeableConcept(coding: [vaccineCoding], text: vaccine.displayName),
            patient: Reference(
                identifier: Identifier(system: RegistryCoding.nikSystem, value: registrant.nik)),
            occurrenceDateTime: FHIRDateTime.string(record.administeredAt, in: coding.timeZone),
            recorded: FHIRDateTime.string(record.recordedAt, in: coding.timeZone),
            primarySource: true,
            location: Reference(
                identifier: Identifier(system: coding.siteSystem, value: record.site)),
            lotNumber: record.lot,
            performer: [
                Immunization.Performer(
                    function: CodeableConcept(coding: [
                        Coding(
                            system: RegistryCoding.performerFunctionSystem, code: "AP",
                            display: "Administering Provider")
                    ]),
                    actor: Reference(
                        identifier: Identifier(system: coding.officerSystem, value: record.officer))
                )
            ],
            protocolApplied: [Immunization.ProtocolApplied(doseNumberPositiveInt: record.dose)]
        )
    }

    /// The identifier carrying a ticket serial.
    public func serialIdentifier(_ serial: String) -> Identifier {
        Identifier(system: coding.serialSystem, value: serial)
    }

    /// The conditional-create search for a serial: `identifier=system|value`, each part
    /// percent-encoded.
    public func ifNoneExist(serial: String) -> String {
        "identifier=\(Self.queryEncoded(coding.serialSystem))|\(Self.queryEncoded(serial))"
    }

    /// The transaction `Bundle` that creates each immunization unless one with its identifier exists.
    public func transaction(_ immunizations: [Immunization]) -> FHIRBundle<Immunization> {
        FHIRBundle(
            type: .transaction,
            entry: immunizations.map { immunization in
                let serial = immunization.identifier?.first?.value ?? ""
                return FHIRBundle<Immunization>.Entry(
                    fullUrl: "urn:uuid:\(UUID().uuidString.lowercased())",
                    resource: immunization,
                    request: FHIRBundle<Immunization>.Request(
                        method: "POST", url: "Immunization",
                        ifNoneExist: ifNoneExist(serial: serial)))
            })
    }

    private static let queryValueAllowed: CharacterSet = {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+|#%")
        return allowed
    }()

    static func queryEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: queryValueAllowed) ?? text
    }
}

/// FHIR `dateTime` text with seconds and the zone's offset, e.g. `2021-08-23T09:15:00+07:00`.
public enum FHIRDateTime {
    /// `date` in `timeZone`, to the second.
    public static func string(_ date: Date, in timeZone: TimeZone) -> String {
        let offset = timeZone.secondsFromGMT(for: date)
        // Clamped to years 0001 to 9999 so that a damaged row cannot trap the conversion.
        let since1970 = min(max(date.timeIntervalSince1970, -62_135_596_800), 253_402_300_799)
        let seconds = Int64(since1970.rounded(.down)) + Int64(offset)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        let sign = offset < 0 ? "-" : "+"
        let magnitude = abs(offset) / 60
        return
            "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
            + "\(sign)\(pad(Int64(magnitude / 60), 2)):\(pad(Int64(magnitude % 60), 2))"
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
