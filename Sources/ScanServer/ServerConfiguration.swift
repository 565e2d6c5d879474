import Foundation

/// How the server listens and what it allows.
public struct ServerConfiguration: Sendable {
    /// The address to listen on; loopback by default, TLS comes from a reverse proxy.
    public var host: String
    /// The port; 0 picks a free one (tests).
    public var port: Int
    /// The largest request body accepted, in bytes (413 beyond).
    public var maxBodyBytes: Int
    /// Requests a minute per officer token (429 beyond); 0 turns the limit off.
    public var rateLimitPerMinute: Int
    /// Requests an officer may make at once before the rate applies.
    public var rateLimitBurst: Int
    /// Threads reading photos, the one CPU-bound job; ticket texts and the store never wait
    /// for them.
    public var workers: Int
    /// Photos allowed to wait for a worker (503 with Retry-After beyond).
    public var queueLimit: Int

    /// A configuration; the defaults suit one server behind a reverse proxy.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 20 * 1024 * 1024,
        rateLimitPerMinute: Int = 120,
        rateLimitBurst: Int = 20, workers: Int = ServerConfiguration.cores, queueLimit: Int = 64
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.rateLimitPerMinute = rateLimitPerMinute
        self.rateLimitBurst = rateLimitBurst
        self.workers = workers
        self.queueLimit = queueLimit
    }

    /// The machine's active cores.
    public static var cores: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}
