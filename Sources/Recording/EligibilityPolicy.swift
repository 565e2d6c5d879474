import Foundation

/// Which priority groups may receive which dose number, as the programme decided.
public struct EligibilityPolicy: Codable, Hashable, Sendable {
    /// One dose number and the groups allowed to receive it; `*` allows every group.
    public struct Rule: Codable, Hashable, Sendable {
        /// The dose number.
        public var dose: Int
        /// Priority group codes, e.g. `HEALTHWORKER`, or `*` for all.
        public var groups: [String]

        /// A rule allowing `groups` to receive dose `dose`.
        public init(dose: Int, groups: [String]) {
            self.dose = dose
            self.groups = groups
        }
    }

    /// A name for reports, e.g. "Jakarta 2021".
    public var name: String
    /// The rules; a dose number with no rule is allowed to nobody.
    public var doses: [Rule]

    /// A policy with the given rules.
    public init(name: String, doses: [Rule]) {
        self.name = name
        self.doses = doses
    }

    /// The 2021 programme: doses 1 and 2 for everyone, dose 3 only for health workers.
    public static let default2021 = EligibilityPolicy(
        name: "2021 default",
        doses: [
            Rule(dose: 1, groups: ["*"]),
            Rule(dose: 2, groups: ["*"]),
            Rule(dose: 3, groups: ["HEALTHWORKER"]),
        ]
    )

    /// Loads a policy from a JSON file shaped like `samples/policy.json`.
    public init(contentsOf path: String) throws(PolicyError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path: path)
        }
        do {
            self = try JSONDecoder().decode(EligibilityPolicy.self, from: data)
        } catch {
            throw .invalid(path: path, reason: "\(error)")
        }
        for rule in doses where !(1...9).contains(rule.dose) {
            throw .invalid(path: path, reason: "dose \(rule.dose) is not between 1 and 9")
        }
    }

    /// Whether `group` may receive dose number `dose`.
    public func allows(group: String, dose: Int) -> Bool {
        doses.contains { $0.dose == dose && ($0.groups.contains("*") || $0.groups.contains(group)) }
    }
}

/// Why a policy file could not be used.
public enum PolicyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file could not be read.
    case unreadable(path: String)
    /// The file is not a valid policy.
    case invalid(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path): "cannot read the policy file \(path)"
        case .invalid(let path, let reason): "invalid policy file \(path): \(reason)"
        }
    }
}
