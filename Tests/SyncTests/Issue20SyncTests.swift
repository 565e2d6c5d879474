import FHIR
import FHIRReceiver
import Foundation
import Recording
import RegistrySync
import TestSupport
import Testing
import TicketCodec

/// Regression tests for issue 20 items 4 and 6 in the registry sync, named after the items.
@Suite("Issue 20 hardening: the registry sync")
struct Issue20SyncTests {
    /// A configuration for `endpoint` and `tokenURL`, insecure HTTP allowed or not.
    private func configuration(_ endpoint: String, _ tokenURL: String, insecure: Bool = false)
        -> SyncConfiguration
    {
        SyncConfiguration(
            endpoint: endpoint, tokenURL: tokenURL, credentials: SyncFixture.credentials,
            allowInsecureHTTP: insecure)
    }

    @Test(
        "issue 20 item 4: plain http:// is refused except on loopback, unless insecure HTTP is allowed",
        arguments: [
            ("https://registry.example/fhir", "https://registry.example/oauth2/token", nil),
            ("http://127.0.0.1:8080/fhir", "http://127.0.0.1:8080/token", nil),
            ("http://[::1]:8080/fhir", "http://localhost:8080/token", nil),
            ("HTTP://LOCALHOST/fhir", "https://registry.example/token", nil),
            (
                "http://registry.example/fhir", "https://registry.example/token",
                "http://registry.example/fhir"
            ),
            (
                "https://registry.example/fhir", "http://registry.example/token",
                "http://registry.example/token"
            ),
            ("http://10.0.0.5/fhir", "http://127.0.0.1/token", "http://10.0.0.5/fhir"),
            (
                "http://127.0.0.1.nip.io/fhir", "http://127.0.0.1/token",
                "http://127.0.0.1.nip.io/fhir"
            ),
        ] as [(String, String, String?)])
    func item4InsecureURLs(endpoint: String, tokenURL: String, refused: String?) throws {
        if let refused {
            #expect(throws: SyncError.insecureURL(refused)) {
                try configuration(endpoint, tokenURL).checkURLs()
            }
            #expect(SyncError.insecureURL(refused).code == "sync_insecure_url")
            #expect(SyncError.insecureURL(refused).description.contains("--allow-insecure-http"))
        } else {
            try configuration(endpoint, tokenURL).checkURLs()
        }
        // Allowed explicitly, plain HTTP passes; a URL that is no http(s) URL never does.
        try configuration(endpoint, tokenURL, insecure: true).checkURLs()
        #expect(throws: SyncError.badURL("ftp://registry.example/fhir")) {
            try configuration("ftp://registry.example/fhir", tokenURL, insecure: true).checkURLs()
        }
    }

    @Test(
        "issue 20 item 4: a sync to plain http:// on another host sends nothing; allowed explicitly, it goes"
    )
    func item4InsecureRun() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await SyncFixture.store(in: folder, doses: 3)
        let receiver = try await SyncFixture.receiver()
        // 127.1 reaches the receiver on 127.0.0.1 through the resolver, but is not spelled as
        // loopback: it stands for any other host.
        let port = try #require(URL(string: await receiver.baseURL())?.port)
        let endpoint = "http://127.1:\(port)/fhir"
        let tokenURL = "http://127.1:\(port)/token"

        let refused = await RegistrySync(configuration: configuration(endpoint, tokenURL))
            .run(store: store)
        #expect(refused.stoppedBy == .insecureURL(endpoint))
        #expect(refused.sent == 0)
        #expect(await receiver.counts().tokensIssued == 0)
        #expect(await receiver.counts().bundles == 0)
        #expect(try await store.syncCounts(from: nil, to: nil).waiting == 3)

        let allowed = await RegistrySync(
            configuration: configuration(endpoint, tokenURL, insecure: true)
        ).run(store: store)
        #expect(allowed.sent == 3 && allowed.isComplete)
        await receiver.stop()
    }

    /// What a hostile registry answers: a screen clear, a hyperlink, a carriage return that
    /// would overwrite the line, a right-to-left override, a window title.
    static let hostile =
        "\u{1B}[2J\u{1B}[HPatient not found\r\u{1B}]8;;https://evil.example/\u{1B}\\OK: synced\u{1B}]8;;\u{1B}\\ \u{202E}txt.exe\u{1B}]0;title\u{07} "
        + String(repeating: "x", count: 1000)

    @Test(
        "issue 20 item 6: a registry's refusal reaches the operator and the sync_refusal column stripped of escapes and cut"
    )
    func item6HostileRefusal() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await SyncFixture.store(in: folder, doses: 3)
        let receiver = try await SyncFixture.receiver()
        await receiver.refuse(serial: SyncFixture.serial(1), because: Self.hostile)
        let events = EventLog()

        let summary = await SyncFixture.sync(receiver).run(store: store) { events.add($0) }

        #expect(summary.sent == 2 && summary.refused == 1)
        let stored = try #require(
            try await store.registryDoses(RegistryDoseQuery(unsyncedOnly: true, limit: 10)).first?
                .lastRefusal)
        let printed = try #require(events.all.first { $0.hasPrefix("refused") })
        for text in [stored, printed] {
            #expect(text.contains("Patient not found OK: synced txt.exe xxx"))
            #expect(
                !text.unicodeScalars.contains {
                    $0.value < 0x20 || (0x7F...0x9F).contains($0.value)
                        || $0.properties.generalCategory == .format
                }, "\(text.debugDescription)")
            #expect(!text.contains("evil.example") && !text.contains("title"))
            #expect(text.unicodeScalars.count < 600)
        }
        await receiver.stop()
    }

    @Test("issue 20 item 6: a token endpoint's error_description is stripped of escapes and cut")
    func item6HostileTokenError() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await SyncFixture.store(in: folder, doses: 1)
        let receiver = try await SyncFixture.receiver()
        await receiver.explainRefusedClients(Self.hostile)

        let summary = await SyncFixture.sync(
            receiver,
            credentials: ClientCredentials(clientID: SyncFixture.clientID, clientSecret: "wrong")
        ).run(store: store)

        guard case .authenticationRefused(401, let detail) = summary.stoppedBy else {
            Issue.record("expected a refused authentication, got \(String(describing: summary))")
            return
        }
        #expect(detail.hasPrefix("invalid_client: Patient not found OK: synced txt.exe xxx"))
        #expect(detail.hasSuffix("…"))
        #expect(detail.unicodeScalars.count == 201)
        #expect(!detail.unicodeScalars.contains { $0.value < 0x20 || $0 == "\u{202E}" })
        await receiver.stop()
    }

    @Test("issue 20 items 4 and 6: docs/sync.md names the flag, the error code and the cut")
    func documented() {
        #expect(DocsTests.doc.contains("`--allow-insecure-http`"))
        #expect(DocsTests.doc.contains("(`\(SyncError.insecureURL("").code)`"))
        #expect(DocsTests.doc.contains("cut to \(FreeText.outsideTextLimit) code points"))
    }
}
