public import FHIR
public import Foundation
public import Recording
import TicketCodec

/// What the sync tells its front end while it runs.
public enum SyncEvent: Sendable, CustomStringConvertible {
    /// `done` of `total` waiting doses are handled.
    case progress(done: Int, total: Int)
    /// A dose was held back and not sent.
    case heldBack(HeldBackDose)
    /// The registry refused a dose; the text is stored and the dose retried next run.
    case refused(serial: String, reason: String)
    /// A request failed transiently and is tried again after `delay` seconds.
    case retrying(problem: String, delay: TimeInterval)
    /// The registry refused the token; a new one was fetched.
    case tokenRenewed

    public var description: String {
        switch self {
        case .progress(let done, let total): "\(done)/\(total) doses"
        case .heldBack(let dose): "held back \(dose.serial): \(dose.reason)"
        case .refused(let serial, let reason): "refused \(serial): \(Redaction.maskingNIKs(reason))"
        case .retrying(let problem, let delay):
            "retrying in \(String(format: "%.1f", delay)) s: \(problem)"
        case .tokenRenewed: "the registry refused the access token; fetched a new one"
        }
    }
}

/// Keeps personal numbers out of logs.
public enum Redaction {
    /// `text` with every run of 16 digits (a NIK) replaced by `****************`.
    public static func maskingNIKs(_ text: String) -> String {
        var out = ""
        var digits = ""
        func flush() {
            out += digits.count == 16 ? String(repeating: "*", count: 16) : digits
            digits = ""
        }
        for character in text {
            if character.isASCII && character.isNumber {
                digits.append(character)
            } else {
                flush()
                out.append(character)
            }
        }
        flush()
        return out
    }
}

/// What a sync run did. Encoded for `--json` as `{"sent", "alreadyThere", "refused", "heldBack", "unsent"}`.
public struct SyncSummary: Codable, Hashable, Sendable {
    /// Doses the registry created in this run.
    public var sent = 0
    /// Doses the registry already had (sent earlier, answer lost); now marked synced.
    public var alreadyThere = 0
    /// Doses the registry refused; their reasons are stored and they are retried next run.
    public var refused = 0
    /// Doses not sent because a required fact is missing (no NIK, unknown vaccine).
    public var heldBack = 0
    /// Doses left waiting because the registry could not be reached or gave no usable answer.
    public var unsent = 0
    /// Why the run stopped early, if it did.
    public var stoppedBy: SyncError?
    /// Seconds spent per stage.
    public var timings = SyncTimings()

    /// An empty summary.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case sent, alreadyThere, refused, heldBack, unsent
    }

    /// Whether everything waiting reached the registry: nothing refused, held back or unsent.
    public var isComplete: Bool { refused == 0 && heldBack == 0 && unsent == 0 && stoppedBy == nil }
}

/// Seconds spent per stage of a sync, for `scripts/bench`.
public struct SyncTimings: Hashable, Sendable {
    /// Reading pages of doses and writing their new state.
    public var database: TimeInterval = 0
    /// Building `Immunization` resources and bundles.
    public var mapping: TimeInterval = 0
    /// Encoding bundles and decoding answers.
    public var json: TimeInterval = 0
    /// Waiting for the registry (token included), retries and backoff included.
    public var http: TimeInterval = 0

    /// No time yet.
    public init() {}
}

/// Where and how to sync.
public struct SyncConfiguration: Sendable {
    /// The registry's FHIR base URL; transaction bundles are POSTed to it.
    public var endpoint: String
    /// The OAuth2 token URL.
    public var tokenURL: String
    /// The client credentials.
    public var credentials: ClientCredentials
    /// Doses per transaction bundle.
    public var batchSize: Int
    /// The limit for one HTTP request, in seconds.
    public var timeout: TimeInterval
    /// When to retry.
    public var retry: RetryPolicy
    /// The mapping from doses to resources.
    public var mapping: ImmunizationMapping
    /// Whether plain `http://` URLs to other machines are allowed; off by default, since the
    /// client secret, the token and the doses would cross the network in clear text.
    public var allowInsecureHTTP: Bool

    /// A configuration; `batchSize` 100 and a 30 s timeout by default.
    public init(
        endpoint: String, tokenURL: String, credentials: ClientCredentials, batchSize: Int = 100,
        timeout: TimeInterval = 30,
        retry: RetryPolicy = .standard, mapping: ImmunizationMapping = ImmunizationMapping(),
        allowInsecureHTTP: Bool = false
    ) {
        self.endpoint = endpoint
        self.tokenURL = tokenURL
        self.credentials = credentials
        self.batchSize = batchSize
        self.timeout = timeout
        self.retry = retry
        self.mapping = mapping
        self.allowInsecureHTTP = allowInsecureHTTP
    }

    /// Checks both URLs: each must be `https://`, or `http://` to this machine's loopback
    /// (``NetworkHost/isLoopback(_:)``: a registry on the same machine, as in tests), or
    /// `http://` anywhere when ``allowInsecureHTTP`` says so.
    public func checkURLs() throws(SyncError) {
        for url in [endpoint, tokenURL] {
            guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
                scheme == "http" || scheme == "https", let host = parsed.host, !host.isEmpty
            else {
                throw .badURL(url)
            }
            if scheme == "http", !allowInsecureHTTP, !NetworkHost.isLoopback(host) {
                throw .insecureURL(url)
            }
        }
    }
}

/// Sends every waiting dose to the registry exactly once.
///
/// Each page of waiting doses becomes a transaction `Bundle` of conditional creates keyed on the
/// ticket serial. A dose is marked synced only after the registry answered 201 (created) or 200
/// (it already had one with that serial) for its entry; anything less leaves it waiting, and the
/// conditional create makes the resend harmless.
public struct RegistrySync: Sendable {
    /// Where and how.
    public var configuration: SyncConfiguration

    /// A sync with its configuration.
    public init(configuration: SyncConfiguration) {
        self.configuration = configuration
    }

    /// Runs once through the doses waiting in `store`, reporting as it goes.
    public func run(
        store: any RegistryOutbox, report: @escaping @Sendable (SyncEvent) -> Void = { _ in }
    ) async -> SyncSummary {
        var summary = SyncSummary()
        do {
            try configuration.checkURLs()
        } catch {
            summary.stoppedBy = error
            return summary
        }
        let total: Int
        do {
            total = try await store.syncCounts(from: nil, to: nil).waiting
        } catch {
            summary.stoppedBy = .store(error)
            return summary
        }
        let client = RegistryClient(
            endpoint: configuration.endpoint, tokenURL: configuration.tokenURL,
            credentials: configuration.credentials,
            timeout: configuration.timeout, retry: configuration.retry, report: report)
        var run = Run(
            configuration: configuration, store: store, client: client, report: report, total: total
        )
        await run.all()
        await client.shutdown()
        return run.summary
    }
}

/// The state of one run.
private struct Run {
    let configuration: SyncConfiguration
    let store: any RegistryOutbox
    let client: RegistryClient
    let report: @Sendable (SyncEvent) -> Void
    let total: Int
    var summary = SyncSummary()
    var done = 0
    let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    init(
        configuration: SyncConfiguration, store: any RegistryOutbox, client: RegistryClient,
        report: @escaping @Sendable (SyncEvent) -> Void, total: Int
    ) {
        self.configuration = configuration
        self.store = store
        self.client = client
        self.report = report
        self.total = total
    }

    mutating func all() async {
        var after: Int64?
        let batchSize = max(configuration.batchSize, 1)
        while summary.stoppedBy == nil {
            let clock = Date()
            let page: [RegistryDose]
            do {
                page = try await store.registryDoses(
                    RegistryDoseQuery(unsyncedOnly: true, after: after, limit: batchSize))
            } catch {
                summary.stoppedBy = .store(error)
                break
            }
            summary.timings.database += Date().timeIntervalSince(clock)
            guard let last = page.last else { break }
            after = last.id
            await send(page)
        }
        if summary.stoppedBy != nil {
            // What this run did not get to still waits; count it so the exit code tells.
            summary.unsent += max(total - done, 0)
        }
    }

    private mutating func send(_ page: [RegistryDose]) async {
        let clock = Date()
        var ready: [(serial: String, resource: Immunization)] = []
        for dose in page {
            do {
                ready.append(
                    (dose.record.serial, try configuration.mapping.immunization(for: dose)))
            } catch {
                let held = HeldBackDose(serial: dose.record.serial, reason: error)
                summary.heldBack += 1
                report(.heldBack(held))
                advance(1)
            }
        }
        summary.timings.mapping += Date().timeIntervalSince(clock)
        if !ready.isEmpty { await sendBundle(ready) }
    }

    /// Sends one bundle; a bundle the registry refused as a whole is split into single entries
    /// so that each refusal is told apart.
    private mutating func sendBundle(_ entries: [(serial: String, resource: Immunization)]) async {
        var clock = Date()
        let bundle = configuration.mapping.transaction(entries.map(\.resource))
        summary.timings.mapping += Date().timeIntervalSince(clock)
        clock = Date()
        let body: Data
        do {
            body = try encoder.encode(bundle)
        } catch {
            summary.unsent += entries.count
            advance(entries.count)
            return
        }
        summary.timings.json += Date().timeIntervalSince(clock)
        clock = Date()
        let answer: RegistryAnswer
        do {
            answer = try await client.post(body)
        } catch {
            summary.timings.http += Date().timeIntervalSince(clock)
            summary.unsent += entries.count
            advance(entries.count)
            summary.stoppedBy = error
            return
        }
        summary.timings.http += Date().timeIntervalSince(clock)
        clock = Date()
        let serials = entries.map(\.serial)
        switch answer.status {
        case 200...299:
            let results = Self.entryResults(answer.body, count: entries.count)
            summary.timings.json += Date().timeIntervalSince(clock)
            await settle(serials, results)
        case 400...499:
            // A 4xx other than 401, 403 and 429: the whole bundle was refused.
            if entries.count > 1 {
                for entry in entries {
                    await sendBundle([entry])
                    if summary.stoppedBy != nil { return }
                }
                return
            }
            let outcome = try? JSONDecoder().decode(OperationOutcome.self, from: answer.body)
            summary.timings.json += Date().timeIntervalSince(clock)
            await settle(
                serials,
                [
                    .refused(
                        Self.refusal(status: answer.status, outcome?.text ?? "no OperationOutcome"))
                ])
        default:
            // A redirect or another answer that confirms nothing: the doses wait for the next run.
            await settle(serials, Array(repeating: .unconfirmed, count: serials.count))
        }
    }

    /// What the registry said about each entry of a bundle.
    enum EntryResult: Equatable {
        case created
        case existed
        case refused(String)
        case unconfirmed
    }

    /// A refusal's text as printed and stored: the registry's own words, which may hold
    /// anything (escape sequences, `\r`, bidirectional overrides), sanitized by
    /// ``FreeText/sanitized(_:limit:)`` so they can neither rewrite the operator's terminal nor
    /// put them into the `sync_refusal` column.
    static func refusal(status: Int, _ registryText: String) -> String {
        "HTTP \(status): \(FreeText.sanitized(registryText))"
    }

    static func entryResults(_ body: Data, count: Int) -> [EntryResult] {
        guard let bundle = try? JSONDecoder().decode(FHIRBundle<ResourceHeader>.self, from: body),
            bundle.type == .transactionResponse || bundle.type == .batchResponse,
            let entries = bundle.entry, entries.count == count
        else {
            return Array(repeating: .unconfirmed, count: count)
        }
        return entries.map { entry in
            guard let response = entry.response, let status = response.statusCode else {
                return .unconfirmed
            }
            switch status {
            case 201: return .created
            case 200...299: return .existed
            case 400...499:
                return .refused(
                    refusal(status: status, response.outcome?.text ?? response.status))
            default: return .unconfirmed
            }
        }
    }

    private mutating func settle(_ serials: [String], _ results: [EntryResult]) async {
        var synced: [String] = []
        var refusals: [String: String] = [:]
        for (serial, result) in zip(serials, results) {
            switch result {
            case .created:
                summary.sent += 1
                synced.append(serial)
            case .existed:
                summary.alreadyThere += 1
                synced.append(serial)
            case .refused(let reason):
                summary.refused += 1
                refusals[serial] = reason
                report(.refused(serial: serial, reason: reason))
            case .unconfirmed:
                summary.unsent += 1
            }
        }
        let clock = Date()
        do {
            try await store.markSynced(serials: synced)
            try await store.recordSyncRefusals(refusals)
        } catch {
            summary.stoppedBy = .store(error)
        }
        summary.timings.database += Date().timeIntervalSince(clock)
        advance(serials.count)
    }

    private mutating func advance(_ count: Int) {
        done += count
        report(.progress(done: done, total: total))
    }
}
