import ArgumentParser
import Foundation
import PostgresStore
import Recording
import TicketCodec

/// The dose database every recording command uses.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("db"),
        help: """
            The database: a SQLite file, or postgres://USER@HOST:PORT/NAME[?sslmode=require] with the password in \
            PGPASSWORD or a 0600 ~/.pgpass (default: $VAXTICKET_DB, else vaxticket.sqlite here).
            """)
    var path: String?

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

    /// Opens the store; `create` false refuses a missing SQLite file instead of creating an empty one.
    func open(create: Bool = true, timeZone: TimeZone? = nil) throws(StoreError) -> any DoseStore
        & OfficerStore
    {
        try openDoseStore(resolvedPath, create: create, timeZone: timeZone)
    }
}

/// The one place a database name becomes a store: a `postgres://` (or `postgresql://`) URL
/// opens the PostgreSQL store, anything else is a SQLite file path. Every command that takes
/// `--db` opens its store here, so each of them works with either database.
/// `timeZone` is the programme's zone the command was given; `nil` takes the one the database keeps.
func openDoseStore(_ location: String, create: Bool = true, timeZone: TimeZone? = nil)
    throws(StoreError) -> any DoseStore
    & OfficerStore
{
    if PostgresLocation.isPostgresURL(location) {
        return try PostgresDoseStore(
            location: try PostgresLocation(url: location), timeZone: timeZone)
    }
    return try SQLiteDoseStore(path: location, timeZone: timeZone, create: create)
}
