import FHIR
import FHIRReceiver
import Foundation
import Recording
import RegistrySync
import TestSupport
import TicketCodec

/// Stores with recorded doses, and receivers, for the sync tests.
enum SyncFixture {
    static let clientID = "vaxticket-test"
    static let clientSecret = "s3cret-never-logged"
    static let credentials = ClientCredentials(clientID: clientID, clientSecret: clientSecret)

    /// 2021-08-23 09:15:30 in Jakarta (02:15:30 UTC).
    static let at = Date(timeIntervalSince1970: 1_629_684_930)

    static func serial(_ index: Int) -> String { String(format: "%016X", 0xA000_0000 + index) }
    static func registrant(_ index: Int) -> String { String(format: "R%05d", index) }
    static func nik(_ index: Int) -> String { String(format: "3171%012d", index) }

    /// A store in `folder` with `count` first doses; registrants in `withoutRoster` have no
    /// roster entry (and so no NIK).
    static func store(
        in folder: TemporaryFolder, doses count: Int, withoutRoster: Set<Int> = [],
        name: String = "doses.sqlite"
    )
        async throws -> SQLiteDoseStore
    {
        let store = try await SQLiteDoseStore(path: folder.path(name))
        let roster = (0..<count).filter { !withoutRoster.contains($0) }.map { index in
            RosterEntry(
                registrant: registrant(index), nik: nik(index), name: "Person \(index)",
                birthDate: "1980-04-30",
                priorityGroup: "GENERAL", phone: "")
        }
        _ = try await store.importRoster(roster)
        let rules = RecordingRules(policy: .default2021, vaccines: .builtIn)
        let context = ScanContext(officer: "OFC1", station: "ST1", lot: "LOT42", administeredAt: at)
        var index = 0
        while index < count {
            let end = min(index + 1000, count)
            let scans = (index..<end).map { i in
                ScanInput.ticket(
                    TicketFacts(
                        serial: serial(i), registrant: registrant(i), dose: 1, vaccine: "CORONAVAC",
                        group: "GENERAL",
                        site: "JKT01"))
            }
            _ = try await store.record(scans, context: context, rules: rules)
            index = end
        }
        return store
    }

    /// A started receiver.
    static func receiver(atomic: Bool = false, tokenLifetime: Int = 3600) async throws
        -> FHIRReceiver
    {
        let receiver = FHIRReceiver(
            clientID: clientID, clientSecret: clientSecret, tokenLifetime: tokenLifetime,
            atomic: atomic)
        try await receiver.start()
        return receiver
    }

    /// A sync against `receiver` with fast retries and the given timeout.
    static func sync(
        _ receiver: FHIRReceiver, batch: Int = 20, timeout: TimeInterval = 5,
        credentials: ClientCredentials = credentials
    ) async -> RegistrySync {
        RegistrySync(
            configuration: SyncConfiguration(
                endpoint: await receiver.baseURL(), tokenURL: await receiver.tokenURL(),
                credentials: credentials,
                batchSize: batch,
                timeout: timeout,
                retry: RetryPolicy(maxAttempts: 8, baseDelay: 0.01, maxDelay: 0.1, maxRetryAfter: 5)
            ))
    }
}

/// Collects sync events for assertions.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [String] = []

    func add(_ event: SyncEvent) {
        if case .progress = event { return }
        lock.lock()
        events.append(event.description)
        lock.unlock()
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return events
    }
}
