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

    /// The settings for `location`; throws when its `sslrootcert` file cannot be read.
    init(location: PostgresLocation, password: String?, busyTimeout: TimeInterval)
        throws(StoreError)
    {
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
            // With a password to send, a server that offers no TLS is refused instead of being
            // sent the password in clear text (libpq would send it). Without one, plain text
            // carries nothing secret that TLS without a checked certificate would protect.
            tlsRequired = password != nil
        case .require:
            settings.certificateVerification = .none
            tls = settings
            tlsRequired = true
        case .verifyCA:
            settings.certificateVerification = .noHostnameVerification
            settings.trustRoots = try Self.trustRoots(location)
            tls = settings
            tlsRequired = true
        case .verifyFull:
            // The name checked is the URL's host: a name against the certificate's DNS names,
            // an IP address against its IP addresses (postgres-nio sends SNI only for names).
            settings.certificateVerification = .fullVerification
            settings.trustRoots = try Self.trustRoots(location)
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

    /// The authorities `location` trusts: the certificates of its `sslrootcert` file, else the
    /// system's trust store.
    private static func trustRoots(_ location: PostgresLocation) throws(StoreError)
        -> NIOSSLTrustRoots
    {
        guard let file = location.rootCertificates else { return .default }
        guard FileManager.default.isReadableFile(atPath: file) else {
            throw .cannotOpen(
                path: location.description,
                reason: "cannot read the sslrootcert file \(file): no such file or no permission")
        }
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(file)
        } catch {
            throw .cannotOpen(
                path: location.description,
                reason: "the sslrootcert file \(file) holds no PEM certificate (\(error))")
        }
        guard !certificates.isEmpty else {
            throw .cannotOpen(
                path: location.description,
                reason: "the sslrootcert file \(file) holds no PEM certificate")
        }
        return .certificates(certificates)
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
