public import Foundation
import TicketCodec

/// Why the dose store could not do what was asked.
public enum StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The database file could not be opened or created (missing folder, no permission).
    case cannotOpen(path: String, reason: String)
    /// The file exists but is not a SQLite database, or it is damaged.
    case notADatabase(path: String)
    /// The server was too busy to take the work (too many connections, or writers that kept
    /// deadlocking); nothing was written, and trying again later may succeed.
    case busy(path: String)
    /// Another program held a lock the work needed for longer than the store waits
    /// (`--busy-timeout`); nothing was written.
    case locked(path: String, lock: String, seconds: Int)
    /// The database file or its folder is read-only.
    case readOnly(path: String)
    /// The database was written by a newer VaxTicket whose migrations this one does not know.
    case newerSchema(path: String, unknownMigrations: [String])
    /// A stored row holds a value this program cannot read (e.g. a timestamp that is not one),
    /// left by a damaged file or an edit outside VaxTicket; nothing was written.
    case damagedRow(path: String, detail: String)
    /// The file is some other program's SQLite database; nothing in it was changed.
    case foreignDatabase(path: String)
    /// The database keeps another programme time zone than the one given.
    case timeZoneMismatch(path: String, stored: String, given: String)
    /// The claimed administration time lies in the future beyond the allowed clock skew.
    case administeredInFuture(claimed: Date, now: Date)
    /// Any other SQLite error, with SQLite's code and message.
    case sqlite(code: Int32, message: String)
    /// Any other PostgreSQL error, with the server's SQLSTATE code and message.
    case postgres(sqlState: String, message: String)
    /// A station database was to be merged into itself.
    case mergeIntoItself(path: String)

    /// A stable machine code for scripts.
    public var code: String {
        switch self {
        case .cannotOpen: "db_cannot_open"
        case .notADatabase: "db_not_a_database"
        case .busy: "db_busy"
        case .locked: "db_locked"
        case .readOnly: "db_read_only"
        case .newerSchema: "db_newer_schema"
        case .damagedRow: "db_damaged_row"
        case .foreignDatabase: "db_foreign"
        case .timeZoneMismatch: "db_time_zone_mismatch"
        case .administeredInFuture: "at_in_future"
        case .sqlite: "db_error"
        case .postgres: "db_error"
        case .mergeIntoItself: "db_merge_into_itself"
        }
    }

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            "cannot open the database \(path): \(reason)"
        case .notADatabase(let path):
            "\(path) is not a VaxTicket database (not SQLite, or damaged)"
        case .busy(let path):
            "the database \(path) is too busy; nothing of this batch was written, run it again"
        case .locked(let path, let lock, let seconds):
            "the database \(path) stayed locked: \(lock) was held by another program for more than \(seconds) s (an open transaction in the sqlite3 shell or psql, or a hung process); nothing of this batch was written (wait longer with --busy-timeout SECONDS)"
        case .readOnly(let path):
            "the database \(path) is read-only"
        case .newerSchema(let path, let unknown):
            "the database \(path) was written by a newer vaxticket (unknown migrations: \(unknown.joined(separator: ", ")))"
        case .damagedRow(let path, let detail):
            "the database \(path) holds a row that cannot be read (\(detail)); nothing of this batch was written"
        case .foreignDatabase(let path):
            "\(path) is a SQLite database of another program, not VaxTicket's; it was left unchanged"
        case .timeZoneMismatch(let path, let stored, let given):
            "the database \(path) keeps the programme time zone \(stored), but \(given) was given; local days would not match (pass --time-zone \(stored))"
        case .administeredInFuture(let claimed, let now):
            "the administration time \(claimed.formatted(.iso8601)) lies in the future (this station's clock says \(now.formatted(.iso8601))); nothing was recorded"
        case .sqlite(let code, let message):
            "SQLite error \(code): \(message)"
        case .postgres(let sqlState, let message):
            "PostgreSQL error \(sqlState): \(message)"
        case .mergeIntoItself(let path):
            "\(path) is the database being merged into; merge a station's own file"
        }
    }
}

extension StoreError {
    /// `text` cut and escaped for quoting in a message (see ``FreeText/excerpt(_:)``).
    public static func excerpt(_ text: String) -> String { FreeText.excerpt(text) }
}
