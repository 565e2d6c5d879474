public import TicketCodec

/// A dose as the registry sync and the exports see it: the record, its registrant from the
/// roster, and the registry's last refusal.
public struct RegistryDose: Hashable, Sendable {
    /// The store's row number; pages of doses are read in this order.
    public var id: Int64
    /// The dose record.
    public var record: DoseRecord
    /// The registrant's roster entry, with the NIK; `nil` when the roster does not know them.
    public var registrant: RosterEntry?
    /// The registry's explanation the last time it refused this dose, or `nil`.
    public var lastRefusal: String?

    /// A registry dose with every field given.
    public init(id: Int64, record: DoseRecord, registrant: RosterEntry?, lastRefusal: String?) {
        self.id = id
        self.record = record
        self.registrant = registrant
        self.lastRefusal = lastRefusal
    }
}

/// Which doses to read for the registry, one page at a time.
public struct RegistryDoseQuery: Hashable, Sendable {
    /// Only doses not yet synced.
    public var unsyncedOnly: Bool
    /// The first local day, or `nil` for every day.
    public var since: CalendarDate?
    /// Only doses after this row number; `nil` starts at the beginning.
    public var after: Int64?
    /// At most this many doses.
    public var limit: Int

    /// A query with every field given.
    public init(unsyncedOnly: Bool, since: CalendarDate? = nil, after: Int64? = nil, limit: Int) {
        self.unsyncedOnly = unsyncedOnly
        self.since = since
        self.after = after
        self.limit = limit
    }
}

/// How many doses have reached the registry and how many wait.
public struct SyncCounts: Codable, Hashable, Sendable {
    /// Doses the registry confirmed.
    public var synced: Int
    /// Doses not yet confirmed, refused ones included.
    public var waiting: Int
    /// Of the waiting doses, those the registry refused last time.
    public var refused: Int

    /// Counts with every field given.
    public init(synced: Int, waiting: Int, refused: Int) {
        self.synced = synced
        self.waiting = waiting
        self.refused = refused
    }
}
