import FHIR
import Foundation
import Recording
import TestSupport
import Testing

/// The Python interpreter with `fhir.resources` installed; scripts/test sets it up in a venv.
private let python = ProcessInfo.processInfo.environment["VAXTICKET_FHIR_PYTHON"].flatMap {
    $0.isEmpty ? nil : $0
}

private let validator = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("scripts/validate-fhir.py").path

/// Runs the validator on `files`; returns its exit status and output.
private func validate(_ files: [String]) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try #require(python))
    process.arguments = [validator] + files
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, output)
}

@Suite(
    "Generated resources validate against FHIR R4 (fhir.resources R4B models)",
    .enabled(if: python != nil, "set VAXTICKET_FHIR_PYTHON (scripts/test does)"))
struct FHIRValidationTests {
    @Test(
        "exported Immunizations, a transaction Bundle and a transaction-response with an OperationOutcome are valid"
    )
    func generatedResourcesAreValid() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await SyncFixture.store(in: folder, doses: 20)
        let mapping = ImmunizationMapping(vaccines: MappingTests.kfaTable)
        var ndjson = Data()
        _ = try await RegistryExport(mapping: mapping).export(
            from: store, format: .fhirNDJSON, since: nil
        ) { ndjson.append($0) }
        try ndjson.write(to: URL(fileURLWithPath: folder.path("immunizations.ndjson")))
        let doses = try await store.registryDoses(RegistryDoseQuery(unsyncedOnly: true, limit: 5))
        let bundle = mapping.transaction(try doses.map { try mapping.immunization(for: $0) })
        try JSONEncoder().encode(bundle).write(to: URL(fileURLWithPath: folder.path("bundle.json")))
        let outcome = OperationOutcome(issue: [
            OperationOutcome.Issue(severity: "error", code: "processing", diagnostics: "refused")
        ])
        let response = FHIRBundle<ResourceHeader>(
            type: .transactionResponse,
            entry: [
                FHIRBundle<ResourceHeader>.Entry(
                    response: FHIRBundle<ResourceHeader>.Response(
                        status: "201 Created", location: "Immunization/1/_history/1")),
                FHIRBundle<ResourceHeader>.Entry(
                    response: FHIRBundle<ResourceHeader>.Response(
                        status: "422 Unprocessable Entity", outcome: outcome)),
            ])
        try JSONEncoder().encode(response).write(
            to: URL(fileURLWithPath: folder.path("response.json")))

        let (status, output) = try validate([
            folder.path("immunizations.ndjson"), folder.path("bundle.json"),
            folder.path("response.json"),
        ])

        #expect(status == 0, "\(output)")
        #expect(output.contains("checked 22 resources, 0 invalid"))
    }

    @Test("the validator does fail an invalid Immunization (dose number 0, no patient)")
    func validatorCatchesErrors() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let bad =
            #"{"resourceType":"Immunization","status":"completed","vaccineCode":{"text":"x"},"occurrenceDateTime":"2021-08-23","protocolApplied":[{"doseNumberPositiveInt":0}]}"#
        try Data(bad.utf8).write(to: URL(fileURLWithPath: folder.path("bad.json")))

        let (status, output) = try validate([folder.path("bad.json")])

        #expect(status == 1)
        #expect(output.contains("1 invalid"))
    }
}
