/// Base45 (RFC 9285): bytes as characters of the QR code alphanumeric set.
public enum Base45 {
    /// The 45 characters, in value order.
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".utf8)

    private static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (value, byte) in alphabet.enumerated() { table[Int(byte)] = Int8(value) }
        return table
    }()

    /// Encodes `bytes`: each pair becomes three characters, a last odd byte two.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 1) / 2 * 3)
        var iterator = bytes.makeIterator()
        while let first = iterator.next() {
            if let second = iterator.next() {
                var n = Int(first) << 8 | Int(second)
                for _ in 0..<3 {
                    output.append(alphabet[n % 45])
                    n /= 45
                }
            } else {
                let n = Int(first)
                output.append(alphabet[n % 45])
                output.append(alphabet[n / 45])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes Base45 text, or `nil` when a character is outside the alphabet, the length leaves
    /// a single character, or a group's value is too large for its bytes.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 3 != 1 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(characters.count / 3 * 2 + 1)
        var index = 0
        while index < characters.count {
            let count = min(3, characters.count - index)
            var n = 0
            var weight = 1
            for offset in 0..<count {
                let value = values[Int(characters[index + offset])]
                guard value >= 0 else { return nil }
                n += Int(value) * weight
                weight *= 45
            }
            if count == 3 {
                guard n <= 0xFFFF else { return nil }
                output.append(UInt8(n >> 8))
                output.append(UInt8(n & 0xFF))
            } else {
                guard n <= 0xFF else { return nil }
                output.append(UInt8(n))
            }
            index += count
        }
        return output
    }
}
