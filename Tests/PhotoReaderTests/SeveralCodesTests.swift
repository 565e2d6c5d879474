import CameraSimulation
import Imaging
import PhotoReader
import Testing
import ZBarScanner

/// A photo that shows several codes is read for all of them: the codes the reading step
/// missed are looked for by their finders outside the codes it read.
@Suite("several codes in one frame")
struct SeveralCodesTests {
    /// A sheet of three tickets side by side at 3 px a module, the middle one blurred by half
    /// a module, past what zbar reads unaided.
    static func sheet(seed: UInt64) throws -> (image: GrayImage, texts: [String]) {
        var sheet = GrayImage(width: 640, height: 240, filledWith: 210)
        let texts = (0..<3).map { ticketText(seed: seed * 10 + UInt64($0)) }
        for (index, text) in texts.enumerated() {
            var code = try renderedCode(text, modulePixels: 3)
            if index == 1 {
                var camera = CameraSimulator(seed: seed)
                var shot = CameraShot()
                shot.blurModules = 0.5
                shot.noiseSigma = 3
                code = camera.photograph(code, modulePixels: 3, shot: shot)
            }
            paste(code, onto: &sheet, x: 20 + index * 205, y: 20)
        }
        return (sheet, texts)
    }

    @Test(
        "the first look reads two codes of three; effort normal reads the third from its finders",
        arguments: [UInt64(1), 2, 3])
    func blurredThirdCode(_ seed: UInt64) throws {
        let (image, texts) = try Self.sheet(seed: seed)
        let clean = Set([texts[0], texts[2]])
        // Effort low stops at the step that reads: the first look, which misses the blurred code.
        let low = PhotoReader(options: PhotoReaderOptions(effort: .low)).reading(image)
        #expect(Set(low.symbols.map { String(decoding: $0.bytes, as: UTF8.self) }) == clean)
        #expect(low.outcome?.step == 0)
        for effort in [ReadEffort.normal, .high] {
            let reading = PhotoReader(options: PhotoReaderOptions(effort: effort)).reading(image)
            let read = reading.symbols.map { String(decoding: $0.bytes, as: UTF8.self) }
            #expect(read.count == 3 && Set(read) == Set(texts), "\(effort)")
            #expect(reading.outcome?.step == 0, "\(effort)")
            // The third code is placed where it is on the sheet: the middle one.
            let middle = try #require(
                reading.symbols.first { $0.bytes == Array(texts[1].utf8) })
            let x = middle.corners.map(\.x).reduce(0, +) / Double(middle.corners.count)
            #expect(x > 225 && x < 430, "\(effort): centre at x = \(x)")
        }
    }

    @Test("three clean codes read at the first look are read once each, and nothing more")
    func cleanSheet() throws {
        var sheet = GrayImage(width: 640, height: 240, filledWith: 210)
        let texts = (0..<3).map { ticketText(seed: 40 + UInt64($0)) }
        for (index, text) in texts.enumerated() {
            paste(try renderedCode(text, modulePixels: 3), onto: &sheet, x: 20 + index * 205, y: 20)
        }
        let reading = PhotoReader().reading(sheet)
        #expect(
            reading.symbols.map { String(decoding: $0.bytes, as: UTF8.self) }.sorted()
                == texts.sorted())
        #expect(reading.outcome?.step == 0)
    }

    /// A sheet of eight tickets seen whole in a 1.45 MP photo, at 2.5 px a module: the first
    /// look, at half size, shows them at 1.25 px a module.
    static func sheetOfEight(seed: UInt64) throws -> (image: GrayImage, texts: [String]) {
        var sheet = GrayImage(width: 1060, height: 1370, filledWith: 215)
        let texts = (0..<8).map { ticketText(seed: seed * 10 + UInt64($0)) }
        for (index, text) in texts.enumerated() {
            let code = try renderedCode(text, modulePixels: 5).downscaled(by: 2)
            paste(code, onto: &sheet, x: 80 + (index % 2) * 480, y: 60 + (index / 2) * 320)
        }
        var camera = CameraSimulator(seed: seed)
        var shot = CameraShot()
        shot.noiseSigma = 3
        return (camera.photograph(sheet, modulePixels: 2.5, shot: shot), texts)
    }

    @Test(
        "a sheet of eight seen at half size: a redrawing reads one code, a finer look the rest",
        arguments: [UInt64(4), 6])
    func sheetAtHalfSize(_ seed: UInt64) throws {
        let (image, texts) = try Self.sheetOfEight(seed: seed)
        let low = PhotoReader(options: PhotoReaderOptions(effort: .low)).reading(image)
        #expect(low.symbols.count == 1)
        let normal = PhotoReader().reading(image)
        let read = normal.symbols.map { String(decoding: $0.bytes, as: UTF8.self) }
        #expect(read.count == 8 && Set(read) == Set(texts))
        // Read first by redrawing one code from the first look's finders, at half size.
        let outcome = try #require(normal.outcome)
        #expect(
            outcome.denominator == 2 && outcome.attempt == ReadAttempt([.redraw(sharpen: 1)]),
            "\(outcome)")
    }
}
