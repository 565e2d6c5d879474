public import Foundation
import PostgresNIO
public import Recording

extension PostgresDoseStore {
    /// Creates the empty database `name` on the server `location` points at, connecting to
    /// `location`'s own database to do so, and returns the location of the new one. For set-up
    /// scripts and tests; the user needs the CREATEDB privilege.
    public static func createDatabase(
        _ name: String, on location: PostgresLocation,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        home: String = NSHomeDirectory()
    ) async throws(StoreError) -> PostgresLocation {
        guard name.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
            throw .cannotOpen(
                path: name,
                reason: "a database name must be lowercase letters, digits and _ (at most 63)")
        }
        let settings = try PostgresSettings(
            location: location,
            password: try location.password(environment: environment, home: home),
            busyTimeout: SQLiteDoseStore.defaultBusyTimeout)
        do {
            // CREATE DATABASE cannot run in a transaction; `name` was checked above.
            try await settings.withConnection { connection in
                try await connection.run("CREATE DATABASE \(unescaped: name)")
            }
        } catch {
            throw map(error, location: location, busyTimeout: SQLiteDoseStore.defaultBusyTimeout)
        }
        var created = location
        created.database = name
        return created
    }

    /// Runs one SQL statement outside the store's own queries, in its own transaction, and
    /// returns its rows' first columns as text. For tests that check what the database itself
    /// refuses.
    package func execute(_ sql: String) async throws(StoreError) -> [String?] {
        try await transaction { connection in
            try await connection.run(PostgresQuery(unsafeSQL: sql)).map { row in
                try row.decode(String?.self)
            }
        }
    }
}
