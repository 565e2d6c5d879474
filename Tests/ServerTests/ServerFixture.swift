import AsyncHTTPClient
import CameraSimulation
import Foundation
import Imaging
import JPEGCodec
import Logging
import NIOCore
import NIOHTTP1
import PNGCodec
import QREncoding
import Recording
import ScanServer
import TestSupport
import TicketCodec

/// A scanning server on 127.0.0.1 with an ephemeral port, over a fresh SQLite file, with two
/// officers, a roster entry and a signing key; and a real HTTP client to talk to it.
final class ServerFixture: Sendable {
    let folder: TemporaryFolder
    let store: SQLiteDoseStore
    let key: Key
    let server: ScanServer
    let port: Int
    let client: HTTPClient
    /// Officer `OFC1`'s token, and `OFC2`'s.
    let token: String
    let otherToken: String
    let logs: CapturedLogs
    private let task: Task<Void, any Error>

    static let registrantName = "Siti Rahayu"
    static let nik = "3171012345678901"

    static func start(
        _ configuration: ServerConfiguration = ServerConfiguration(port: 0, rateLimitPerMinute: 0),
        busyTimeout: TimeInterval = SQLiteDoseStore.defaultBusyTimeout,
        keyring: Keyring? = nil
    ) async throws
        -> ServerFixture
    {
        let folder = try TemporaryFolder()
        let store = try await SQLiteDoseStore(
            path: folder.path("doses.sqlite"), busyTimeout: busyTimeout)
        _ = try await store.importRoster([
            RosterEntry(
                registrant: "2108230000012345", nik: nik, name: registrantName,
                birthDate: "1980-02-03", priorityGroup: "GENERAL",
                phone: "081234567890")
        ])
        let token = try await OfficerToken.addOfficer(named: "OFC1", site: nil, to: store)
        let otherToken = try await OfficerToken.addOfficer(named: "OFC2", site: "JKT01", to: store)
        // The given keyring's newest active key signs the fixture's tickets.
        let key = try keyring?.activeKey ?? Key.generate(id: "K1")
        let verifier = TicketVerifier(keyring: keyring ?? Keyring(keys: [key]))
        let logs = CapturedLogs()
        var logger = Logger(label: "vaxticket.server.test") { _ in CapturingLogHandler(logs: logs) }
        logger.logLevel = .debug
        var configuration = configuration
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let server = ScanServer(
            configuration: configuration, verifier: verifier,
            rules: RecordingRules(policy: .default2021, vaccines: .builtIn), store: store,
            logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let task = Task { try await server.run { port in continuation.yield(port) } }
        var port = 0
        for await first in ports {
            port = first
            break
        }
        return ServerFixture(
            folder: folder, store: store, key: key, server: server, port: port, token: token,
            otherToken: otherToken, logs: logs,
            task: task)
    }

    /// Runs `body` against a fresh server, and stops it whatever happens.
    static func with(
        _ configuration: ServerConfiguration = ServerConfiguration(port: 0, rateLimitPerMinute: 0),
        busyTimeout: TimeInterval = SQLiteDoseStore.defaultBusyTimeout,
        keyring: Keyring? = nil,
        _ body: (ServerFixture) async throws -> Void
    ) async throws {
        let fixture = try await start(configuration, busyTimeout: busyTimeout, keyring: keyring)
        do {
            try await body(fixture)
        } catch {
            await fixture.stop()
            throw error
        }
        await fixture.stop()
    }

    private init(
        folder: TemporaryFolder, store: SQLiteDoseStore, key: Key, server: ScanServer, port: Int,
        token: String,
        otherToken: String,
        logs: CapturedLogs, task: Task<Void, any Error>
    ) {
        self.folder = folder
        self.store = store
        self.key = key
        self.server = server
        self.port = port
        self.token = token
        self.otherToken = otherToken
        self.logs = logs
        self.task = task
        var configuration = HTTPClient.Configuration()
        // Well under the server's 64 connections per address, so that a test's own client
        // never meets that cap: once, in a loaded suite, 72 concurrent scans over up to 64
        // connections ended in the client's pool timeout (the cause was not pinned down).
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 32
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func stop() async {
        try? await client.shutdown()
        task.cancel()
        _ = try? await task.value
        folder.remove()
    }

    var base: String { "http://127.0.0.1:\(port)" }

    /// A signed ticket text for `registrant`'s dose `dose`, valid from yesterday (in the
    /// programme's time zone) for 30 days: a queued scan claimed an hour ago stays valid at any
    /// hour, also in the hour after the programme's midnight (17:00 to 18:00 UTC in Jakarta).
    func ticketText(registrant: String = "2108230000012345", dose: Int = 1) throws -> String {
        let today = CalendarDate(Date(), in: .programmeDefault)
        let yesterday = CalendarDate(daysSince1970: today.daysSince1970 - 1)
        let ticket = Ticket(
            serial: TicketSerial.random(), registrant: registrant, dose: dose, vaccine: "CORONAVAC",
            group: .general,
            site: "JKT01",
            validFrom: yesterday,
            validUntil: CalendarDate(daysSince1970: yesterday.daysSince1970 + 29),
            keyID: key.id)
        return try TicketSigner(key: key).sign(ticket)
    }

    /// The text with one character of its signature changed: a forgery.
    static func forged(_ text: String) -> String {
        var characters = Array(text)
        let index = characters.count - 3
        characters[index] = characters[index] == "A" ? "B" : "A"
        return String(characters)
    }

    /// A phone photo of the printed ticket, as JPEG (or PNG).
    static func photo(of text: String, jpeg: Bool = true, seed: UInt64 = 7) throws -> [UInt8] {
        let code = try QRCode(encoding: text).rendered(modulePixels: 4, quietZone: 4)
        var camera = CameraSimulator(seed: seed)
        let photo = camera.photograph(
            code.grayImage, modulePixels: 4, shot: camera.handheldShot(strength: 0.3))
        return jpeg ? try JPEGEncoder().encode(photo, quality: 88) : try PNG.encode(photo)
    }

    /// A PNG holding the codes of `texts` side by side, as a photo of two tickets on a desk.
    static func photo(ofAll texts: [String]) throws -> [UInt8] {
        let codes = try texts.map {
            try QRCode(encoding: $0).rendered(modulePixels: 4, quietZone: 4).grayImage
        }
        let width = codes.map(\.width).reduce(0, +)
        let height = codes.map(\.height).max() ?? 0
        var canvas = GrayImage(width: width, height: height)
        var left = 0
        for code in codes {
            for y in 0..<code.height {
                for x in 0..<code.width { canvas.pixels[y * width + left + x] = code[x, y] }
            }
            left += code.width
        }
        return try PNG.encode(canvas)
    }

    struct Answer: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: Data

        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:]
        }
    }

    /// Sends a request; `token` nil sends none.
    func send(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String? = nil,
        token: String? = nil,
        headers: [(String, String)] = []
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await client.execute(request, timeout: .seconds(120))
        let collected = try await response.body.collect(upTo: 10 * 1024 * 1024)
        return Answer(
            status: Int(response.status.code), headers: response.headers,
            body: Data(collected.readableBytesView))
    }

    /// Posts a ticket text as officer OFC1 (or with `token`).
    func scan(text: String, token: String? = nil, query: String = "?lot=LOT42&station=PHONE1")
        async throws -> Answer
    {
        try await send(
            .POST, "/api/v1/scans" + query, body: Array(text.utf8), contentType: "text/plain",
            token: token ?? self.token)
    }
}

/// Every log line the server wrote, with its metadata, for checking what logs hold.
final class CapturedLogs: @unchecked Sendable {
    private var lines: [String] = []
    private let lock = NSLock()

    func append(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        lines.append(line)
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }
}

struct CapturingLogHandler: LogHandler {
    let logs: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        logs.append(
            "\(event.level) \(event.message) "
                + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
                    separator: " "))
    }
}
