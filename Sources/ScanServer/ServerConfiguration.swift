public import Foundation
import TicketCodec

/// How the server listens and what it allows. Every limit has a default that holds on the open
/// internet, without a reverse proxy in front (docs/security.md lists them).
public struct ServerConfiguration: Sendable {
    /// The address to listen on; loopback by default.
    public var host: String
    /// The port; 0 picks a free one (tests).
    public var port: Int
    /// The largest request body accepted, in bytes: 413, then the connection is closed.
    public var maxBodyBytes: Int
    /// Requests a minute per officer token (429 beyond); 0 turns the limit off.
    public var rateLimitPerMinute: Int
    /// Requests an officer may make at once before the rate applies.
    public var rateLimitBurst: Int
    /// Threads reading photos and multipart forms, the CPU-bound jobs; ticket texts and the
    /// store never wait for them.
    public var workers: Int
    /// Photos and forms allowed to wait for a worker (503 with Retry-After beyond).
    public var queueLimit: Int
    /// Fields a multipart form may have; a form with more is refused part way through.
    public var maxFormParts: Int
    /// Requests with no valid token one client address may make a minute (429 beyond), and at
    /// once; a valid officer's requests never count against it.
    public var unauthenticatedPerMinute: Int
    /// Requests with no valid token one client address may make at once before the rate applies.
    public var unauthenticatedBurst: Int
    /// Connections one client address may hold open at once; more are closed at once.
    public var connectionsPerAddress: Int
    /// Seconds a connection may take to send a request's head, counted from when it opens or
    /// from the end of the previous answer (the idle time between requests included).
    public var headTimeout: TimeInterval
    /// Seconds a request body may go without a byte arriving.
    public var bodyIdleTimeout: TimeInterval
    /// Seconds a whole request body may take, however steadily it trickles in.
    public var bodyTimeout: TimeInterval
    /// Whether the server speaks TLS itself (sends Strict-Transport-Security).
    public var servesTLS: Bool
    /// Scans one upload of a phone's queue may hold.
    public var maxBatchScans: Int
    /// Days a phone's queued scan may wait before the server refuses it.
    public var queueDays: Int

    /// A configuration; the defaults suit phones on mobile networks reaching the server over
    /// the internet.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 20 * 1024 * 1024,
        rateLimitPerMinute: Int = 120,
        rateLimitBurst: Int = 20, workers: Int = ServerConfiguration.cores, queueLimit: Int = 64,
        maxFormParts: Int = 8, unauthenticatedPerMinute: Int = 60, unauthenticatedBurst: Int = 20,
        connectionsPerAddress: Int = 64, headTimeout: TimeInterval = 20,
        bodyIdleTimeout: TimeInterval = 30, bodyTimeout: TimeInterval = 300,
        servesTLS: Bool = false, maxBatchScans: Int = 100, queueDays: Int = 7
    ) {
        self.maxBatchScans = maxBatchScans
        self.queueDays = queueDays
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.rateLimitPerMinute = rateLimitPerMinute
        self.rateLimitBurst = rateLimitBurst
        self.workers = workers
        self.queueLimit = queueLimit
        self.maxFormParts = maxFormParts
        self.unauthenticatedPerMinute = unauthenticatedPerMinute
        self.unauthenticatedBurst = unauthenticatedBurst
        self.connectionsPerAddress = connectionsPerAddress
        self.headTimeout = headTimeout
        self.bodyIdleTimeout = bodyIdleTimeout
        self.bodyTimeout = bodyTimeout
        self.servesTLS = servesTLS
    }

    /// The most pixels a photo's header may claim before it is refused undecoded: a 12 MP
    /// phone photo (4032 x 3024) and a little more. Ten thousand pixels square, 120 KB as a
    /// PNG, would otherwise cost seconds and a hundred megabytes a request.
    public static let defaultMaxPixels = 12_500_000

    /// The machine's active cores.
    public static var cores: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Whether `host` is a loopback address, reachable from this machine only.
    public static func isLoopback(_ host: String) -> Bool { NetworkHost.isLoopback(host) }
}
