import Imaging
import JPEGCodec
import PNGCodec
import PhotoReader
import TestSupport
import Testing
import ZBarScanner

/// A code written in every PNG and JPEG flavour reads back exactly through `PhotoReader`.
@Suite("format round trips")
struct FormatRoundTripTests {
    static let text = "VT1.round-trip ticket 0042"

    static func code() throws -> GrayImage {
        try renderedCode(text, modulePixels: 3)
    }

    static func expectReads(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        let symbols = try PhotoReader().read(bytes)
        #expect(
            symbols.map { PayloadText.decode($0.bytes) } == [text], sourceLocation: sourceLocation)
    }

    @Test("grayscale JPEG", arguments: [95, 75, 50, 30])
    func grayJPEG(quality: Int) throws {
        try Self.expectReads(try JPEGEncoder().encode(Self.code(), quality: quality))
    }

    @Test("colour JPEG", arguments: [444, 422, 420], [90, 60])
    func colorJPEG(subsampling: Int, quality: Int) throws {
        try Self.expectReads(
            try JPEGEncoder().encodeAsColor(Self.code(), quality: quality, subsampling: subsampling)
        )
    }

    @Test("progressive JPEG, gray and colour")
    func progressiveJPEG() throws {
        let encoder = try JPEGEncoder()
        try Self.expectReads(try encoder.encode(Self.code(), quality: 80, progressive: true))
        try Self.expectReads(
            try encoder.encodeAsColor(Self.code(), quality: 80, subsampling: 420, progressive: true)
        )
    }

    @Test("CMYK JPEG")
    func cmykJPEG() throws {
        try Self.expectReads(try JPEGEncoder().encodeAsCMYK(Self.code(), quality: 90))
    }

    @Test("8-bit and 1-bit gray PNG from the product's writer")
    func productPNG() throws {
        try Self.expectReads(try PNG.encode(Self.code()))
        let bilevel = try QRCodeImages.bilevel(Self.text, modulePixels: 3)
        try Self.expectReads(try PNG.encode(bilevel, dpi: 300))
    }

    /// Dark where the clean code is dark.
    static func isDark(_ image: GrayImage, _ x: Int, _ y: Int) -> Bool { image[x, y] < 128 }

    @Test("palette PNG", arguments: [1, 2, 4, 8])
    func palettePNG(bitDepth: Int) throws {
        let image = try Self.code()
        // The dark colour at the highest index, so index order does not decide the result.
        let last = (1 << bitDepth) - 1
        var palette = [[UInt8]](repeating: [200, 30, 30], count: last + 1)
        palette[0] = [250, 250, 240]
        palette[last] = [20, 20, 60]
        let writer = TestPNGWriter(
            width: image.width, height: image.height, colorType: .palette, bitDepth: bitDepth,
            palette: palette
        ) { x, y in [Self.isDark(image, x, y) ? last : 0] }
        try Self.expectReads(writer.encoded())
    }

    @Test("16-bit gray and 16-bit RGB PNG")
    func sixteenBitPNG() throws {
        let image = try Self.code()
        let gray = TestPNGWriter(
            width: image.width, height: image.height, colorType: .gray, bitDepth: 16
        ) { x, y in
            [Int(image[x, y]) * 257]
        }
        try Self.expectReads(gray.encoded())
        let rgb = TestPNGWriter(
            width: image.width, height: image.height, colorType: .rgb, bitDepth: 16
        ) { x, y in
            Self.isDark(image, x, y) ? [2000, 1000, 9000] : [65535, 64000, 60000]
        }
        try Self.expectReads(rgb.encoded())
    }

    @Test("2- and 4-bit gray PNG")
    func lowDepthGrayPNG() throws {
        let image = try Self.code()
        for depth in [2, 4] {
            let writer = TestPNGWriter(
                width: image.width, height: image.height, colorType: .gray, bitDepth: depth
            ) { x, y in
                [Self.isDark(image, x, y) ? 0 : (1 << depth) - 1]
            }
            try Self.expectReads(writer.encoded())
        }
    }

    @Test("alpha PNG: a transparent background is composited on white")
    func alphaPNG() throws {
        let image = try Self.code()
        // Transparent pixels are black underneath: only compositing on white makes them light.
        let grayAlpha = TestPNGWriter(
            width: image.width, height: image.height, colorType: .grayAlpha, bitDepth: 8
        ) { x, y in
            Self.isDark(image, x, y) ? [0, 255] : [0, 0]
        }
        try Self.expectReads(grayAlpha.encoded())
        let rgba = TestPNGWriter(
            width: image.width, height: image.height, colorType: .rgba, bitDepth: 8
        ) { x, y in
            Self.isDark(image, x, y) ? [10, 10, 40, 255] : [0, 0, 0, 0]
        }
        try Self.expectReads(rgba.encoded())
        let rgba16 = TestPNGWriter(
            width: image.width, height: image.height, colorType: .rgba, bitDepth: 16
        ) { x, y in
            Self.isDark(image, x, y) ? [0, 0, 0, 65535] : [0, 0, 0, 0]
        }
        try Self.expectReads(rgba16.encoded())
    }

    @Test("palette PNG with a transparent entry (tRNS)")
    func paletteTransparencyPNG() throws {
        let image = try Self.code()
        let writer = TestPNGWriter(
            width: image.width, height: image.height, colorType: .palette, bitDepth: 8,
            palette: [[0, 0, 0], [0, 0, 0]], transparency: [0, 255]
        ) { x, y in
            [Self.isDark(image, x, y) ? 1 : 0]
        }
        try Self.expectReads(writer.encoded())
    }

    @Test("interlaced PNG: gray, RGB and 1-bit palette")
    func interlacedPNG() throws {
        let image = try Self.code()
        let gray = TestPNGWriter(
            width: image.width, height: image.height, colorType: .gray, bitDepth: 8,
            interlaced: true
        ) {
            x, y in
            [Int(image[x, y])]
        }
        try Self.expectReads(gray.encoded())
        let rgb = TestPNGWriter(
            width: image.width, height: image.height, colorType: .rgb, bitDepth: 8, interlaced: true
        ) {
            x, y in
            Self.isDark(image, x, y) ? [0, 40, 0] : [255, 255, 200]
        }
        try Self.expectReads(rgb.encoded())
        let palette = TestPNGWriter(
            width: image.width, height: image.height, colorType: .palette, bitDepth: 1,
            interlaced: true, palette: [[255, 255, 255], [0, 0, 0]]
        ) { x, y in
            [Self.isDark(image, x, y) ? 1 : 0]
        }
        try Self.expectReads(palette.encoded())
    }

    @Test("the format is judged by content, not by file name")
    func contentNotName() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let jpegNamedPNG = folder.path("photo.png")
        try writeFile(jpegNamedPNG, try JPEGEncoder().encode(Self.code(), quality: 90))
        let pngNamedJPEG = folder.path("photo.jpg")
        try writeFile(pngNamedJPEG, try PNG.encode(Self.code()))
        let reader = PhotoReader()
        #expect(
            try reader.read(contentsOf: jpegNamedPNG).map { PayloadText.decode($0.bytes) } == [
                Self.text
            ])
        #expect(
            try reader.read(contentsOf: pngNamedJPEG).map { PayloadText.decode($0.bytes) } == [
                Self.text
            ])
    }
}
