import CTurboJPEG
public import Imaging

/// An error reported by TurboJPEG while compressing, with its message.
public struct JPEGError: Error, Hashable, Sendable, CustomStringConvertible {
    /// TurboJPEG's message.
    public var message: String
    public var description: String { "libjpeg-turbo: \(message)" }
}

/// What a JPEG header says about the image.
public struct JPEGHeader: Hashable, Sendable {
    /// Full-resolution width in pixels.
    public var width: Int
    /// Full-resolution height in pixels.
    public var height: Int
    /// Whether the image is stored as CMYK or YCCK.
    public var isCMYK: Bool
}

/// JPEG reading and writing through the TurboJPEG API, which reports errors by return value;
/// libjpeg's default error handler, which calls `exit()`, is never installed.
public enum JPEG {
    /// Whether `bytes` start with a JPEG SOI marker.
    public static func isJPEG(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF
    }

    /// The scale denominators TurboJPEG can decode at: 1, 2, 4 and 8.
    public static let scaleDenominators = [1, 2, 4, 8]

    /// Why the file cannot hold the image its header announces, or `nil` when it can.
    ///
    /// Checked before any pixel buffer is allocated: libjpeg-turbo decodes a truncated file
    /// into a full-size buffer of grey, so a few hundred bytes claiming 60,000 x 60,000 pixels
    /// would cost gigabytes. Every 8x8 block of the most finely sampled component carries at
    /// least one Huffman-coded bit for its DC coefficient (lossless JPEG: one per sample), so
    /// the file needs at least one bit per block. Arithmetic coding, which can pack blank blocks
    /// tighter and which no camera writes, is refused.
    public static func implausibility(of bytes: [UInt8], width: Int, height: Int) -> String? {
        var index = 2
        while index + 4 <= bytes.count {
            guard bytes[index] == 0xFF else { return "no marker where one was expected" }
            let marker = bytes[index + 1]
            if marker == 0xFF { index += 1; continue }
            if marker == 0x01 || (0xD0...0xD7).contains(marker) { index += 2; continue }
            if marker == 0xDA || marker == 0xD9 { break }
            if [0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF].contains(marker) {
                return "arithmetic-coded JPEG is not supported"
            }
            let length = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            guard length >= 2 else { return "a marker segment has a bad length" }
            index += 2 + length
        }
        let blocksWide = width / 8 + (width % 8 == 0 ? 0 : 1)
        let blocksHigh = height / 8 + (height % 8 == 0 ? 0 : 1)
        let (blocks, overflow) = blocksWide.multipliedReportingOverflow(by: blocksHigh)
        let (bits, bitsOverflow) = bytes.count.multipliedReportingOverflow(by: 8)
        if overflow || (!bitsOverflow && bits < blocks) {
            return "the file (\(bytes.count) bytes) is too short for \(width)x\(height) pixels"
        }
        return nil
    }

    /// The size of a `width` x `height` image decoded at 1/`denominator` scale.
    public static func scaledSize(width: Int, height: Int, denominator: Int) -> (
        width: Int, height: Int
    ) {
        ((width + denominator - 1) / denominator, (height + denominator - 1) / denominator)
    }
}

/// Owns one TurboJPEG decompressor. Not thread-safe: use one per thread.
@safe public final class JPEGDecoder {
    private let handle: tjhandle

    /// Creates a decompressor.
    public init() throws(JPEGError) {
        guard let handle = unsafe tjInitDecompress() else {
            throw unsafe JPEGError(message: String(cString: tjGetErrorStr2(nil)))
        }
        unsafe self.handle = handle
    }

    deinit { unsafe _ = tjDestroy(handle) }

    /// Reads the header only.
    public func header(of bytes: [UInt8]) throws(ImageDecodingError) -> JPEGHeader {
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let status = unsafe bytes.withUnsafeBufferPointer { buffer in
            unsafe tjDecompressHeader3(
                handle, buffer.baseAddress, UInt(buffer.count), &width, &height, &subsampling,
                &colorspace)
        }
        guard status == 0 else { throw .corrupt(library: "libjpeg-turbo", message: lastError) }
        guard width > 0, height > 0 else {
            throw .corrupt(library: "libjpeg-turbo", message: "no image dimensions in the header")
        }
        let cmyk =
            colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        return JPEGHeader(width: Int(width), height: Int(height), isCMYK: cmyk)
    }

    /// Decodes to 8-bit gray at 1/`scaleDenominator` of full size (1, 2, 4 or 8), using the
    /// decoder's own DCT scaling, which is far cheaper than decoding in full and shrinking.
    /// - Parameter maxPixels: images whose header claims more full-size pixels are refused
    ///   before any pixel buffer is allocated.
    public func decode(_ bytes: [UInt8], scaleDenominator: Int = 1, maxPixels: Int)
        throws(ImageDecodingError) -> GrayImage
    {
        precondition(JPEG.scaleDenominators.contains(scaleDenominator), "unsupported JPEG scale")
        let header = try header(of: bytes)
        guard let product = PixelBudget.pixels(width: header.width, height: header.height),
            product <= maxPixels
        else {
            throw .tooLarge(width: header.width, height: header.height, limit: maxPixels)
        }
        if let problem = JPEG.implausibility(of: bytes, width: header.width, height: header.height)
        {
            throw .corrupt(library: "libjpeg-turbo", message: problem)
        }
        let (width, height) = JPEG.scaledSize(
            width: header.width, height: header.height, denominator: scaleDenominator)
        // TurboJPEG cannot convert CMYK to gray, so CMYK images are decoded as CMYK and
        // converted here.
        let channels = header.isCMYK ? 4 : 1
        let format = header.isCMYK ? TJPF_CMYK : TJPF_GRAY
        guard let scaledPixels = PixelBudget.pixels(width: width, height: height),
            let bufferSize = PixelBudget.bytes(pixels: scaledPixels, channels: channels)
        else { throw .tooLarge(width: header.width, height: header.height, limit: maxPixels) }
        var pixels = [UInt8](repeating: 0, count: bufferSize)
        let status = unsafe bytes.withUnsafeBufferPointer { source in
            unsafe pixels.withUnsafeMutableBufferPointer { target in
                unsafe tjDecompress2(
                    handle, source.baseAddress, UInt(source.count), target.baseAddress,
                    Int32(width), 0, Int32(height), Int32(format.rawValue), 0)
            }
        }
        // A warning (a truncated scan, say) still yields pixels; only a fatal error has none.
        if unsafe status != 0 && tjGetErrorCode(handle) == Int32(TJERR_FATAL.rawValue) {
            throw .corrupt(library: "libjpeg-turbo", message: lastError)
        }
        guard header.isCMYK else { return GrayImage(width: width, height: height, pixels: pixels) }
        var gray = [UInt8](repeating: 0, count: scaledPixels)
        for i in 0..<gray.count {
            // Adobe CMYK JPEGs store inverted inks: each value is already 255 - ink, so
            // red = c * k / 255 and so on, as TurboJPEG's own CMYK-to-RGB does.
            let c = Int(pixels[4 * i]), m = Int(pixels[4 * i + 1]), y = Int(pixels[4 * i + 2]),
                k = Int(pixels[4 * i + 3])
            let luma = (299 * c + 587 * m + 114 * y) * k / 255_000
            gray[i] = UInt8(clamping: luma)
        }
        return GrayImage(width: width, height: height, pixels: gray)
    }

    private var lastError: String { unsafe String(cString: unsafe tjGetErrorStr2(handle)) }
}

/// Owns one TurboJPEG compressor. Not thread-safe: use one per thread.
@safe public final class JPEGEncoder {
    private let handle: tjhandle

    /// Creates a compressor.
    public init() throws(JPEGError) {
        guard let handle = unsafe tjInitCompress() else {
            throw unsafe JPEGError(message: String(cString: tjGetErrorStr2(nil)))
        }
        unsafe self.handle = handle
    }

    deinit { unsafe _ = tjDestroy(handle) }

    /// Compresses a gray image as a baseline (or progressive) grayscale JPEG.
    public func encode(_ image: GrayImage, quality: Int, progressive: Bool = false)
        throws(JPEGError) -> [UInt8]
    {
        try compress(
            image.pixels, width: image.width, height: image.height, format: TJPF_GRAY,
            subsampling: TJSAMP_GRAY, quality: quality, progressive: progressive)
    }

    /// Compresses a gray image as a colour JPEG (the way a phone stores a photo), with the
    /// given chroma subsampling: 444, 422 or 420.
    public func encodeAsColor(
        _ image: GrayImage, quality: Int, subsampling: Int = 420, progressive: Bool = false
    )
        throws(JPEGError) -> [UInt8]
    {
        var rgb = [UInt8](repeating: 0, count: image.pixelCount * 3)
        for i in 0..<image.pixelCount {
            rgb[3 * i] = image.pixels[i]
            rgb[3 * i + 1] = image.pixels[i]
            rgb[3 * i + 2] = image.pixels[i]
        }
        let samp: TJSAMP =
            switch subsampling {
            case 444: TJSAMP_444
            case 422: TJSAMP_422
            default: TJSAMP_420
            }
        return try compress(
            rgb, width: image.width, height: image.height, format: TJPF_RGB,
            subsampling: samp, quality: quality, progressive: progressive)
    }

    /// Compresses a gray image as a CMYK JPEG, inks stored inverted as Adobe's encoder does.
    public func encodeAsCMYK(_ image: GrayImage, quality: Int) throws(JPEGError) -> [UInt8] {
        var cmyk = [UInt8](repeating: 255, count: image.pixelCount * 4)
        for i in 0..<image.pixelCount { cmyk[4 * i + 3] = image.pixels[i] }
        return try compress(
            cmyk, width: image.width, height: image.height, format: TJPF_CMYK,
            subsampling: TJSAMP_444, quality: quality, progressive: false)
    }

    private func compress(
        _ pixels: [UInt8], width: Int, height: Int, format: TJPF, subsampling: TJSAMP, quality: Int,
        progressive: Bool
    ) throws(JPEGError) -> [UInt8] {
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let flags = progressive ? TJFLAG_PROGRESSIVE : 0
        let status = unsafe pixels.withUnsafeBufferPointer { source in
            unsafe tjCompress2(
                handle, source.baseAddress, Int32(width), 0, Int32(height), Int32(format.rawValue),
                &output, &size, Int32(subsampling.rawValue), Int32(quality), Int32(flags))
        }
        // TurboJPEG allocated the output buffer: copy it out, then free it with tjFree.
        defer { if let buffer = unsafe output { unsafe tjFree(buffer) } }
        guard status == 0, let buffer = unsafe output else {
            throw unsafe JPEGError(message: String(cString: unsafe tjGetErrorStr2(handle)))
        }
        return unsafe Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
    }
}
