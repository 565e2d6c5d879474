import ArgumentParser
import Batch
import FHIR
import Foundation
import Recording
import RegistrySync
import Synchronization

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract:
            "Send recorded doses to the national immunization registry (FHIR R4), exactly once.",
        discussion: """
            Waiting doses go as transaction Bundles of conditional creates keyed on the ticket serial, \
            so a resend never duplicates; a dose is marked synced only when the registry confirmed it. \
            Credentials: VAXTICKET_SYNC_CLIENT_ID and VAXTICKET_SYNC_CLIENT_SECRET, or --credentials \
            with a JSON file {"client_id", "client_secret"} of mode 0600. Both URLs must be \
            https:// (plain http:// only to this machine: localhost, 127.x.x.x or ::1, unless \
            --allow-insecure-http). Timeouts, lost connections, \
            429 and 5xx are retried with backoff (honouring Retry-After). Refused doses keep the \
            registry's reason, stripped of control characters and escape sequences, and are tried \
            again next run. --json prints one object: {"sent", \
            "alreadyThere", "refused", "heldBack", "unsent"}. Exit 0 when every waiting dose reached \
            the registry, 1 when any was refused, held back or left unsent.
            """
    )

    @Option(help: "The registry's FHIR base URL.")
    var endpoint: String

    @Option(help: "The OAuth2 token URL.")
    var tokenURL: String

    @Option(
        help:
            "A JSON file {\"client_id\", \"client_secret\"}, mode 0600, instead of the environment."
    )
    var credentials: String?

    @Option(help: "Doses per transaction Bundle (1 to 1000).")
    var batch = 100

    @Option(help: "Seconds one HTTP request may take.")
    var timeout: Double = 30

    @Option(help: "Attempts per request before the run stops.")
    var maxAttempts = RetryPolicy.standard.maxAttempts

    @Option(help: .hidden)
    var retryBaseDelay = RetryPolicy.standard.baseDelay

    @Flag(
        name: .customLong("allow-insecure-http"),
        help:
            "Allow plain http:// to a registry on another machine, secret and doses in clear text (a test registry on a trusted network only)."
    )
    var allowInsecureHTTP = false

    @Flag(help: .hidden)
    var timings = false

    @Flag(help: "Print one JSON object with the counts.")
    var json = false

    @OptionGroup var registry: RegistryOptions
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard (1...1000).contains(batch) else {
            throw ValidationError("--batch must be from 1 to 1000, got \(batch).")
        }
        guard timeout > 0, timeout <= 3600 else {
            throw ValidationError("--timeout must be more than 0 and at most 3600 seconds.")
        }
        guard (1...100).contains(maxAttempts) else {
            throw ValidationError("--max-attempts must be from 1 to 100.")
        }
        guard retryBaseDelay >= 0, retryBaseDelay <= 60 else {
            throw ValidationError("--retry-base-delay must be from 0 to 60 seconds.")
        }
    }

    func run() async throws {
        let clientCredentials: ClientCredentials
        if let credentials {
            clientCredentials = try ClientCredentials.load(path: credentials)
        } else if let fromEnvironment = try ClientCredentials.fromEnvironment(
            ProcessInfo.processInfo.environment)
        {
            clientCredentials = fromEnvironment
        } else {
            throw SyncError.credentials(
                "set \(ClientCredentials.idVariable) and \(ClientCredentials.secretVariable), or give --credentials FILE"
            )
        }
        var retry = RetryPolicy.standard
        retry.maxAttempts = maxAttempts
        retry.baseDelay = retryBaseDelay
        let sync = RegistrySync(
            configuration: SyncConfiguration(
                endpoint: endpoint, tokenURL: tokenURL, credentials: clientCredentials,
                batchSize: batch, timeout: timeout,
                retry: retry,
                mapping: try registry.mapping(), allowInsecureHTTP: allowInsecureHTTP))
        let progress = SyncProgress()
        let summary = try await database.withStore(create: false) { store in
            await sync.run(store: store) { progress.show($0) }
        }
        progress.finish()
        if json {
            printJSON(summary)
        } else {
            print(
                "sent \(summary.sent), already there \(summary.alreadyThere), refused \(summary.refused), held back \(summary.heldBack), unsent \(summary.unsent)"
            )
        }
        if let stop = summary.stoppedBy { printError("error: \(stop)") }
        if timings {
            let t = summary.timings
            printError(
                String(
                    format: "timings: database %.3f s, mapping %.3f s, json %.3f s, http %.3f s",
                    t.database, t.mapping, t.json,
                    t.http))
        }
        if !summary.isComplete { throw ExitCode.failure }
    }
}

/// Shows sync events on stderr: a progress bar on a terminal, and one line per refusal,
/// held-back dose or retry (never a NIK or a token).
private final class SyncProgress: Sendable {
    private let bar = Mutex<(bar: ProgressBar?, shown: Int)>((nil, 0))

    func show(_ event: SyncEvent) {
        switch event {
        case .progress(let done, let total):
            bar.withLock { state in
                if state.bar == nil { state.bar = ProgressBar(total: total, label: "sync") }
                if done > state.shown { state.bar?.advance(by: done - state.shown) }
                state.shown = max(state.shown, done)
            }
        default:
            printError(event.description)
        }
    }

    func finish() {
        bar.withLock { $0.bar?.finish() }
    }
}
