/// An 8-bit grayscale image, row-major, one byte per pixel, 0 black and 255 white.
public struct GrayImage: Hashable, Sendable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width * height` luminance values, top row first.
    public var pixels: [UInt8]

    /// Wraps existing pixels; `pixels.count` must be `width * height`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(
            width >= 0 && height >= 0 && pixels.count == width * height,
            "pixel count does not match size")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image filled with one value.
    public init(width: Int, height: Int, filledWith value: UInt8 = 255) {
        self.init(
            width: width, height: height, pixels: [UInt8](repeating: value, count: width * height))
    }

    /// The number of pixels.
    public var pixelCount: Int { width * height }

    /// The pixel at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> UInt8 {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }

    /// The pixel at (`x`, `y`), with coordinates outside the image clamped to its edge.
    @inlinable
    public func clamped(_ x: Int, _ y: Int) -> UInt8 {
        let cx = min(max(x, 0), width - 1)
        let cy = min(max(y, 0), height - 1)
        return pixels[cy * width + cx]
    }

    /// Bilinear sample at a real-valued position; outside the image, `outside`.
    public func sample(_ x: Double, _ y: Double, outside: UInt8 = 255) -> UInt8 {
        UInt8(clamping: Int(interpolated(x, y, outside: Double(outside)) + 0.5))
    }

    /// The bilinear interpolation at a real-valued position (pixel centres at half-integers),
    /// not rounded; pixels off the image count as `outside`, and so does a position that is
    /// not a number.
    @inlinable
    public func interpolated(_ x: Double, _ y: Double, outside: Double = 255) -> Double {
        let fx = x - 0.5
        let fy = y - 0.5
        // Written so that NaN fails too.
        guard fx > -1, fy > -1, fx < Double(width), fy < Double(height) else { return outside }
        // fx + 1 > 0: truncation is the floor.
        let x0 = Int(fx + 1) - 1
        let y0 = Int(fy + 1) - 1
        let ax = fx - Double(x0)
        let ay = fy - Double(y0)
        let p00: Double, p10: Double, p01: Double, p11: Double
        if x0 >= 0, y0 >= 0, x0 + 1 < width, y0 + 1 < height {
            let i = y0 * width + x0
            p00 = Double(pixels[i])
            p10 = Double(pixels[i + 1])
            p01 = Double(pixels[i + width])
            p11 = Double(pixels[i + width + 1])
        } else {
            func at(_ px: Int, _ py: Int) -> Double {
                px < 0 || py < 0 || px >= width || py >= height
                    ? outside : Double(pixels[py * width + px])
            }
            (p00, p10, p01, p11) = (at(x0, y0), at(x0 + 1, y0), at(x0, y0 + 1), at(x0 + 1, y0 + 1))
        }
        let top = p00 + (p10 - p00) * ax
        let bottom = p01 + (p11 - p01) * ax
        return top + (bottom - top) * ay
    }
}

/// A 1-bit image packed eight pixels a byte, most significant bit first, each row padded to a
/// whole byte: the layout of a 1-bit grayscale PNG. A set bit is white.
public struct BilevelImage: Hashable, Sendable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Bytes per row: `(width + 7) / 8`.
    public var rowBytes: Int { (width + 7) / 8 }
    /// `rowBytes * height` packed bytes, top row first.
    public var bits: [UInt8]

    /// Wraps packed rows; `bits.count` must be `rowBytes * height`.
    public init(width: Int, height: Int, bits: [UInt8]) {
        precondition(
            width >= 0 && height >= 0 && bits.count == (width + 7) / 8 * height,
            "bit count does not match size")
        self.width = width
        self.height = height
        self.bits = bits
    }

    /// Whether the pixel at (`x`, `y`) is white.
    public func isWhite(_ x: Int, _ y: Int) -> Bool {
        bits[y * rowBytes + x >> 3] & (0x80 >> UInt8(x & 7)) != 0
    }

    /// The same picture at 8 bits a pixel.
    public var grayImage: GrayImage {
        var pixels = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width where isWhite(x, y) {
                pixels[y * width + x] = 255
            }
        }
        return GrayImage(width: width, height: height, pixels: pixels)
    }
}
