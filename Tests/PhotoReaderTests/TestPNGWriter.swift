/// A minimal PNG writer for tests: any colour type and bit depth, optional palette and tRNS,
/// optional Adam7 interlacing; image data in zlib "stored" (uncompressed) deflate blocks, so it
/// needs no zlib. The product's own writer only writes gray, and libpng's reader must be tested
/// on every other kind too.
struct TestPNGWriter {
    /// PNG colour types.
    enum ColorType: UInt8 {
        case gray = 0, rgb = 2, palette = 3, grayAlpha = 4, rgba = 6

        var channels: Int {
            switch self {
            case .gray, .palette: 1
            case .grayAlpha: 2
            case .rgb: 3
            case .rgba: 4
            }
        }
    }

    var width: Int
    var height: Int
    var colorType: ColorType
    var bitDepth: Int
    var interlaced = false
    /// RGB triples for a palette image.
    var palette: [[UInt8]] = []
    /// Raw tRNS chunk content, when any.
    var transparency: [UInt8]? = nil
    /// The samples of the pixel at (x, y), each already within the bit depth.
    var samples: (Int, Int) -> [Int]

    /// The encoded file.
    func encoded() -> [UInt8] {
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header = Self.bigEndian32(width) + Self.bigEndian32(height)
        header += [UInt8(bitDepth), colorType.rawValue, 0, 0, interlaced ? 1 : 0]
        file += Self.chunk("IHDR", header)
        if !palette.isEmpty { file += Self.chunk("PLTE", palette.flatMap { $0 }) }
        if let transparency { file += Self.chunk("tRNS", transparency) }
        file += Self.chunk("IDAT", Self.zlibStored(scanlines()))
        file += Self.chunk("IEND", [])
        return file
    }

    /// The filtered (filter type 0) scanlines, pass by pass when interlaced.
    private func scanlines() -> [UInt8] {
        guard interlaced else { return rows(xs: Array(0..<width), ys: Array(0..<height)) }
        // Adam7: (x start, y start, x step, y step) per pass.
        let passes = [
            (0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
            (0, 1, 1, 2),
        ]
        var out: [UInt8] = []
        for (x0, y0, dx, dy) in passes {
            let xs = Array(stride(from: x0, to: width, by: dx))
            let ys = Array(stride(from: y0, to: height, by: dy))
            if !xs.isEmpty && !ys.isEmpty { out += rows(xs: xs, ys: ys) }
        }
        return out
    }

    private func rows(xs: [Int], ys: [Int]) -> [UInt8] {
        var out: [UInt8] = []
        for y in ys {
            out.append(0)
            var bits = 0, accumulator = 0
            for x in xs {
                for sample in samples(x, y) {
                    if bitDepth == 16 {
                        out += [UInt8(sample >> 8), UInt8(sample & 0xFF)]
                    } else if bitDepth == 8 {
                        out.append(UInt8(sample))
                    } else {
                        accumulator = accumulator << bitDepth | sample
                        bits += bitDepth
                        if bits == 8 {
                            out.append(UInt8(accumulator))
                            bits = 0
                            accumulator = 0
                        }
                    }
                }
            }
            if bits > 0 { out.append(UInt8(accumulator << (8 - bits))) }
        }
        return out
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        return bigEndian32(data.count) + typeBytes + data
            + bigEndian32(Int(crc32(typeBytes + data)))
    }

    /// A zlib stream of stored deflate blocks (at most 65535 bytes each).
    private static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(65535, data.count - offset)
            let final: UInt8 = offset + length == data.count ? 1 : 0
            out += [
                final, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF),
                UInt8((~length >> 8) & 0xFF),
            ]
            out += data[offset..<offset + length]
            offset += length
        } while offset < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return out + bigEndian32(Int(b << 16 | a))
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func bigEndian32(_ value: Int) -> [UInt8] {
        [
            UInt8((value >> 24) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF),
            UInt8(value & 0xFF),
        ]
    }
}
