public import ZBarScanner

/// How hard the photo reader tries on a photo that does not read at once.
public enum ReadEffort: String, CaseIterable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The first look and the cheapest retries, about half a first look's worth of work more:
    /// for a large photo the redrawing, for a small one only the cheap whole-image steps.
    case low
    /// The retry cascade within a budget of two first looks' worth of work in all: the finder
    /// check, the redrawing and a few cheap steps on a small photo, more on a large one, so
    /// that an unreadable photo costs under three times what the median readable one does.
    /// The default.
    case normal
    /// The whole cascade and its costly extra steps, without a budget: for offline re-reads of
    /// photos that failed.
    case high

    public var description: String { rawValue }

    /// The work budget as a multiple of the first look's cost, `nil` for none.
    var budgetFactor: Double? {
        switch self {
        case .low: 1.5
        case .normal: 2
        case .high: nil
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
