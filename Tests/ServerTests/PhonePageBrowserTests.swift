import Foundation
import Recording
import Testing

/// The phone page in a real headless Chromium (Debian's `chromium`, which scripts/bootstrap
/// installs): what the officer sees for a valid ticket, a re-scan and a forgery. The page's
/// `#token=…&ticket=…` mode signs in and sends the ticket text, as a phone that decoded the QR
/// code with `BarcodeDetector` does. Screenshots are kept in test-artifacts/browser/.
@Suite("phone page in headless Chromium")
struct PhonePageBrowserTests {
    @Test(
        "valid ticket: green with name, dose and vaccine; re-scan: red, says when and by whom; forgery: red with the reason"
    )
    func officerSees() async throws {
        let chromium = try #require(
            Chromium.find(), "no Chromium found: install Debian's chromium (scripts/bootstrap does)"
        )
        let artifacts = Chromium.artifactFolder
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        try await ServerFixture.with { fixture in
            let valid = try fixture.ticketText()
            let shown = try fixture.ticketText(registrant: "2108230000077777")
            let forged = ServerFixture.forged(try fixture.ticketText())
            func page(_ ticket: String) -> String {
                "\(fixture.base)/#token=\(Chromium.encode(fixture.token))&lot=LOT42&station=PHONE9&ticket=\(Chromium.encode(ticket))"
            }

            let first = try await chromium.dumpDOM(page(valid))
            #expect(first.contains("data-outcome=\"recorded\""), "\(first.suffix(2000))")
            #expect(first.contains("class=\"ok\""))
            #expect(first.contains("Give dose 1"))
            #expect(first.contains(ServerFixture.registrantName))
            #expect(first.contains("CORONAVAC"))
            #expect(first.contains("LOT42"))

            let again = try await chromium.dumpDOM(page(valid))
            #expect(again.contains("data-outcome=\"already_recorded\""))
            #expect(again.contains("class=\"refused\""))
            #expect(again.contains("Already recorded"))
            #expect(again.contains("By officer</dt><dd>OFC1"))
            #expect(again.contains("by officer OFC1 (station PHONE9)"))

            let refused = try await chromium.dumpDOM(page(forged))
            #expect(refused.contains("data-outcome=\"bad_signature\""))
            #expect(refused.contains("Do not vaccinate"))
            #expect(refused.contains("bad signature") || refused.contains("signature"))

            let badToken = try await chromium.dumpDOM(
                "\(fixture.base)/#token=vt_wrong&ticket=\(Chromium.encode(valid))")
            #expect(badToken.contains("That token is not valid"))

            // Screenshots of each answer, on a phone-sized window.
            for (name, ticket) in [("1-valid", shown), ("2-rescan", shown), ("3-forged", forged)] {
                let file = artifacts.appendingPathComponent("phone-\(name).png")
                try? FileManager.default.removeItem(at: file)
                try await chromium.screenshot(page(ticket), to: file)
                let size =
                    try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int ?? 0
                #expect(size > 5000, "screenshot \(file.lastPathComponent) is \(size) bytes")
            }
            #expect(try await fixture.store.statistics(.init()).total == 2)
        }
    }
}

/// Headless Chromium, run once per page load with a fresh profile.
struct Chromium: Sendable {
    let path: String

    static func findPath() -> String? {
        let candidates =
            [ProcessInfo.processInfo.environment["CHROMIUM"]].compactMap { $0 } + [
                "chromium", "chromium-browser", "google-chrome",
            ]
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(
            separator: ":"
        ).map(String.init)
        for candidate in candidates {
            if candidate.hasPrefix("/") {
                if FileManager.default.isExecutableFile(atPath: candidate) {
                    return candidate
                } else {
                    continue
                }
            }
            for folder in folders
            where FileManager.default.isExecutableFile(atPath: folder + "/" + candidate) {
                return folder + "/" + candidate
            }
        }
        return nil
    }

    static func find() -> Chromium? { findPath().map(Chromium.init(path:)) }

    /// test-artifacts/browser/ in the package folder (gitignored).
    static var artifactFolder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("test-artifacts/browser")
    }

    /// Percent-encodes everything but letters and digits, for a URL fragment parameter.
    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    func dumpDOM(_ url: String) async throws -> String {
        String(decoding: try await run(["--dump-dom", url]), as: UTF8.self)
    }

    func screenshot(_ url: String, to file: URL) async throws {
        _ = try await run([
            "--screenshot=\(file.path)", "--window-size=412,880", "--hide-scrollbars", url,
        ])
    }

    /// Runs Chromium headless with a throwaway profile; gives up after two minutes.
    private func run(_ arguments: [String]) async throws -> Data {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent(
            "vaxticket-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-extensions", "--mute-audio",
                "--user-data-dir=\(profile.path)", "--virtual-time-budget=20000",
            ] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let handle = output.fileHandleForReading
        let reader = Task.detached { handle.readDataToEndOfFile() }
        let deadline = ContinuousClock.now + .seconds(120)
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                throw ChromiumTimedOut()
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return await reader.value
    }
}

struct ChromiumTimedOut: Error, CustomStringConvertible {
    var description: String { "Chromium did not finish within two minutes" }
}
