import Foundation
public import Imaging
import JPEGCodec
import PNGCodec
public import ZBarScanner

/// Why a photo yielded no symbols list at all (as opposed to an empty one).
public enum PhotoReadError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file could not be opened or read.
    case unreadable(String)
    /// The file is empty.
    case empty
    /// The content is neither PNG nor JPEG.
    case unknownFormat
    /// The header claims more pixels than the cap.
    case tooLarge(width: Int, height: Int, limit: Int)
    /// The decoder rejected the data (truncated or corrupt), with the library's message.
    case corrupt(String)

    /// A stable machine-readable code.
    public var code: String {
        switch self {
        case .unreadable: "unreadable_file"
        case .empty: "empty_file"
        case .unknownFormat: "unknown_format"
        case .tooLarge: "too_large"
        case .corrupt: "corrupt_image"
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let reason): "cannot read file: \(reason)"
        case .empty: "file is empty"
        case .unknownFormat: "not a PNG or JPEG image"
        case .tooLarge(let width, let height, let limit):
            "image is \(width)x\(height) pixels, over the limit of \(limit) pixels (see --max-pixels)"
        case .corrupt(let message): "corrupt image: \(message)"
        }
    }
}

/// Settings of the photo reader.
public struct PhotoReaderOptions: Sendable {
    /// Images whose header claims more pixels than this are refused before decoding.
    public var maxPixels: Int = 100_000_000
    /// The first look at a photo is at the largest of full, 1/2, 1/4 or 1/8 scale with at most
    /// this many pixels: zbar reads noisy phone photos better shrunk, and faster. A JPEG is
    /// decoded straight to that scale.
    public var firstLookPixels: Int = 1_000_000
    /// No retry scans more pixels than this: upscaling that would is skipped, so a hard photo
    /// costs bounded time whatever its size.
    public var retryPixels: Int = 3_000_000
    /// A finer look at real pixels (a finer JPEG scale, not magnified) may scan up to this
    /// many: a 3 MP photo (2048 x 1536) in full, where a small code on a page shows. Larger
    /// photos are looked at no finer than half size: a cap of 6 MP, which looks at 5 MP photos
    /// in full, read more small codes on pages but took the bench's photos past 1.5 times
    /// zbar's time (docs/benchmarks.md).
    public var finerPixels: Int = 3_200_000
    /// The retry cascade, tried in order after the first look finds nothing, stopping at the
    /// first attempt that finds a code, or when the effort's work budget allows no more.
    public var cascade: [ReadAttempt] = PhotoReader.defaultCascade
    /// Steps tried after the cascade only when the whole cascade is due (effort high, or effort
    /// normal on a photo that shows a code): costly, and rarely of use.
    public var highEffortSteps: [ReadAttempt] = PhotoReader.highEffortSteps
    /// How hard to try on a photo the first look does not read.
    public var effort: ReadEffort = .normal

    /// The defaults: a 100 MP cap, effort normal.
    public init(maxPixels: Int = 100_000_000, effort: ReadEffort = .normal) {
        self.maxPixels = maxPixels
        self.effort = effort
    }

    /// The attempts a read may try, first look first: the high-effort steps come last and run
    /// only when the whole cascade is due.
    var steps: [ReadAttempt] {
        [ReadAttempt()] + cascade + (effort == .low ? [] : highEffortSteps)
    }
}

/// Finds every QR code in a PNG or JPEG photo, retrying with image enhancements when a first
/// pass finds nothing, with as much work as the effort and what the photo shows allow. Holds a
/// JPEG decoder for reuse and a zbar scanner for each photo: one reader per thread.
public final class PhotoReader {
    /// The settings in force.
    public let options: PhotoReaderOptions
    /// The zbar scanner of the photo being read, made afresh for each: zbar's QR decoder draws
    /// on a random number generator it never reseeds, so a scanner kept from photo to photo
    /// makes a photo's result hang on the photos read before it (measured: one photo of 360
    /// found two codes of three after a batch, three alone).
    private var scanner = QRScanner()
    private let jpegDecoder: JPEGDecoder?

    /// The retry cascade used unless the options name another, in order of measured payoff:
    /// each step placed by what it reads that the steps before it do not, per unit of work, on
    /// the real photos, the simulated set and the fresh sets the rule was chosen on (see
    /// `scripts/photo-eval`, `scripts/bench` and docs/benchmarks.md). After the first look fails
    /// the reader looks for finder patterns once; steps at the first look's scale then work on
    /// the region of the likeliest code only, which makes magnifying cheap:
    /// - redrawing the code module by module from its fitted grid reads small, blurred, noisy
    ///   and slanted codes alike, the commonest failures of small poor photos, for less than a
    ///   first look costs; drawn again from the same modules sharpened harder, for little more,
    ///   it reads blur of over half a module;
    /// - redrawing after 2x upscaling finds the finders of codes of one or two pixels a module
    ///   that the first look's scale hid;
    /// - a finer scale, sharpened, reads small codes in large photos;
    /// - a half-scale look, cheap, undoes noise and print texture; a light blur undoes noise;
    /// - unsharp masking undoes blur of more than half a module, which redrawing cannot;
    /// - resampling the code upright at 4 px a module reads codes whose modules the redrawing
    ///   judged wrong (its grid a little off), letting zbar sample them itself;
    /// - 2x upscaling, plain, sharpened or binarised, lets zbar find small codes itself;
    ///   adaptive binarisation rescues low contrast and uneven light;
    /// - inversion reads light-on-dark codes.
    /// How far a photo gets down the list is the effort's and the evidence's call (see
    /// `ReadEffort`): the whole of it, and `highEffortSteps` after it, for a photo that shows
    /// a code at effort normal or for any photo at effort high; the cheap steps for a photo that
    /// shows none. Mild unsharp masking, local contrast normalisation, contrast stretching read
    /// nothing these did not.
    public static let defaultCascade: [ReadAttempt] = [
        ReadAttempt([.redraw(sharpen: 1)]),
        ReadAttempt([.redraw(sharpen: 3)]),
        ReadAttempt([.upscale(2), .redraw(sharpen: 1)]),
        ReadAttempt(scaleShift: -1, [.unsharp(radius: 3, amount: 3)]),
        ReadAttempt(scaleShift: 1),
        ReadAttempt([.blur(radius: 1)]),
        ReadAttempt([.unsharp(radius: 2, amount: 3)]),
        ReadAttempt([.rectify]),
        ReadAttempt([.upscale(2)]),
        ReadAttempt([.upscale(2), .unsharp(radius: 2, amount: 2)]),
        ReadAttempt([.redraw(sharpen: 0)]),
        ReadAttempt([.upscale(2), .binarize(fraction: 20)]),
        ReadAttempt([.binarize(fraction: 20)]),
        ReadAttempt([.unsharp(radius: 6, amount: 4)]),
        ReadAttempt(scaleShift: 1, [.unsharp(radius: 3, amount: 4)]),
        ReadAttempt([.blur(radius: 1), .binarize(fraction: 10)]),
        ReadAttempt(scaleShift: -1),
        ReadAttempt([.invert]),
    ]

    /// Steps added after the cascade when the whole cascade is due (effort high, or a photo
    /// that shows a code at effort normal): rectifying a small code after magnifying it, 3x
    /// upscaling, redrawing from the second likeliest three finders (past a stray finder-like
    /// mark), inverted 2x. They read a photo or two in a thousand that nothing before them does.
    public static let highEffortSteps: [ReadAttempt] = [
        ReadAttempt([.upscale(2), .rectify]),
        ReadAttempt([.upscale(3)]),
        ReadAttempt([.redraw(sharpen: 1, candidate: 1)]),
        ReadAttempt([.upscale(2), .invert]),
    ]

    /// A reader with the given settings.
    public init(options: PhotoReaderOptions = PhotoReaderOptions()) {
        self.options = options
        self.jpegDecoder = try? JPEGDecoder()
    }

    /// Reads the file at `path` and returns every symbol found, corners in the file's pixel
    /// coordinates.
    public func read(contentsOf path: String) throws(PhotoReadError) -> [ScannedSymbol] {
        try reading(contentsOf: path).symbols
    }

    /// Reads an encoded PNG or JPEG, the format judged by content.
    public func read(_ bytes: [UInt8]) throws(PhotoReadError) -> [ScannedSymbol] {
        try reading(bytes).symbols
    }

    /// Reads a decoded image.
    public func read(_ image: GrayImage) -> [ScannedSymbol] {
        reading(image).symbols
    }

    /// Reads the file at `path`: the symbols, which attempt found them and the work spent.
    public func reading(contentsOf path: String) throws(PhotoReadError) -> PhotoReading {
        try reading(Self.contents(of: path))
    }

    /// Reads an encoded PNG or JPEG, the format judged by content, with how it was read.
    public func reading(_ bytes: [UInt8]) throws(PhotoReadError) -> PhotoReading {
        guard !bytes.isEmpty else { throw .empty }
        return read(try decode(bytes))
    }

    /// Reads a decoded image, with how it was read.
    public func reading(_ image: GrayImage) -> PhotoReading {
        guard image.width > 0, image.height > 0 else {
            return PhotoReading(symbols: [], outcome: nil, work: ReadWork())
        }
        return read(ScaledSource(image: image))
    }

    /// The bytes of the file at `path`.
    public static func contents(of path: String) throws(PhotoReadError) -> [UInt8] {
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .unreadable((error as NSError).localizedDescription)
        }
    }

    /// The photo as a source of scaled images: a PNG decoded in full, a JPEG only to its first
    /// look's scale for now.
    private func decode(_ bytes: [UInt8]) throws(PhotoReadError) -> ScaledSource {
        do {
            if PNG.isPNG(bytes) {
                let image = try PNG.decode(bytes, maxPixels: options.maxPixels)
                return ScaledSource(
                    image: image,
                    work: WorkCost.decode(pixels: image.pixelCount, fullPixels: image.pixelCount))
            }
            guard JPEG.isJPEG(bytes) else { throw PhotoReadError.unknownFormat }
            return try decodeJPEG(bytes)
        } catch let error as ImageDecodingError {
            throw PhotoReadError(error)
        } catch let error as PhotoReadError {
            throw error
        } catch {
            throw .corrupt("\(error)")
        }
    }

    private func decodeJPEG(_ bytes: [UInt8]) throws(ImageDecodingError) -> ScaledSource {
        guard let decoder = jpegDecoder else {
            throw .corrupt(library: "libjpeg-turbo", message: "cannot create a decompressor")
        }
        let header = try decoder.header(of: bytes)
        // A file cut inside its headers can pass as a JPEG with no frame at all.
        guard header.width > 0, header.height > 0 else {
            throw .corrupt(library: "libjpeg-turbo", message: "no image frame (truncated file?)")
        }
        let (pixels, overflow) = header.width.multipliedReportingOverflow(by: header.height)
        guard !overflow, pixels <= options.maxPixels else {
            throw .tooLarge(width: header.width, height: header.height, limit: options.maxPixels)
        }
        let source = ScaledSource(
            jpeg: bytes, header: header, decoder: decoder, maxPixels: options.maxPixels)
        // Decode the first look now, so that a corrupt file is reported as such.
        _ = try source.image(atDenominator: firstLookDenominator(for: source))
        return source
    }

    private func firstLookDenominator(for source: ScaledSource) -> Int {
        JPEG.scaleDenominators.first {
            source.pixelCount(atDenominator: $0) <= options.firstLookPixels
        } ?? 8
    }

    private func read(_ source: ScaledSource) -> PhotoReading {
        scanner = QRScanner()
        let base = firstLookDenominator(for: source)
        let (baseWidth, baseHeight) = JPEG.scaledSize(
            width: source.width, height: source.height, denominator: base)
        let firstLook =
            WorkCost.perPhoto + source.makingCost(atDenominator: base)
            + WorkCost.scan(baseWidth * baseHeight)
        var session = Session(
            source: source, base: base,
            work: ReadWork(budget: budget(firstLook: firstLook, evidence: nil, session: nil)),
            overhead: WorkCost.perPhoto)
        let cascadeEnd = 1 + options.cascade.count
        for (step, attempt) in options.steps.enumerated() {
            guard var plan = plan(attempt, on: source, base: base) else { continue }
            if step > 0 {
                // The first look found nothing: look for finder patterns once, cheaply. What it
                // finds sets the budget (at effort normal, none for a photo that shows a code:
                // it gets the whole cascade), and three that fit together mark the region the
                // steps at the first look's scale need to work on. None at all rules out the
                // costly steps.
                if !session.checkedFinders {
                    checkFinders(&session)
                    session.work.budget = budget(
                        firstLook: firstLook, evidence: session.work.evidence ?? CodeEvidence(),
                        session: session)
                }
                // The high-effort steps run only when the whole cascade is due.
                if step >= cascadeEnd && session.work.budget != nil { continue }
                if attempt.needsFinders && !session.plausibleFinders { continue }
                if plan.denominator == base && attempt.mayCrop {
                    plan.crop = cropRegion(session, for: attempt)
                }
                guard session.work.allows(estimatedCost(of: attempt, plan: plan, session: session))
                else {
                    session.work.skippedForBudget += 1
                    continue
                }
            }
            session.work.steps.append(step)
            var (found, scanned) = run(attempt, plan: plan, session: &session)
            if !found.isEmpty {
                found = readingTheRest(found, at: scanned.denominator, session: &session)
                let outcome = ReadOutcome(
                    attempt: attempt, step: step, denominator: scanned.denominator,
                    scannedWidth: scanned.width, scannedHeight: scanned.height)
                return PhotoReading(symbols: found, outcome: outcome, work: session.finished)
            }
        }
        return PhotoReading(symbols: [], outcome: nil, work: session.finished)
    }

    /// The most codes beyond those the reading step found that `readingTheRest` looks for.
    static let moreCodesSought = 4

    /// `found`, and the codes of the photo the step that read them missed: a photo that shows
    /// two codes or more is a sheet or a row of tickets, where zbar at the first look's scale
    /// may read some and not the others (on three fresh *several* sets of 40 photos with 2 to 4
    /// codes each, 6 photos were read in part so; on photos of our A4 sheets of 8 cards, most).
    /// The first look's finder check gives the finder candidates outside every code read;
    /// while three of them stand as a code's, with a grid that shows a timing pattern, the code
    /// they mark is redrawn, gently and then sharpened, as the cascade's first steps do. When
    /// some still stand as a code's and the codes were read at a scaled-down first look, the
    /// cascade's closer look (a finer scale, sharpened) is made once for all of them.
    ///
    /// It runs after a read of two codes or more, or of one when the finder check was made
    /// anyway (the first look read nothing): one code read at first sight says nothing of
    /// another, and looking for more then would cost every photo the check (about three
    /// quarters of a first look). Not at effort low.
    private func readingTheRest(
        _ found: [ScannedSymbol], at denominator: Int, session: inout Session
    ) -> [ScannedSymbol] {
        guard options.effort != .low, found.count >= 2 || session.checkedFinders else {
            return found
        }
        if !session.checkedFinders { checkFinders(&session) }
        guard let allFinders = session.finders,
            let plan = plan(ReadAttempt(), on: session.source, base: session.base),
            let image = try? session.source.image(atDenominator: session.base)
        else { return found }
        let toBase = Double(plan.width) / Double(max(1, session.source.width))
        var symbols = found
        // Finder centres lie 3.5 modules inside their code: a finder inside no code read belongs
        // to one that was not.
        func unread() -> [PerspectiveRectifier.Finder] {
            let read = symbols.map { symbol in
                symbol.corners.map {
                    Point(x: ($0.x + 0.5) * toBase - 0.5, y: ($0.y + 0.5) * toBase - 0.5)
                }
            }
            return allFinders.filter { finder in
                !read.contains { Self.polygon($0, contains: finder.centre) }
            }
        }
        for _ in 0..<Self.moreCodesSought {
            let rest = unread()
            guard Self.evidence(of: rest).standsAsCode else { break }
            // Three stray marks can stand as a code's; the grid fitted to them shows no timing
            // pattern (the threshold the region choice uses, `cropRegion`).
            let grid = PerspectiveRectifier.grid(in: image, finders: rest)
            session.charge(WorkCost.gridFit)
            guard let grid,
                PerspectiveRectifier.patternContrasts(grid, in: image).timingClarity >= 1
            else { break }
            session.finders = rest
            session.grids = [0: .some(grid)]
            session.moduleValues = [:]
            var more: [ScannedSymbol] = []
            for attempt in Self.restAttempts {
                let before = symbols.count
                let (new, _) = run(attempt, plan: plan, session: &session)
                more = Array(Self.deduplicated(symbols + new).dropFirst(before))
                if !more.isEmpty { break }
            }
            guard !more.isEmpty else { break }
            symbols += more
        }
        session.finders = allFinders
        if denominator == session.base, session.base > 1,
            Self.evidence(of: unread()).standsAsCode,
            let (attempt, finer) = closerLook(session.source, base: session.base)
        {
            let (new, _) = run(attempt, plan: finer, session: &session)
            symbols = Self.deduplicated(symbols + new)
        }
        return symbols
    }

    /// What `readingTheRest` tries on each code left: the cascade's first two redrawings.
    static let restAttempts = [
        ReadAttempt([.redraw(sharpen: 1)]), ReadAttempt([.redraw(sharpen: 3)]),
    ]

    /// Whether `point` lies inside the polygon of `corners` (by the even-odd rule).
    static func polygon(_ corners: [Point], contains point: Point) -> Bool {
        var inside = false
        var previous = corners.last
        for corner in corners {
            if let p = previous, (corner.y > point.y) != (p.y > point.y) {
                let x = corner.x + (point.y - corner.y) * (p.x - corner.x) / (p.y - corner.y)
                if point.x < x { inside.toggle() }
            }
            previous = corner
        }
        return inside
    }

    /// The work budget of a photo whose first look costs `firstLook`, `nil` for none: before
    /// the finder check (`evidence` `nil`) and after it. A photo that shows no code but
    /// finder-like marks that may be a code too small for the first look's scale gets one
    /// closer look on top.
    private func budget(firstLook: Int, evidence: CodeEvidence?, session: Session?) -> Int? {
        guard let factor = options.effort.budgetFactor(evidence) else { return nil }
        let budget = Int((Double(firstLook) * factor).rounded())
        guard let evidence, let session, options.effort == .normal,
            evidence.asksForCloserLook(scaledDown: session.base > 1),
            let (attempt, plan) = closerLook(session.source, base: session.base)
        else { return budget }
        return budget + estimatedCost(of: attempt, plan: plan, session: session)
    }

    /// The cascade's first closer look at a photo and where it would run: at a finer scale
    /// when the first look was below full size, else magnified and redrawn; `nil` when there
    /// is none or it would pass the retry pixel cap.
    private func closerLook(_ source: ScaledSource, base: Int) -> (ReadAttempt, Plan)? {
        let closer = options.cascade.first { attempt in
            base > 1
                ? attempt.scaleShift < 0
                : attempt.scaleShift == 0 && attempt.magnification > 1 && attempt.resamples
        }
        guard let attempt = closer, let plan = plan(attempt, on: source, base: base) else {
            return nil
        }
        return (attempt, plan)
    }

    /// The state of one read: the photo, its work count and what the finder check found.
    private struct Session {
        let source: ScaledSource
        let base: Int
        var work: ReadWork
        /// Finder candidates of the first look's image, once checked.
        var finders: [PerspectiveRectifier.Finder]?
        /// Whether the finder check has been made (or found unaffordable).
        var checkedFinders = false
        /// Whether the check found a finder candidate confirmed on more than one row: noise
        /// makes single-row ones.
        var plausibleFinders: Bool { finders?.contains { $0.count >= 2 } ?? false }
        /// The part of the first look's image holding the likeliest code, when three finder
        /// candidates fit together and leave out a good part of the image.
        var region: Region?
        /// The grids fitted to the first look's finders, by candidate three (`nil` where none
        /// fits), once fitted.
        var grids: [Int: PerspectiveRectifier.Grid?] = [:]
        /// The grey levels of the modules of those grids, by candidate three, once sampled for
        /// redrawing: another redrawing, sharpened differently, only draws.
        var moduleValues: [Int: [Double]] = [:]
        /// Whether fitting a grid to the first look's `candidate`th three finders has failed.
        func noGrid(_ candidate: Int) -> Bool {
            if case .some(.none) = grids[candidate] { return true }
            return false
        }
        /// Work spent outside the source's decoding.
        var units = 0

        init(source: ScaledSource, base: Int, work: ReadWork, overhead: Int = 0) {
            self.source = source
            self.base = base
            self.work = work
            self.units = overhead
        }

        /// Charges `cost` units.
        mutating func charge(_ cost: Int) {
            units += cost
            work.units = units + source.work
        }

        /// The work count with the source's decoding in it.
        var finished: ReadWork {
            var done = work
            done.units = units + source.work
            return done
        }
    }

    /// Where an attempt would run: its scale and the size it scans. `nil` when it does not
    /// apply to this photo.
    private struct Plan {
        var denominator: Int
        var width: Int
        var height: Int
        /// The part of the image the attempt works on, `nil` for all of it.
        var crop: Region?

        /// The size the attempt's filters start from.
        var pixels: Int { crop.map { $0.width * $0.height } ?? width * height }
    }

    /// A rectangle of an image, in pixels.
    struct Region: Hashable {
        var x: Int
        var y: Int
        var width: Int
        var height: Int
    }

    private func plan(_ attempt: ReadAttempt, on source: ScaledSource, base: Int) -> Plan? {
        guard let denominator = attempt.denominator(base: base) else { return nil }
        let magnification = attempt.magnification
        // Upscaling is for photos seen at full size; a scaled first look has real pixels to go
        // finer instead.
        if magnification > 1 && base > 1 { return nil }
        let (width, height) = JPEG.scaledSize(
            width: source.width, height: source.height, denominator: denominator)
        // A coarser look that leaves too few pixels for a code is pointless.
        if denominator > base && min(width, height) < 100 { return nil }
        let cap =
            magnification == 1 && denominator < base ? options.finerPixels : options.retryPixels
        if attempt != ReadAttempt() && width * height * magnification * magnification > cap {
            return nil
        }
        return Plan(denominator: denominator, width: width, height: height)
    }

    /// The region `attempt` works on at the first look's scale, `nil` for the whole image. At
    /// effort high there is no reason to risk a region that three stray finder candidates put
    /// in the wrong place. Elsewhere a region whose grid shows no timing pattern (its timing
    /// modules no clearer than their spread) may sit on stray marks, or on a code whose true
    /// finders show only once magnified: a step that looks for finders again after magnifying
    /// then looks at the whole image (on the combined-damage photos the region cost two reads
    /// of 158 that way).
    private func cropRegion(_ session: Session, for attempt: ReadAttempt) -> Region? {
        guard options.effort != .high else { return nil }
        if attempt.resamples && (session.work.evidence?.timingClarity ?? 0) < 1 { return nil }
        return session.region
    }

    /// The rectifier for an enhancement at this effort: redrawing draws 3 px a module, which
    /// zbar reads on a clean grid, 2 for codes over 72 modules with their margin; rectifying at
    /// high is as fine and as large as it likes, else an upright image of 4 px a module (which
    /// zbar reads on a grey grid) at most 400 px square, whose cost is known in advance.
    private func rectifier(for enhancement: Enhancement) -> PerspectiveRectifier {
        if case .redraw = enhancement { return PerspectiveRectifier(modulePixels: 3, maxSide: 240) }
        return options.effort == .high
            ? PerspectiveRectifier(modulePixels: 8, maxSide: 1200) : PerspectiveRectifier()
    }

    /// `rectifier` making no larger an upright image than the `candidate`th three of `finders`
    /// allow, whatever version the grid fit finds.
    private func bounded(
        _ rectifier: PerspectiveRectifier, finders: [PerspectiveRectifier.Finder], candidate: Int
    ) -> PerspectiveRectifier {
        var bounded = rectifier
        if let side = rectifier.uprightSide(for: finders, candidate: candidate) {
            bounded.maxSide = side
        }
        return bounded
    }

    /// The cheap failure check after the first look: finder pattern candidates on the first
    /// look's image, the region three of them mark, and the evidence of a code they give. At
    /// effort normal and high it always runs and fits the grid of the likeliest three too (the
    /// redrawing would fit it first thing anyway): whether one fits decides a normal photo's
    /// budget. At low it is left out when even it does not fit in the budget.
    private func checkFinders(_ session: inout Session) {
        session.checkedFinders = true
        let (width, height) = JPEG.scaledSize(
            width: session.source.width, height: session.source.height, denominator: session.base)
        let checkCost = WorkCost.finderCheck(width * height)
        guard session.work.allows(checkCost),
            let image = try? session.source.image(atDenominator: session.base)
        else {
            return
        }
        let finders = PerspectiveRectifier.finders(in: image)
        session.charge(checkCost)
        session.finders = finders
        session.work.noFinderCandidates = !session.plausibleFinders
        session.region = Self.region(around: finders, width: width, height: height)
        var evidence = Self.evidence(of: finders)
        // Three that do not stand as a code's (seen on too few rows, or among many more: noise,
        // print, texture) get no grid.
        if options.effort != .low && evidence.standsAsCode {
            let grid = PerspectiveRectifier.grid(in: image, finders: finders)
            session.charge(WorkCost.gridFit)
            session.grids[0] = .some(grid)
            if let grid {
                let contrasts = PerspectiveRectifier.patternContrasts(grid, in: image)
                evidence.finderClarity = contrasts.finderClarity
                evidence.timingClarity = contrasts.timingClarity
                evidence.modules = grid.size
            }
        }
        session.work.evidence = evidence
    }

    /// The evidence of a code `finders` give before a grid is fitted: how many there are, and
    /// whether three of them fit together and stand as one code's.
    static func evidence(of finders: [PerspectiveRectifier.Finder]) -> CodeEvidence {
        var evidence = CodeEvidence()
        let strong = finders.filter { $0.count >= 2 }
        evidence.finders = strong.count
        evidence.weakFinders = finders.count - strong.count
        let modules = strong.map(\.module).sorted()
        if !modules.isEmpty { evidence.modulePixels = modules[modules.count / 2] }
        if !strong.isEmpty, let (a, b, c) = PerspectiveRectifier.bestTriple(finders) {
            evidence.threeFinders = true
            evidence.rowsSeen = [a.count, b.count, c.count].sorted()[1]
            evidence.modulePixels = (a.module + b.module + c.module) / 3
            evidence.findersInside = Self.count(strong, inside: (a.centre, b.centre, c.centre))
        }
        return evidence
    }

    /// How many of `finders` stand inside the parallelogram of a code's three finder centres,
    /// those three left out: a code holds no other finder pattern, print and texture hold many.
    static func count(
        _ finders: [PerspectiveRectifier.Finder], inside three: (Point, Point, Point)
    ) -> Int {
        let (a, b, c) = three
        let ab = b - a, ac = c - a
        let det = ab.x * ac.y - ab.y * ac.x
        guard abs(det) > 1e-9 else { return 0 }
        return finders.count(where: { finder in
            let p = finder.centre - a
            let u = (p.x * ac.y - p.y * ac.x) / det
            let v = (ab.x * p.y - ab.y * p.x) / det
            // Strictly inside, the three finders' own corners (u, v of 0 or 1) left out.
            return u > 0.15 && v > 0.15 && u < 0.85 && v < 0.85
        })
    }

    /// The bounding box of the code three fitting finder candidates belong to, with its quiet
    /// zone and room for perspective; `nil` when there are no such three or the box would
    /// cover most of the image anyway.
    static func region(around finders: [PerspectiveRectifier.Finder], width: Int, height: Int)
        -> Region?
    {
        guard let (a, b, c) = PerspectiveRectifier.bestTriple(finders) else { return nil }
        let d = b.centre + c.centre - a.centre
        let corners = [a.centre, b.centre, c.centre, d]
        let module = (a.module + b.module + c.module) / 3
        let span = max((b.centre - a.centre).length, (c.centre - a.centre).length)
        // Finder centres sit 3.5 modules inside the code, and zbar wants a little of the quiet
        // zone beyond; a slanted code's far corner strays from the parallelogram.
        let margin = 6 * module + 0.1 * span
        let xs = corners.map(\.x), ys = corners.map(\.y)
        guard let minX = xs.min(), let maxX = xs.max(), let minY = ys.min(), let maxY = ys.max()
        else { return nil }
        let left = max(0, Int((minX - margin).rounded(.down)))
        let top = max(0, Int((minY - margin).rounded(.down)))
        let right = min(width, Int((maxX + margin).rounded(.up)))
        let bottom = min(height, Int((maxY + margin).rounded(.up)))
        guard right - left >= 21, bottom - top >= 21 else { return nil }
        let region = Region(x: left, y: top, width: right - left, height: bottom - top)
        return region.width * region.height * 10 < width * height * 7 ? region : nil
    }

    /// What `attempt` will cost, by the same model it is charged by; a resampling step whose
    /// grid is not fitted yet is counted at the likeliest size of its upright image, and
    /// `run` checks its exact cost once the grid is fitted.
    private func estimatedCost(of attempt: ReadAttempt, plan: Plan, session: Session) -> Int {
        var cost = session.source.cost(ofMaking: plan.denominator)
        var pixels = plan.pixels
        if plan.crop != nil { cost += WorkCost.crop(pixels) }
        var untouched = true
        for enhancement in attempt.enhancements {
            if enhancement.resamples {
                let rectifier = self.rectifier(for: enhancement)
                var output = min(WorkCost.rectifiedEstimate, rectifier.maxSide * rectifier.maxSide)
                var samplesKnown = false
                if !untouched && plan.denominator == session.base, let finders = session.finders,
                    let side = rectifier.uprightSide(for: finders, spare: 0)
                {
                    // Magnified first: its finders are looked for again, but the code has as
                    // many modules, so the upright image is the size the first look's give.
                    output = side * side
                }
                if untouched && plan.denominator == session.base, let finders = session.finders {
                    // The finders are known: so is the size of the upright image, if any.
                    let candidate = enhancement.finderCandidate
                    if case .some(.some(let grid)) = session.grids[candidate] {
                        // Fitted already: the upright image's size is known exactly.
                        let side = bounded(rectifier, finders: finders, candidate: candidate)
                            .uprightSide(for: grid)
                        output = side * side
                        samplesKnown = session.moduleValues[candidate] != nil
                    } else {
                        guard
                            let side = rectifier.uprightSide(
                                for: finders, candidate: candidate, spare: 0),
                            !session.noGrid(candidate)
                        else { return Int.max / 4 }
                        output = side * side
                        cost += WorkCost.gridFit
                    }
                } else {
                    cost += WorkCost.finderCheck(pixels) + WorkCost.gridFit
                }
                cost +=
                    enhancement == .rectify
                    ? WorkCost.rectify(output: output)
                    : WorkCost.redraw(output: output, sampling: !samplesKnown)
                pixels = output
            } else {
                pixels *= enhancement.magnification * enhancement.magnification
                cost += WorkCost.enhance(enhancement, output: pixels)
            }
            untouched = false
        }
        return cost + WorkCost.scan(pixels)
    }

    /// The symbols one attempt finds, corners in full-size coordinates, and the image it
    /// scanned, its work charged to `session`.
    private func run(
        _ attempt: ReadAttempt, plan: Plan, session: inout Session
    ) -> ([ScannedSymbol], (denominator: Int, width: Int, height: Int)) {
        let source = session.source
        let denominator = plan.denominator
        guard var image = try? source.image(atDenominator: denominator) else {
            session.charge(0)
            return ([], (denominator, plan.width, plan.height))
        }
        let (scaledWidth, scaledHeight) = (image.width, image.height)
        let crop = plan.crop ?? Region(x: 0, y: 0, width: image.width, height: image.height)
        if plan.crop != nil {
            image = image.cropped(to: crop)
            session.charge(WorkCost.crop(image.pixelCount))
        }
        // Rectification changes the geometry: keep the size it started from and its map back.
        var frameWidth = image.width, frameHeight = image.height
        var unwarp: (map: (Point) -> Point, width: Int)?
        var untouched = true
        // The whole photo's short side at this scale and magnification: a crop is filtered and
        // binarised with the windows the whole would get, so that it finds what the whole does.
        var shortSide = min(scaledWidth, scaledHeight)
        for (index, enhancement) in attempt.enhancements.enumerated() {
            defer { untouched = false }
            guard enhancement.resamples else {
                shortSide *= enhancement.magnification
                image = enhancement.apply(to: image, shortSide: unwarp == nil ? shortSide : nil)
                session.charge(WorkCost.enhance(enhancement, output: image.pixelCount))
                continue
            }
            guard unwarp == nil else { return ([], (denominator, image.width, image.height)) }
            let finders: [PerspectiveRectifier.Finder]
            let fromFirstLook = untouched && denominator == session.base && session.finders != nil
            if fromFirstLook, let known = session.finders {
                finders = known
            } else {
                finders = PerspectiveRectifier.finders(in: image, shortSide: shortSide)
                session.charge(WorkCost.finderCheck(image.pixelCount))
            }
            let candidate = enhancement.finderCandidate
            let grid: PerspectiveRectifier.Grid?
            if fromFirstLook, let fitted = session.grids[candidate] {
                grid = fitted
            } else {
                grid = PerspectiveRectifier.grid(in: image, finders: finders, candidate: candidate)
                session.charge(WorkCost.gridFit)
                if fromFirstLook { session.grids[candidate] = .some(grid) }
            }
            guard let grid else { return ([], (denominator, image.width, image.height)) }
            let rectifier = bounded(
                self.rectifier(for: enhancement), finders: finders, candidate: candidate)
            // The grid fitted, the rest of the attempt's cost is known exactly: the estimate
            // took the likeliest version, and the fit may have found a larger one.
            let samplesKnown = fromFirstLook && session.moduleValues[candidate] != nil
            let rest = Self.cost(
                after: index, of: attempt, upright: rectifier.uprightSide(for: grid),
                samplesKnown: samplesKnown)
            guard session.work.allows(rest) else {
                session.work.skippedForBudget += 1
                return ([], (denominator, image.width, image.height))
            }
            let rectified: (image: GrayImage, toSource: (Point) -> Point)
            if case .redraw(let sharpen, _) = enhancement {
                let values: [Double]
                if fromFirstLook, let sampled = session.moduleValues[candidate] {
                    values = sampled
                } else {
                    values = PerspectiveRectifier.moduleValues(image, grid: grid)
                    if fromFirstLook { session.moduleValues[candidate] = values }
                }
                rectified = rectifier.redrawn(values, grid: grid, sharpen: sharpen)
            } else {
                rectified = rectifier.rectified(image, grid: grid)
            }
            session.charge(
                enhancement == .rectify
                    ? WorkCost.rectify(output: rectified.image.pixelCount)
                    : WorkCost.redraw(output: rectified.image.pixelCount, sampling: !samplesKnown))
            (frameWidth, frameHeight) = (image.width, image.height)
            image = rectified.image
            unwarp = (rectified.toSource, image.width)
        }
        let found = scanner.scan(image)
        session.charge(WorkCost.scan(image.pixelCount))
        let scanned = (denominator, image.width, image.height)
        guard !found.isEmpty else { return ([], scanned) }
        // Scanned coordinates, in continuous coordinates (pixel centres at +0.5): undo any
        // rectification, then the magnification of the crop, then the crop, then the scale.
        if unwarp == nil { (frameWidth, frameHeight) = (image.width, image.height) }
        let xMagnified = Double(crop.width) / Double(frameWidth)
        let yMagnified = Double(crop.height) / Double(frameHeight)
        let xFactor = Double(source.width) / Double(scaledWidth)
        let yFactor = Double(source.height) / Double(scaledHeight)
        // Enhancements after rectification may have magnified the upright image further.
        let upright = Double(unwarp?.width ?? image.width) / Double(image.width)
        let mapped = found.map { symbol in
            ScannedSymbol(
                bytes: symbol.bytes,
                corners: symbol.corners.map { corner in
                    var p = Point(x: (corner.x + 0.5) * upright, y: (corner.y + 0.5) * upright)
                    if let unwarp { p = unwarp.map(p) }
                    let x = (p.x * xMagnified + Double(crop.x)) * xFactor
                    let y = (p.y * yMagnified + Double(crop.y)) * yFactor
                    return Point(x: x - 0.5, y: y - 0.5)
                })
        }
        return (Self.deduplicated(mapped), scanned)
    }

    /// The work the `index`th enhancement of `attempt`, which resamples to an upright image of
    /// `upright` pixels a side (a redrawing from modules already sampled when `samplesKnown`),
    /// and the steps after it cost, the final scan included.
    private static func cost(
        after index: Int, of attempt: ReadAttempt, upright: Int, samplesKnown: Bool
    ) -> Int {
        var pixels = upright * upright
        var cost =
            attempt.enhancements[index] == .rectify
            ? WorkCost.rectify(output: pixels)
            : WorkCost.redraw(output: pixels, sampling: !samplesKnown)
        for later in attempt.enhancements.dropFirst(index + 1) {
            pixels *= later.magnification * later.magnification
            cost += WorkCost.enhance(later, output: pixels)
        }
        return cost + WorkCost.scan(pixels)
    }

    /// One symbol per payload and place: a symbol with the same bytes as one already kept and
    /// its centre within half that one's size of the other's centre is dropped. Two copies of a
    /// ticket side by side stay two.
    public static func deduplicated(_ symbols: [ScannedSymbol]) -> [ScannedSymbol] {
        var kept: [ScannedSymbol] = []
        for symbol in symbols {
            let duplicate = kept.contains { other in
                other.bytes == symbol.bytes
                    && distance(centre(of: other), centre(of: symbol)) < radius(of: other) * 0.5 + 2
            }
            if !duplicate { kept.append(symbol) }
        }
        return kept
    }

    private static func centre(of symbol: ScannedSymbol) -> Point {
        guard !symbol.corners.isEmpty else { return Point(x: 0, y: 0) }
        let n = Double(symbol.corners.count)
        return Point(
            x: symbol.corners.map(\.x).reduce(0, +) / n, y: symbol.corners.map(\.y).reduce(0, +) / n
        )
    }

    private static func radius(of symbol: ScannedSymbol) -> Double {
        let c = centre(of: symbol)
        return symbol.corners.map { distance($0, c) }.max() ?? 0
    }

    private static func distance(_ a: Point, _ b: Point) -> Double {
        ((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)).squareRoot()
    }

    // MARK: Measuring the cascade

    /// Every attempt of the cascade run on its own on the photo, first look included, in
    /// cascade order: what each would read alone, and what it costs. For measuring the
    /// cascade (`vaxticket scan --trace steps`, `scripts/photo-eval`), not for reading.
    public func eachAttempt(of bytes: [UInt8]) throws(PhotoReadError) -> [AttemptReport] {
        guard !bytes.isEmpty else { throw .empty }
        let source = try decode(bytes)
        let base = firstLookDenominator(for: source)
        scanner = QRScanner()
        // The finder check as the cascade makes it, once, its cost charged to no step.
        var shared = Session(source: source, base: base, work: ReadWork())
        checkFinders(&shared)
        return options.steps.enumerated().map { step, attempt in
            let start = ContinuousClock.now
            guard var plan = plan(attempt, on: source, base: base),
                step == 0 || !attempt.needsFinders || shared.plausibleFinders
            else {
                return AttemptReport(
                    step: step, attempt: attempt, ran: false, symbols: [], duration: .zero, work: 0)
            }
            if step > 0 && plan.denominator == base && attempt.mayCrop {
                plan.crop = cropRegion(shared, for: attempt)
            }
            // Each step on its own: a fresh count, the source's decoding at its scale charged
            // to the step that first needs it.
            let decoded = source.work
            var session = Session(source: source, base: base, work: ReadWork())
            if step > 0 { session.finders = shared.finders }
            let (found, _) = run(attempt, plan: plan, session: &session)
            return AttemptReport(
                step: step, attempt: attempt, ran: true, symbols: found,
                duration: ContinuousClock.now - start,
                work: session.units + source.work - decoded)
        }
    }
}

/// What one attempt of the cascade, run on its own, read from a photo.
public struct AttemptReport: Sendable {
    /// Its place in the cascade; 0 is the first look.
    public var step: Int
    /// The attempt.
    public var attempt: ReadAttempt
    /// Whether it applied to this photo (it is skipped out of its scale range or pixel budget).
    public var ran: Bool
    /// The symbols it found, corners in the file's coordinates.
    public var symbols: [ScannedSymbol]
    /// The time it took.
    public var duration: Duration
    /// The work units it spent (see `ReadWork`).
    public var work: Int
}

extension GrayImage {
    /// The pixels of `region`, which lies inside the image.
    fileprivate func cropped(to region: PhotoReader.Region) -> GrayImage {
        var out = [UInt8](repeating: 0, count: region.width * region.height)
        for row in 0..<region.height {
            let from = (region.y + row) * width + region.x
            out[(row * region.width)..<((row + 1) * region.width)] =
                pixels[from..<(from + region.width)]
        }
        return GrayImage(width: region.width, height: region.height, pixels: out)
    }
}
