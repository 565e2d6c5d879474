import ArgumentParser
import Batch
import Foundation
import Testing

@testable import VaxTicketCommands

/// Every command's help screen, pinned in `Snapshots/help.txt`. A change to a help text shows
/// up in review as a change to that file: run the tests with `VAXTICKET_UPDATE_SNAPSHOTS=1` to
/// rewrite it, then read the diff.
@Suite("help screens")
struct HelpSnapshotTests {
    /// Every command and subcommand, as typed after `vaxticket`.
    static let commands: [[String]] = [
        [], ["qr"], ["scan"], ["simulate-photo"], ["issue"], ["verify"], ["keys"], ["keys", "new"],
        ["keys", "list"],
        ["keys", "rotate"],
        ["keys", "retire"], ["keys", "export-public"], ["revoke"], ["roster"],
        ["roster", "import"], ["record"], ["stats"],
        ["export"], ["sync"], ["serve"],
        ["officers"], ["officers", "add"], ["officers", "list"], ["officers", "revoke"], ["db"],
        ["db", "merge"],
    ]

    static let snapshotURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent(
            "Snapshots/help.txt")

    /// The help of every command at 100 columns; the default job count, which is this
    /// machine's number of cores, is written as `<cores>`.
    static func allHelp() throws -> String {
        try commands.map { words in
            let command = try #require(VaxTicket.subcommand(named: words))
            let help = VaxTicket.helpMessage(for: command, columns: 100)
                .replacingOccurrences(
                    of: "(default: \(ParallelBatch.defaultJobs))", with: "(default: <cores>)")
            return "=== \((["vaxticket"] + words).joined(separator: " ")) ===\n\(help)\n"
        }.joined(separator: "\n")
    }

    @Test("every command's help matches the reviewed snapshot")
    func snapshot() throws {
        let help = try Self.allHelp()
        if ProcessInfo.processInfo.environment["VAXTICKET_UPDATE_SNAPSHOTS"] == "1" {
            try help.write(to: Self.snapshotURL, atomically: true, encoding: .utf8)
        }
        let pinned = try String(contentsOf: Self.snapshotURL, encoding: .utf8)
        #expect(
            help == pinned,
            "help text changed; rerun with VAXTICKET_UPDATE_SNAPSHOTS=1 and review the diff of Snapshots/help.txt"
        )
    }

    @Test("every subcommand the root lists has a snapshot")
    func coverage() {
        var listed: [[String]] = []
        func walk(_ command: any ParsableCommand.Type, path: [String]) {
            listed.append(path)
            for sub in command.configuration.subcommands {
                walk(sub, path: path + [sub._commandName])
            }
        }
        walk(VaxTicket.self, path: [])
        #expect(Set(listed) == Set(Self.commands))
    }
}

extension VaxTicket {
    /// The command type `words` name, e.g. `["keys", "rotate"]`.
    static func subcommand(named words: [String]) -> (any ParsableCommand.Type)? {
        var current: any ParsableCommand.Type = VaxTicket.self
        for word in words {
            guard
                let next = current.configuration.subcommands.first(where: {
                    $0._commandName == word
                })
            else { return nil }
            current = next
        }
        return current
    }
}
