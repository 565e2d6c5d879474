import ArgumentParser
import Foundation
import Recording
import TicketCodec

/// The dose database every recording command uses.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("db"), help: "The SQLite database file (default: $VAXTICKET_DB, else vaxticket.sqlite here).")
    var path: String?

    /// The database path: `--db`, then `VAXTICKET_DB`, then `vaxticket.sqlite` in the working folder.
    var resolvedPath: String {
        if let path { return path }
        if let environment = ProcessInfo.processInfo.environment["VAXTICKET_DB"], !environment.isEmpty { return environment }
        return "vaxticket.sqlite"
    }

    /// Opens the store; `create` false refuses a missing file instead of creating an empty one.
    func open(create: Bool = true, timeZone: TimeZone = .programmeDefault) throws(StoreError) -> SQLiteDoseStore {
        try SQLiteDoseStore(path: resolvedPath, timeZone: timeZone, create: create)
    }
}
