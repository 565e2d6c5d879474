import Foundation
import Recording
import ScanServer
import Testing

@Suite("docs/security.md and the server's defaults")
struct SecurityDocTests {
    @Test("issue 20 item 9: docs/security.md states the server's limits with the defaults it uses")
    func serverLimits() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/security.md").path
        let doc = try String(contentsOfFile: path, encoding: .utf8)
        let defaults = ServerConfiguration()
        // 12500000 as the doc writes it, 12,500,000, whatever the machine's locale.
        let digits = Array(String(ServerConfiguration.defaultMaxPixels))
        let pixels = stride(from: digits.count, to: 0, by: -3).reversed()
            .map { String(digits[max(0, $0 - 3)..<$0]) }.joined(separator: ",")
        for row in [
            "| a request body to the server | \(defaults.maxBodyBytes / 1024 / 1024) MB (413,",
            "| a photo's pixels, claimed by its header, on the server | \(pixels) |",
            "| parts of a multipart form | \(defaults.maxFormParts) |",
            "| an officer's requests | \(defaults.rateLimitPerMinute) a minute, a burst of "
                + "\(defaults.rateLimitBurst) (429) |",
            "| requests without a valid token, per client address | "
                + "\(defaults.unauthenticatedPerMinute) a minute, a burst of "
                + "\(defaults.unauthenticatedBurst) (429) |",
            "| connections per client address | \(defaults.connectionsPerAddress) |",
            "| a request head; a body's pauses; a whole body | \(Int(defaults.headTimeout)) s; "
                + "\(Int(defaults.bodyIdleTimeout)) s; \(Int(defaults.bodyTimeout)) s |",
            "| photos and forms waiting for a worker | \(defaults.queueLimit) (503",
            "| scans in one upload of a phone's queue; a queued scan's age | "
                + "\(defaults.maxBatchScans); \(defaults.queueDays) days |",
            "| waiting on a locked database | \(Int(SQLiteDoseStore.defaultBusyTimeout)) s,",
        ] {
            #expect(doc.contains(row), "\(row)")
        }
    }
}
