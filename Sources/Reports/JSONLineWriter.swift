public import Foundation

/// Writes one JSON object per line, the form every `--json` output and every API response
/// body takes: keys sorted, slashes unescaped, dates as ISO 8601 with fractional seconds.
public struct JSONLineWriter: Sendable {
    /// Where lines go.
    public var output: FileHandle

    /// A writer to `output`, standard output by default.
    public init(output: FileHandle = .standardOutput) {
        self.output = output
    }

    /// The encoder behind every line and response body.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.string(date))
        }
        return encoder
    }

    /// The decoder of what ``encoder()`` wrote: the same instants.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamp.date(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "not an ISO 8601 instant")
            }
            return date
        }
        return decoder
    }

    /// `value` as one line of JSON, without the line break.
    public static func line(_ value: some Encodable) throws -> String {
        String(decoding: try encoder().encode(value), as: UTF8.self)
    }

    /// Writes `value` as one line, straight away, so lines and messages on standard error keep their order.
    public func write(_ value: some Encodable) throws {
        var data = try Self.encoder().encode(value)
        data.append(UInt8(ascii: "\n"))
        try output.write(contentsOf: data)
    }
}

/// Instants as they appear in output: ISO 8601 in UTC with milliseconds.
public enum Timestamp {
    /// The format: a value, so it is made once and shared by every thread (an
    /// `ISO8601DateFormatter` made per instant cost a third of a scan answer's time).
    static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    static let wholeSeconds = Date.ISO8601FormatStyle()

    /// `2021-08-23T02:00:00.000Z`: rounded to the nearest millisecond, as
    /// `ISO8601DateFormatter` writes it (the format style would cut the milliseconds instead).
    public static func string(_ date: Date) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        // Beyond any date a store holds; written without milliseconds rather than trapping.
        guard abs(milliseconds) < 1e15 else { return wholeSeconds.format(date) }
        let total = Int64(milliseconds)
        let (seconds, millis) = (total.quotientFloored(by: 1000), total.moduloFloored(by: 1000))
        var text = wholeSeconds.format(Date(timeIntervalSince1970: Double(seconds)))
        guard text.last == "Z" else { return style.format(date) }
        text.removeLast()
        let digits = String(millis)
        return text + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    /// The instant an ISO 8601 text names, with or without fractional seconds, or `nil`.
    public static func date(_ text: String) -> Date? {
        if let date = try? style.parse(text) { return date }
        if let date = try? wholeSeconds.parse(text) { return date }
        // Forms the format styles do not read (an offset instead of Z, say).
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}

extension Int64 {
    /// The quotient rounded toward negative infinity.
    fileprivate func quotientFloored(by divisor: Int64) -> Int64 {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? quotient - 1 : quotient
    }

    /// The remainder of ``quotientFloored(by:)``, from 0 to `divisor - 1`.
    fileprivate func moduloFloored(by divisor: Int64) -> Int64 {
        let remainder = self % divisor
        return remainder < 0 ? remainder + divisor : remainder
    }
}
