import Foundation
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite("vaxticket officers and serve")
struct ServeCommandTests {
    @Test(
        "officers add prints the token once as the last line and stores only its hash; list and revoke"
    )
    func officers() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let environment = ["VAXTICKET_DB": folder.path("doses.sqlite")]
        let added = try runVaxticket(
            ["officers", "add", "Budi Santoso", "--site", "JKT01"], environment: environment)
        #expect(added.status == 0, "\(added.stderr)")
        let token = try #require(added.stdout.split(separator: "\n").last.map(String.init))
        #expect(token.hasPrefix("vt_"))
        #expect(token.count == 46)
        // The token is nowhere in the database file.
        let database =
            try Data(contentsOf: URL(fileURLWithPath: folder.path("doses.sqlite")))
            + ((try? Data(contentsOf: URL(fileURLWithPath: folder.path("doses.sqlite-wal"))))
                ?? Data())
        #expect(database.range(of: Data(token.utf8)) == nil)

        #expect(
            try runVaxticket(["officers", "add", "Budi Santoso"], environment: environment).status
                == 1)
        #expect(
            try runVaxticket(["officers", "add", "Ani"], environment: environment).stdout.split(
                separator: "\n"
            ).last
                != Substring(token))
        let listed = try runVaxticket(["officers", "list", "--json"], environment: environment)
        #expect(listed.stdout.contains("\"name\":\"Ani\""))
        #expect(listed.stdout.contains("\"site\":\"JKT01\""))
        #expect(!listed.stdout.contains(token))
        #expect(!listed.stdout.lowercased().contains("hash"))

        #expect(
            try runVaxticket(["officers", "revoke", "Budi Santoso"], environment: environment)
                .status == 0)
        let revokedAgain = try runVaxticket(
            ["officers", "revoke", "Budi Santoso"], environment: environment)
        #expect(revokedAgain.status == 1)
        #expect(revokedAgain.stderr.contains("revoked already"))
        #expect(
            try runVaxticket(["officers", "list"], environment: environment).stdout.contains(
                "revoked"))
        #expect(
            try runVaxticket(["officers", "revoke", "Nobody"], environment: environment).stderr
                .contains(
                    "no officer named Nobody"))
    }

    @Test("serve listens on loopback, answers /healthz and the phone page, and stops on SIGTERM")
    func serve() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let environment = [
            "VAXTICKET_DB": folder.path("doses.sqlite"),
            "VAXTICKET_KEYRING": folder.path("keyring.json"),
        ]
        #expect(try runVaxticket(["keys", "new"], environment: environment).status == 0)

        let process = Process()
        process.executableURL = vaxticketBinary
        process.arguments = ["serve", "--port", "0"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        #expect(line.hasPrefix("listening on http://127.0.0.1:"), "\(line)")
        let base = line.replacingOccurrences(of: "listening on ", with: "").trimmingCharacters(
            in: .whitespacesAndNewlines)
        let url = try #require(URL(string: base + "healthz"))
        let (health, response) = try await URLSession.shared.data(from: url)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: health, as: UTF8.self).contains("\"status\":\"ok\""))
        let (page, _) = try await URLSession.shared.data(from: try #require(URL(string: base)))
        #expect(String(decoding: page, as: UTF8.self).contains("BarcodeDetector"))

        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}
