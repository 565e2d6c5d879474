import Foundation
import Imaging
public import PhotoReader
public import TicketCodec
public import TicketScanning
public import ZBarScanner

/// One `scan --json` line: every QR code in one image, or why the image could not be read.
public struct ScanReport: Encodable, Sendable {
    /// One QR code.
    public struct Symbol: Encodable, Sendable {
        /// The payload as text, `nil` when it is binary.
        public var text: String?
        /// The exact payload bytes, Base64.
        public var bytes: String
        /// The corners, `[x, y]` in the file's pixel coordinates.
        public var corners: [[Double]]

        /// The report of `symbol`.
        public init(_ symbol: ScannedSymbol) {
            text = PayloadText.decode(symbol.bytes)
            bytes = Data(symbol.bytes).base64EncodedString()
            corners = symbol.corners.map { [$0.x, $0.y] }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(text, forKey: .text)
            try container.encode(bytes, forKey: .bytes)
            try container.encode(corners, forKey: .corners)
        }

        private enum CodingKeys: String, CodingKey { case text, bytes, corners }
    }

    /// The image file.
    public var file: String
    /// The codes found; empty when none were, or on error.
    public var symbols: [Symbol]
    /// Why the file could not be read, or `nil`.
    public var error: ErrorReport?

    /// The report of reading `file`.
    public init(file: String, result: Result<[ScannedSymbol], PhotoReadError>) {
        self.file = file
        switch result {
        case .success(let found):
            symbols = found.map(Symbol.init)
            error = nil
        case .failure(let failure):
            symbols = []
            error = ErrorReport(UnreadableImage.photo(failure))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(file, forKey: .file)
        try container.encode(symbols, forKey: .symbols)
        try container.encode(error, forKey: .error)
    }

    private enum CodingKeys: String, CodingKey { case file, symbols, error }
}

/// A failure with its stable code and a sentence.
public struct ErrorReport: Encodable, Hashable, Sendable {
    /// The stable code.
    public var code: OutcomeCode
    /// The sentence.
    public var message: String

    /// The report of an image that gives no ticket.
    public init(_ unreadable: UnreadableImage) {
        code = unreadable.code
        message = unreadable.description
    }
}
