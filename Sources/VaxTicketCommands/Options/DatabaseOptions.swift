import ArgumentParser
import Foundation
import PostgresStore
import Recording
import ServiceLifecycle
import TicketCodec

/// The dose database every recording command uses, and how long it waits for a lock.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("db"),
        help: """
            The database: a SQLite file, or postgres://USER@HOST:PORT/NAME[?sslmode=MODE&sslrootcert=FILE] \
            (TLS with a verified certificate unless HOST is this machine) with the password in \
            PGPASSWORD or a 0600 ~/.pgpass (default: $VAXTICKET_DB, else vaxticket.sqlite here).
            """)
    var path: String?

    @Option(
        name: .customLong("busy-timeout"),
        help: """
            Seconds to wait for a lock another program holds on the database (an open transaction \
            in the sqlite3 shell or psql, a hung process) before giving up with nothing written.
            """)
    var busyTimeout: Double = SQLiteDoseStore.defaultBusyTimeout

    func validate() throws {
        guard busyTimeout > 0, busyTimeout <= 3600 else {
            throw ValidationError("--busy-timeout must be more than 0 and at most 3600 seconds.")
        }
    }

    /// The database: `--db`, then `VAXTICKET_DB`, then `vaxticket.sqlite` in the working folder.
    var resolvedPath: String {
        if let path { return path }
        if let environment = ProcessInfo.processInfo.environment["VAXTICKET_DB"],
            !environment.isEmpty
        {
            return environment
        }
        return "vaxticket.sqlite"
    }

    /// Opens the store; `create` false refuses a missing SQLite file instead of creating an
    /// empty one; `timeZone` is the programme's zone the command was given (`nil` takes the one
    /// the database keeps). The services (PostgreSQL's connection pool) must run while the
    /// store is used: the server runs them in its service group, ``withStore(create:timeZone:_:)``
    /// beside its body.
    func open(create: Bool = true, timeZone: TimeZone? = nil) async throws
        -> (store: any DoseStore, services: [any Service])
    {
        let location = resolvedPath
        if PostgresLocation.isPostgresURL(location) {
            let store = try await PostgresDoseStore(
                location: try PostgresLocation(url: location), timeZone: timeZone,
                busyTimeout: busyTimeout)
            return (store, [store])
        }
        let store = try await SQLiteDoseStore(
            path: location, timeZone: timeZone, create: create, busyTimeout: busyTimeout)
        return (store, [])
    }

    /// Opens the store and runs `body` with it, its services running beside, stopped after.
    func withStore<T: Sendable>(
        create: Bool = true, timeZone: TimeZone? = nil,
        _ body: (any DoseStore) async throws -> T
    ) async throws -> T {
        let (store, services) = try await open(create: create, timeZone: timeZone)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for service in services { group.addTask { try await service.run() } }
            defer { group.cancelAll() }
            return try await body(store)
        }
    }
}
