import VaxTicketCommands

await VaxTicket.execute(Array(CommandLine.arguments.dropFirst()))
