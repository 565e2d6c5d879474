import CameraSimulation
import Imaging
import JPEGCodec
import PhotoReader
import Testing
import ZBarScanner

/// The work budget: a photo the reader cannot read and that shows no code stops after a
/// bounded amount of work, counted in pixels processed (never in time), more for more effort;
/// a readable photo still reads; the same photo always costs the same.
@Suite("effort and work budget")
struct EffortTests {
    /// A hopeless photo: a printed page of dark blobs and fine texture, no code, stored as a
    /// phone stores it.
    static func hopeless(seed: UInt64 = 3, width: Int = 480, height: Int = 360) throws -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        var image = GrayImage(width: width, height: height, filledWith: 190)
        for y in 0..<height {
            for x in 0..<width {
                let blob = ((x / 11) * 7 + (y / 9) * 5) % 4 == 0
                image[x, y] = UInt8(clamping: Int((blob ? 60 : 190) + 25 * generator.normal()))
            }
        }
        return try JPEGEncoder().encodeAsColor(image, quality: 80)
    }

    /// Every attempt a reader may try, first look first, at the given effort: at normal the
    /// high-effort steps run only on a photo that shows a code.
    static func steps(_ effort: ReadEffort) -> [ReadAttempt] {
        [ReadAttempt()] + PhotoReader.defaultCascade
            + (effort == .low ? [] : PhotoReader.highEffortSteps)
    }

    static func reading(_ bytes: [UInt8], effort: ReadEffort) throws -> PhotoReading {
        try PhotoReader(options: PhotoReaderOptions(effort: effort)).reading(bytes)
    }

    @Test("a hopeless photo stops within the budget at effort normal, the first look always run")
    func budgetHonoured() throws {
        let photo = try Self.hopeless()
        let normal = try Self.reading(photo, effort: .normal)
        #expect(normal.symbols.isEmpty)
        #expect(normal.outcome == nil)
        #expect(normal.work.evidence?.strength != .code)
        let budget = try #require(normal.work.budget)
        #expect(normal.work.units > 0)
        #expect(normal.work.units <= budget)
        #expect(normal.work.steps.first == 0)
        // It gave up before the end of the cascade.
        #expect(normal.work.attempts < Self.steps(.normal).count)
        let high = try Self.reading(photo, effort: .high)
        #expect(high.work.budget == nil)
        #expect(high.work.units > budget, "high \(high.work.units), normal budget \(budget)")
    }

    @Test(
        "the budget is a fixed multiple of the first look's cost: a photo four times as large gets three to five times the budget"
    )
    func budgetScalesWithPhoto() throws {
        let small = try Self.reading(Self.hopeless(width: 400, height: 300), effort: .normal)
        let large = try Self.reading(Self.hopeless(width: 800, height: 600), effort: .normal)
        let smallBudget = try #require(small.work.budget),
            largeBudget = try #require(large.work.budget)
        #expect(largeBudget > smallBudget * 3 && largeBudget < smallBudget * 5)
        #expect(large.work.units <= largeBudget)
    }

    @Test("low, normal and high spend ever more work and attempts on a hopeless photo")
    func effortsOrdered() throws {
        let photo = try Self.hopeless(seed: 5)
        let low = try Self.reading(photo, effort: .low)
        let normal = try Self.reading(photo, effort: .normal)
        let high = try Self.reading(photo, effort: .high)
        #expect(low.work.units < normal.work.units)
        #expect(normal.work.units < high.work.units)
        #expect(low.work.attempts <= normal.work.attempts)
        #expect(normal.work.attempts < high.work.attempts)
        let lowBudget = try #require(low.work.budget),
            normalBudget = try #require(normal.work.budget)
        #expect(lowBudget < normalBudget)
        // Attempts run in cascade order, and high leaves none out for want of budget.
        for reading in [low, normal, high] {
            #expect(reading.work.steps == reading.work.steps.sorted())
        }
        #expect(high.work.skippedForBudget == 0)
        #expect(normal.work.skippedForBudget > 0)
    }

    @Test(
        "a photo with no finder pattern candidates runs no upscaling or rectifying step, even at effort high"
    )
    func noFindersNoCostlySteps() throws {
        // A blank sheet under uneven light with two dark smudges, small enough that upscaling
        // would apply: nothing like a finder pattern.
        var generator = SeededGenerator(seed: 9)
        var image = GrayImage(width: 300, height: 220, filledWith: 150)
        for y in 0..<220 {
            for x in 0..<300 {
                let smudge =
                    (40..<90).contains(x) && (30..<70).contains(y)
                    || (180..<260).contains(x) && (120..<200).contains(y)
                let light = 120 + Double(x) / 5 + Double(y) / 10
                image[x, y] = UInt8(
                    clamping: Int((smudge ? light * 0.4 : light) + 2 * generator.normal()))
            }
        }
        let reading = PhotoReader(options: PhotoReaderOptions(effort: .high)).reading(image)
        #expect(reading.symbols.isEmpty)
        #expect(reading.work.noFinderCandidates)
        let steps = Self.steps(.high)
        let ran = reading.work.steps.map { steps[$0] }
        #expect(!ran.isEmpty)
        #expect(
            !ran.contains {
                $0.enhancements.contains(.rectify) || $0.enhancements.contains(.upscale(2))
            })
    }

    @Test("a photo the first look misses still reads at effort normal, by a later step")
    func readableStillReads() throws {
        var simulator = CameraSimulator(seed: 42)
        var shot = CameraShot()
        shot.noiseSigma = 45
        shot.scale = 2
        let text = ticketText(seed: 42, length: 40)
        let photo = simulator.photograph(
            try renderedCode(text, modulePixels: 2), modulePixels: 2, shot: shot)
        let reading = try Self.reading(
            JPEGEncoder().encodeAsColor(photo, quality: 90), effort: .normal)
        #expect(reading.symbols.map { PayloadText.decode($0.bytes) } == [text])
        #expect((reading.outcome?.step ?? 0) > 0)
        #expect(reading.work.evidence?.strength == .code)
    }

    @Test(
        "the same photo costs the same work and gives the same result every time",
        arguments: [ReadEffort.low, .normal, .high])
    func deterministic(_ effort: ReadEffort) throws {
        var simulator = CameraSimulator(seed: 77)
        let shot = simulator.combinedShot(strength: 0.6, modulePixels: 4)
        let text = ticketText(seed: 77, length: 60)
        let photo = try JPEGEncoder().encodeAsColor(
            simulator.photograph(
                try renderedCode(text, modulePixels: 4), modulePixels: 4, shot: shot),
            quality: shot.jpegQuality ?? 80)
        for bytes in [photo, try Self.hopeless(seed: 11)] {
            let reader = PhotoReader(options: PhotoReaderOptions(effort: effort))
            let first = try reader.reading(bytes)
            let again = try reader.reading(bytes)
            let fresh = try Self.reading(bytes, effort: effort)
            for other in [again, fresh] {
                #expect(other.work == first.work)
                #expect(other.outcome == first.outcome)
                #expect(other.symbols.map(\.bytes) == first.symbols.map(\.bytes))
                #expect(other.symbols.map(\.corners) == first.symbols.map(\.corners))
            }
        }
    }

    @Test(
        "hard photos stay within the budget at low, and at normal unless they show a code; some read"
    )
    func gridFitsWithinBudget() throws {
        // Combined damage: finders found, grids fitted (sometimes to a version above what the
        // finders' distances suggest), few read at first sight.
        var simulator = CameraSimulator(seed: 31)
        var read = 0
        for seed in 0..<12 {
            let shot = simulator.combinedShot(strength: 0.8, modulePixels: 4)
            let text = ticketText(seed: UInt64(100 + seed), length: 60)
            let photo = try JPEGEncoder().encodeAsColor(
                simulator.photograph(
                    try renderedCode(text, modulePixels: 4), modulePixels: 4, shot: shot),
                quality: shot.jpegQuality ?? 80)
            for effort in [ReadEffort.low, .normal] {
                let reading = try Self.reading(photo, effort: effort)
                if effort == .normal && (reading.outcome?.step ?? 0) > 0 { read += 1 }
                // At normal a photo read at first sight or that shows a code has no budget: the
                // first needs none, the second gets the whole cascade.
                if effort == .normal
                    && (reading.outcome?.step == 0 || reading.work.evidence?.strength == .code)
                {
                    #expect(reading.work.budget == nil)
                    continue
                }
                let budget = try #require(reading.work.budget)
                #expect(
                    reading.work.units <= budget,
                    "seed \(seed), \(effort): \(reading.work.units) > \(budget)")
            }
        }
        #expect(read >= 3, "read by a retry at normal: \(read) of 12")

        // At effort low, a code of 3 px a module under combined damage that no step it can
        // afford reads: the reader stops within the budget, the steps it cannot afford left out.
        var camera = CameraSimulator(seed: 0)
        let shot = camera.combinedShot(strength: 0.8, modulePixels: 3)
        let code = try renderedCode(ticketText(seed: 0, length: 60), modulePixels: 3)
        let reading = PhotoReader(options: PhotoReaderOptions(effort: .low)).reading(
            camera.photograph(code, modulePixels: 3, shot: shot))
        let budget = try #require(reading.work.budget)
        #expect(reading.symbols.isEmpty)
        #expect(reading.work.skippedForBudget > 0)
        #expect(reading.work.units <= budget, "\(reading.work.units) > \(budget)")
    }
}
