/// A priority group of the vaccination programme.
public enum PriorityGroup: String, CaseIterable, Hashable, Sendable, Codable {
    /// The general public.
    case general = "GENERAL"
    /// Health workers.
    case healthWorker = "HEALTHWORKER"
    /// People aged 60 and over.
    case elderly = "ELDERLY"
    /// Public servants.
    case publicServant = "PUBLICSERVANT"
    /// Pregnant women.
    case pregnant = "PREGNANT"
    /// Adolescents aged 12 to 17.
    case adolescent = "ADOLESCENT"

    /// The group's number in the binary form (0...5); never renumbered.
    var wireValue: UInt64 {
        switch self {
        case .general: 0
        case .healthWorker: 1
        case .elderly: 2
        case .publicServant: 3
        case .pregnant: 4
        case .adolescent: 5
        }
    }

    init?(wireValue: UInt64) {
        let all: [PriorityGroup] = [
            .general, .healthWorker, .elderly, .publicServant, .pregnant, .adolescent,
        ]
        guard wireValue < UInt64(all.count) else { return nil }
        self = all[Int(wireValue)]
    }
}

/// A vaccination ticket: what a registrant receives and an officer's scan turns back into.
///
/// It carries no personal data: the registrant is a reference into the city's sign-up system.
public struct Ticket: Hashable, Sendable {
    /// The unique serial; printed as 16 uppercase hexadecimal digits (see ``serialText``).
    public var serial: UInt64
    /// The registration number from the sign-up system: 1 to 20 digits and uppercase letters.
    public var registrant: String
    /// The dose number, 1 to 9.
    public var dose: Int
    /// The vaccine code, e.g. `CORONAVAC`.
    public var vaccine: String
    /// The priority group.
    public var group: PriorityGroup
    /// The vaccination site code: 1 to 8 digits and uppercase letters.
    public var site: String
    /// The first day the ticket is valid.
    public var validFrom: CalendarDate
    /// The last day the ticket is valid.
    public var validUntil: CalendarDate
    /// The id of the key that signs the ticket.
    public var keyID: String

    /// A ticket with every field given.
    public init(
        serial: UInt64, registrant: String, dose: Int, vaccine: String,
        group: PriorityGroup = .general,
        site: String, validFrom: CalendarDate, validUntil: CalendarDate, keyID: String
    ) {
        self.serial = serial
        self.registrant = registrant
        self.dose = dose
        self.vaccine = vaccine
        self.group = group
        self.site = site
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.keyID = keyID
    }

    /// The serial as 16 uppercase hexadecimal digits.
    public var serialText: String { TicketSerial.text(serial) }
}

/// The text form of ticket serials.
public enum TicketSerial {
    /// A fresh random serial from the system's cryptographic random source.
    public static func random() -> UInt64 {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }

    /// `serial` as 16 uppercase hexadecimal digits.
    public static func text(_ serial: UInt64) -> String {
        let hex = String(serial, radix: 16, uppercase: true)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Parses 1 to 16 hexadecimal digits (either case).
    public static func parse(_ text: String) -> UInt64? {
        guard (1...16).contains(text.utf8.count), text.utf8.allSatisfy(\.isHexDigit) else {
            return nil
        }
        return UInt64(text, radix: 16)
    }
}

extension UInt8 {
    var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
            || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
    }

    /// Whether the byte is an ASCII digit or uppercase letter.
    var isDigitOrUppercase: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
    }
}

extension String {
    /// Whether the string is 1 to `maxLength` ASCII digits and uppercase letters.
    func isCode(maxLength: Int) -> Bool {
        let bytes = utf8
        return (1...maxLength).contains(bytes.count) && bytes.allSatisfy(\.isDigitOrUppercase)
    }
}
