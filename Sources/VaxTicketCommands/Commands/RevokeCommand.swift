import ArgumentParser
import Foundation
import TicketCodec

struct RevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract:
            "Revoke ticket serials: they are kept in the keyring, where only its owner can change them.",
        discussion: """
            Revocations live inside the keyring file (mode 0600), so deleting or editing another \
            file cannot undo them. A revoked.txt left beside the keyring by an older vaxticket is \
            still honoured, and the next `revoke` moves its serials into the keyring and renames \
            it revoked.txt.imported.
            """
    )

    @Argument(help: "Serials to revoke, 16 hexadecimal digits as printed by `issue`.")
    var serials: [String]

    @Option(
        help: "A comment stored with each serial, e.g. why it is revoked (no control characters).")
    var reason: String?

    @OptionGroup var keyring: KeyringOptions

    func validate() throws {
        guard !serials.isEmpty else { throw ValidationError("Give at least one serial.") }
        for serial in serials where TicketSerial.parse(serial) == nil {
            throw ValidationError(
                "'\(FreeText.excerpt(serial))' is not a serial (1 to 16 hexadecimal digits).")
        }
        if let reason, let problem = FreeText.problem(in: reason) {
            throw ValidationError("--reason \(problem).")
        }
    }

    func run() async throws {
        let path = keyring.path
        let legacyPath = keyring.revocationPath
        let legacy = try keyring.loadRevocations()
        let parsed = serials.compactMap(TicketSerial.parse)
        let added = try Keyring.update(at: path) {
            (ring: inout Keyring) throws(KeyringError) -> [Bool] in
            for serial in legacy.serials.sorted() {
                try ring.revoke(serial, reason: "imported from \(Keyring.revocationFileName)")
            }
            return try parsed.map { serial throws(KeyringError) in
                try ring.revoke(serial, reason: reason)
            }
        }
        if !legacy.serials.isEmpty {
            try FileManager.default.moveItem(atPath: legacyPath, toPath: legacyPath + ".imported")
            print("moved \(legacy.serials.count) serials from \(legacyPath) into the keyring")
        }
        for (serial, new) in zip(parsed, added) {
            print(
                new
                    ? "revoked \(TicketSerial.text(serial)) (kept in \(path))"
                    : "\(TicketSerial.text(serial)) was already revoked")
        }
    }
}
