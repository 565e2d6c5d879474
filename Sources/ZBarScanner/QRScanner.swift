import CZBar
public import Imaging

/// One QR code found in an image: its exact payload bytes and where it lies.
public struct ScannedSymbol: Hashable, Sendable {
    /// The payload bytes exactly as stored in the symbol.
    public var bytes: [UInt8]
    /// The corners zbar located, in the coordinates of the scanned image.
    public var corners: [Point]

    /// A symbol with the given payload and corners.
    public init(bytes: [UInt8], corners: [Point]) {
        self.bytes = bytes
        self.corners = corners
    }
}

/// A zbar image scanner set up for QR codes only, returning raw bytes.
///
/// The zbar scanner and image objects are created once and reused for every scan. Not
/// thread-safe: use one scanner per thread.
@safe public final class QRScanner {
    private let scanner: OpaquePointer
    private let image: OpaquePointer

    /// Creates a scanner that looks for QR codes only.
    /// - Parameter testInverted: also try light-on-dark codes when nothing is found.
    public init(testInverted: Bool = false) {
        guard let scanner = unsafe zbar_image_scanner_create(),
            let image = unsafe zbar_image_create()
        else {
            fatalError("zbar could not allocate a scanner")
        }
        unsafe self.scanner = scanner
        unsafe self.image = image
        unsafe zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0)
        unsafe zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1)
        // Without BINARY, zbar guesses a character set and converts, which mangles bytes.
        unsafe zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1)
        unsafe zbar_image_scanner_set_config(
            scanner, ZBAR_NONE, ZBAR_CFG_TEST_INVERTED, testInverted ? 1 : 0)
        // "Y800" is 8-bit gray, one byte a pixel.
        unsafe zbar_image_set_format(image, 0x3030_3859)
    }

    deinit {
        unsafe zbar_image_destroy(image)
        unsafe zbar_image_scanner_destroy(scanner)
    }

    /// Every QR code zbar finds in the image, payloads copied out byte for byte.
    public func scan(_ gray: GrayImage) -> [ScannedSymbol] {
        guard gray.width > 0, gray.height > 0 else { return [] }
        return unsafe gray.pixels.withUnsafeBufferPointer { pixels in
            // The zbar image borrows our pixels (no cleanup handler) only for this closure;
            // symbols belong to the image, so they are copied out before the borrow ends.
            unsafe zbar_image_set_size(image, UInt32(gray.width), UInt32(gray.height))
            unsafe zbar_image_set_data(image, pixels.baseAddress, UInt(pixels.count), nil)
            defer { unsafe zbar_image_set_data(image, nil, 0, nil) }
            guard unsafe zbar_scan_image(scanner, image) > 0 else { return [] }
            var found: [ScannedSymbol] = []
            var symbol = unsafe zbar_image_first_symbol(image)
            while let current = unsafe symbol {
                if unsafe zbar_symbol_get_type(current) == ZBAR_QRCODE {
                    unsafe found.append(copy(current))
                }
                unsafe symbol = unsafe zbar_symbol_next(current)
            }
            return found
        }
    }

    private func copy(_ symbol: OpaquePointer) -> ScannedSymbol {
        let length = Int(unsafe zbar_symbol_get_data_length(symbol))
        let bytes: [UInt8]
        if let data = unsafe zbar_symbol_get_data(symbol) {
            bytes = unsafe UnsafeRawBufferPointer(start: data, count: length).map { $0 }
        } else {
            bytes = []
        }
        let count = unsafe zbar_symbol_get_loc_size(symbol)
        var corners: [Point] = []
        for index in 0..<count {
            let x = unsafe zbar_symbol_get_loc_x(symbol, index)
            let y = unsafe zbar_symbol_get_loc_y(symbol, index)
            corners.append(Point(x: Double(x), y: Double(y)))
        }
        return ScannedSymbol(bytes: bytes, corners: corners)
    }
}
