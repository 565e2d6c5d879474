import Foundation
import GRDB
import Recording
import TestSupport
import Testing

/// Regression tests for issue 9 (hardening after a hostile review), one per item, named after it.
@Suite("Issue 9 hardening: the dose store")
struct StoreHardeningTests {
    private func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require((attributes[.posixPermissions] as? NSNumber)?.intValue) & 0o777
    }

    @Test("issue 9 item 9: a payload path that is a folder is refused, and a line past the cap is an error, not an end")
    func item9PayloadReader() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        #expect(throws: LineReaderError.notARegularFile(path: folder.url.path)) { try LineReader(path: folder.url.path) }
        #expect(throws: LineReaderError.self) { try LineReader(path: folder.path("missing.txt")) }

        let path = folder.path("payloads.txt")
        let long = String(repeating: "A", count: LineReader.maximumLineLength + 10)
        try "first\r\n\(long)\nthird\n".write(toFile: path, atomically: true, encoding: .utf8)
        let reader = try LineReader(path: path)
        #expect(try reader.nextLine() == "first")
        #expect(reader.lineNumber == 1)
        #expect(throws: LineReaderError.lineTooLong(path: path, line: 2, limit: LineReader.maximumLineLength)) { try reader.nextLine() }
    }
}
