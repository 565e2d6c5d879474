public import Imaging
public import ZBarScanner
import JPEGCodec
import PNGCodec
import Foundation

/// Why a photo yielded no symbols list at all (as opposed to an empty one).
public enum PhotoReadError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file could not be opened or read.
    case unreadable(String)
    /// The file is empty.
    case empty
    /// The content is neither PNG nor JPEG.
    case unknownFormat
    /// The header claims more pixels than the cap.
    case tooLarge(width: Int, height: Int, limit: Int)
    /// The decoder rejected the data (truncated or corrupt), with the library's message.
    case corrupt(String)

    /// A stable machine-readable code.
    public var code: String {
        switch self {
        case .unreadable: "unreadable_file"
        case .empty: "empty_file"
        case .unknownFormat: "unknown_format"
        case .tooLarge: "too_large"
        case .corrupt: "corrupt_image"
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let reason): "cannot read file: \(reason)"
        case .empty: "file is empty"
        case .unknownFormat: "not a PNG or JPEG image"
        case .tooLarge(let width, let height, let limit):
            "image is \(width)x\(height) pixels, over the limit of \(limit) pixels (see --max-pixels)"
        case .corrupt(let message): "corrupt image: \(message)"
        }
    }
}

/// Settings of the photo reader.
public struct PhotoReaderOptions: Sendable {
    /// Images whose header claims more pixels than this are refused before decoding.
    public var maxPixels: Int = 100_000_000

    /// The defaults: a 100 MP cap.
    public init(maxPixels: Int = 100_000_000) {
        self.maxPixels = maxPixels
    }
}

/// Finds every QR code in a PNG or JPEG photo, retrying with image enhancements when a first
/// pass finds nothing. Holds a zbar scanner and a JPEG decoder for reuse: one reader per thread.
public final class PhotoReader {
    /// The settings in force.
    public let options: PhotoReaderOptions
    private let scanner = QRScanner()
    private let jpegDecoder: JPEGDecoder?

    /// A reader with the given settings.
    public init(options: PhotoReaderOptions = PhotoReaderOptions()) {
        self.options = options
        self.jpegDecoder = try? JPEGDecoder()
    }

    /// Reads the file at `path` and returns every symbol found, corners in the file's pixel
    /// coordinates.
    public func read(contentsOf path: String) throws(PhotoReadError) -> [ScannedSymbol] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable((error as NSError).localizedDescription)
        }
        return try read([UInt8](data))
    }

    /// Reads an encoded PNG or JPEG, the format judged by content.
    public func read(_ bytes: [UInt8]) throws(PhotoReadError) -> [ScannedSymbol] {
        guard !bytes.isEmpty else { throw .empty }
        if PNG.isPNG(bytes) {
            let image: GrayImage
            do {
                image = try PNG.decode(bytes, maxPixels: options.maxPixels)
            } catch {
                throw Self.map(error)
            }
            return read(image)
        }
        if JPEG.isJPEG(bytes) {
            guard let decoder = jpegDecoder else { throw .corrupt("libjpeg-turbo: cannot create decoder") }
            do {
                let image = try decoder.decode(bytes, maxPixels: options.maxPixels)
                return read(image)
            } catch {
                throw Self.map(error)
            }
        }
        throw .unknownFormat
    }

    /// Reads a decoded image.
    public func read(_ image: GrayImage) -> [ScannedSymbol] {
        let found = scanner.scan(image)
        if !found.isEmpty { return found }
        return []
    }

    private static func map(_ error: ImageDecodingError) -> PhotoReadError {
        switch error {
        case .tooLarge(let width, let height, let limit): .tooLarge(width: width, height: height, limit: limit)
        case .corrupt(let library, let message): .corrupt("\(library): \(message)")
        }
    }
}
