/// Host names as URLs give them, and whether one is this machine.
public enum NetworkHost {
    /// Whether `host` is this machine's loopback interface, which no other machine can listen
    /// on or read: `localhost`, an IPv4 address in 127.0.0.0/8 written as four decimal numbers,
    /// or the IPv6 address ::1 (in brackets or not). Anything else, including names that may
    /// resolve to a loopback address and other spellings of one, is not, so a check that
    /// relies on this errs on the safe side.
    public static func isLoopback(_ host: String) -> Bool {
        var name = host.lowercased()
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if name.hasSuffix(".") { name.removeLast() }
        if name == "localhost" { return true }
        if let octets = ipv4(name) { return octets[0] == 127 }
        return ipv6(name) == [0, 0, 0, 0, 0, 0, 0, 1]
    }

    /// The four numbers of a dotted-decimal IPv4 address, or `nil`.
    static func ipv4(_ text: String) -> [Int]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [Int] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int(part), value <= 255
            else { return nil }
            octets.append(value)
        }
        return octets
    }

    /// The eight 16-bit groups of an IPv6 address in hexadecimal groups (with at most one
    /// `::`), or `nil`. Embedded IPv4 forms and zone ids are not read.
    static func ipv6(_ text: String) -> [Int]? {
        func groups(_ part: Substring) -> [Int]? {
            guard !part.isEmpty else { return [] }
            var values: [Int] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(group.count), group.allSatisfy(\.isHexDigit),
                    let value = Int(group, radix: 16)
                else { return nil }
                values.append(value)
            }
            return values
        }
        let halves = text.split(separator: "::", omittingEmptySubsequences: false)
        switch halves.count {
        case 1:
            guard let all = groups(Substring(text)), all.count == 8 else { return nil }
            return all
        case 2:
            guard let head = groups(halves[0]), let tail = groups(halves[1]),
                head.count + tail.count <= 7
            else { return nil }
            return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        default:
            return nil
        }
    }
}
