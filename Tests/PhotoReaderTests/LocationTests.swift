import Imaging
import JPEGCodec
import PNGCodec
import PhotoReader
import Testing
import ZBarScanner

/// Every symbol is found once, with corners in the coordinates of the original file, whatever
/// scale the reader looked at.
@Suite("symbol locations")
struct LocationTests {
    /// The outer corners of a code of `modules` modules drawn with its top-left module at
    /// (`x`, `y`) at `modulePixels` pixels a module.
    static func corners(x: Int, y: Int, modules: Int, modulePixels: Int) -> [Point] {
        let size = Double(modules * modulePixels)
        let x = Double(x), y = Double(y)
        return [
            Point(x: x, y: y), Point(x: x + size, y: y), Point(x: x + size, y: y + size),
            Point(x: x, y: y + size),
        ]
    }

    /// Whether every expected corner has a found corner within `tolerance` pixels.
    static func near(_ found: [Point], _ expected: [Point], tolerance: Double) -> Bool {
        expected.allSatisfy { corner in
            found.contains {
                (($0.x - corner.x) * ($0.x - corner.x) + ($0.y - corner.y) * ($0.y - corner.y))
                    .squareRoot() <= tolerance
            }
        }
    }

    @Test("several codes in one image are all found, each once, corners where drawn")
    func severalCodes() throws {
        let texts = ["VT1.first ticket", "VT1.second ticket, a longer one", "VT1.third"]
        let modulePixels = 3, quiet = 4
        var canvas = GrayImage(width: 620, height: 300, filledWith: 255)
        let origins = [(10, 20), (220, 60), (440, 10)]
        var expected: [String: [Point]] = [:]
        for (text, origin) in zip(texts, origins) {
            let code = try renderedCode(text, modulePixels: modulePixels, quietZone: quiet)
            paste(code, onto: &canvas, x: origin.0, y: origin.1)
            let modules = code.width / modulePixels - 2 * quiet
            expected[text] = Self.corners(
                x: origin.0 + quiet * modulePixels, y: origin.1 + quiet * modulePixels,
                modules: modules, modulePixels: modulePixels)
        }
        let symbols = try PhotoReader().read(PNG.encode(canvas))
        #expect(symbols.count == 3)
        for symbol in symbols {
            let text = try #require(PayloadText.decode(symbol.bytes))
            let corners = try #require(expected[text])
            #expect(symbol.corners.count == 4)
            #expect(
                Self.near(symbol.corners, corners, tolerance: 2.5 * Double(modulePixels)),
                "\(text): \(symbol.corners)")
        }
        #expect(Set(symbols.compactMap { PayloadText.decode($0.bytes) }) == Set(texts))
    }

    @Test("two copies of the same ticket are two symbols; one symbol found twice is one")
    func duplicates() throws {
        let code = try renderedCode("VT1.same", modulePixels: 3)
        var canvas = GrayImage(width: code.width * 2 + 20, height: code.height, filledWith: 255)
        paste(code, onto: &canvas, x: 0, y: 0)
        paste(code, onto: &canvas, x: code.width + 20, y: 0)
        #expect(PhotoReader().read(canvas).count == 2)
        let one = ScannedSymbol(
            bytes: Array("X".utf8),
            corners: Self.corners(x: 10, y: 10, modules: 21, modulePixels: 3))
        var shifted = one
        shifted.corners = shifted.corners.map { Point(x: $0.x + 2, y: $0.y - 1) }
        #expect(PhotoReader.deduplicated([one, shifted]) == [one])
    }

    @Test("a large JPEG is looked at scaled down, corners mapped back to full size")
    func scaledDecoding() throws {
        // A 3000 x 3000 photo with a code of 24-pixel modules, off centre.
        let text = "VT1.scaled decoding"
        let modulePixels = 24
        let code = try renderedCode(text, modulePixels: modulePixels, quietZone: 4)
        var canvas = GrayImage(width: 3000, height: 3000, filledWith: 235)
        let origin = (1100, 1500)
        paste(code, onto: &canvas, x: origin.0, y: origin.1)
        let jpeg = try JPEGEncoder().encodeAsColor(canvas, quality: 85)
        let reading = try PhotoReader().reading(jpeg)
        let symbols = reading.symbols
        #expect(symbols.count == 1)
        let symbol = try #require(symbols.first)
        #expect(PayloadText.decode(symbol.bytes) == text)
        let modules = code.width / modulePixels - 8
        let expected = Self.corners(
            x: origin.0 + 4 * modulePixels, y: origin.1 + 4 * modulePixels,
            modules: modules, modulePixels: modulePixels)
        // Found at 1/4 scale: within a module of the truth in full-size pixels.
        #expect(
            Self.near(symbol.corners, expected, tolerance: Double(modulePixels)),
            "\(symbol.corners)")
        let outcome = try #require(reading.outcome)
        #expect(outcome.denominator == 4)
        #expect(outcome.scannedWidth == 750)
    }

    @Test("a code upscaled by the cascade is mapped back to the file's coordinates")
    func upscaledCorners() throws {
        // One and a half pixels a module: too small for zbar as it is.
        let code = try renderedCode("VT1.tiny", modulePixels: 3, quietZone: 4).downscaled(by: 2)
        var canvas = GrayImage(width: 120, height: 90, filledWith: 255)
        paste(code, onto: &canvas, x: 40, y: 14)
        // Only the upscaling step, which works on the region of the code when the finder
        // check marks one: corners go back through the magnification and the crop.
        var options = PhotoReaderOptions()
        options.cascade = [ReadAttempt([.upscale(2)])]
        let reading = PhotoReader(options: options).reading(canvas)
        let symbol = try #require(reading.symbols.first)
        let outcome = try #require(reading.outcome)
        #expect(outcome.attempt.enhancements.contains(.upscale(2)))
        #expect(outcome.scannedWidth <= 240 && outcome.scannedWidth % 2 == 0)
        // The quiet zone is 4 modules of 1.5 pixels.
        let size = Double(try renderedCode("VT1.tiny", modulePixels: 1, quietZone: 0).width) * 1.5
        let expected = [
            Point(x: 46, y: 20), Point(x: 46 + size, y: 20), Point(x: 46 + size, y: 20 + size),
            Point(x: 46, y: 20 + size),
        ]
        #expect(
            Self.near(symbol.corners, expected, tolerance: 2), "\(symbol.corners) vs \(expected)")
    }
}
