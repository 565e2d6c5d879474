import FHIR
import Foundation

/// A fault the receiver injects into the next transaction request, in order.
public enum ReceiverFault: Hashable, Sendable {
    /// Answers 500 and stores nothing.
    case serverError
    /// Answers 429 with `Retry-After: seconds` and stores nothing.
    case tooManyRequests(retryAfter: Int)
    /// Stores the entries, then waits this long before answering (past the client's timeout).
    case stall(seconds: Double)
    /// Stores the entries, then closes the connection in the middle of the answer.
    case dropAfterStore
    /// Every token issued so far expires before this request is checked, so it gets a 401.
    case expireToken
}

/// What the receiver holds, with counters for tests and benchmarks.
public struct ReceiverCounts: Codable, Hashable, Sendable {
    /// Immunizations stored.
    public var immunizations: Int
    /// Identifiers stored more than once (should stay 0).
    public var duplicateIdentifiers: Int
    /// Transaction requests received, faults included.
    public var bundles: Int
    /// Access tokens issued.
    public var tokensIssued: Int
    /// Distinct access tokens that authorised a request: at most `tokensIssued`, fewer when a
    /// client gave up waiting for a token answer (a timeout) and asked again.
    public var tokensUsed: Int
    /// Conditional creates that found an existing immunization.
    public var conditionalMatches: Int
    /// Entries refused.
    public var refusedEntries: Int
}

/// The receiver's memory: stored immunizations, tokens, pending faults and refusal rules.
actor ReceiverState {
    var immunizations: [Immunization] = []
    var byIdentifier: [String: [Int]] = [:]
    var tokens: [String: Date] = [:]
    var faults: [ReceiverFault] = []
    var refusals: [String: String] = [:]
    var bundles = 0
    var tokensIssued = 0
    var tokensUsed = Set<String>()
    var conditionalMatches = 0
    var refusedEntries = 0
    var delay: Double = 0
    var tokenRefusal = "unknown client or wrong secret"

    func setDelay(_ seconds: Double) { delay = max(seconds, 0) }

    func setTokenRefusal(_ description: String) { tokenRefusal = description }

    func issueToken(lifetime: TimeInterval) -> String {
        let token = UUID().uuidString + UUID().uuidString
        tokens[token] = Date().addingTimeInterval(lifetime)
        tokensIssued += 1
        return token
    }

    func isValid(_ token: String) -> Bool {
        guard let expiry = tokens[token], Date() < expiry else { return false }
        tokensUsed.insert(token)
        return true
    }

    func expireAllTokens() {
        tokens.removeAll()
    }

    func nextFault() -> ReceiverFault? {
        bundles += 1
        return faults.isEmpty ? nil : faults.removeFirst()
    }

    func add(_ new: [ReceiverFault]) {
        faults.append(contentsOf: new)
    }

    func refuse(serial: String, because message: String?) {
        refusals[serial] = message
    }

    func refusal(serial: String) -> String? {
        refusals[serial]
    }

    /// The index of the immunization with this identifier, if stored.
    func find(system: String, value: String) -> Int? {
        byIdentifier["\(system)|\(value)"]?.first
    }

    func store(_ immunization: Immunization) -> Int {
        immunizations.append(immunization)
        let index = immunizations.count - 1
        for identifier in immunization.identifier ?? [] {
            byIdentifier["\(identifier.system ?? "")|\(identifier.value ?? "")", default: []]
                .append(index)
        }
        return index
    }

    func countMatch() { conditionalMatches += 1 }
    func countRefusal() { refusedEntries += 1 }

    func counts() -> ReceiverCounts {
        ReceiverCounts(
            immunizations: immunizations.count,
            duplicateIdentifiers: byIdentifier.values.filter { $0.count > 1 }.count,
            bundles: bundles, tokensIssued: tokensIssued, tokensUsed: tokensUsed.count,
            conditionalMatches: conditionalMatches,
            refusedEntries: refusedEntries)
    }

    /// How many immunizations carry each identifier value of `system`.
    func identifierCounts(system: String) -> [String: Int] {
        var counts: [String: Int] = [:]
        for (key, indexes) in byIdentifier where key.hasPrefix(system + "|") {
            counts[String(key.dropFirst(system.count + 1))] = indexes.count
        }
        return counts
    }

    func stored() -> [Immunization] { immunizations }
}
