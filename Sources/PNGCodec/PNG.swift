import CPNG
import CPNGWriter
public import Imaging

/// An error reported by libpng while writing, with its message.
public struct PNGError: Error, Hashable, Sendable, CustomStringConvertible {
    /// libpng's message.
    public var message: String
    public var description: String { "libpng: \(message)" }
}

/// PNG reading and writing through libpng.
public enum PNG {
    /// The eight bytes every PNG file starts with.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Whether `bytes` start with the PNG signature.
    public static func isPNG(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 8 && Array(bytes[0..<8]) == signature
    }

    /// Decodes a PNG of any colour type, bit depth and interlacing to 8-bit gray, compositing
    /// any transparency on white.
    ///
    /// Uses libpng's simplified `png_image_*` API, which catches libpng's internal `longjmp`
    /// itself and reports failure through its return value and `message`.
    /// - Parameter maxPixels: images whose header claims more pixels are refused before any
    ///   pixel buffer is allocated.
    public static func decode(_ bytes: [UInt8], maxPixels: Int) throws(ImageDecodingError)
        -> GrayImage
    {
        var image = unsafe png_image()
        unsafe image.version = UInt32(PNG_IMAGE_VERSION)
        let began = unsafe bytes.withUnsafeBytes { raw in
            unsafe png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count)
        }
        guard began != 0 else {
            throw unsafe .corrupt(library: "libpng", message: message(of: image))
        }
        // From here the png_image owns a libpng control block: free it on every path.
        defer { unsafe png_image_free(&image) }
        let width = unsafe Int(image.width)
        let height = unsafe Int(image.height)
        guard let pixelCount = PixelBudget.pixels(width: width, height: height),
            pixelCount <= maxPixels
        else {
            throw .tooLarge(width: width, height: height, limit: maxPixels)
        }
        // Allocate nothing for pixels the file cannot hold: deflate packs at most 1032 bytes into
        // one, and every row holds at least a filter byte and one bit per pixel, so a file too
        // short for its header's size is refused before the buffer (a 201-byte PNG claiming
        // 10,000 x 10,000 pixels must not cost 100 MB).
        guard PNG.canHold(width: width, height: height, fileSize: bytes.count) else {
            throw .corrupt(
                library: "libpng",
                message:
                    "the file (\(bytes.count) bytes) is too short for \(width)x\(height) pixels")
        }
        // libpng turns colour into gray through 16-bit linear light, which costs more than the
        // rest of a scan. Opaque 8-bit colour is read as sRGB RGB, a plain copy, and weighted
        // into luma here; alpha, 16-bit and palette images keep libpng's exact path.
        let natural = unsafe image.format
        let plainColour =
            natural & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
            && natural
                & UInt32(PNG_FORMAT_FLAG_ALPHA | PNG_FORMAT_FLAG_LINEAR | PNG_FORMAT_FLAG_COLORMAP)
                == 0
        let channels = plainColour ? 3 : 1
        // PNG_FORMAT_RGB is the colour flag alone, PNG_FORMAT_GRAY no flag.
        unsafe image.format = plainColour ? UInt32(PNG_FORMAT_FLAG_COLOR) : UInt32(PNG_FORMAT_GRAY)
        guard let bufferSize = PixelBudget.bytes(pixels: pixelCount, channels: channels),
            let rowStride = PixelBudget.bytes(pixels: width, channels: channels),
            let stride = Int32(exactly: rowStride)
        else { throw .tooLarge(width: width, height: height, limit: maxPixels) }
        var pixels = [UInt8](repeating: 255, count: bufferSize)
        // For gray output libpng composites alpha onto the green channel of this colour.
        var white = png_color(red: 255, green: 255, blue: 255)
        let finished = unsafe pixels.withUnsafeMutableBytes { raw in
            unsafe png_image_finish_read(&image, &white, raw.baseAddress, stride, nil)
        }
        guard finished != 0 else {
            throw unsafe .corrupt(library: "libpng", message: message(of: image))
        }
        if plainColour {
            return GrayImage(width: width, height: height, pixels: luma(ofRGB: pixels))
        }
        return GrayImage(width: width, height: height, pixels: pixels)
    }

    /// The most bytes deflate can expand one compressed byte into (RFC 1951: a 258-byte match
    /// in as little as two bits is about 1032:1).
    static let maximumInflation = 1032

    /// Whether a PNG of `fileSize` bytes can hold the pixel rows of a `width` x `height` image:
    /// its compressed data, at most the whole file, inflates to at most ``maximumInflation``
    /// times its size, and the rows need at least one filter byte and one bit per pixel each.
    public static func canHold(width: Int, height: Int, fileSize: Int) -> Bool {
        guard width > 0, height > 0, fileSize > 0 else { return false }
        let (rowBytes, overflowRow) = (width / 8 + (width % 8 == 0 ? 0 : 1))
            .addingReportingOverflow(1)
        let (needed, overflowNeeded) = rowBytes.multipliedReportingOverflow(by: height)
        let (available, overflowAvailable) = fileSize.multipliedReportingOverflow(
            by: maximumInflation)
        if overflowAvailable { return true }
        return !overflowRow && !overflowNeeded && needed <= available
    }

    /// Rec. 601 luma of packed 8-bit RGB, in integer arithmetic.
    private static func luma(ofRGB rgb: [UInt8]) -> [UInt8] {
        var gray = [UInt8](repeating: 0, count: rgb.count / 3)
        for i in 0..<gray.count {
            let r = UInt32(rgb[3 * i]), g = UInt32(rgb[3 * i + 1]), b = UInt32(rgb[3 * i + 2])
            gray[i] = UInt8((r * 77 + g * 150 + b * 29 + 128) >> 8)
        }
        return gray
    }

    /// Encodes a 1-bit image as a 1-bit grayscale PNG, the smallest and fastest form for a QR code.
    /// - Parameter dpi: when given, a pHYs chunk records it so the image prints at that density.
    public static func encode(_ image: BilevelImage, dpi: Int? = nil, compressionLevel: Int = 6)
        throws(PNGError) -> [UInt8]
    {
        try encode(
            rows: image.bits, width: image.width, height: image.height, bitDepth: 1,
            rowBytes: image.rowBytes, dpi: dpi, compressionLevel: compressionLevel)
    }

    /// Encodes an 8-bit grayscale PNG.
    public static func encode(_ image: GrayImage, dpi: Int? = nil, compressionLevel: Int = 6)
        throws(PNGError) -> [UInt8]
    {
        try encode(
            rows: image.pixels, width: image.width, height: image.height, bitDepth: 8,
            rowBytes: image.width, dpi: dpi, compressionLevel: compressionLevel)
    }

    private static func encode(
        rows: [UInt8], width: Int, height: Int, bitDepth: Int32, rowBytes: Int, dpi: Int?,
        compressionLevel: Int
    ) throws(PNGError) -> [UInt8] {
        guard width > 0, height > 0 else { throw PNGError(message: "image has no pixels") }
        // pHYs stores pixels per metre; one inch is 0.0254 m.
        let pixelsPerMetre = dpi.map { UInt32((Double($0) / 0.0254).rounded()) } ?? 0
        var output: UnsafeMutablePointer<UInt8>? = nil
        var outputSize = 0
        var messageBuffer = [CChar](repeating: 0, count: 256)
        let status = unsafe rows.withUnsafeBufferPointer { source in
            unsafe messageBuffer.withUnsafeMutableBufferPointer { message in
                unsafe vax_png_encode_gray(
                    source.baseAddress, UInt32(width), UInt32(height), bitDepth, rowBytes,
                    pixelsPerMetre,
                    Int32(compressionLevel), &output, &outputSize, message.baseAddress,
                    message.count)
            }
        }
        guard status == 0, let buffer = unsafe output else {
            throw PNGError(
                message: String(
                    decoding: messageBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) },
                    as: UTF8.self))
        }
        // The C side malloc'd the buffer for us: copy it into Swift memory, then free it once.
        defer { unsafe vax_png_free(buffer) }
        return unsafe Array(UnsafeBufferPointer(start: buffer, count: outputSize))
    }

    private static func message(of image: png_image) -> String {
        var copy = unsafe image
        return unsafe withUnsafeBytes(of: &copy.message) { raw in
            let bytes = unsafe raw.prefix { $0 != 0 }
            return unsafe String(decoding: bytes, as: UTF8.self)
        }
    }
}
