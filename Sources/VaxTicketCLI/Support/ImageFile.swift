import Imaging
import JPEGCodec
import PNGCodec
import PhotoReader

/// Decodes a whole PNG or JPEG to gray, the format judged by content.
enum ImageFile {
    static func decode(_ bytes: [UInt8], maxPixels: Int = 100_000_000) throws -> GrayImage {
        if PNG.isPNG(bytes) { return try PNG.decode(bytes, maxPixels: maxPixels) }
        if JPEG.isJPEG(bytes) { return try JPEGDecoder().decode(bytes, maxPixels: maxPixels) }
        throw bytes.isEmpty ? PhotoReadError.empty : PhotoReadError.unknownFormat
    }
}
