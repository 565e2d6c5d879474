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
}
