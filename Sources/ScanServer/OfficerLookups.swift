import Recording
import Synchronization

/// The officer lookups of concurrent requests, made together.
///
/// Every request is checked against the store, as before: a request that arrives while a
/// lookup is under way waits for the next one, which starts after it arrived, so a token
/// revoked before a request arrives is refused on that request. What changes is that sixteen
/// officers' requests arriving at once cost one query for all their token hashes, not sixteen
/// (on PostgreSQL, the one round trip a request still made outside its group's transaction).
final class OfficerLookups: Sendable {
    let officers: any OfficerStore
    /// The most token hashes one query takes.
    let maximumHashes: Int

    private struct Waiting: Sendable {
        var hash: String
        var continuation: CheckedContinuation<Result<Officer?, StoreError>, Never>
    }

    private struct Line: Sendable {
        var waiting: [Waiting] = []
        var looking = false
    }

    private let line = Mutex(Line())

    init(officers: any OfficerStore, maximumHashes: Int = 256) {
        self.officers = officers
        self.maximumHashes = max(1, maximumHashes)
    }

    /// The active officer whose token hashes to `hash`, if any.
    func officer(tokenHash hash: String) async throws(StoreError) -> Officer? {
        let result = await withCheckedContinuation { continuation in
            let leads = line.withLock { line in
                line.waiting.append(Waiting(hash: hash, continuation: continuation))
                guard !line.looking else { return false }
                line.looking = true
                return true
            }
            if leads { Task { await self.lookWhileWaiting() } }
        }
        return try result.get()
    }

    private func lookWhileWaiting() async {
        while true {
            let batch: [Waiting] = line.withLock { line in
                guard !line.waiting.isEmpty else {
                    line.looking = false
                    return []
                }
                let taken = Array(line.waiting.prefix(maximumHashes))
                line.waiting.removeFirst(taken.count)
                return taken
            }
            guard !batch.isEmpty else { return }
            let hashes = Array(Set(batch.map(\.hash))).sorted()
            do {
                var found: [String: Officer] = [:]
                for officer in try await officers.activeOfficers(tokenHashes: hashes) {
                    found[officer.tokenHash] = officer
                }
                for waiting in batch {
                    waiting.continuation.resume(returning: .success(found[waiting.hash]))
                }
            } catch {
                for waiting in batch { waiting.continuation.resume(returning: .failure(error)) }
            }
        }
    }
}
