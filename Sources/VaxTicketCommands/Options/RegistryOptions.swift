import ArgumentParser
import FHIR
import Foundation
import TicketCodec

/// How doses are written for the registry: vaccine table and identifier systems.
struct RegistryOptions: ParsableArguments {
    @Option(
        help:
            "A JSON vaccine table (with kfa_code and kfa_name per vaccine) that replaces the built-in one."
    )
    var vaccines: String?

    @Option(help: "The identifier system of ticket serials, which makes resending safe.")
    var serialSystem = RegistryCoding.standard.serialSystem

    @Option(help: "The code system of vaccine codes for vaccines without a KFA code.")
    var vaccineSystem = RegistryCoding.standard.vaccineSystem

    @Option(help: "The identifier system of officers.")
    var officerSystem = RegistryCoding.standard.officerSystem

    @Option(help: "The identifier system of sites.")
    var siteSystem = RegistryCoding.standard.siteSystem

    /// The mapping these options describe.
    func mapping() throws -> ImmunizationMapping {
        let table = try vaccines.map { try VaccineTable(contentsOf: $0) } ?? .builtIn
        var coding = RegistryCoding.standard
        coding.serialSystem = serialSystem
        coding.vaccineSystem = vaccineSystem
        coding.officerSystem = officerSystem
        coding.siteSystem = siteSystem
        return ImmunizationMapping(coding: coding, vaccines: table)
    }

    func validate() throws {
        for (name, value) in [
            ("--serial-system", serialSystem), ("--vaccine-system", vaccineSystem),
            ("--officer-system", officerSystem),
            ("--site-system", siteSystem),
        ] {
            guard !value.isEmpty, !value.contains(where: { $0.isWhitespace || $0 == "|" }),
                value.contains(":")
            else {
                throw ValidationError(
                    "\(name) must be a URI without spaces or '|', like urn:example:serial or https://example.org/id/serial."
                )
            }
        }
    }
}
