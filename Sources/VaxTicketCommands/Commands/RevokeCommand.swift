import ArgumentParser
import TicketCodec

struct RevokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Add ticket serials to the revocation list (revoked.txt beside the keyring)."
    )

    @Argument(help: "Serials to revoke, 16 hexadecimal digits as printed by `issue`.")
    var serials: [String]

    @Option(help: "A comment stored with each serial, e.g. why it is revoked.")
    var reason: String?

    @OptionGroup var keyring: KeyringOptions

    func validate() throws {
        guard !serials.isEmpty else { throw ValidationError("Give at least one serial.") }
        for serial in serials where TicketSerial.parse(serial) == nil {
            throw ValidationError("'\(serial)' is not a serial (1 to 16 hexadecimal digits).")
        }
    }

    func run() throws {
        let path = keyring.revocationPath
        for text in serials {
            guard let serial = TicketSerial.parse(text) else { continue }
            try RevocationList.append(serial, comment: reason, to: path)
            print("revoked \(TicketSerial.text(serial)) (\(path))")
        }
    }
}
