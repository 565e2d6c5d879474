/// Writes values of any bit width, most significant bit first.
struct BitWriter {
    private(set) var bytes: [UInt8] = []
    private var bitCount = 0

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func write(_ value: UInt64, bits: Int) {
        precondition(
            bits <= 64 && (bits == 64 || value < (1 << UInt64(bits))),
            "value does not fit its bit width")
        for shift in stride(from: bits - 1, through: 0, by: -1) {
            if bitCount % 8 == 0 { bytes.append(0) }
            if (value >> UInt64(shift)) & 1 == 1 {
                bytes[bytes.count - 1] |= 0x80 >> UInt8(bitCount % 8)
            }
            bitCount += 1
        }
    }
}

/// Reads values written by ``BitWriter``.
struct BitReader {
    private let bytes: ArraySlice<UInt8>
    private var position = 0

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    /// The next `bits` bits, or `nil` when fewer remain.
    mutating func read(bits: Int) -> UInt64? {
        guard position + bits <= bytes.count * 8 else { return nil }
        var value: UInt64 = 0
        for _ in 0..<bits {
            let byte = bytes[bytes.startIndex + position / 8]
            value = value << 1 | UInt64((byte >> UInt8(7 - position % 8)) & 1)
            position += 1
        }
        return value
    }

    /// Whether the rest of the current byte is zero padding and no bytes follow it.
    var isAtPaddedEnd: Bool {
        let end = (position + 7) / 8
        guard end == bytes.count else { return false }
        guard position % 8 != 0 else { return true }
        let last = bytes[bytes.startIndex + end - 1]
        return last & (0xFF >> UInt8(position % 8)) == 0
    }
}

/// Packs strings of digits and uppercase letters the way QR codes do: digits three to 10 bits,
/// letters and digits two to 11 bits.
enum CodePacking {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)

    static func value(of byte: UInt8) -> UInt64 {
        byte <= UInt8(ascii: "9")
            ? UInt64(byte - UInt8(ascii: "0")) : UInt64(byte - UInt8(ascii: "A") + 10)
    }

    /// Digits: 10 bits per three, 7 for a last two, 4 for a last one.
    static func writeDigits(_ bytes: [UInt8], to writer: inout BitWriter) {
        var index = 0
        while index < bytes.count {
            let count = min(3, bytes.count - index)
            var n: UInt64 = 0
            for offset in 0..<count { n = n * 10 + value(of: bytes[index + offset]) }
            writer.write(n, bits: [0, 4, 7, 10][count])
            index += count
        }
    }

    static func readDigits(count: Int, from reader: inout BitReader) -> Result<
        [UInt8], MalformedReason
    > {
        var output: [UInt8] = []
        var remaining = count
        while remaining > 0 {
            let group = min(3, remaining)
            guard let n = reader.read(bits: [0, 4, 7, 10][group]) else {
                return .failure(.truncated)
            }
            guard n < [1, 10, 100, 1000][group] else {
                return .failure(.fieldOutOfRange("registrant"))
            }
            var digits: [UInt8] = []
            var rest = n
            for _ in 0..<group {
                digits.append(UInt8(ascii: "0") + UInt8(rest % 10))
                rest /= 10
            }
            output += digits.reversed()
            remaining -= group
        }
        return .success(output)
    }

    /// Digits and uppercase letters: 11 bits per two (base 36), 6 for a last one.
    static func writeAlphanumeric(_ bytes: [UInt8], to writer: inout BitWriter) {
        var index = 0
        while index < bytes.count {
            if index + 1 < bytes.count {
                writer.write(value(of: bytes[index]) * 36 + value(of: bytes[index + 1]), bits: 11)
                index += 2
            } else {
                writer.write(value(of: bytes[index]), bits: 6)
                index += 1
            }
        }
    }

    static func readAlphanumeric(count: Int, field: String, from reader: inout BitReader) -> Result<
        [UInt8], MalformedReason
    > {
        var output: [UInt8] = []
        var remaining = count
        while remaining > 0 {
            if remaining >= 2 {
                guard let n = reader.read(bits: 11) else { return .failure(.truncated) }
                guard n < 36 * 36 else { return .failure(.fieldOutOfRange(field)) }
                output.append(alphabet[Int(n / 36)])
                output.append(alphabet[Int(n % 36)])
                remaining -= 2
            } else {
                guard let n = reader.read(bits: 6) else { return .failure(.truncated) }
                guard n < 36 else { return .failure(.fieldOutOfRange(field)) }
                output.append(alphabet[Int(n)])
                remaining -= 1
            }
        }
        return .success(output)
    }
}
