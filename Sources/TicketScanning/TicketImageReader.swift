public import PhotoReader
public import TicketCodec
public import ZBarScanner

/// Why an image gives no ticket at all.
public enum UnreadableImage: Error, Hashable, Sendable, CustomStringConvertible {
    /// No QR code could be found in the image.
    case noCode
    /// The image's QR codes hold binary data, not ticket text.
    case noText
    /// The file could not be read or decoded.
    case photo(PhotoReadError)

    /// The stable machine code.
    public var code: OutcomeCode {
        switch self {
        case .noCode: .noCode
        case .noText: .noText
        case .photo(let error):
            switch error {
            case .unreadable: .unreadableFile
            case .empty: .emptyFile
            case .unknownFormat: .unknownFormat
            case .tooLarge: .tooLarge
            case .corrupt: .corruptImage
            }
        }
    }

    /// A sentence for the officer.
    public var description: String {
        switch self {
        case .noCode: "no QR code found"
        case .noText: "the QR code holds binary data, not a ticket"
        case .photo(let error): error.description
        }
    }
}

/// One ticket found in an image: where it was, its text, and what verifying it found.
public struct ScannedTicket: Hashable, Sendable {
    /// The QR code it was read from, corners in the file's pixel coordinates.
    public var symbol: ScannedSymbol
    /// The ticket text the code holds.
    public var text: String
    /// The verification of that text.
    public var verification: TicketVerification

    /// A scanned ticket with every field given.
    public init(symbol: ScannedSymbol, text: String, verification: TicketVerification) {
        self.symbol = symbol
        self.text = text
        self.verification = verification
    }
}

/// Reads images into verified tickets: finds every QR code, keeps those that hold text, and
/// verifies each. What every front end (`verify`, `record`, the scanning server) calls.
/// Holds a photo reader, which is not thread-safe: use one per thread.
public final class TicketImageReader {
    /// Checks each ticket found.
    public let verifier: TicketVerifier
    private let photos: PhotoReader

    /// A reader that verifies with `verifier` and reads photos with `options`.
    public init(verifier: TicketVerifier, options: PhotoReaderOptions = PhotoReaderOptions()) {
        self.verifier = verifier
        self.photos = PhotoReader(options: options)
    }

    /// Every ticket in the PNG or JPEG file at `path`, verified on `day`; never empty.
    public func tickets(inFileAt path: String, on day: CalendarDate) throws(UnreadableImage)
        -> [ScannedTicket]
    {
        let bytes: [UInt8]
        do throws(PhotoReadError) {
            bytes = try PhotoReader.contents(of: path)
        } catch {
            throw .photo(error)
        }
        return try tickets(in: bytes, on: day)
    }

    /// Every ticket in an encoded PNG or JPEG (an upload, say), verified on `day`; never empty.
    public func tickets(in bytes: [UInt8], on day: CalendarDate) throws(UnreadableImage)
        -> [ScannedTicket]
    {
        let symbols: [ScannedSymbol]
        do throws(PhotoReadError) {
            symbols = try photos.read(bytes)
        } catch {
            throw .photo(error)
        }
        guard !symbols.isEmpty else { throw .noCode }
        // A code holding binary data is no ticket; it is only reported when nothing else is there.
        let tickets = symbols.compactMap { symbol in
            PayloadText.decode(symbol.bytes).map { text in
                ScannedTicket(
                    symbol: symbol, text: text, verification: verifier.verify(text, on: day))
            }
        }
        guard !tickets.isEmpty else { throw .noText }
        return tickets
    }
}
