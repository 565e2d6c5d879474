import Foundation
import PostgresNIO
public import Recording

/// The registry sync's store methods, on PostgreSQL: the same results as the SQLite store's,
/// each a statement or two whatever the page size.
extension PostgresDoseStore {
    public func registryDoses(_ query: RegistryDoseQuery) throws(StoreError) -> [RegistryDose] {
        let after = query.after ?? 0, unsyncedOnly = query.unsyncedOnly, since = query.since,
            limit = max(query.limit, 0)
        return try transaction { connection in
            var pages: [(id: Int64, refusal: String?, dose: DoseRecord)] = []
            for row in try connection.run(
                """
                SELECT id, sync_refusal, \(unescaped: Self.doseColumns) FROM dose
                WHERE id > \(after) AND (NOT \(unsyncedOnly) OR sync_state = 'pending')
                  AND (\(since)::text IS NULL OR administered_day >= \(since)::text)
                ORDER BY id LIMIT \(limit)
                """)
            {
                let (
                    id, refusal, serial, registrant, dose, vaccine, lot, site, ticketSite, group,
                    officer, station,
                    administeredAt, administeredDay, recordedAt, sync
                ) =
                    try row.decode(
                        (
                            Int64, String?, String, String, Int, String, String?, String, String,
                            String, String, String, Date,
                            String, Date, String
                        ).self)
                pages.append(
                    (
                        id, refusal,
                        try Self.doseRecord(
                            serial: serial, registrant: registrant, dose: dose, vaccine: vaccine,
                            lot: lot, site: site,
                            ticketSite: ticketSite, group: group,
                            officer: officer, station: station, administeredAt: administeredAt,
                            administeredDay: administeredDay,
                            recordedAt: recordedAt, sync: sync)
                    ))
            }
            var roster: [String: RosterEntry] = [:]
            for entry in try Self.rosterEntries(
                on: connection, registrants: Array(Set(pages.map { $0.dose.registrant })), niks: [])
            {
                roster[entry.registrant] = entry
            }
            return pages.map {
                RegistryDose(
                    id: $0.id, record: $0.dose, registrant: roster[$0.dose.registrant],
                    lastRefusal: $0.refusal)
            }
        }
    }

    public func markSynced(serials: [String]) throws(StoreError) {
        guard !serials.isEmpty else { return }
        _ = try transaction { connection in
            try connection.run(
                "UPDATE dose SET sync_state = 'synced', sync_refusal = NULL WHERE serial = ANY(\(serials)::text[])"
            )
        }
    }

    public func recordSyncRefusals(_ refusals: [String: String]) throws(StoreError) {
        guard !refusals.isEmpty else { return }
        let serials = Array(refusals.keys), texts = serials.map { refusals[$0] ?? "" }
        _ = try transaction { connection in
            try connection.run(
                """
                UPDATE dose SET sync_refusal = r.text FROM unnest(\(serials)::text[], \(texts)::text[]) AS r(serial, text)
                WHERE dose.serial = r.serial AND dose.sync_state = 'pending'
                """)
        }
    }

    public func syncCounts(from: String?, to: String?) throws(StoreError) -> SyncCounts {
        let from = from ?? "0000-01-01", to = to ?? "9999-12-31"
        return try transaction { connection in
            // The tallies give the total cheaply; the pending doses are few and have their own index.
            guard
                let totals = try connection.run(
                    "SELECT COALESCE(SUM(count), 0)::bigint FROM dose_tally WHERE day BETWEEN \(from) AND \(to)"
                ).first,
                let pending = try connection.run(
                    """
                    SELECT COUNT(*)::bigint, COUNT(sync_refusal)::bigint FROM dose
                    WHERE sync_state = 'pending' AND administered_day BETWEEN \(from) AND \(to)
                    """
                ).first
            else { return SyncCounts(synced: 0, waiting: 0, refused: 0) }
            let total = try totals.decode(Int.self)
            let (waiting, refused) = try pending.decode((Int, Int).self)
            return SyncCounts(synced: max(total - waiting, 0), waiting: waiting, refused: refused)
        }
    }
}
