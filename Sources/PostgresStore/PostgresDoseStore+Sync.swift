import Foundation
import PostgresNIO
public import Recording
import TicketCodec

/// The registry sync's store methods, on PostgreSQL: the same results as the SQLite store's,
/// each a statement or two whatever the page size.
extension PostgresDoseStore {
    public func registryDoses(_ query: RegistryDoseQuery) async throws(StoreError)
        -> [RegistryDose]
    {
        let after = query.after ?? 0, unsyncedOnly = query.unsyncedOnly, since = query.since?.iso,
            limit = max(query.limit, 0), path = location.description
        return try await transaction { connection in
            var pages: [(id: Int64, refusal: String?, dose: DoseRecord)] = []
            for row in try await connection.run(
                """
                SELECT \(unescaped: Self.doseColumns), id, sync_refusal FROM dose
                WHERE id > \(after) AND (NOT \(unsyncedOnly) OR sync_state = 'pending')
                  AND (\(since)::text IS NULL OR administered_day >= \(since)::text)
                ORDER BY id LIMIT \(limit)
                """)
            {
                let dose = try Self.decodeDose(row, path: path)
                let columns = row.makeRandomAccess()
                let id = try columns[14].decode(Int64.self)
                let refusal = try columns[15].decode(String?.self)
                pages.append((id, refusal, dose))
            }
            var roster: [String: RosterEntry] = [:]
            for entry in try await Self.rosterEntries(
                on: connection, registrants: Array(Set(pages.map { $0.dose.registrant })),
                niks: [], path: path)
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

    public func markSynced(serials: [String]) async throws(StoreError) {
        guard !serials.isEmpty else { return }
        _ = try await transaction { connection in
            try await connection.run(
                "UPDATE dose SET sync_state = 'synced', sync_refusal = NULL WHERE serial = ANY(\(serials)::text[])"
            )
        }
    }

    public func recordSyncRefusals(_ refusals: [String: String]) async throws(StoreError) {
        guard !refusals.isEmpty else { return }
        let serials = Array(refusals.keys), texts = serials.map { refusals[$0] ?? "" }
        _ = try await transaction { connection in
            try await connection.run(
                """
                UPDATE dose SET sync_refusal = r.text FROM unnest(\(serials)::text[], \(texts)::text[]) AS r(serial, text)
                WHERE dose.serial = r.serial AND dose.sync_state = 'pending'
                """)
        }
    }
}
