import ArgumentParser
import Recording
import TicketCodec

/// `--policy`: which priority groups may receive which dose.
struct PolicyOptions: ParsableArguments {
    @Option(
        help:
            "An eligibility policy JSON file (default: the 2021 policy, dose 3 only for HEALTHWORKER)."
    )
    var policy: String?

    /// The recording rules: the policy and the vaccines' minimum intervals.
    func rules(vaccines: VaccineTable) throws -> RecordingRules {
        RecordingRules(
            policy: try policy.map { try EligibilityPolicy(contentsOf: $0) } ?? .default2021,
            vaccines: vaccines)
    }
}
