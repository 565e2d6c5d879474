import CameraSimulation
import Imaging
import JPEGCodec
import PNGCodec
import QREncoding
import Testing

@Suite("Decoders refuse bad input with typed errors")
struct BadInputTests {
    private var validPNG: [UInt8] {
        get throws {
            try PNG.encode(QRCode(encoding: "VALID").rendered(modulePixels: 4, quietZone: 4))
        }
    }

    private var validJPEG: [UInt8] {
        get throws {
            try JPEGEncoder().encode(
                QRCode(encoding: "VALID").rendered(modulePixels: 4, quietZone: 4).grayImage,
                quality: 80)
        }
    }

    @Test("a PNG header claiming 100000x100000 pixels is refused before allocating")
    func hugePNG() throws {
        var png = try validPNG
        // IHDR width and height are the big-endian words at offsets 16 and 20; the CRC after
        // IHDR then mismatches, so patch it too.
        png.replaceSubrange(16..<24, with: [0x00, 0x01, 0x86, 0xA0, 0x00, 0x01, 0x86, 0xA0])
        let crc = CRC32.checksum(png[12..<29])
        png.replaceSubrange(
            29..<33,
            with: [
                UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF),
                UInt8(crc & 0xFF),
            ])
        #expect(
            throws: ImageDecodingError.tooLarge(width: 100_000, height: 100_000, limit: 100_000_000)
        ) {
            try PNG.decode(png, maxPixels: 100_000_000)
        }
    }

    @Test("a JPEG header claiming 100000x100000 pixels is refused before allocating")
    func hugeJPEG() throws {
        // Baseline JPEGs store height and width as 16 bits, so 65000x65000 is the largest a
        // header can claim; over a 100 MP cap all the same.
        var jpeg = try validJPEG
        let sof = try #require(
            (0..<jpeg.count - 1).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        jpeg.replaceSubrange(sof + 5..<sof + 9, with: [0xFD, 0xE8, 0xFD, 0xE8])
        #expect(
            throws: ImageDecodingError.tooLarge(width: 65000, height: 65000, limit: 100_000_000)
        ) {
            try JPEGDecoder().decode(jpeg, maxPixels: 100_000_000)
        }
    }

    @Test(
        "truncated PNGs at every length are refused, never crash", arguments: [8, 20, 33, 50, 100])
    func truncatedPNG(length: Int) throws {
        let png = try validPNG
        let cut = Array(png.prefix(min(length, png.count - 12)))
        #expect(throws: ImageDecodingError.self) { try PNG.decode(cut, maxPixels: 1_000_000) }
    }

    @Test("a corrupt JPEG is refused with libjpeg-turbo's message")
    func corruptJPEG() throws {
        let garbage: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + [UInt8](repeating: 0x42, count: 64)
        #expect {
            try JPEGDecoder().decode(garbage, maxPixels: 1_000_000)
        } throws: { error in
            guard case .corrupt(let library, let message)? = error as? ImageDecodingError else {
                return false
            }
            return library == "libjpeg-turbo" && !message.isEmpty
        }
    }

    @Test("random bytes behind a PNG signature are refused")
    func garbagePNG() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<50 {
            let noise = (0..<Int.random(in: 0...300, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            #expect(throws: ImageDecodingError.self) {
                try PNG.decode(PNG.signature + noise, maxPixels: 1_000_000)
            }
        }
    }
}

/// CRC-32 as PNG uses it, for patching chunks in tests.
enum CRC32 {
    static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
