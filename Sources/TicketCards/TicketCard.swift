public import CairoGraphics
public import PNGCodec
public import QREncoding
public import TicketCodec

/// What one printed card shows: the signed ticket (in the QR code) and the words around it.
///
/// The name is printed on the card only; it is never part of the ticket or its QR code.
public struct TicketCard: Hashable, Sendable {
    /// The ticket's fields, printed in words.
    public var ticket: Ticket
    /// The signed ticket text, the QR code's content.
    public var text: String
    /// The registrant's name, when known; otherwise the card has a line to write it on.
    public var name: String?
    /// The vaccine's display name.
    public var vaccineName: String
    /// The site's name, when known; the site code is printed either way.
    public var siteName: String?

    /// A card with every field given.
    public init(
        ticket: Ticket, text: String, name: String? = nil, vaccineName: String,
        siteName: String? = nil
    ) {
        self.ticket = ticket
        self.text = text
        self.name = name
        self.vaccineName = vaccineName
        self.siteName = siteName
    }

    /// Signs `ticket` with `signer` and takes the vaccine's name from the signer's table.
    public init(
        signing ticket: Ticket, with signer: TicketSigner, name: String? = nil,
        siteName: String? = nil
    )
        throws(TicketError)
    {
        let text = try signer.sign(ticket)
        let vaccine = signer.vaccines.vaccine(code: ticket.vaccine)?.displayName ?? ticket.vaccine
        self.init(ticket: ticket, text: text, name: name, vaccineName: vaccine, siteName: siteName)
    }
}

/// Why a card or sheet could not be made.
public enum CardError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The ticket text does not fit in a QR code.
    case qr(QREncodingError)
    /// Signing the ticket failed.
    case ticket(TicketError)
    /// The name or site name (`field`) breaks the rules for printed names.
    case name(field: String, NameError)
    /// Cairo or Pango failed.
    case graphics(GraphicsError)
    /// libpng failed.
    case png(PNGError)
    /// A font the card needs is not installed.
    case fontMissing(String)
    /// A file could not be written.
    case write(path: String, reason: String)
    /// A sheet was given more cards than it was opened for.
    case tooManyCards(expected: Int)

    public var description: String {
        switch self {
        case .qr(let error): "\(error)"
        case .ticket(let error): "\(error)"
        case .name(let field, let error): "\(field) \(error)"
        case .graphics(let error): "\(error)"
        case .png(let error): "\(error)"
        case .fontMissing(let family):
            "the font \(family) is not installed (scripts/bootstrap installs it)"
        case .write(let path, let reason): "cannot write \(path): \(reason)"
        case .tooManyCards(let expected):
            "the sheet was opened for \(expected) cards and given more"
        }
    }
}
