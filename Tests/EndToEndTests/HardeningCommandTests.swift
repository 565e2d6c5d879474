import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Regression tests for issue 9 that run the binary, one per item, named after it.
@Suite("Issue 9 hardening: the command line")
struct HardeningCommandTests {
    @Test("issue 9 item 2: scan --max-pixels is bounded")
    func item2MaxPixelsBounded() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let result = try runVaxticket(["scan", folder.path("in.png"), "--max-pixels", String(Int.max)])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--max-pixels must be 1 to 250000000"))
    }

    private func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require((attributes[.posixPermissions] as? NSNumber)?.intValue) & 0o777
    }
}
