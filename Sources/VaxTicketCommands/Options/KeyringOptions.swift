public import ArgumentParser
import Foundation
public import TicketCodec

extension KeyAlgorithm: ExpressibleByArgument {}

/// Where the keyring (and the revocation list beside it) and the vaccine table come from.
struct KeyringOptions: ParsableArguments {
    @Option(help: "The keyring file (default: $VAXTICKET_KEYRING, else ./vaxticket-keyring.json).")
    var keyring: String?

    @Option(help: "A JSON vaccine table that replaces the built-in one.")
    var vaccines: String?

    /// The keyring path: the flag, then the environment, then the default.
    var path: String { Keyring.resolvePath(explicit: keyring) }

    /// The revocation list's path, in the keyring's folder.
    var revocationPath: String { Keyring.revocationPath(forKeyringAt: path) }

    /// Reads the keyring, refusing one that group or others may read.
    func load() throws -> Keyring { try Keyring.load(from: path) }

    /// Reads an old revoked.txt beside the keyring (empty when there is none); it only adds to
    /// the revocations kept in the keyring.
    func loadRevocations() throws -> RevocationList {
        try RevocationList.load(from: revocationPath)
    }

    /// A verifier with this keyring, its revocation list and the vaccine table, judging days in `timeZone`.
    func verifier(timeZone: TimeZone) throws -> TicketVerifier {
        TicketVerifier(
            keyring: try load(), revocations: try loadRevocations(), timeZone: timeZone,
            vaccines: try vaccineTable())
    }

    /// A verifier with only the public keys in the file at `path` (no keyring is read), their
    /// revocations and the vaccine table, judging days in `timeZone`.
    func verifier(publicKeys path: String, timeZone: TimeZone) throws -> TicketVerifier {
        TicketVerifier(
            publicKeys: try PublicKeyring.load(from: path), timeZone: timeZone,
            vaccines: try vaccineTable())
    }

    /// The keyring's public keys, with the serials of an old revoked.txt beside it added
    /// (undated), so that they count wherever the keys are used.
    func publicKeys() throws -> PublicKeyring {
        PublicKeyring(try load(), revocations: try loadRevocations())
    }

    /// The vaccine table in force.
    func vaccineTable() throws -> VaccineTable {
        guard let vaccines else { return .builtIn }
        return try VaccineTable(contentsOf: vaccines)
    }
}
