import CameraSimulation
import Imaging
import JPEGCodec
import PNGCodec
import PhotoReader
import Testing
import ZBarScanner

/// The rectifying step reads codes seen at a slant steep enough to defeat zbar, and reports
/// their corners in the photo's coordinates.
@Suite("perspective rectification")
struct PerspectiveTests {
    @Test("a steeply slanted code the rest of the cascade misses is read by resampling it upright")
    func keystone() throws {
        // Given a code photographed with its corners pulled far out of square
        var options = PhotoReaderOptions()
        let resamplesNot = { (attempt: ReadAttempt) in
            !attempt.enhancements.contains { enhancement in
                if case .redraw = enhancement { return true }
                return enhancement == .rectify
            }
        }
        options.cascade = PhotoReader.defaultCascade.filter(resamplesNot)
        options.highEffortSteps = PhotoReader.highEffortSteps.filter(resamplesNot)
        let without = PhotoReader(options: options)
        let full = PhotoReader()
        var simulator = CameraSimulator(seed: 4)
        var shot = CameraShot()
        shot.cornerShifts = [
            Point(x: -0.03, y: 0.17), Point(x: 0.16, y: 0), Point(x: -0.05, y: 0.04),
            Point(x: 0.19, y: -0.02),
        ]
        // at 5 px a module (at 4, a 255 px photo, effort normal's budget of two first looks
        // runs out just short of the redrawing)
        let text = ticketText(seed: 7, length: 60)
        let photo = simulator.photograph(
            try renderedCode(text, modulePixels: 5), modulePixels: 5, shot: shot)

        // Then only the cascade with the resampling steps reads it, and by one of them
        #expect(without.read(photo).isEmpty)
        let reading = full.reading(photo)
        #expect(reading.symbols.map { PayloadText.decode($0.bytes) } == [text])
        #expect(
            [[.rectify], [.redraw(sharpen: 1)]].contains(
                reading.outcome?.attempt.enhancements ?? []))
        var rectifyOnly = PhotoReaderOptions(effort: .high)
        rectifyOnly.cascade = [ReadAttempt([.rectify])]
        rectifyOnly.highEffortSteps = []
        #expect(
            PhotoReader(options: rectifyOnly).read(photo).map { PayloadText.decode($0.bytes) } == [
                text
            ])
    }

    @Test(
        "a small, blurred, noisy code the first look misses is read by redrawing it module by module"
    )
    func redrawSmallBlurred() throws {
        // Given a code of two photo pixels a module, blurred by 0.4 of a module, turned and noisy
        var simulator = CameraSimulator(seed: 21)
        var shot = CameraShot()
        shot.scale = 0.5
        shot.blurModules = 0.4
        shot.noiseSigma = 10
        shot.rotationDegrees = 23
        shot.margin = 1
        let text = ticketText(seed: 21, length: 60)
        let code = try renderedCode(text, modulePixels: 4)
        let photo = simulator.photograph(code, modulePixels: 4, shot: shot)
        var firstLookOnly = PhotoReaderOptions(effort: .high)
        firstLookOnly.cascade = []
        firstLookOnly.highEffortSteps = []
        var redrawOnly = firstLookOnly
        redrawOnly.cascade = [ReadAttempt([.redraw(sharpen: 1)])]

        // Then zbar alone misses it, and the redrawn code reads, its corners back on the photo
        #expect(PhotoReader(options: firstLookOnly).read(photo).isEmpty)
        let symbols = PhotoReader(options: redrawOnly).read(photo)
        #expect(symbols.map { PayloadText.decode($0.bytes) } == [text])
        // The code's centre is the centre of the rendered square it was printed in.
        let corners = try #require(symbols.first?.corners)
        let printed = CameraSimulator.corners(
            ofSourceWidth: code.width, height: code.height, in: shot)
        func centre(_ points: [Point]) -> Point {
            Point(
                x: points.map(\.x).reduce(0, +) / Double(points.count),
                y: points.map(\.y).reduce(0, +) / Double(points.count))
        }
        #expect(corners.count == 4)
        #expect((centre(corners) - centre(printed)).length < 3)
    }

    @Test(
        "a code blurred past half a module is read by redrawing it sharpened harder, for a fraction of the first redrawing's work"
    )
    func redrawSharperFromSameSamples() throws {
        // Given a code blurred by 0.6 of a module, which a redrawing sharpened by 1 misses
        var simulator = CameraSimulator(seed: 1)
        var shot = CameraShot()
        shot.blurModules = 0.6
        shot.rotationDegrees = 7
        let text = ticketText(seed: 1, length: 60)
        let photo = simulator.photograph(
            try renderedCode(text, modulePixels: 4), modulePixels: 4, shot: shot)
        var firstLookOnly = PhotoReaderOptions(effort: .high)
        firstLookOnly.cascade = []
        firstLookOnly.highEffortSteps = []
        var once = firstLookOnly
        once.cascade = [ReadAttempt([.redraw(sharpen: 1)])]
        var twice = once
        twice.cascade.append(ReadAttempt([.redraw(sharpen: 3)]))

        let firstLook = PhotoReader(options: firstLookOnly).reading(photo)
        let redrawn = PhotoReader(options: once).reading(photo)
        let again = PhotoReader(options: twice).reading(photo)

        // Then the harder sharpening reads it, as the second step
        #expect(firstLook.symbols.isEmpty && redrawn.symbols.isEmpty)
        #expect(again.symbols.map { PayloadText.decode($0.bytes) } == [text])
        #expect(again.outcome?.step == 2)
        // and costs less than half what the first redrawing did with its finder check and
        // grid fit: the grid and the modules' samples are reused, only the drawing is new.
        let first = redrawn.work.units - firstLook.work.units
        let second = again.work.units - redrawn.work.units
        #expect(
            second > 0 && second * 2 < first, "first redrawing \(first) units, second \(second)")
    }

    @Test("corners found on the rectified image are mapped back onto the photo")
    func cornersMappedBack() throws {
        var simulator = CameraSimulator(seed: 11)
        var shot = CameraShot()
        shot.cornerShifts = [
            Point(x: 0.06, y: 0), Point(x: -0.04, y: 0.03), Point(x: 0, y: 0),
            Point(x: 0.02, y: -0.05),
        ]
        let text = ticketText(seed: 11, length: 60)
        let photo = simulator.photograph(
            try renderedCode(text, modulePixels: 4), modulePixels: 4, shot: shot)
        let reports = try PhotoReader().eachAttempt(
            of: JPEGEncoder().encodeAsColor(photo, quality: 90))
        let direct = try #require(reports.first?.symbols.first)
        let rectified = try #require(
            reports.first { $0.attempt.enhancements == [.rectify] }?.symbols.first)
        #expect(rectified.corners.count == direct.corners.count)
        for corner in rectified.corners {
            let nearest = direct.corners.map {
                ($0.x - corner.x) * ($0.x - corner.x) + ($0.y - corner.y) * ($0.y - corner.y)
            }
            .min()
            #expect((nearest ?? .infinity).squareRoot() < 4)
        }
    }

    @Test(
        "when a stray finder-like mark makes the likeliest threes of finders wrong, a later three reads"
    )
    func secondFinderCandidates() throws {
        // Given a code, and above it a larger finder-like mark, square with its top-left and
        // top-right finders and with its top-right and bottom-left ones: two wrong threes, each
        // likelier than the right one
        let text = "VT1.ticket beside a stray mark"
        let modulePixels = 3, quiet = 4
        let code = try renderedCode(text, modulePixels: modulePixels, quietZone: quiet)
        let modules = code.width / modulePixels - 2 * quiet
        var canvas = GrayImage(width: code.width + 40, height: code.height * 2 + 40)
        let origin = (x: 20, y: code.height + 20)
        paste(code, onto: &canvas, x: origin.x, y: origin.y)
        // The mark: a finder pattern at 1.5 times the module size, as far above the top-left
        // finder as the bottom-left one is below it.
        let big = 4.5
        let topLeft = (
            x: Double(origin.x + quiet * modulePixels) + 3.5 * 3,
            y: Double(origin.y + quiet * modulePixels) + 3.5 * 3
        )
        let span = Double(modules - 7) * Double(modulePixels)
        let centre = (x: topLeft.x, y: topLeft.y - span)
        for y in 0..<canvas.height {
            for x in 0..<canvas.width {
                let ring =
                    max(abs(Double(x) + 0.5 - centre.x), abs(Double(y) + 0.5 - centre.y)) / big
                guard ring < 3.5 else { continue }
                canvas[x, y] = ring < 1.5 || ring >= 2.5 ? 0 : 255
            }
        }
        var options = PhotoReaderOptions(effort: .high)
        options.cascade = (0..<3).map { ReadAttempt([.redraw(sharpen: 1, candidate: $0)]) }
        options.highEffortSteps = []

        // Then redrawing from the two likeliest threes finds nothing, and from the third the code
        let reports = try PhotoReader(options: options).eachAttempt(of: PNG.encode(canvas))
        #expect(reports[1].symbols.isEmpty)
        #expect(reports[2].symbols.isEmpty)
        #expect(reports[3].symbols.compactMap { PayloadText.decode($0.bytes) } == [text])
    }
}
