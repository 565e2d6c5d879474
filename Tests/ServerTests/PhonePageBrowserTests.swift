import Foundation
import NIOHTTP1
import Recording
import Testing

/// The phone page's files as the server sends them, and the page in a real headless Chromium
/// (Debian's `chromium`, which scripts/bootstrap installs). The page's scanning, queue and
/// offline behaviour are driven with Playwright in Tests/Browser/test_phone_page.py; here the
/// server's side: every file with its type and cache headers, and an address never records.
@Suite("phone page")
struct PhonePageBrowserTests {
    static let files: [(path: String, type: String)] = [
        ("/", "text/html; charset=utf-8"), ("/index.html", "text/html; charset=utf-8"),
        ("/app.css", "text/css; charset=utf-8"), ("/app.js", "text/javascript; charset=utf-8"),
        ("/i18n.js", "text/javascript; charset=utf-8"),
        ("/ticket.js", "text/javascript; charset=utf-8"),
        ("/queue.js", "text/javascript; charset=utf-8"),
        ("/sw.js", "text/javascript; charset=utf-8"),
        ("/manifest.webmanifest", "application/manifest+json"), ("/icon.svg", "image/svg+xml"),
    ]

    @Test("every file with its content type, an ETag, no-cache and a 304 when unchanged")
    func files() async throws {
        try await ServerFixture.with { fixture in
            for (path, type) in Self.files {
                let answer = try await fixture.send(.GET, path)
                #expect(answer.status == 200, "\(path)")
                #expect(answer.headers.first(name: "Content-Type") == type, "\(path)")
                #expect(answer.headers.first(name: "Cache-Control") == "no-cache", "\(path)")
                #expect(answer.body.count > 100, "\(path)")
                let etag = try #require(answer.headers.first(name: "ETag"), "\(path)")
                let again = try await fixture.send(.GET, path, headers: [("If-None-Match", etag)])
                #expect(again.status == 304, "\(path)")
                #expect(again.body.isEmpty)
                let policy = answer.headers.first(name: "Content-Security-Policy") ?? ""
                #expect(policy.contains("script-src 'self'"))
                #expect(policy.contains("style-src 'self'"))
                #expect(!policy.contains("unsafe-inline"))
                #expect(policy.contains("frame-ancestors 'none'"))
                #expect(answer.headers.first(name: "X-Content-Type-Options") == "nosniff")
                #expect(answer.headers.first(name: "Referrer-Policy") == "no-referrer")
            }
            #expect(try await fixture.send(.GET, "/nothing.js").status == 404)
            // No inline script or style for the policy to refuse.
            let html = String(decoding: try await fixture.send(.GET, "/").body, as: UTF8.self)
            #expect(
                !html.contains("<script>") && !html.contains("<style") && !html.contains("style="))
            #expect(html.contains("<script type=\"module\" src=\"/app.js\"></script>"))
            let manifest = try await fixture.send(.GET, "/manifest.webmanifest")
            let json = manifest.json
            #expect(json["start_url"] as? String == "/")
            #expect(json["display"] as? String == "standalone")
            #expect((json["icons"] as? [Any])?.isEmpty == false)
        }
    }

    @Test("every element docs/phone-page.md names as a hook is in the page")
    func documentedHooks() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let document = try String(
            contentsOf: root.appendingPathComponent("docs/phone-page.md"), encoding: .utf8)
        let html = try String(
            contentsOf: root.appendingPathComponent("Sources/ScanServer/PhonePage/index.html"),
            encoding: .utf8)
        let hooks = document.split(separator: "\n").filter { $0.hasPrefix("| `#") }.compactMap {
            line in line.dropFirst(4).split(separator: "`").first.map(String.init)
        }
        #expect(
            Set(hooks).isSuperset(of: [
                "sign-in", "scan", "verdict", "queue", "queue-attention", "language",
            ]))
        for hook in hooks {
            #expect(html.contains("id=\"\(hook)\""), "#\(hook) is documented but not in the page")
        }
        for attribute in ["data-outcome", "data-provisional", "data-waiting", "data-sent"] {
            #expect(html.contains(attribute) && document.contains(attribute))
        }
    }

    @Test("an address with a token and a ticket only fills the sign-in form: nothing is recorded")
    func linkNeverRecords() async throws {
        let chromium = try #require(
            Chromium.find(), "no Chromium found: install Debian's chromium (scripts/bootstrap does)"
        )
        try await ServerFixture.with { fixture in
            let ticket = try fixture.ticketText()
            let dom = try await chromium.dumpDOM(
                "\(fixture.base)/#token=\(Chromium.encode(fixture.token))&ticket=\(Chromium.encode(ticket))"
            )
            // The page's script ran (it fills the network badge; Indonesian by default) and
            // stayed on the sign-in form.
            #expect(dom.contains("class=\"badge\">Daring</span>"), "\(dom.suffix(2000))")
            #expect(dom.contains("<html lang=\"id\""))
            #expect(dom.contains(">Masuk</button>"))
            #expect(dom.contains("<section id=\"scanner\" hidden=\"\">"))
            #expect(try await fixture.store.statistics(.init()).total == 0)
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

    /// Percent-encodes everything but letters and digits, for a URL fragment parameter.
    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    func dumpDOM(_ url: String) async throws -> String {
        String(decoding: try await run(["--dump-dom", url]), as: UTF8.self)
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
