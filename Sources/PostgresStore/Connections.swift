import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Recording
import Synchronization

/// A small pool of PostgreSQL connections, used synchronously.
///
/// The `DoseStore` protocol is synchronous, and postgres-nio does its I/O on SwiftNIO event
/// loops. The bridge: every call goes through postgres-nio's `EventLoopFuture` API, and the
/// calling thread waits for the future (`wait()`). The I/O runs on NIO's own event-loop threads,
/// never on the caller's, so the wait cannot starve it; neither does it need a thread of Swift's
/// cooperative pool, so a caller on that pool cannot deadlock it either (it only ties up that
/// thread for the round trip). The one thread that must never wait is an event-loop thread (the
/// I/O it waits for could be scheduled on that very loop): that is checked on every call and
/// refused with an error rather than a hang.
///
/// Connections are opened on demand (a failed connection is an immediate, clear error, not a
/// retry loop), reused while healthy, and closed when the pool goes away.
final class ConnectionPool: Sendable {
    let location: PostgresLocation
    private let configuration: PostgresConnection.Configuration
    private let idle = Mutex<[PostgresConnection]>([])
    private let nextID = Atomic<Int>(1)
    private let group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    /// How many idle connections are kept for reuse.
    private static let keepIdle = 4
    static let logger = Logger(
        label: "vaxticket.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    init(location: PostgresLocation, password: String?) throws(StoreError) {
        self.location = location
        let tls: PostgresConnection.Configuration.TLS
        do {
            var settings = TLSConfiguration.makeClientConfiguration()
            switch location.tlsMode {
            case .disable:
                tls = .disable
            case .prefer:
                settings.certificateVerification = .none
                tls = .prefer(try NIOSSLContext(configuration: settings))
            case .require:
                settings.certificateVerification = .none
                tls = .require(try NIOSSLContext(configuration: settings))
            case .verifyCA:
                settings.certificateVerification = .noHostnameVerification
                tls = .require(try NIOSSLContext(configuration: settings))
            case .verifyFull:
                settings.certificateVerification = .fullVerification
                tls = .require(try NIOSSLContext(configuration: settings))
            }
        } catch {
            throw .cannotOpen(path: location.description, reason: "cannot set up TLS: \(error)")
        }
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: password,
            database: location.database,
            tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        if location.tlsMode == .verifyFull { configuration.options.tlsServerName = location.host }
        self.configuration = configuration
    }

    deinit {
        for connection in idle.withLock({ $0 }) { Self.discard(connection) }
    }

    /// Runs `body` on a pooled connection. A connection that failed at the network level is
    /// dropped rather than returned to the pool.
    func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        if MultiThreadedEventLoopGroup.currentEventLoop != nil {
            throw StoreError.postgres(
                sqlState: "",
                message:
                    "the PostgreSQL store was called on a SwiftNIO event-loop thread, where it cannot wait; call it from another thread"
            )
        }
        let connection = try idle.withLock { $0.popLast() } ?? connect()
        do {
            let value = try body(connection)
            release(connection)
            return value
        } catch let error as PSQLError where error.code == .server {
            // The server answered: the connection is fine.
            release(connection)
            throw error
        } catch {
            Self.discard(connection)
            throw error
        }
    }

    private func release(_ connection: PostgresConnection) {
        if connection.isClosed { return }
        let kept = idle.withLock { idle -> Bool in
            guard idle.count < Self.keepIdle else { return false }
            idle.append(connection)
            return true
        }
        if !kept { Self.discard(connection) }
    }

    /// Closes `connection` in the background, keeping it alive until it is closed (postgres-nio
    /// requires a connection to be closed before it is released).
    private static func discard(_ connection: PostgresConnection) {
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    private func connect() throws -> PostgresConnection {
        let id = nextID.add(1, ordering: .relaxed).oldValue
        return try PostgresConnection.connect(
            on: group.next(), configuration: configuration, id: id, logger: Self.logger
        ).wait()
    }
}

extension PostgresConnection {
    /// Runs `query` and collects its rows, waiting on the calling (non-event-loop) thread.
    @discardableResult
    func run(_ query: PostgresQuery) throws -> [PostgresRow] {
        try self.query(query, logger: ConnectionPool.logger).wait().rows
    }
}
