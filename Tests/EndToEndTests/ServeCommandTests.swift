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
        // The page's files come from the resource bundle beside the binary.
        let (page, _) = try await URLSession.shared.data(from: try #require(URL(string: base)))
        #expect(String(decoding: page, as: UTF8.self).contains("src=\"/app.js\""))
        let (script, _) = try await URLSession.shared.data(
            from: try #require(URL(string: base + "app.js")))
        #expect(String(decoding: script, as: UTF8.self).contains("BarcodeDetector"))

        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    /// Starts `vaxticket serve` with `arguments`; its first line and the process.
    private func startServe(_ arguments: [String], environment: [String: String]) throws
        -> (line: String, process: Process, errors: Pipe)
    {
        let process = Process()
        process.executableURL = vaxticketBinary
        process.arguments = ["serve", "--port", "0"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        return (line, process, errors)
    }

    private func run(_ tool: String, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(
            decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test(
        "issue 20 item 4: serve --tls-cert --tls-key speaks HTTPS with HSTS; a readable key is refused; plain HTTP off loopback warns"
    )
    func tls() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let environment = [
            "VAXTICKET_DB": folder.path("doses.sqlite"),
            "VAXTICKET_KEYRING": folder.path("keyring.json"),
        ]
        #expect(try runVaxticket(["keys", "new"], environment: environment).status == 0)
        let cert = folder.path("server.crt"), key = folder.path("server.key")
        let (made, text) = try run(
            "openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-days", "2", "-subj", "/CN=localhost", "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert,
            ])
        try #require(made == 0, "\(text)")

        // A key others may read is refused before anything listens.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: key)
        let readable = try runVaxticket(
            ["serve", "--port", "0", "--tls-cert", cert, "--tls-key", key], environment: environment
        )
        #expect(readable.status == 1)
        #expect(readable.stderr.contains("may be read by others"))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key)

        let (line, process, _) = try startServe(
            ["--tls-cert", cert, "--tls-key", key], environment: environment)
        defer { if process.isRunning { process.terminate() } }
        #expect(line.hasPrefix("listening on https://127.0.0.1:"), "\(line)")
        let base = line.replacingOccurrences(of: "listening on ", with: "").trimmingCharacters(
            in: .whitespacesAndNewlines)
        let (status, answer) = try run(
            "curl", ["-sS", "-i", "--cacert", cert, base + "healthz"])
        #expect(status == 0, "\(answer)")
        #expect(answer.hasPrefix("HTTP/1.1 200"))
        #expect(answer.lowercased().contains("strict-transport-security: max-age=31536000"))
        let (plainStatus, _) = try run(
            "curl", ["-sS", base.replacingOccurrences(of: "https://", with: "http://") + "healthz"])
        #expect(plainStatus != 0)
        process.terminate()
        process.waitUntilExit()

        let (open, openProcess, errors) = try startServe(
            ["--host", "0.0.0.0"], environment: environment)
        defer { if openProcess.isRunning { openProcess.terminate() } }
        #expect(open.hasPrefix("listening on http://0.0.0.0:"))
        openProcess.terminate()
        openProcess.waitUntilExit()
        let warning = String(
            decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(warning.contains("warning: serving plain HTTP on 0.0.0.0"))
    }
}
