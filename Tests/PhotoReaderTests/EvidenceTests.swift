import CameraSimulation
import Imaging
import JPEGCodec
import PhotoReader
import Testing
import ZBarScanner

/// Effort normal spends by evidence: a photo whose first look shows a code (three finder
/// patterns that stand as one code's, a grid fitted to them) gets the whole cascade, as at
/// effort high; a photo that shows none stops after the cheap steps, within a budget.
@Suite("evidence of a code")
struct EvidenceTests {
    static let highSteps = (1 + PhotoReader.defaultCascade.count)...

    /// A dim, evenly grey scene under heavy sensor noise, as a phone takes in the dark.
    static func noise(width: Int, height: Int, seed: UInt64, sigma: Double = 30) -> GrayImage {
        var generator = SeededGenerator(seed: seed)
        var image = GrayImage(width: width, height: height, filledWith: 0)
        for y in 0..<height {
            for x in 0..<width {
                let light = 90 + 40 * Double(x) / Double(width)
                image[x, y] = UInt8(clamping: Int((light + sigma * generator.normal()).rounded()))
            }
        }
        return image
    }

    /// A sheet under uneven light with two dark smudges and a little sensor noise.
    static func smudges(width: Int, height: Int) -> GrayImage {
        var generator = SeededGenerator(seed: 9)
        var image = GrayImage(width: width, height: height, filledWith: 0)
        for y in 0..<height {
            for x in 0..<width {
                let smudge =
                    (40..<90).contains(x) && (30..<70).contains(y)
                    || (180..<260).contains(x) && (120..<200).contains(y)
                let light = 120 + Double(x) / 5 + Double(y) / 10
                image[x, y] = UInt8(
                    clamping: Int((smudge ? light * 0.4 : light) + 4 * generator.normal()))
            }
        }
        return image
    }

    /// A photo with no code in it, by name, stored as a phone stores it.
    static func noCode(_ name: String) throws -> [UInt8] {
        switch name {
        case "smudges":
            try JPEGEncoder().encodeAsColor(smudges(width: 320, height: 240), quality: 85)
        case "hopeless": try EffortTests.hopeless(seed: 4)
        default:
            try JPEGEncoder().encodeAsColor(
                GrayImage(width: 300, height: 200, filledWith: 180), quality: 85)
        }
    }

    /// A code whose finder, timing and alignment patterns are intact but whose data modules
    /// are overwritten by random ones, past what its error correction can undo: it shows
    /// every sign of a code and cannot be read.
    static func scrambledCode(seed: UInt64) throws -> GrayImage {
        let modulePixels = 4, quiet = 4
        var image = try renderedCode(
            ticketText(seed: seed, length: 60), modulePixels: modulePixels, quietZone: quiet)
        let size = image.width / modulePixels - 2 * quiet
        var generator = SeededGenerator(seed: seed)
        for row in 0..<size {
            for column in 0..<size {
                let inFinder =
                    (row < 9 && column < 9) || (row < 9 && column >= size - 8)
                    || (row >= size - 8 && column < 9)
                let onTiming = row == 6 || column == 6
                let nearAlignment = abs(row - (size - 7)) <= 2 && abs(column - (size - 7)) <= 2
                guard !inFinder, !onTiming, !nearAlignment else { continue }
                let value: UInt8 = generator.next() % 2 == 0 ? 0 : 255
                for dy in 0..<modulePixels {
                    for dx in 0..<modulePixels {
                        image[
                            (column + quiet) * modulePixels + dx, (row + quiet) * modulePixels + dy
                        ] = value
                    }
                }
            }
        }
        return image
    }

    @Test(
        "a photo that shows no code stops after the cheap steps at effort normal, within its budget",
        arguments: ["smudges", "hopeless", "blank"])
    func noCodeStopsEarly(_ name: String) throws {
        let photo = try Self.noCode(name)
        let normal = try PhotoReader().reading(photo)
        let high = try PhotoReader(options: PhotoReaderOptions(effort: .high)).reading(photo)
        #expect(normal.symbols.isEmpty && high.symbols.isEmpty)
        let evidence = try #require(normal.work.evidence)
        #expect(evidence.strength != .code, "\(name): \(evidence)")
        let budget = try #require(normal.work.budget, "\(name)")
        #expect(normal.work.units <= budget)
        #expect(!normal.work.steps.contains { Self.highSteps.contains($0) })
        #expect(normal.work.units < high.work.units)
        #expect(normal.work.steps.count < high.work.steps.count)
    }

    @Test(
        "sensor noise seldom looks like a code: within a budget that grows with the photo, and never past high's work"
    )
    func noiseBounded() throws {
        var largest: [Int] = []
        var withinBudget = 0
        for (width, height) in [(160, 120), (640, 480), (1600, 1200)] {
            var budgets: [Int] = []
            for seed in UInt64(10)..<13 {
                let image = Self.noise(width: width, height: height, seed: seed)
                let photo = try JPEGEncoder().encodeAsColor(image, quality: 85)
                let normal = try PhotoReader().reading(photo)
                let high = try PhotoReader(options: PhotoReaderOptions(effort: .high)).reading(
                    photo)
                #expect(normal.symbols.isEmpty)
                #expect(normal.work.units <= high.work.units)
                // Noise at a module of a pixel or so can form three finder-like marks that fit,
                // seen on three rows each: then it gets the whole cascade, as at high.
                guard let budget = normal.work.budget else {
                    #expect(normal.work.evidence?.strength == .code)
                    continue
                }
                #expect(normal.work.units <= budget)
                withinBudget += 1
                budgets.append(budget)
            }
            largest.append(budgets.max() ?? 0)
        }
        #expect(withinBudget >= 7, "\(withinBudget) of 9 within a budget")
        #expect(largest == largest.sorted() && Set(largest).count == largest.count)
    }

    /// A phone photo of a printed page, `width` wide (4:3): lines of print (dark blocks of a
    /// glyph's size) and, off centre in a clear patch, a ticket's code of `modulePixels` a
    /// module, under a little sensor noise.
    static func smallCodeOnPage(width: Int, modulePixels: Int, seed: UInt64) throws -> [UInt8] {
        let height = width * 3 / 4
        var page = noise(width: width, height: height, seed: seed, sigma: 4)
        var generator = SeededGenerator(seed: seed)
        for line in stride(from: height / 20, to: height * 19 / 20, by: 24) {
            var x = width / 20
            while x < width * 19 / 20 {
                let glyph = 6 + Int(generator.next() % 8)
                for y in line..<line + 12 {
                    for column in x..<min(x + glyph, width) { page[column, y] = 40 }
                }
                x += glyph + 3 + Int(generator.next() % 6)
            }
        }
        let code = try renderedCode(ticketText(seed: seed), modulePixels: modulePixels)
        paste(code, onto: &page, x: width * 3 / 5, y: height / 3)
        return try JPEGEncoder().encodeAsColor(page, quality: 88)
    }

    @Test(
        "a small code on a page of a 3 MP photo, which the scaled-down first look cannot make out, reads at effort normal in full size",
        arguments: [UInt64(7), 8])
    func smallCodeInLargeFrame(_ seed: UInt64) throws {
        let photo = try Self.smallCodeOnPage(width: 2048, modulePixels: 2, seed: seed)
        let normal = try PhotoReader().reading(photo)
        #expect(normal.symbols.map(\.bytes) == [Array(ticketText(seed: seed).utf8)])
        let outcome = try #require(normal.outcome)
        #expect(outcome.denominator == 1 && outcome.attempt.scaleShift < 0, "\(outcome)")
        // Print makes finder-like marks, at times three that fit: a budget, or the whole cascade.
        if let budget = normal.work.budget { #expect(normal.work.units <= budget) }
        #expect(normal.work.evidence.map { $0.strength != .none } == true)
    }

    @Test("a damaged code that shows its finders gets the whole cascade at effort normal")
    func damagedCodeWholeCascade() throws {
        let image = try Self.scrambledCode(seed: 5)
        let normal = PhotoReader().reading(image)
        let high = PhotoReader(options: PhotoReaderOptions(effort: .high)).reading(image)
        #expect(normal.symbols.isEmpty && high.symbols.isEmpty)
        let evidence = try #require(normal.work.evidence)
        #expect(evidence.strength == .code)
        #expect(evidence.threeFinders && evidence.modules != nil)
        #expect(normal.work.budget == nil)
        #expect(normal.work.skippedForBudget == 0)
        // Every step high tries, normal tries too, its costly extra steps included.
        #expect(normal.work.steps == high.work.steps)
        #expect(normal.work.steps.contains { Self.highSteps.contains($0) })
    }

    @Test("a clean photo read at first sight spends nothing on looking for evidence")
    func firstLookNeedsNoEvidence() throws {
        let reading = PhotoReader().reading(try renderedCode("VT1.clean", modulePixels: 4))
        #expect(reading.outcome?.step == 0)
        #expect(reading.work.evidence == nil)
        #expect(reading.work.budget == nil)
    }

    @Test("hard photos that show a code read at effort normal whenever they read at effort high")
    func normalReadsWhatHighReads() throws {
        var simulator = CameraSimulator(seed: 61)
        var high = 0, normal = 0
        for seed in 0..<14 {
            let shot = simulator.combinedShot(strength: 0.75, modulePixels: 4)
            let text = ticketText(seed: UInt64(300 + seed), length: 60)
            let photo = try JPEGEncoder().encodeAsColor(
                simulator.photograph(
                    try renderedCode(text, modulePixels: 4), modulePixels: 4, shot: shot),
                quality: shot.jpegQuality ?? 80)
            let atHigh = try PhotoReader(options: PhotoReaderOptions(effort: .high)).reading(photo)
            let atNormal = try PhotoReader().reading(photo)
            let readsHigh = atHigh.symbols.contains { PayloadText.decode($0.bytes) == text }
            let readsNormal = atNormal.symbols.contains { PayloadText.decode($0.bytes) == text }
            if readsHigh { high += 1 }
            if readsNormal { normal += 1 }
            if atNormal.work.evidence?.strength == .code {
                #expect(!readsHigh || readsNormal, "seed \(seed): high read it, normal did not")
            }
        }
        #expect(normal >= high, "normal \(normal), high \(high) of 14")
        #expect(high >= 7, "high read \(high) of 14")
    }
}
