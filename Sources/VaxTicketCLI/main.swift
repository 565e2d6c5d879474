import VaxTicketCommands

VaxTicket.execute(Array(CommandLine.arguments.dropFirst()))
