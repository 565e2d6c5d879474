import FHIR
import FHIRReceiver
import Foundation
import Recording
import RegistrySync
import TestSupport
import Testing

@Suite("Registry sync against a FHIR receiver on loopback")
struct RegistrySyncTests {
    /// Every dose of `store` is on the receiver exactly once, and marked synced locally.
    static func expectExactlyOnce(_ store: SQLiteDoseStore, _ receiver: FHIRReceiver, count: Int)
        async throws
    {
        let stored = await receiver.identifierCounts(system: RegistryCoding.standard.serialSystem)
        #expect(stored.count == count)
        #expect(stored.values.allSatisfy { $0 == 1 })
        #expect(Set(stored.keys) == Set((0..<count).map(SyncFixture.serial)))
        #expect(await receiver.counts().duplicateIdentifiers == 0)
        #expect(
            try await store.syncCounts(from: nil, to: nil)
                == SyncCounts(synced: count, waiting: 0, refused: 0))
        #expect(
            try await store.registryDoses(RegistryDoseQuery(unsyncedOnly: true, limit: 10)).isEmpty)
    }

    @Test(
        "with 500s, a 429, a stall, a dropped answer, an expired token and a refusal, two runs leave every dose there once"
    )
    func faultsThenSecondRun() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await SyncFixture.store(in: folder, doses: 200)
        let receiver = try await SyncFixture.receiver()
        await receiver.inject([
            .serverError, .tooManyRequests(retryAfter: 1), .stall(seconds: 1.5), .dropAfterStore,
            .expireToken, .serverError,
        ])
        let refusedSerial = SyncFixture.serial(57)
        await receiver.refuse(
            serial: refusedSerial, because: "Patient 3171000000000057 not found in the registry")
        let events = EventLog()
        let sync = await SyncFixture.sync(receiver, batch: 20, timeout: 0.5)

        // When: the first run meets every fault.
        let started = Date()
        let first = await sync.run(store: store) { events.add($0) }
        let elapsed = Date().timeIntervalSince(started)

        // Then: everything but the refused dose is synced, the refusal text is stored, and the
        // stalled and dropped batches (stored, answer lost) came back as "already there".
        #expect(first.stoppedBy == nil)
        #expect(first.refused == 1)
        #expect(first.unsent == 0)
        #expect(first.sent + first.alreadyThere == 199)
        #expect(first.alreadyThere >= 20)
        #expect(elapsed >= 1.0, "the 429's Retry-After of 1 s was honoured")
        let waiting = try await store.registryDoses(
            RegistryDoseQuery(unsyncedOnly: true, limit: 10))
        #expect(waiting.map(\.record.serial) == [refusedSerial])
        #expect(waiting.first?.lastRefusal?.contains("not found in the registry") == true)
        #expect(
            try await store.syncCounts(from: nil, to: nil)
                == SyncCounts(synced: 199, waiting: 1, refused: 1))
        #expect(events.all.contains { $0.contains("refused \(refusedSerial)") })
        // Each fault was met: a 500, the 429, the stall (timeout), the dropped answer.
        for problem in ["HTTP 500", "HTTP 429", "timed out", "stream ended at an unexpected time"] {
            #expect(
                events.all.contains { $0.hasPrefix("retrying") && $0.hasSuffix(problem) },
                "no retry after \(problem)")
        }
        #expect(events.all.contains { $0.contains("fetched a new one") })
        #expect(!events.all.joined().contains("3171000000000057"), "no NIK in the events")
        #expect(!events.all.joined().contains(SyncFixture.clientSecret))
        // A token answer that came after the client's 0.5 s timeout (a loaded machine) is issued
        // but never used; the client itself used one token, and one more after the expiry.
        #expect(
            await receiver.counts().tokensUsed == 2,
            "one token, renewed once after the forced expiry")

        // When: the registry accepts the dose now and a second run goes.
        await receiver.refuse(serial: refusedSerial, because: nil)
        let second = await sync.run(store: store)

        #expect(second.sent == 1 && second.refused == 0 && second.unsent == 0 && second.isComplete)
        try await Self.expectExactlyOnce(store, receiver, count: 200)
        await receiver.stop()
    }

    @Test(
        "a registry that refuses whole transactions is answered entry by entry, and only the bad one waits"
    )
    func atomicRefusalIsSplit() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await SyncFixture.store(in: folder, doses: 30)
        let receiver = try await SyncFixture.receiver(atomic: true)
        await receiver.refuse(serial: SyncFixture.serial(12), because: "lot number unknown")

        let summary = await SyncFixture.sync(receiver, batch: 10).run(store: store)

        #expect(summary.sent == 29)
        #expect(summary.refused == 1)
        #expect(!summary.isComplete)
        let waiting = try await store.registryDoses(
            RegistryDoseQuery(unsyncedOnly: true, limit: 10))
        #expect(waiting.map(\.record.serial) == [SyncFixture.serial(12)])
        #expect(
            waiting.first?.lastRefusal == "HTTP 400: error processing: entry 0: lot number unknown")
        await receiver.stop()
    }

    @Test("a dose without a NIK is held back with its reason and never sent")
    func heldBack() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await SyncFixture.store(in: folder, doses: 10, withoutRoster: [4])
        let receiver = try await SyncFixture.receiver()
        let events = EventLog()

        let summary = await SyncFixture.sync(receiver).run(store: store) { events.add($0) }

        #expect(summary.sent == 9 && summary.heldBack == 1 && !summary.isComplete)
        #expect(
            events.all.contains(
                "held back \(SyncFixture.serial(4)): registrant R00004 has no NIK in the roster (import the roster entry, then sync again)"
            ))
        #expect(
            await receiver.identifierCounts(system: RegistryCoding.standard.serialSystem)[
                SyncFixture.serial(4)] == nil)
        #expect(try await store.dose(serial: SyncFixture.serial(4))?.syncState == .pending)
        await receiver.stop()
    }

    @Test("the token is fetched once and reused across bundles")
    func tokenCached() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await SyncFixture.store(in: folder, doses: 100)
        let receiver = try await SyncFixture.receiver()

        let summary = await SyncFixture.sync(receiver, batch: 10).run(store: store)

        #expect(summary.sent == 100 && summary.isComplete)
        let counts = await receiver.counts()
        #expect(counts.bundles == 10)
        #expect(counts.tokensIssued == 1)
        await receiver.stop()
    }

    @Test("wrong credentials stop the run at once; nothing is marked synced")
    func wrongCredentials() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await SyncFixture.store(in: folder, doses: 5)
        let receiver = try await SyncFixture.receiver()

        let summary = await SyncFixture.sync(
            receiver,
            credentials: ClientCredentials(clientID: SyncFixture.clientID, clientSecret: "wrong")
        ).run(store: store)

        #expect(
            summary.stoppedBy
                == .authenticationRefused(
                    status: 401, detail: "invalid_client: unknown client or wrong secret"))
        #expect(summary.unsent == 5)
        #expect(try await store.syncCounts(from: nil, to: nil).waiting == 5)
        #expect(await receiver.counts().immunizations == 0)
        await receiver.stop()
    }

    // AsyncHTTPClient keeps trying to connect until the request's deadline, so each attempt on
    // a closed port costs the timeout: 1 s here.
    @Test("an unreachable registry leaves every dose waiting and says so")
    func unreachable() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await SyncFixture.store(in: folder, doses: 5)
        let receiver = try await SyncFixture.receiver()
        let tokenURL = await receiver.tokenURL()
        let baseURL = await receiver.baseURL()
        await receiver.stop()
        let sync = RegistrySync(
            configuration: SyncConfiguration(
                endpoint: baseURL, tokenURL: tokenURL, credentials: SyncFixture.credentials,
                timeout: 1,
                retry: RetryPolicy(
                    maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.02, maxRetryAfter: 1)))

        let summary = await sync.run(store: store)

        guard case .unreachable(let attempts, _) = summary.stoppedBy else {
            Issue.record("expected unreachable, got \(String(describing: summary.stoppedBy))")
            return
        }
        #expect(attempts == 3)
        #expect(summary.unsent == 5)
        #expect(try await store.syncCounts(from: nil, to: nil).waiting == 5)
    }

    @Test("Retry-After is read as seconds or as an HTTP date, and backoff stays under its cap")
    func retryPolicy() {
        let now = Date(timeIntervalSince1970: 1_000_000_000)
        #expect(RetryPolicy.retryAfter("7", now: now) == 7)
        #expect(RetryPolicy.retryAfter("Sun, 09 Sep 2001 01:46:50 GMT", now: now) == 10)
        #expect(RetryPolicy.retryAfter("soon", now: now) == nil)
        #expect(RetryPolicy.retryAfter("-3", now: now) == nil)
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: 1, maxDelay: 8, maxRetryAfter: 60)
        for attempt in 1...40 {
            #expect((0...8).contains(policy.delay(afterAttempt: attempt, retryAfter: nil)))
        }
        #expect((60...66).contains(policy.delay(afterAttempt: 1, retryAfter: 3600)))
    }

    @Test("NIKs are masked in anything printed")
    func redaction() {
        #expect(
            Redaction.maskingNIKs("Patient 3171012345678901 not found; 12345")
                == "Patient **************** not found; 12345")
        #expect(Redaction.maskingNIKs("31710123456789012") == "31710123456789012")
    }

    @Test("a credentials file others can read is refused; a 0600 one is read")
    func credentialsFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("credentials.json")
        try Data(#"{"client_id": "a", "client_secret": "b"}"#.utf8).write(
            to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: SyncError.self) { try ClientCredentials.load(path: path) }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        let credentials = try ClientCredentials.load(path: path)
        #expect(credentials == ClientCredentials(clientID: "a", clientSecret: "b"))
        #expect(
            !"\(credentials)".contains("b") || "\(credentials)" == "client credentials (redacted)")
    }
}
