import Imaging
import JPEGCodec
import PNGCodec
import QREncoding
import Testing
import ZBarScanner

/// Payloads of every kind the encoder optimises differently.
enum Payload: String, CaseIterable, CustomTestStringConvertible {
    case alphanumeric, numeric, utf8, binary

    var bytes: [UInt8] {
        switch self {
        case .alphanumeric: Array("VT1:6BFOXN*TS0BI$ZD.V9O7-KBM2JK".utf8)
        case .numeric: Array("3603012345678901234567890".utf8)
        case .utf8: Array("Vaksinasi dosis 2 · Kota Tangerang · ワクチン".utf8)
        case .binary: [0x00, 0x01, 0xFF, 0x80, 0x00, 0x7F, 0x0A, 0x0D, 0xC3, 0x28, 0x00, 0xFE]
        }
    }

    var testDescription: String { rawValue }
}

@Suite("QR encode, PNG/JPEG, zbar round trips")
struct RoundTripTests {
    @Test(
        "every ECC level and payload kind survives a 1-bit PNG",
        arguments: ErrorCorrection.allCases, Payload.allCases)
    func pngRoundTrip(correction: ErrorCorrection, payload: Payload) throws {
        let code = try QRCode(encoding: payload.bytes, correction: correction)
        let png = try PNG.encode(code.rendered(modulePixels: 3, quietZone: 4))
        let decoded = try PNG.decode(png, maxPixels: 1_000_000)
        let symbols = QRScanner().scan(decoded)
        #expect(symbols.map(\.bytes) == [payload.bytes])
    }

    @Test(
        "every payload kind survives JPEG at several qualities", arguments: Payload.allCases,
        [30, 60, 90])
    func jpegRoundTrip(payload: Payload, quality: Int) throws {
        let code = try QRCode(encoding: payload.bytes, correction: .medium)
        let gray = code.rendered(modulePixels: 4, quietZone: 4).grayImage
        let jpeg = try JPEGEncoder().encode(gray, quality: quality)
        let decoded = try JPEGDecoder().decode(jpeg, maxPixels: 1_000_000)
        #expect(decoded.width == gray.width && decoded.height == gray.height)
        #expect(QRScanner().scan(decoded).map(\.bytes) == [payload.bytes])
    }

    @Test(
        "uppercase Base45 text is stored in alphanumeric mode, so it needs a smaller symbol than bytes would"
    )
    func alphanumericModeIsUsed() throws {
        // 80 alphanumeric characters need version 5 at ECC Q in alphanumeric mode (capacity 93),
        // but version 7 in byte mode (capacity 64 at version 6 is too small).
        let text = String(repeating: "VT1:ABC$%*+-./: 0123456789", count: 4).prefix(80)
        let code = try QRCode(encoding: String(text), correction: .quartile)
        #expect(code.version == 5)
        #expect(code.size == 37)
    }

    @Test("corners are reported where the code was drawn")
    func corners() throws {
        let code = try QRCode(encoding: "CORNERS", correction: .low)
        let image = code.rendered(modulePixels: 5, quietZone: 4).grayImage
        let symbol = try #require(QRScanner().scan(image).first)
        #expect(symbol.corners.count == 4)
        let low = Double(4 * 5), high = Double((4 + code.size) * 5)
        for corner in symbol.corners {
            #expect(abs(corner.x - low) <= 2 || abs(corner.x - high) <= 2)
            #expect(abs(corner.y - low) <= 2 || abs(corner.y - high) <= 2)
        }
    }

    @Test("an empty payload and an oversized one are refused with typed errors")
    func encodingErrors() {
        #expect(throws: QREncodingError.empty) { try QRCode(encoding: "") }
        let huge = [UInt8](repeating: 0x41, count: 5000)
        #expect(throws: QREncodingError.tooLong(bytes: 5000, correction: .high)) {
            try QRCode(encoding: huge, correction: .high)
        }
    }
}

@Suite("PNG writer")
struct PNGWriterTests {
    @Test("writes 1-bit grayscale with a pHYs chunk for the requested DPI")
    func bilevelWithDensity() throws {
        let code = try QRCode(encoding: "DPI", correction: .quartile)
        let image = code.rendered(modulePixels: 4, quietZone: 4)
        let png = try PNG.encode(image, dpi: 300)
        #expect(PNG.isPNG(png))
        // IHDR: width, height, bit depth 1, colour type 0 (gray).
        #expect(Array(png[12..<16]) == Array("IHDR".utf8))
        #expect(png[24] == 1 && png[25] == 0)
        let phys = try #require(chunk("pHYs", in: png))
        let perMetre = phys[0..<4].reduce(0) { $0 << 8 | Int($1) }
        #expect(perMetre == 11811)  // 300 / 0.0254
        #expect(phys[8] == 1)  // unit: metre
        #expect(try PNG.decode(png, maxPixels: 1_000_000) == image.grayImage)
    }

    @Test("1-bit output is several times smaller than 8-bit")
    func bilevelIsSmall() throws {
        let image = try QRCode(encoding: String(repeating: "VT1:SIZE", count: 10)).rendered(
            modulePixels: 4, quietZone: 4)
        let oneBit = try PNG.encode(image)
        let eightBit = try PNG.encode(image.grayImage)
        #expect(oneBit.count * 2 < eightBit.count)
    }

    private func chunk(_ type: String, in png: [UInt8]) -> [UInt8]? {
        var offset = 8
        while offset + 8 <= png.count {
            let length = png[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            let name = String(decoding: png[offset + 4..<offset + 8], as: UTF8.self)
            if name == type { return Array(png[offset + 8..<offset + 8 + length]) }
            offset += 12 + length
        }
        return nil
    }
}
