import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Recording

/// How this program talks to one PostgreSQL database: the TLS settings its URL asks for, the
/// password, and the server-side limits on waiting (`lock_timeout`, `statement_timeout`), for
/// both the client's pool and the single connection that migrates the schema first.
struct PostgresSettings: Sendable {
    let location: PostgresLocation
    let password: String?
    let tls: TLSConfiguration?
    let tlsRequired: Bool
    let startupParameters: [(String, String)]

    static let logger = Logger(
        label: "vaxticket.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// How many connections one process keeps at most.
    static let maximumConnections = 20

    init(location: PostgresLocation, password: String?, busyTimeout: TimeInterval) {
        self.location = location
        self.password = password
        var settings = TLSConfiguration.makeClientConfiguration()
        switch location.tlsMode {
        case .disable:
            tls = nil
            tlsRequired = false
        case .prefer:
            settings.certificateVerification = .none
            tls = settings
            tlsRequired = false
        case .require:
            settings.certificateVerification = .none
            tls = settings
            tlsRequired = true
        case .verifyCA:
            settings.certificateVerification = .noHostnameVerification
            tls = settings
            tlsRequired = true
        case .verifyFull:
            settings.certificateVerification = .fullVerification
            tls = settings
            tlsRequired = true
        }
        // A lock another session holds is waited for as long as a SQLite lock would be; a
        // statement may run a few times longer, then the server cancels it.
        let lockMilliseconds = max(1, Int(busyTimeout * 1000))
        startupParameters = [
            ("lock_timeout", "\(lockMilliseconds)"),
            ("statement_timeout", "\(max(lockMilliseconds * 4, 120_000))"),
        ]
    }

    /// The pool's configuration.
    var clientConfiguration: PostgresClient.Configuration {
        let clientTLS: PostgresClient.Configuration.TLS =
            switch (tls, tlsRequired) {
            case (nil, _): .disable
            case (let settings?, true): .require(settings)
            case (let settings?, false): .prefer(settings)
            }
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.user,
            password: password, database: location.database, tls: clientTLS)
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.maximumConnections = Self.maximumConnections
        configuration.options.additionalStartupParameters = startupParameters
        if location.tlsMode == .verifyFull { configuration.options.tlsServerName = location.host }
        return configuration
    }

    /// The configuration of one connection outside the pool.
    func connectionConfiguration() throws(StoreError) -> PostgresConnection.Configuration {
        let connectionTLS: PostgresConnection.Configuration.TLS
        do {
            switch (tls, tlsRequired) {
            case (nil, _): connectionTLS = .disable
            case (let settings?, true):
                connectionTLS = .require(try NIOSSLContext(configuration: settings))
            case (let settings?, false):
                connectionTLS = .prefer(try NIOSSLContext(configuration: settings))
            }
        } catch {
            throw .cannotOpen(path: location.description, reason: "cannot set up TLS: \(error)")
        }
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user,
            password: password, database: location.database, tls: connectionTLS)
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.additionalStartupParameters = startupParameters
        if location.tlsMode == .verifyFull { configuration.options.tlsServerName = location.host }
        return configuration
    }

    /// Runs `body` on a connection of its own, opened for it and closed after.
    @discardableResult
    func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws
        -> T
    {
        let connection = try await PostgresConnection.connect(
            configuration: try connectionConfiguration(), id: 0, logger: Self.logger)
        do {
            let value = try await body(connection)
            try? await connection.close()
            return value
        } catch {
            try? await connection.close()
            throw error
        }
    }
}

extension PostgresConnection {
    /// Runs `query` and collects its rows.
    @discardableResult
    func run(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await self.query(query, logger: PostgresSettings.logger).collect()
    }
}
