import Foundation
import Testing
import TicketCodec

@Suite("docs/outcomes.md")
struct OutcomeDocumentTests {
    static let document = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/outcomes.md")

    /// The code in the first cell of each table row, in order.
    static func documentedCodes() throws -> [String] {
        try String(contentsOf: document, encoding: .utf8).split(separator: "\n").compactMap {
            line in
            guard line.hasPrefix("| `") else { return nil }
            let cell = line.dropFirst(3)
            return cell.firstIndex(of: "`").map { String(cell[..<$0]) }
        }
    }

    @Test("lists every outcome code exactly once, and nothing else")
    func agreesWithTheEnum() throws {
        let documented = try Self.documentedCodes()
        #expect(documented.count == Set(documented).count, "a code is listed twice")
        #expect(Set(documented) == Set(OutcomeCode.allCases.map(\.rawValue)))
    }
}
