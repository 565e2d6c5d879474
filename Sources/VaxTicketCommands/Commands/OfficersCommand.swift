import ArgumentParser
import Foundation
import Recording
import Reports
import ScanServer

struct OfficersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "officers",
        abstract: "Add, list and revoke the officers who may use the scanning server.",
        discussion: """
            Each officer has a bearer token for the phone page and the API. `add` prints the \
            token once, as the last line of its output; the database keeps only its SHA-256, so \
            a lost token is replaced by revoking the officer and adding a new name.
            """,
        subcommands: [Add.self, List.self, Revoke.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an officer and print the new token once, as the last line.")

        @Argument(help: "The officer's name, recorded with every dose given.")
        var name: String

        @Option(help: "The site the officer works at (default: each ticket's own site).")
        var site: String?

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let name = name, site = site
            let token = try await database.withStore { store in
                try await OfficerToken.addOfficer(named: name, site: site, to: store)
            }
            print(
                "added officer \(name)" + (site.map { " at site \($0)" } ?? "")
                    + "; the token is shown only now, keep it secret:"
            )
            print(token)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List officers, their sites and whether their tokens are active.")

        @Flag(help: "Print one JSON object per officer per line.")
        var json = false

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let officers = try await database.withStore(create: false) { store in
                try await store.officers()
            }
            for officer in officers {
                if json {
                    printJSON(OfficerReport(officer))
                } else {
                    let state =
                        officer.revokedAt.map { "revoked \(Timestamp.string($0))" } ?? "active"
                    print(
                        "\(officer.name)\t\(officer.site ?? "-")\t\(state)\tadded \(Timestamp.string(officer.createdAt))"
                    )
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke an officer's token; the server refuses it from the next request.")

        @Argument(help: "The officer's name.")
        var name: String

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let name = name
            try await database.withStore(create: false) { store in
                try await store.revokeOfficer(name: name, at: Date())
            }
            print("revoked the token of officer \(name)")
        }
    }
}
