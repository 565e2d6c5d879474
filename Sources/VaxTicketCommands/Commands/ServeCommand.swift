import ArgumentParser
import Dispatch
import Foundation
import Imaging
import Logging
import PhotoReader
import Recording
import ScanServer
import TicketCodec

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract:
            "Run the scanning server: the HTTP API phones scan with, and the phone page at /.",
        discussion: """
            Officers open the server's address on their phones (https:// with --tls-cert and \
            --tls-key, or behind a reverse proxy that speaks TLS), sign in with the token from \
            `vaxticket officers add`, and scan; the keyring never leaves this machine. The page \
            keeps working without signal: it checks Ed25519 (VT2) tickets itself, queues every \
            scan and uploads the queue when the signal returns (docs/phone-page.md). The API \
            (docs/openapi.yaml): POST /api/v1/scans?lot=LOT&station=ID with a JPEG or PNG photo, a \
            ticket text (text/plain) or a multipart form (photo, lot, station), answered with the \
            same JSON object as `record --json`; POST /api/v1/scans/batch, a phone's queue; \
            GET /api/v1/offline-bundle, the public keys and rules a phone decides with; \
            GET /api/v1/stats, the `stats --json` object; GET /healthz. Every /api call needs Authorization: Bearer TOKEN. It listens on \
            loopback by default; on any other address without --tls-cert it warns, since tokens \
            would cross the network in clear text (docs/deployment.md, docs/security.md). \
            Logs go to standard error, one line per request, never a token, key or NIK. \
            SIGTERM or SIGINT stops it after the requests in flight.
            """
    )

    @Option(help: "The address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "The port to listen on (0: any free port, printed at start).")
    var port: Int = 8080

    @Option(
        name: .customLong("max-body-mb"),
        help: "The largest request body accepted, in MB (413 beyond).")
    var maxBodyMB: Int = 20

    @Option(
        name: .customLong("rate-limit"),
        help: "Requests a minute per officer token (429 beyond; 0: no limit).")
    var rateLimit: Int = 120

    @Option(help: "Requests an officer may send at once before --rate-limit applies.")
    var burst: Int = 20

    @Option(
        name: .customLong("tls-cert"),
        help: "A PEM certificate chain: serve HTTPS with it and --tls-key.")
    var tlsCertificate: String?

    @Option(
        name: .customLong("tls-key"),
        help: "The PEM private key of --tls-cert (mode 0600).")
    var tlsKey: String?

    @Option(
        name: .customLong("connections-per-address"),
        help: "Connections one client address may hold open at once (more are closed).")
    var connectionsPerAddress: Int = 64

    @Option(
        name: .customLong("queue-days"),
        help: "Days a phone's queued scan may wait before the server refuses it as too old.")
    var queueDays: Int = 7

    @Option(help: "Threads reading photos (default: all cores).")
    var workers: Int?

    @Option(help: "Photos that may wait for a worker (503 with Retry-After beyond).")
    var queue: Int = 64

    @OptionGroup var policy: PolicyOptions
    @OptionGroup var photos: PhotoOptions
    @OptionGroup var timeZone: TimeZoneOptions

    @Option(
        name: .customLong("log-level"),
        help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var keyring: KeyringOptions

    func validate() throws {
        guard (0...65535).contains(port) else {
            throw ValidationError("--port must be 0 to 65535.")
        }
        if (tlsCertificate == nil) != (tlsKey == nil) {
            throw ValidationError("--tls-cert and --tls-key go together.")
        }
        guard (1...100_000).contains(connectionsPerAddress) else {
            throw ValidationError("--connections-per-address must be 1 to 100000.")
        }
        guard (1...366).contains(queueDays) else {
            throw ValidationError("--queue-days must be 1 to 366.")
        }
        guard (1...1024).contains(maxBodyMB) else {
            throw ValidationError("--max-body-mb must be 1 to 1024.")
        }
        guard rateLimit >= 0 else { throw ValidationError("--rate-limit must be 0 or more.") }
        guard burst >= 1 else { throw ValidationError("--burst must be at least 1.") }
        if let workers, !(1...256).contains(workers) {
            throw ValidationError("--workers must be 1 to 256.")
        }
        guard (0...100_000).contains(queue) else {
            throw ValidationError("--queue must be 0 to 100000.")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("Unknown --log-level '\(logLevel)'.")
        }
    }

    func run() async throws {
        let zone = timeZone.zone
        let verifier = try keyring.verifier(timeZone: zone)
        let rules = try policy.rules(vaccines: verifier.vaccines)
        let (store, services) = try await database.open(timeZone: zone)
        var logger = Logger(
            label: "vaxticket.server", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let tls = try tlsCertificate.map { certificate in
            try ServerTLS.configuration(certificateChain: certificate, privateKey: tlsKey ?? "")
        }
        if tls == nil, !ServerConfiguration.isLoopback(host) {
            printError(
                "warning: serving plain HTTP on \(host): officer tokens and every scan cross the network in clear text; give --tls-cert and --tls-key, or put a TLS proxy in front"
            )
        }
        let configuration = ServerConfiguration(
            host: host, port: port, maxBodyBytes: maxBodyMB * 1024 * 1024,
            rateLimitPerMinute: rateLimit, rateLimitBurst: burst,
            workers: workers ?? ServerConfiguration.cores, queueLimit: queue,
            connectionsPerAddress: connectionsPerAddress, queueDays: queueDays)
        let server = ScanServer(
            configuration: configuration, verifier: verifier, rules: rules, store: store,
            readerOptions: photos.readerOptions(defaultMaxPixels: PhotoOptions.serverMaxPixels),
            services: services, tls: tls, logger: logger)
        let host = host, scheme = tls == nil ? "http" : "https"
        try await server.runUntilSignalled { port in
            // Written straight to the file descriptor, unbuffered: scripts wait for this line.
            FileHandle.standardOutput.write(
                Data("listening on \(scheme)://\(host):\(port)/\n".utf8))
        }
    }
}
