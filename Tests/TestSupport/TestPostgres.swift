import Foundation
public import PostgresStore

/// The PostgreSQL server the tests may use: `VAXTICKET_TEST_POSTGRES_URL` (scripts/test starts a
/// throwaway cluster and sets it), with its password in `PGPASSWORD` or `~/.pgpass`. Tests on
/// PostgreSQL run only when it is set; each gets a database of its own on that server.
public enum TestPostgres {
    /// The server's URL, when set.
    public static var url: String? {
        guard let url = ProcessInfo.processInfo.environment["VAXTICKET_TEST_POSTGRES_URL"],
            !url.isEmpty
        else { return nil }
        return url
    }

    /// Whether PostgreSQL tests run.
    public static var isAvailable: Bool { url != nil }

    /// Whether the test server offers TLS (scripts/pg-cluster turns it on when openssl is there).
    public static var offersTLS: Bool {
        ProcessInfo.processInfo.environment["VAXTICKET_TEST_POSTGRES_TLS"] == "on"
    }

    /// The test server's self-signed certificate (CN=localhost), to trust with `sslrootcert`
    /// (scripts/pg-cluster sets `VAXTICKET_TEST_POSTGRES_ROOTCERT`).
    public static var rootCertificate: String? {
        guard let path = ProcessInfo.processInfo.environment["VAXTICKET_TEST_POSTGRES_ROOTCERT"],
            !path.isEmpty
        else { return nil }
        return path
    }

    /// The store on the database `url` names, its connection pool running until `folder` is
    /// removed.
    public static func store(_ url: String, until folder: TemporaryFolder) async throws
        -> PostgresDoseStore
    {
        let store = try await PostgresDoseStore(url: url)
        folder.runUntilRemoved { await store.run() }
        return store
    }

    /// The URL of a new, empty database on the test server.
    public static func freshDatabase() async throws -> String {
        guard let url else { throw TestPostgresError.notConfigured }
        let server = try PostgresLocation(url: url)
        let name = "vt_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        return try await PostgresDoseStore.createDatabase(name, on: server).description
    }
}

/// Why a PostgreSQL test database could not be made.
public enum TestPostgresError: Error, CustomStringConvertible {
    /// `VAXTICKET_TEST_POSTGRES_URL` is not set.
    case notConfigured

    public var description: String { "VAXTICKET_TEST_POSTGRES_URL is not set" }
}
