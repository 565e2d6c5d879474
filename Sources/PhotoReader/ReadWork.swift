public import ZBarScanner

/// How hard the photo reader tries on a photo that does not read at once.
public enum ReadEffort: String, CaseIterable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The first look and the cheapest retries, about half a first look's worth of work more:
    /// for a large photo the redrawing, for a small one only the cheap whole-image steps.
    case low
    /// Work spent by evidence (the default): a photo whose first look finds three finder
    /// patterns that stand as one code's, a grid fitted to them, gets the whole cascade, as at
    /// high, in order of measured payoff; a photo that shows no code gets the cheap steps within
    /// two first looks' worth of work, and one closer look when it shows finder-like marks that
    /// may belong to a code too small for the first look's scale (see `CodeEvidence`).
    case normal
    /// The whole cascade and its costly extra steps, without a budget: for offline re-reads of
    /// photos that failed.
    case high

    public var description: String { rawValue }

    /// The work budget as a multiple of the first look's cost, `nil` for none, before the
    /// finder check (`evidence` `nil`) and after it.
    func budgetFactor(_ evidence: CodeEvidence?) -> Double? {
        switch self {
        case .low: return 1.5
        case .normal:
            // Before the check there is no budget: the first look and the check always run.
            guard let evidence, evidence.strength != .code else { return nil }
            return 2
        case .high: return nil
        }
    }
}

/// The work one read of a photo spent, counted in pixels processed (not in time), so that it
/// is the same on every machine under any load.
public struct ReadWork: Hashable, Sendable, Codable {
    /// Work units spent: every pixel that went through an operation, weighted by what that
    /// operation costs per pixel next to one zbar scan of it (see `WorkCost`).
    public var units: Int = 0
    /// The budget in the same units, `nil` when unbounded (effort high). The first look always
    /// runs; no retry starts that would take the total past the budget.
    public var budget: Int?
    /// The attempts that ran, as places in the cascade (0 is the first look), in order.
    public var steps: [Int] = []
    /// Attempts left out because they would have gone over the budget.
    public var skippedForBudget: Int = 0
    /// Whether the cheap finder-pattern check ran and found no plausible candidate (none seen
    /// on more than one row), ruling out the upscaling and rectifying steps.
    public var noFinderCandidates: Bool = false
    /// What the finder check found of a code once the first look read nothing, or once a step
    /// read several codes (it then looks for more); `nil` when the check did not run.
    public var evidence: CodeEvidence?

    /// An empty count with a budget.
    public init(budget: Int? = nil) {
        self.budget = budget
    }

    /// How many attempts ran, the first look included.
    public var attempts: Int { steps.count }

    /// Whether `cost` more units still fit in the budget.
    func allows(_ cost: Int) -> Bool {
        guard let budget else { return true }
        return units + cost <= budget
    }
}

/// What the reader's cheap look for a code found in a photo the first look did not read: the
/// evidence by which it decides how much more work the photo gets.
public struct CodeEvidence: Hashable, Sendable, Codable {
    /// Finder pattern candidates seen on more than one row (noise makes single-row ones).
    public var finders: Int = 0
    /// Candidates seen on one row only.
    public var weakFinders: Int = 0
    /// Whether three candidates are sized and placed as one code's three finders are.
    public var threeFinders = false
    /// Candidates seen on more than one row inside those three's parallelogram.
    public var findersInside = 0
    /// The rows the second best seen of those three was seen on: two of them were seen on
    /// at least this many.
    public var rowsSeen = 0
    /// The finder patterns' contrast over the spread of their modules' grey levels.
    public var finderClarity: Double?
    /// The timing patterns' contrast over the spread of their modules' grey levels.
    public var timingClarity: Double?
    /// The size in modules of the grid fitted to those three, when it was.
    public var modules: Int?
    /// The module size of the finder-like marks in pixels of the first look's image: the
    /// likeliest three's when three fit, else the median of those seen on more than one row.
    public var modulePixels: Double?

    /// No evidence at all.
    public init() {}

    /// The most other finder candidates three may enclose and still count as one code's: a
    /// code's data modules make a few, print and texture many.
    static let maximumFindersInside = 8

    /// Finder-like marks whose modules are smaller than this, in pixels of a first look at full
    /// size, and no code: a code may be there too small to make out unmagnified. zbar and the
    /// redrawing read codes of three pixels a module and more at the scale they are seen.
    static let closerLookModulePixels = 3.0

    /// Whether the photo shows no code but finder-like marks that may belong to one too small
    /// for the first look's scale: any such marks when that look was below full size (a
    /// finer scale has the pixels), small ones when it was at full size (magnifying helps only
    /// small modules).
    func asksForCloserLook(scaledDown: Bool) -> Bool {
        guard strength != .code, finders > 0, let module = modulePixels else { return false }
        return scaledDown || module < Self.closerLookModulePixels
    }

    /// How strongly the photo shows a code.
    public enum Strength: String, Hashable, Sendable, Codable {
        /// No finder-like mark seen on more than one row.
        case none
        /// Finder-like marks, but no three that stand as one code's: sized and placed so, two
        /// of them seen on three rows or more, with few other marks among them.
        case finders
        /// Three finder candidates that stand as one code's, and a grid fitted to them.
        case code
    }

    /// The fewest rows two of the three must be seen on: a finder pattern's centre spans three
    /// modules, chance patterns in noise and print one or two rows. Two, not three: glare,
    /// blur or a stray mark can leave a real code with only two finders that show.
    static let minimumRowsSeen = 3

    /// Whether the three stand as one code's finders, before a grid is fitted to them: two of
    /// them seen on enough rows, with few other candidates among them.
    var standsAsCode: Bool {
        threeFinders && rowsSeen >= Self.minimumRowsSeen
            && findersInside <= Self.maximumFindersInside
    }

    /// How strongly the photo shows a code.
    public var strength: Strength {
        if standsAsCode && modules != nil { return .code }
        return finders > 0 ? .finders : .none
    }
}

/// What reading one photo found, and how: the value the reader returns instead of keeping
/// state about its last read.
public struct PhotoReading: Hashable, Sendable {
    /// Every symbol found, corners in the file's pixel coordinates; empty when none.
    public var symbols: [ScannedSymbol]
    /// Which attempt found them, `nil` when none did.
    public var outcome: ReadOutcome?
    /// The work spent.
    public var work: ReadWork
}

/// The cost model behind `ReadWork`: work units per pixel of each operation, one zbar scan of
/// a pixel being 1. Measured as the release build's time per pixel of each operation next to
/// zbar's on the shared photos and the simulated sets, rounded; only their ratios matter.
enum WorkCost {
    /// What every photo costs whatever its size: reading the file, setting up the decoder and
    /// the scanner. It keeps the budget of a tiny photo from being too small to retry at all.
    static let perPhoto = 60_000

    /// A zbar scan of `pixels`.
    static func scan(_ pixels: Int) -> Int { pixels }

    /// Decoding a photo to `pixels`, from `fullPixels` at full size: TurboJPEG's scaled
    /// decoding still reads every coefficient of the file, a PNG is decoded in full.
    static func decode(pixels: Int, fullPixels: Int) -> Int { pixels / 2 + fullPixels / 16 }

    /// Copying `pixels` out of an image.
    static func crop(_ pixels: Int) -> Int { pixels / 16 }

    /// Shrinking an image of `pixels` by block averaging.
    static func downscale(_ pixels: Int) -> Int { pixels / 4 }

    /// The cheap finder-pattern check on `pixels`: an adaptive binarisation and one pass of
    /// run-length matching.
    static func finderCheck(_ pixels: Int) -> Int { pixels * 3 / 4 }

    /// Fitting a code's module grid to three finders: the alignment pattern searched for five
    /// versions, and the refinement, whatever the photo's size. Once per finders.
    static let gridFit = 50_000

    /// Rectifying a code to an upright image of `output` pixels, its grid already fitted.
    static func rectify(output: Int) -> Int { output / 2 }

    /// Redrawing a code into an upright image of `output` pixels, its grid already fitted:
    /// sampling its modules and drawing them, or only drawing them when another redrawing
    /// sampled them already.
    static func redraw(output: Int, sampling: Bool = true) -> Int {
        sampling ? output / 4 : output / 16
    }

    /// The rectifier's upright image at most, for estimating a rectifying step before it runs.
    static let rectifiedEstimate = 400 * 400

    /// `enhancement` making an image of `output` pixels.
    static func enhance(_ enhancement: Enhancement, output: Int) -> Int {
        switch enhancement {
        case .unsharp: output
        case .blur: output / 2
        case .upscale: output / 4
        case .invert: output / 8
        case .normalize: output * 3 / 2
        case .binarize: output * 3 / 4
        case .stretch: output / 4
        case .rectify: gridFit + rectify(output: rectifiedEstimate)
        case .redraw: gridFit + redraw(output: rectifiedEstimate)
        }
    }
}
