public import Imaging
import JPEGCodec
import PNGCodec

/// Whole PNG and JPEG files decoded to gray, the format judged by content.
public enum ImageFile {
    /// Decodes `bytes` in full, refusing an image whose header claims more than `maxPixels`.
    public static func decode(_ bytes: [UInt8], maxPixels: Int = 100_000_000) throws(PhotoReadError)
        -> GrayImage
    {
        guard !bytes.isEmpty else { throw .empty }
        do {
            if PNG.isPNG(bytes) { return try PNG.decode(bytes, maxPixels: maxPixels) }
            if JPEG.isJPEG(bytes) { return try JPEGDecoder().decode(bytes, maxPixels: maxPixels) }
        } catch let error as ImageDecodingError {
            throw PhotoReadError(error)
        } catch {
            throw .corrupt("\(error)")
        }
        throw .unknownFormat
    }
}

extension PhotoReadError {
    /// The photo reader's error for a decoder's.
    init(_ error: ImageDecodingError) {
        switch error {
        case .tooLarge(let width, let height, let limit):
            self = .tooLarge(width: width, height: height, limit: limit)
        case .corrupt(let library, let message): self = .corrupt("\(library): \(message)")
        }
    }
}
