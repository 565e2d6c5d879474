public import ArgumentParser
import Foundation
import Synchronization

/// The `vaxticket` command line.
public struct VaxTicket: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vaxticket",
        abstract:
            "Signed QR vaccination tickets: print them, read them from phone photos, record doses.",
        subcommands: [
            QRCommand.self, ScanCommand.self, SimulatePhotoCommand.self, IssueCommand.self,
            VerifyCommand.self, KeysCommand.self,
            RevokeCommand.self, RosterCommand.self, RecordCommand.self, StatsCommand.self,
            ExportCommand.self, SyncCommand.self,
            ServeCommand.self, OfficersCommand.self, DatabaseCommand.self,
        ]
    )

    public init() {}

    /// Runs the command line: parses `arguments`, runs the command they name, and reports an
    /// error once, here: usage errors as the argument parser does (exit 64), every other error
    /// as `error: <what it says of itself>` on standard error (exit 1).
    public static func execute(_ arguments: [String]) async -> Never {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            exit(withError: error)
        }
        do {
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
            exit(withError: outputFailed.load(ordering: .relaxed) ? ExitCode.failure : nil)
        } catch let error where isArgumentParserError(error) {
            exit(withError: error)
        } catch {
            FileHandle.standardError.write(Data("error: \(describe(error))\n".utf8))
            exit(withError: ExitCode.failure)
        }
    }

    /// Whether the argument parser made or handles `error`: exit codes, help requests (which
    /// `--help` raises from its built-in help command), usage errors.
    static func isArgumentParserError(_ error: any Error) -> Bool {
        error is ExitCode || error is CleanExit || error is ValidationError
            || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.")
    }

    /// What an error says of itself: our errors describe themselves; Foundation's say it in
    /// their localized description.
    static func describe(_ error: any Error) -> String {
        if let cocoa = error as? CocoaError { return cocoa.localizedDescription }
        return String(describing: error)
    }
}
