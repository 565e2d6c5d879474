import ArgumentParser
import Foundation
import Reports
import TicketCodec

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create and manage the signing keyring (secrets are never printed).",
        discussion: """
            The keyring is a JSON file of mode 0600; one readable by group or others is refused. \
            `rotate` adds a new active key; older keys still verify until retired. HMAC-SHA256 \
            keys (the default) sign VT1 tickets, which only the keyring can verify; Ed25519 keys \
            sign VT2 tickets, which anyone holding the file of `export-public` can verify.
            """,
        subcommands: [New.self, List.self, Rotate.self, Retire.self, ExportPublic.self]
    )

    struct New: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a keyring with one active key.")

        @OptionGroup var keyring: KeyringOptions

        @Option(help: "The key id: 1 to 8 digits and uppercase letters (default: K1).")
        var id: String?

        @Option(
            help:
                "How the key signs: hmac-sha256 (VT1 tickets, checked with the keyring) or ed25519 (VT2 tickets, checked with public keys)."
        )
        var algorithm: KeyAlgorithm = .hmacSHA256

        @Option(help: "A note stored in the keyring file.")
        var note: String?

        @Option(
            name: .customLong("max-validity-days"),
            help:
                "The programme's longest ticket validity in days; longer tickets are neither issued nor accepted."
        )
        var maxValidityDays: Int = Keyring.defaultMaxValidityDays

        func validate() throws {
            if let note, let problem = FreeText.problem(in: note) {
                throw ValidationError("--note \(problem).")
            }
            guard (1...Keyring.maxValidityDaysLimit).contains(maxValidityDays) else {
                throw ValidationError(
                    "--max-validity-days must be 1 to \(Keyring.maxValidityDaysLimit).")
            }
        }

        func run() async throws {
            let path = keyring.path
            guard !FileManager.default.fileExists(atPath: path) else {
                throw KeyringError.alreadyExists(path)
            }
            var ring = Keyring(note: note, maxValidityDays: maxValidityDays)
            let key = try ring.rotate(newID: id, algorithm: algorithm)
            try ring.save(to: path)
            print(
                "created keyring \(path) (mode 0600) with active key \(key.id) (\(key.algorithm.rawValue))"
            )
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List key ids, states, creation dates and algorithms.")

        @OptionGroup var keyring: KeyringOptions

        @Flag(help: "Print one JSON object per key per line.")
        var json = false

        func run() async throws {
            let ring = try keyring.load()
            let formatter = ISO8601DateFormatter()
            for key in ring.keys {
                let created = formatter.string(from: key.created)
                if json {
                    printJSON(KeyReport(key))
                } else {
                    print("\(key.id)\t\(key.state.rawValue)\t\(created)\t\(key.algorithm.rawValue)")
                }
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a new active key; the previous active key becomes verify-only.",
            discussion: """
                The new key has the algorithm of the active key it replaces (HMAC-SHA256 when \
                there is none) unless --algorithm says otherwise.
                """)

        @OptionGroup var keyring: KeyringOptions

        @Option(help: "The new key's id (default: the next K<number>).")
        var id: String?

        @Option(
            help: "The new key's algorithm (default: that of the active key it replaces).")
        var algorithm: KeyAlgorithm?

        func run() async throws {
            let (previous, key) = try Keyring.update(at: keyring.path) {
                (ring: inout Keyring) throws(KeyringError) in
                (ring.activeKey?.id, try ring.rotate(newID: id, algorithm: algorithm))
            }
            print(
                "\(key.id) is now the active key" + (previous.map { "; \($0) verifies only" } ?? "")
                    + "; \(key.id) signs with \(key.algorithm.rawValue)"
            )
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Retire a key: tickets it signed are refused from now on.")

        @OptionGroup var keyring: KeyringOptions

        @Argument(help: "The id of the key to retire.")
        var id: String

        func run() async throws {
            let ring = try Keyring.update(at: keyring.path) {
                (ring: inout Keyring) throws(KeyringError) in
                try ring.retire(id: id)
                return ring
            }
            print("retired key \(id)")
            if ring.activeKey == nil {
                printError(
                    "warning: no active key is left; run `vaxticket keys rotate` before issuing")
            }
        }
    }

    struct ExportPublic: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export-public",
            abstract: "Write the public keys, for verifying VT2 tickets without the keyring.",
            discussion: """
                The file (format vaxticket-public-keys-1, docs/ticket-format.md) lists every key \
                with its id, algorithm, state, creation and stoppedSigning times, each Ed25519 \
                key's public key, the revoked serials and maxValidityDays. It holds no secret: \
                HMAC keys are listed without any key material, and revocation reasons stay in the \
                keyring (an old revoked.txt beside it is included). It is written atomically, \
                mode 0644. Give it to whoever verifies tickets: `vaxticket verify --public-keys \
                FILE`.
                """)

        @OptionGroup var keyring: KeyringOptions

        @Option(name: .shortAndLong, help: "The public key file to write.")
        var out: String

        func run() async throws {
            let publicKeys = try keyring.publicKeys()
            try publicKeys.save(to: out)
            let withKeys = publicKeys.keys.filter { $0.publicKey != nil }.count
            print(
                "wrote \(out): \(counted(publicKeys.keys.count, "key")) (\(withKeys) with a public "
                    + "key), \(counted(publicKeys.revocations.count, "revocation"))")
        }

        private func counted(_ count: Int, _ noun: String) -> String {
            "\(count) \(noun)\(count == 1 ? "" : "s")"
        }
    }
}
