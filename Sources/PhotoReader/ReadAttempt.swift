import Imaging

/// One image enhancement tried by the reading cascade.
public enum Enhancement: Hashable, Sendable, CustomStringConvertible {
    /// Unsharp masking with a box-blur radius and a gain.
    case unsharp(radius: Int, amount: Double)
    /// A box blur, against sensor noise.
    case blur(radius: Int)
    /// Bilinear upscaling by an integer factor, for small or blurred codes.
    case upscale(Int)
    /// Dark and light swapped, for light-on-dark codes.
    case invert
    /// Local contrast normalisation over a window of `1/fraction` of the short side.
    case normalize(fraction: Int)
    /// Adaptive binarisation over a window of `1/fraction` of the short side.
    case binarize(fraction: Int)
    /// The darkest and lightest percentile stretched to black and white.
    case stretch
    /// The code resampled upright from its finder and alignment patterns, for strong
    /// perspective; the reader maps corners back to the photo. At most once per attempt.
    case rectify
    /// The code redrawn module by module from its finder and alignment patterns, each module
    /// sharpened against its neighbours by `sharpen` and judged dark or light against those
    /// around it, for codes too small or blurred for zbar to make out; corners are mapped back
    /// as for `rectify`. `candidate` picks the three finder candidates the grid is fitted to,
    /// 0 the likeliest. At most once per attempt, and not with `rectify`.
    case redraw(sharpen: Double, candidate: Int = 0)

    public var description: String {
        switch self {
        case .unsharp(let radius, let amount): "unsharp(\(radius),\(amount))"
        case .blur(let radius): "blur(\(radius))"
        case .upscale(let factor): "x\(factor)"
        case .invert: "invert"
        case .normalize(let fraction): "normalize(1/\(fraction))"
        case .binarize(let fraction): "binarize(1/\(fraction))"
        case .stretch: "stretch"
        case .rectify: "rectify"
        case .redraw(let sharpen, let candidate):
            candidate == 0 ? "redraw(\(sharpen))" : "redraw(\(sharpen), finders #\(candidate + 1))"
        }
    }

    /// Whether the enhancement resamples the code from its finder patterns into an upright
    /// image of its own geometry.
    var resamples: Bool {
        switch self {
        case .rectify, .redraw: true
        default: false
        }
    }

    /// Which three finder candidates a resampling enhancement fits its grid to, 0 the
    /// likeliest.
    var finderCandidate: Int {
        if case .redraw(_, let candidate) = self { return candidate }
        return 0
    }

    /// How much larger the output is than the input, per side.
    var magnification: Int {
        if case .upscale(let factor) = self { return factor }
        return 1
    }

    /// `image` filtered; the resampling enhancements leave it as it is, for the reader does
    /// them itself (it shares their finders and grid, and maps the corners back). Windows are a
    /// fraction of `shortSide`, the whole photo's at this scale when `image` is a part of it
    /// (so that a part is filtered as the whole would be), else `image`'s.
    func apply(to image: GrayImage, shortSide: Int? = nil) -> GrayImage {
        let shortSide = shortSide ?? min(image.width, image.height)
        switch self {
        case .unsharp(let radius, let amount):
            return image.unsharpMasked(radius: radius, amount: amount)
        case .blur(let radius): return image.boxBlurred(radius: radius)
        case .upscale(let factor): return image.upscaled(by: factor)
        case .invert: return image.inverted
        case .normalize(let fraction):
            return image.locallyNormalized(radius: max(2, shortSide / fraction))
        case .binarize(let fraction):
            return image.adaptivelyBinarized(radius: max(2, shortSide / fraction))
        case .stretch: return image.contrastStretched()
        case .rectify, .redraw: return image
        }
    }
}

/// One try of the reading cascade: the photo at some scale, enhanced by some filters.
public struct ReadAttempt: Hashable, Sendable, CustomStringConvertible {
    /// Scale relative to the first look: 0 is the first look's scale, +1 half of it, -1 twice
    /// it (never finer than full size, nor coarser than 1/8).
    public var scaleShift: Int
    /// Filters applied in order to the scaled photo.
    public var enhancements: [Enhancement]

    /// An attempt at the given scale with the given filters.
    public init(scaleShift: Int = 0, _ enhancements: [Enhancement] = []) {
        self.scaleShift = scaleShift
        self.enhancements = enhancements
    }

    public var description: String {
        let scale =
            scaleShift == 0
            ? "base" : scaleShift > 0 ? "coarser\(scaleShift)" : "finer\(-scaleShift)"
        return ([scale] + enhancements.map(\.description)).joined(separator: " ")
    }

    /// The JPEG-style denominator for a first look at 1/`base`, or `nil` when out of range.
    func denominator(base: Int) -> Int? {
        if scaleShift < 0 {
            return base >= 1 << -scaleShift ? base >> -scaleShift : nil
        }
        let value = base << scaleShift
        return value <= 8 ? value : nil
    }

    /// The magnification of all filters together.
    var magnification: Int { enhancements.reduce(1) { $0 * $1.magnification } }

    /// Whether the attempt upscales or rectifies: steps that are pointless on a photo with no
    /// finder pattern candidates at all.
    var needsFinders: Bool {
        enhancements.contains { $0.resamples || $0.magnification > 1 }
    }

    /// Whether the attempt resamples the code upright.
    var resamples: Bool { enhancements.contains(where: \.resamples) }

    /// Whether the attempt may work on the region of the likeliest code rather than the whole
    /// image: not when it resamples from the finders found on the whole image, as it does
    /// unless it magnifies first (it then looks for them again on what it magnified).
    var mayCrop: Bool {
        guard let first = enhancements.firstIndex(where: \.resamples) else { return true }
        return enhancements[..<first].contains { $0.magnification > 1 }
    }
}

/// How the codes of a photo were found: which attempt, on what image.
public struct ReadOutcome: Hashable, Sendable {
    /// The attempt that found them.
    public var attempt: ReadAttempt
    /// Its place in the cascade: 0 is the first look.
    public var step: Int
    /// The photo was decoded or shrunk to 1/`denominator` of its size before enhancement.
    public var denominator: Int
    /// Width of the image zbar scanned, after scaling and enhancement.
    public var scannedWidth: Int
    /// Height of the image zbar scanned.
    public var scannedHeight: Int
}
