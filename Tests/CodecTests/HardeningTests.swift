import Imaging
import JPEGCodec
import PNGCodec
import QREncoding
import Testing

/// Regression tests for issue 9 item 2: image headers that promise more than the file holds.
@Suite("Issue 9 hardening: image readers")
struct ImageHardeningTests {
    /// A valid QR PNG whose IHDR is patched to `width` x `height` and colour type `colourType`.
    private func png(width: UInt32, height: UInt32, colourType: UInt8 = 0, bitDepth: UInt8 = 8)
        throws -> [UInt8]
    {
        var png = try PNG.encode(QRCode(encoding: "VALID").rendered(modulePixels: 2, quietZone: 4))
        func bigEndian(_ value: UInt32) -> [UInt8] {
            [
                UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF),
                UInt8(value & 0xFF),
            ]
        }
        png.replaceSubrange(16..<24, with: bigEndian(width) + bigEndian(height))
        png[24] = bitDepth
        png[25] = colourType
        png.replaceSubrange(29..<33, with: bigEndian(CRC32.checksum(png[12..<29])))
        return png
    }

    @Test(
        "issue 9 item 2: a small PNG claiming 1M x 1M RGB pixels is refused without allocating, even with no pixel cap"
    )
    func item2HugePNGNoCap() throws {
        let png = try png(width: 1_000_000, height: 1_000_000, colourType: 2)
        #expect(png.count < 300)
        #expect { try PNG.decode(png, maxPixels: Int.max) } throws: { error in
            guard case .corrupt(_, let message)? = error as? ImageDecodingError else {
                return false
            }
            return message.contains("too short")
        }
    }

    @Test(
        "issue 9 item 2: a 200-byte PNG claiming 10,000 x 10,000 pixels is refused before its buffer is allocated"
    )
    func item2ShortPNG() throws {
        let png = try png(width: 10_000, height: 10_000)
        #expect { try PNG.decode(png, maxPixels: 100_000_000) } throws: { error in
            guard case .corrupt(_, let message)? = error as? ImageDecodingError else {
                return false
            }
            return message.contains("too short")
        }
        // The rule never refuses a file that could be real: deflate's best is 1032:1.
        #expect(PNG.canHold(width: 1000, height: 1000, fileSize: 200))
        #expect(!PNG.canHold(width: 10_000, height: 10_000, fileSize: 201))
        #expect(!PNG.canHold(width: Int.max, height: Int.max, fileSize: 201))
    }

    @Test(
        "issue 9 item 2: a short JPEG claiming 65000 x 65000 pixels is refused before its buffer is allocated"
    )
    func item2ShortJPEG() throws {
        var jpeg = try JPEGEncoder().encode(
            QRCode(encoding: "VALID").rendered(modulePixels: 4, quietZone: 4).grayImage, quality: 80
        )
        let sof = try #require(
            (0..<jpeg.count - 1).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        jpeg.replaceSubrange(sof + 5..<sof + 9, with: [0xFD, 0xE8, 0xFD, 0xE8])
        #expect { try JPEGDecoder().decode(jpeg, maxPixels: Int.max) } throws: { error in
            guard case .corrupt(_, let message)? = error as? ImageDecodingError else {
                return false
            }
            return message.contains("too short")
        }
        // A real image still decodes.
        let clean = try JPEGEncoder().encode(
            QRCode(encoding: "VALID").rendered(modulePixels: 4, quietZone: 4).grayImage, quality: 80
        )
        #expect(try JPEGDecoder().decode(clean, maxPixels: 1_000_000).width > 0)
    }

    @Test("issue 9 item 2: pixel-buffer sizes use checked arithmetic and a ceiling")
    func item2CheckedArithmetic() {
        #expect(PixelBudget.pixels(width: Int.max, height: 2) == nil)
        #expect(PixelBudget.pixels(width: 0, height: 2) == nil)
        #expect(PixelBudget.bytes(pixels: Int.max / 2, channels: 3) == nil)
        #expect(PixelBudget.pixels(width: 4000, height: 3000) == 12_000_000)
        #expect(PixelBudget.ceiling < Int.max / 4)
    }
}
