import Recording
import TicketStation

/// The officer lookups of concurrent requests, made together.
///
/// Every request is checked against the store, as before: a request that arrives while a
/// lookup is under way waits for the next one, which starts after it arrived, so a token
/// revoked before a request arrives is refused on that request. What changes is that sixteen
/// officers' requests arriving at once cost one query for all their token hashes, not sixteen
/// (on PostgreSQL, the one round trip a request still made outside its group's transaction).
final class OfficerLookups: Sendable {
    private let line: CoalescingLine<String, Officer?>

    init(officers: any OfficerStore, maximumHashes: Int = 256) {
        line = CoalescingLine(maximum: maximumHashes) { hashes in
            do throws(StoreError) {
                var found: [String: Officer] = [:]
                for officer in try await officers.activeOfficers(
                    tokenHashes: Array(Set(hashes)).sorted())
                {
                    found[officer.tokenHash] = officer
                }
                return .answers(hashes.map { .success(found[$0]) })
            } catch {
                return .answers(hashes.map { _ in .failure(error) })
            }
        }
    }

    /// The active officer whose token hashes to `hash`, if any.
    func officer(tokenHash hash: String) async throws(StoreError) -> Officer? {
        try await line.submit(hash)
    }
}
