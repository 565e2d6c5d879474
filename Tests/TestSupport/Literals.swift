public import TicketCodec

// Days and groups written as the tests' literals, `"2021-08-23"` and `"GENERAL"`, so a test
// reads as the record it checks. A literal that is not a day or a group is a mistake in the
// test itself and stops it at once.

extension CalendarDate: ExpressibleByStringLiteral,
    ExpressibleByUnicodeScalarLiteral, ExpressibleByExtendedGraphemeClusterLiteral
{
    public init(stringLiteral value: String) {
        guard let day = CalendarDate(iso: value) else { preconditionFailure("not a day: \(value)") }
        self = day
    }
}

extension PriorityGroup: ExpressibleByStringLiteral,
    ExpressibleByUnicodeScalarLiteral, ExpressibleByExtendedGraphemeClusterLiteral
{
    public init(stringLiteral value: String) {
        guard let group = PriorityGroup(rawValue: value) else {
            preconditionFailure("not a priority group: \(value)")
        }
        self = group
    }
}
