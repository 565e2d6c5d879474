/// Why the dose store could not do what was asked.
public enum StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The database file could not be opened or created (missing folder, no permission).
    case cannotOpen(path: String, reason: String)
    /// The file exists but is not a SQLite database, or it is damaged.
    case notADatabase(path: String)
    /// Other writers kept the database locked for longer than the store is willing to wait.
    case busy(path: String)
    /// The database file or its folder is read-only.
    case readOnly(path: String)
    /// The database was written by a newer VaxTicket whose migrations this one does not know.
    case newerSchema(path: String, unknownMigrations: [String])
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
        case .readOnly: "db_read_only"
        case .newerSchema: "db_newer_schema"
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
            "the database \(path) stayed locked by other processes; nothing of this batch was written, run it again"
        case .readOnly(let path):
            "the database \(path) is read-only"
        case .newerSchema(let path, let unknown):
            "the database \(path) was written by a newer vaxticket (unknown migrations: \(unknown.joined(separator: ", ")))"
        case .sqlite(let code, let message):
            "SQLite error \(code): \(message)"
        case .postgres(let sqlState, let message):
            "PostgreSQL error \(sqlState): \(message)"
        case .mergeIntoItself(let path):
            "\(path) is the database being merged into; merge a station's own file"
        }
    }
}
