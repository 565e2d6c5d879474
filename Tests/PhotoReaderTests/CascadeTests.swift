import CameraSimulation
import Imaging
import JPEGCodec
import PhotoReader
import Testing
import ZBarScanner

/// The retry cascade runs only when the first look finds nothing, and its steps read what they
/// are there for.
@Suite("retry cascade")
struct CascadeTests {
    @Test("an easy photo is read by the first look, without the cascade")
    func easyPhotoFirstLook() throws {
        let reading = try PhotoReader().reading(
            JPEGEncoder().encodeAsColor(renderedCode("VT1.easy", modulePixels: 4), quality: 85))
        #expect(reading.symbols.count == 1)
        #expect(reading.outcome?.step == 0)
        #expect(reading.outcome?.attempt == ReadAttempt())
        #expect(reading.work.steps == [0])
    }

    @Test("a light-on-dark code is read by the inverting step")
    func inverted() throws {
        let reading = PhotoReader(options: PhotoReaderOptions(effort: .high)).reading(
            try renderedCode("VT1.dark mode", modulePixels: 3).inverted)
        #expect(reading.symbols.map { PayloadText.decode($0.bytes) } == ["VT1.dark mode"])
        #expect(reading.outcome?.attempt.enhancements == [.invert])
    }

    @Test("a noisy photo the first look misses is read by a later step")
    func noisy() throws {
        var options = PhotoReaderOptions()
        options.cascade = []
        options.highEffortSteps = []
        let single = PhotoReader(options: options)
        let full = PhotoReader()
        var simulator = CameraSimulator(seed: 42)
        var shot = CameraShot()
        shot.noiseSigma = 45
        shot.scale = 2
        let text = ticketText(seed: 42, length: 40)
        let photo = simulator.photograph(
            try renderedCode(text, modulePixels: 2), modulePixels: 2, shot: shot)
        let jpeg = try JPEGEncoder().encodeAsColor(photo, quality: 90)
        #expect(try single.read(jpeg).isEmpty)
        let reading = try full.reading(jpeg)
        #expect(reading.symbols.map { PayloadText.decode($0.bytes) } == [text])
        #expect((reading.outcome?.step ?? 0) > 0)
    }

    @Test("a photo with no code goes through the whole cascade at effort high and finds nothing")
    func nothing() throws {
        var image = GrayImage(width: 400, height: 300, filledWith: 200)
        for y in 0..<300 { for x in 0..<400 where (x / 7 + y / 5) % 3 == 0 { image[x, y] = 40 } }
        let reading = PhotoReader(options: PhotoReaderOptions(effort: .high)).reading(image)
        #expect(reading.symbols.isEmpty)
        #expect(reading.outcome == nil)
        #expect(reading.work.budget == nil && reading.work.skippedForBudget == 0)
    }
}
