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
    /// `2021-08-23T02:00:00.000Z`.
    public static func string(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// The instant an ISO 8601 text names, with or without fractional seconds, or `nil`.
    public static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
