import Foundation
import Recording
import ScanServer
import Testing
import TicketCodec

/// docs/openapi.yaml says what the server does: its outcome codes and paths agree with the code.
/// (The property-based check of the running server against it is schemathesis, in scripts/test.)
@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
    static var document: String {
        get throws {
            let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .deletingLastPathComponent()
                .deletingLastPathComponent()
                .appendingPathComponent("docs/openapi.yaml")
            return try String(contentsOf: url, encoding: .utf8)
        }
    }

    @Test("every outcome a scan can have is in the RecordReport schema")
    func outcomeCodes() throws {
        let document = try Self.document
        #expect(document.hasPrefix("openapi: 3."))
        for code in OutcomeCode.allCases where code != .valid {
            #expect(
                document.contains("            - \(code.rawValue)\n"),
                "\(code.rawValue) is missing from docs/openapi.yaml")
        }
        #expect(!document.contains("            - valid\n"))
    }

    @Test("the Error schema lists exactly the API's error codes")
    func errorCodes() throws {
        let document = try Self.document
        let codes = APIErrorCode.allCases.map(\.rawValue).sorted()
        let line = try #require(
            document.split(separator: "\n").first { $0.contains("enum: [bad_request") })
        let listed = line.split(separator: "[")[1].split(separator: "]")[0]
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.sorted()
        #expect(listed == codes)
    }

    @Test("the document describes every route and status the server answers")
    func routes() throws {
        let document = try Self.document
        for path in [
            "/api/v1/scans:", "/api/v1/scans/batch:", "/api/v1/stats:", "/api/v1/offline-bundle:",
            "/healthz:",
        ] {
            #expect(document.contains("  \(path)\n"))
        }
        for status in ["200", "304", "400", "401", "413", "415", "429", "503"] {
            #expect(document.contains("\"\(status)\":"))
        }
        for type in ["image/jpeg:", "image/png:", "text/plain:", "multipart/form-data:"] {
            #expect(document.contains(type))
        }
    }
}
