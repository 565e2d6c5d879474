import FHIR
import Foundation
import Recording
import TestSupport
import Testing
import TicketCodec

@Suite("FHIR mapping and export")
struct MappingTests {
    static let kfaTable: VaccineTable = {
        do {
            return try VaccineTable([
                Vaccine(
                    code: "CORONAVAC", displayName: "CoronaVac (Sinovac)",
                    minimumDaysBeforeNextDose: 28, kfaCode: "KFA-TEST-1",
                    kfaName: "Vaksin CoronaVac")
            ])
        } catch {
            fatalError("the test table is valid: \(error)")
        }
    }()

    static func dose(lot: String? = "LOT42", roster: Bool = true, vaccine: String = "CORONAVAC")
        -> RegistryDose
    {
        let record = DoseRecord(
            serial: "00000000A0000001", registrant: "R00001", dose: 2, vaccine: vaccine, lot: lot,
            site: "JKT01",
            ticketSite: "JKT01",
            priorityGroup: "GENERAL", officer: "OFC7", station: "ST1",
            administeredAt: SyncFixture.at,
            administeredDay: "2021-08-23",
            recordedAt: SyncFixture.at.addingTimeInterval(5))
        let entry = RosterEntry(
            registrant: "R00001", nik: "3171012345678901", name: "Siti, \"Rahma\"",
            birthDate: "1980-04-30",
            priorityGroup: "GENERAL", phone: "")
        return RegistryDose(
            id: 1, record: record, registrant: roster ? entry : nil, lastRefusal: nil)
    }

    @Test("a dose maps to an Immunization with every element the registry needs")
    func mapsEveryElement() throws {
        let immunization = try ImmunizationMapping(vaccines: Self.kfaTable).immunization(
            for: Self.dose())

        #expect(immunization.resourceType == "Immunization")
        #expect(immunization.status == "completed")
        #expect(
            immunization.identifier == [
                Identifier(system: "urn:vaxticket:ticket-serial", value: "00000000A0000001")
            ])
        #expect(
            immunization.vaccineCode.coding == [
                Coding(
                    system: "http://sys-ids.kemkes.go.id/kfa", code: "KFA-TEST-1",
                    display: "Vaksin CoronaVac")
            ])
        #expect(
            immunization.patient.identifier
                == Identifier(system: "https://fhir.kemkes.go.id/id/nik", value: "3171012345678901")
        )
        #expect(immunization.occurrenceDateTime == "2021-08-23T09:15:30+07:00")
        #expect(immunization.lotNumber == "LOT42")
        #expect(immunization.performer?.first?.function?.coding?.first?.code == "AP")
        #expect(
            immunization.performer?.first?.actor.identifier
                == Identifier(system: "urn:vaxticket:officer", value: "OFC7"))
        #expect(
            immunization.location?.identifier
                == Identifier(system: "urn:vaxticket:site", value: "JKT01"))
        #expect(
            immunization.protocolApplied == [Immunization.ProtocolApplied(doseNumberPositiveInt: 2)]
        )
    }

    @Test("a vaccine without a KFA code is coded in the configured system with its display name")
    func configurableVaccineSystem() throws {
        var coding = RegistryCoding.standard
        coding.vaccineSystem = "https://example.org/vaccines"
        coding.serialSystem = "https://example.org/serial"
        let mapping = ImmunizationMapping(coding: coding, vaccines: .builtIn)

        let immunization = try mapping.immunization(for: Self.dose())

        #expect(
            immunization.vaccineCode.coding == [
                Coding(
                    system: "https://example.org/vaccines", code: "CORONAVAC",
                    display: "CoronaVac (Sinovac)")
            ])
        #expect(immunization.identifier?.first?.system == "https://example.org/serial")
        #expect(
            mapping.ifNoneExist(serial: "00000000A0000001")
                == "identifier=https://example.org/serial|00000000A0000001")
    }

    @Test(
        "a dose without a roster NIK or with an unknown vaccine is held back, not sent half-filled")
    func holdsBack() {
        let mapping = ImmunizationMapping()
        #expect(throws: HoldBackReason.noNIK(registrant: "R00001")) {
            try mapping.immunization(for: Self.dose(roster: false))
        }
        #expect(throws: HoldBackReason.unknownVaccine(code: "NOSUCH")) {
            try mapping.immunization(for: Self.dose(vaccine: "NOSUCH"))
        }
    }

    @Test("a dose without a lot number leaves lotNumber out of the JSON")
    func absentLot() throws {
        let immunization = try ImmunizationMapping().immunization(for: Self.dose(lot: nil))
        let json = String(decoding: try JSONEncoder().encode(immunization), as: UTF8.self)
        #expect(!json.contains("lotNumber"))
        #expect(!json.contains("null"))
    }

    @Test(
        "FHIR dateTime text carries the zone's offset",
        arguments: [
            (0.0, "UTC", "1970-01-01T00:00:00+00:00"),
            (1_629_684_930.9, "Asia/Jakarta", "2021-08-23T09:15:30+07:00"),
            (951_782_400, "Asia/Jakarta", "2000-02-29T07:00:00+07:00"),
            (-1.0, "UTC", "1969-12-31T23:59:59+00:00"),
            (1_629_684_930, "America/St_Johns", "2021-08-22T23:45:30-02:30"),
        ])
    func dateTimes(seconds: Double, zone: String, expected: String) throws {
        let timeZone = try #require(TimeZone(identifier: zone))
        #expect(FHIRDateTime.string(Date(timeIntervalSince1970: seconds), in: timeZone) == expected)
    }

    @Test("a transaction Bundle has one conditional create per dose, keyed on its serial")
    func transactionBundle() throws {
        let mapping = ImmunizationMapping()
        let bundle = mapping.transaction([try mapping.immunization(for: Self.dose())])
        let data = try JSONEncoder().encode(bundle)
        let decoded = try JSONDecoder().decode(FHIRBundle<Immunization>.self, from: data)

        #expect(decoded.type == .transaction)
        #expect(decoded.entry?.count == 1)
        #expect(
            decoded.entry?.first?.request
                == FHIRBundle<Immunization>.Request(
                    method: "POST", url: "Immunization",
                    ifNoneExist: "identifier=urn:vaxticket:ticket-serial|00000000A0000001"))
        #expect(decoded.entry?.first?.fullUrl?.hasPrefix("urn:uuid:") == true)
    }

    @Test(
        "export writes CSV in the clerk's column order, NDJSON one resource a line, and names held-back doses"
    )
    func exports() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await SyncFixture.store(in: folder, doses: 5, withoutRoster: [3])
        let export = RegistryExport(mapping: ImmunizationMapping(), pageSize: 2)

        var csv = Data()
        let csvSummary = try await export.export(from: store, format: .csv, since: nil) {
            csv.append($0)
        }
        var ndjson = Data()
        let ndjsonSummary = try await export.export(
            from: store, format: .fhirNDJSON, since: "2021-08-23"
        ) { ndjson.append($0) }
        var none = Data()
        let later = try await export.export(from: store, format: .fhirNDJSON, since: "2021-08-24") {
            none.append($0)
        }

        let lines = String(decoding: csv, as: UTF8.self).split(separator: "\r\n").map(String.init)
        #expect(
            lines.first
                == "nik,name,birth_date,vaccination_date,vaccination_time,vaccine,kfa_code,dose,lot,site,officer,serial"
        )
        #expect(
            lines.dropFirst().first == "317100000000000"
                + "0,Person 0,1980-04-30,2021-08-23,09:15,CoronaVac (Sinovac),,1,LOT42,JKT01,OFC1,00000000A0000000"
        )
        #expect(lines.count == 5)
        #expect(
            csvSummary
                == ExportSummary(
                    exported: 4,
                    heldBack: [
                        HeldBackDose(
                            serial: SyncFixture.serial(3), reason: .noNIK(registrant: "R00003"))
                    ]))
        let resources = try String(decoding: ndjson, as: UTF8.self).split(separator: "\n").map {
            try JSONDecoder().decode(Immunization.self, from: Data($0.utf8))
        }
        #expect(
            resources.compactMap { $0.identifier?.first?.value }
                == [0, 1, 2, 4].map(SyncFixture.serial))
        #expect(ndjsonSummary.exported == 4)
        #expect(later.exported == 0 && none.isEmpty)
    }

    @Test("CSV fields are quoted when needed and never start a spreadsheet formula")
    func csvFields() {
        #expect(RegistryExport.csvField("plain") == "plain")
        #expect(RegistryExport.csvField("Siti, \"Rahma\"") == "\"Siti, \"\"Rahma\"\"\"")
        #expect(RegistryExport.csvField("=HYPERLINK(1)") == "'=HYPERLINK(1)")
    }
}
