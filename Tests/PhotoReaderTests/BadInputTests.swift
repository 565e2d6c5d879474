import Imaging
import JPEGCodec
import PNGCodec
import PhotoReader
import Testing

/// Files that are not good images give a typed error with a clear message: never a crash, a
/// hang or an unbounded allocation.
@Suite("bad input")
struct BadInputTests {
    static func code() throws -> GrayImage { try renderedCode("VT1.bad input", modulePixels: 3) }

    static func error(reading bytes: [UInt8], options: PhotoReaderOptions = PhotoReaderOptions())
        -> PhotoReadError?
    {
        do {
            _ = try PhotoReader(options: options).read(bytes)
            return nil
        } catch {
            return error
        }
    }

    /// A PNG with a valid IHDR (and CRC) claiming `width` x `height`, and no pixel data.
    static func pngHeader(width: Int, height: Int) -> [UInt8] {
        let writer = TestPNGWriter(width: 1, height: 1, colorType: .gray, bitDepth: 8) { _, _ in [0]
        }
        var bytes = writer.encoded()
        // IHDR data starts at byte 16; patch the size and recompute the chunk's CRC.
        let size = TestPNGWriter.bigEndian32(width) + TestPNGWriter.bigEndian32(height)
        bytes.replaceSubrange(16..<24, with: size)
        let crc = TestPNGWriter.crc32(Array(bytes[12..<29]))
        bytes.replaceSubrange(29..<33, with: TestPNGWriter.bigEndian32(Int(crc)))
        return bytes
    }

    /// A real JPEG whose frame header claims `width` x `height`.
    static func jpegClaiming(width: Int, height: Int) throws -> [UInt8] {
        var bytes = try JPEGEncoder().encode(code(), quality: 80)
        let sof = try #require(
            (0..<bytes.count - 9).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        // SOF0: marker, length (2), precision (1), height (2), width (2).
        bytes[sof + 5] = UInt8(height >> 8)
        bytes[sof + 6] = UInt8(height & 0xFF)
        bytes[sof + 7] = UInt8(width >> 8)
        bytes[sof + 8] = UInt8(width & 0xFF)
        return bytes
    }

    @Test("an empty file")
    func empty() {
        #expect(Self.error(reading: []) == .empty)
        #expect(PhotoReadError.empty.code == "empty_file")
    }

    @Test("a missing file")
    func missing() {
        #expect(throws: PhotoReadError.self) {
            try PhotoReader().read(contentsOf: "/nonexistent/vaxticket/photo.png")
        }
        do {
            _ = try PhotoReader().read(contentsOf: "/nonexistent/vaxticket/photo.png")
        } catch {
            #expect(error.code == "unreadable_file")
        }
    }

    @Test(
        "non-image files and unknown formats",
        arguments: [
            Array("just some text, not an image\n".utf8),
            Array("GIF89a".utf8) + [UInt8](repeating: 0, count: 40),
            [0x42, 0x4D, 0x36, 0x00, 0x0C, 0x00],
            [0x89, 0x50, 0x4E],
            [0xFF, 0xD8],
            [0x00],
        ])
    func unknownFormat(bytes: [UInt8]) {
        let error = Self.error(reading: bytes)
        #expect(error == .unknownFormat)
        #expect(error?.code == "unknown_format")
        #expect(error?.description == "not a PNG or JPEG image")
    }

    @Test("truncated PNGs", arguments: [0.9, 0.5, 0.1])
    func truncatedPNG(keep: Double) throws {
        let bytes = try PNG.encode(Self.code())
        let error = Self.error(
            reading: Array(bytes.prefix(max(9, Int(Double(bytes.count) * keep)))))
        #expect(error?.code == "corrupt_image")
        #expect(error?.description.hasPrefix("corrupt image: libpng") == true)
    }

    @Test("a PNG with a damaged chunk")
    func corruptPNG() throws {
        var bytes = try PNG.encode(Self.code())
        // Flip bits in the middle of the image data: its CRC no longer matches.
        for i in bytes.count / 2..<bytes.count / 2 + 8 { bytes[i] ^= 0x5A }
        #expect(Self.error(reading: bytes)?.code == "corrupt_image")
    }

    @Test("a PNG signature followed by garbage")
    func garbagePNG() {
        let bytes = PNG.signature + Array("this is no chunk".utf8)
        #expect(Self.error(reading: bytes)?.code == "corrupt_image")
    }

    @Test("a PNG header claiming 100000 x 100000 pixels")
    func hugePNG() {
        let error = Self.error(reading: Self.pngHeader(width: 100_000, height: 100_000))
        #expect(error == .tooLarge(width: 100_000, height: 100_000, limit: 100_000_000))
        #expect(error?.code == "too_large")
    }

    @Test("a JPEG header claiming 60000 x 60000 pixels (JPEG's limit is 65500)")
    func hugeJPEG() throws {
        let error = Self.error(reading: try Self.jpegClaiming(width: 60_000, height: 60_000))
        #expect(error == .tooLarge(width: 60_000, height: 60_000, limit: 100_000_000))
    }

    @Test("the pixel cap is configurable")
    func configurableCap() throws {
        let options = PhotoReaderOptions(maxPixels: 1000)
        let png = try PNG.encode(Self.code())
        let jpeg = try JPEGEncoder().encode(Self.code(), quality: 90)
        #expect(Self.error(reading: png, options: options)?.code == "too_large")
        #expect(Self.error(reading: jpeg, options: options)?.code == "too_large")
        let side = try Self.code().width
        #expect(
            Self.error(reading: jpeg, options: options)
                == .tooLarge(width: side, height: side, limit: 1000))
    }

    @Test("a JPEG start followed by garbage, and one cut after its header")
    func corruptJPEG() throws {
        let garbage: [UInt8] =
            [0xFF, 0xD8, 0xFF] + Array("garbage, not a JPEG segment at all".utf8)
        #expect(Self.error(reading: garbage)?.code == "corrupt_image")
        let bytes = try JPEGEncoder().encode(Self.code(), quality: 90)
        #expect(Self.error(reading: Array(bytes.prefix(20)))?.code == "corrupt_image")
    }

    @Test(
        "a truncated JPEG yields what is readable or a clear error, never a crash",
        arguments: [0.98, 0.7, 0.4])
    func truncatedJPEG(keep: Double) throws {
        let bytes = try JPEGEncoder().encode(Self.code(), quality: 90)
        let cut = Array(bytes.prefix(Int(Double(bytes.count) * keep)))
        do {
            let symbols = try PhotoReader().read(cut)
            // A partial decode is grey below the cut: at most the whole code reads.
            #expect(symbols.count <= 1)
        } catch {
            #expect(error.code == "corrupt_image")
        }
    }

    @Test("error codes and messages are stable")
    func messages() {
        #expect(
            PhotoReadError.tooLarge(width: 3, height: 4, limit: 5).description
                == "image is 3x4 pixels, over the limit of 5 pixels (see --max-pixels)")
        #expect(PhotoReadError.corrupt("libpng: bad").description == "corrupt image: libpng: bad")
        #expect(PhotoReadError.unreadable("gone").code == "unreadable_file")
    }
}
