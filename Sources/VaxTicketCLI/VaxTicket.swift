import ArgumentParser

@main
struct VaxTicket: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vaxticket",
        abstract: "Signed QR vaccination tickets: print them, read them from phone photos, record doses.",
        subcommands: [QRCommand.self, ScanCommand.self]
    )
}
