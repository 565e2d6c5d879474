import FHIR
import Foundation
import Recording
import Testing
import TicketCodec

@Suite("docs/sync.md matches the code")
struct DocsTests {
    static let doc: String = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/sync.md").path
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }()

    /// The JSON block that follows `marker` in the doc.
    static func block(after marker: String) throws -> Data {
        let rest = try #require(doc.range(of: marker)).upperBound
        let start = try #require(doc.range(of: "```json\n", range: rest..<doc.endIndex)).upperBound
        let end = try #require(doc.range(of: "\n```", range: start..<doc.endIndex)).lowerBound
        return Data(doc[start..<end].utf8)
    }

    static func exampleImmunization() throws -> Immunization {
        let table = try VaccineTable([
            Vaccine(
                code: "CORONAVAC", displayName: "CoronaVac (Sinovac)",
                minimumDaysBeforeNextDose: 28, kfaCode: "KFA-EXAMPLE",
                kfaName: "Vaksin CoronaVac")
        ])
        return try ImmunizationMapping(vaccines: table).immunization(for: MappingTests.dose())
    }

    @Test("the example Immunization is what the mapping makes")
    func exampleImmunization() throws {
        let documented = try JSONDecoder().decode(
            Immunization.self, from: try Self.block(after: "<!-- example-immunization -->"))
        #expect(documented == (try Self.exampleImmunization()))
    }

    @Test("the example Bundle carries that Immunization as a conditional create")
    func exampleBundle() throws {
        let documented = try JSONDecoder().decode(
            FHIRBundle<Immunization>.self, from: try Self.block(after: "<!-- example-bundle -->"))
        let made = ImmunizationMapping().transaction([try Self.exampleImmunization()])
        #expect(documented.type == made.type)
        #expect(documented.entry?.first?.resource == made.entry?.first?.resource)
        #expect(documented.entry?.first?.request == made.entry?.first?.request)
    }

    @Test("the CSV columns are documented in order")
    func csvColumns() {
        let documented = Self.doc.split(separator: "\n").compactMap { line -> String? in
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 3, Int(cells[0]) != nil else { return nil }
            return cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
        }
        #expect(documented == RegistryExport.csvColumns)
    }
}
