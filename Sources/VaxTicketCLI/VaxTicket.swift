import ArgumentParser

@main
struct VaxTicket: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vaxticket",
        abstract: "Signed QR vaccination tickets: print them, read them from phone photos, record doses.",
        subcommands: [QRCommand.self, ScanCommand.self, SimulatePhotoCommand.self, IssueCommand.self, VerifyCommand.self, KeysCommand.self, RevokeCommand.self, RosterCommand.self, RecordCommand.self, StatsCommand.self, ExportCommand.self, SyncCommand.self]
    )
}
