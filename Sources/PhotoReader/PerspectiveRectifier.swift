import Foundation
import Imaging

/// A projective map of the plane, as a row-major 3x3 matrix.
struct Homography {
    private let m: (Double, Double, Double, Double, Double, Double, Double, Double, Double)

    private init(_ m: (Double, Double, Double, Double, Double, Double, Double, Double, Double)) {
        self.m = m
    }

    /// The map sending each of four points to its partner, the points given as top-left,
    /// top-right, bottom-left and bottom-right of a quadrilateral; `nil` when three of either
    /// four are (nearly) on one line. Closed form through the unit square, no allocation: the
    /// alignment search builds thousands of these per photo.
    init?(from source: (Point, Point, Point, Point), to target: (Point, Point, Point, Point)) {
        guard let fromSquare = Self.squareToQuad(source.0, source.1, source.3, source.2),
            let toQuad = Self.squareToQuad(target.0, target.1, target.3, target.2),
            let toSquare = fromSquare.inverse
        else { return nil }
        self = toQuad.after(toSquare)
    }

    /// The map of the unit square's corners (0,0), (1,0), (1,1), (0,1) onto `p0`...`p3`.
    private static func squareToQuad(_ p0: Point, _ p1: Point, _ p2: Point, _ p3: Point)
        -> Homography?
    {
        let dx1 = p1.x - p2.x, dx2 = p3.x - p2.x, dx3 = p0.x - p1.x + p2.x - p3.x
        let dy1 = p1.y - p2.y, dy2 = p3.y - p2.y, dy3 = p0.y - p1.y + p2.y - p3.y
        let det = dx1 * dy2 - dx2 * dy1
        guard abs(det) > 1e-12 else { return nil }
        let g = (dx3 * dy2 - dx2 * dy3) / det
        let h = (dx1 * dy3 - dx3 * dy1) / det
        let a = p1.x - p0.x + g * p1.x, b = p3.x - p0.x + h * p3.x
        let d = p1.y - p0.y + g * p1.y, e = p3.y - p0.y + h * p3.y
        let result = Homography((a, b, p0.x, d, e, p0.y, g, h, 1))
        return result.isFinite ? result : nil
    }

    private var isFinite: Bool {
        m.0.isFinite && m.1.isFinite && m.2.isFinite && m.3.isFinite && m.4.isFinite && m.5.isFinite
            && m.6.isFinite && m.7.isFinite && m.8.isFinite
    }

    /// The inverse map (its adjugate: scale does not matter), `nil` when singular.
    private var inverse: Homography? {
        let (a, b, c, d, e, f, g, h, i) = m
        let det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
        guard abs(det) > 1e-12, det.isFinite else { return nil }
        return Homography(
            (
                e * i - f * h, c * h - b * i, b * f - c * e,
                f * g - d * i, a * i - c * g, c * d - a * f,
                d * h - e * g, b * g - a * h, a * e - b * d
            ))
    }

    /// This map applied after `other`.
    private func after(_ other: Homography) -> Homography {
        let (a0, a1, a2, a3, a4, a5, a6, a7, a8) = m
        let (b0, b1, b2, b3, b4, b5, b6, b7, b8) = other.m
        return Homography(
            (
                a0 * b0 + a1 * b3 + a2 * b6, a0 * b1 + a1 * b4 + a2 * b7,
                a0 * b2 + a1 * b5 + a2 * b8,
                a3 * b0 + a4 * b3 + a5 * b6, a3 * b1 + a4 * b4 + a5 * b7,
                a3 * b2 + a4 * b5 + a5 * b8,
                a6 * b0 + a7 * b3 + a8 * b6, a6 * b1 + a7 * b4 + a8 * b7,
                a6 * b2 + a7 * b5 + a8 * b8
            ))
    }

    /// The image of `p`.
    func callAsFunction(_ p: Point) -> Point {
        let w = m.6 * p.x + m.7 * p.y + m.8
        return Point(x: (m.0 * p.x + m.1 * p.y + m.2) / w, y: (m.3 * p.x + m.4 * p.y + m.5) / w)
    }
}

/// A point with real coordinates, pixel centres at half-integers.
/// A QR code seen at an angle, resampled upright from its three finder patterns (and its
/// bottom-right alignment pattern when found), for codes whose keystone defeats zbar.
struct PerspectiveRectifier {
    /// Pixels per module of the upright image, fewer for codes so large that it would pass
    /// `maxSide`: enough for zbar on an upright grey grid, and few enough that rectifying a
    /// small photo costs less than looking at it does.
    var modulePixels = 4
    /// The upright image's largest side: at most 400 x 400 pixels, which bounds the work a
    /// rectifying step may cost before it runs.
    var maxSide = 400
    /// Light modules added around the code on each side.
    var marginModules = 4

    /// The side of the upright image `rectified(_:grid:)` or `redrawn(_:grid:sharpen:)` makes
    /// from the grid of the `candidate`th three of these finders, `nil` when there are no such
    /// three. With `spare` of twelve modules (the version fit may pick one up to three larger
    /// than the finders' distances suggest) neither makes a larger one; with none it is the
    /// likeliest size.
    func uprightSide(for finders: [Finder], candidate: Int = 0, spare: Int = 12) -> Int? {
        let triples = Self.triples(finders)
        guard triples.indices.contains(candidate) else { return nil }
        let across = Self.modulesAcross(triples[candidate])
        guard across.isFinite, across > 0 else { return nil }
        let modules = Int(min(across, 200).rounded(.up)) + spare + 2 * marginModules
        return modules
            * Self.pixelsPerModule(modules: modules, preferred: modulePixels, maxSide: maxSide)
    }

    /// The side of the upright image made from a fitted `grid`.
    func uprightSide(for grid: Grid) -> Int {
        let modules = grid.size + 2 * marginModules
        return modules
            * Self.pixelsPerModule(modules: modules, preferred: modulePixels, maxSide: maxSide)
    }

    /// Pixels per module of an upright image of `modules` a side: `preferred`, fewer when
    /// that would pass `maxSide`, never under two.
    static func pixelsPerModule(modules: Int, preferred: Int, maxSide: Int) -> Int {
        max(2, min(preferred, maxSide / max(1, modules)))
    }

    /// Finder pattern candidates in `image`, binarised first: also the reader's cheap check
    /// for whether a photo may hold a code at all.
    /// - Parameter shortSide: the short side of the whole photo at this scale when `image` is
    ///   a part of it, so that a part is binarised as the whole would be; `nil` for `image`'s.
    static func finders(in image: GrayImage, shortSide: Int? = nil) -> [Finder] {
        // A window a thirtieth of the short side and a margin of 12 grey levels: measured on
        // the real photos and the simulated sets, a larger window or a smaller margin lets
        // noise and blur break small finders' rings (the redraw step read 161 of the 240
        // combined and mixed photos with 1/16 and 4, 190 with these).
        finderCandidates(
            in: image.adaptivelyBinarized(
                radius: max(2, (shortSide ?? min(image.width, image.height)) / 30), offset: 12))
    }

    /// The module grid of a code: its size in modules and the map from module coordinates
    /// (the top-left corner of the code at 0, 0, one module a unit) to the image's.
    struct Grid {
        var size: Int
        var map: Homography
        /// Four points in module coordinates (three finder centres and the alignment pattern's
        /// or a fourth finder's) and where the map sends them.
        var modulePoints: (Point, Point, Point, Point)
        var imagePoints: (Point, Point, Point, Point)
    }

    /// The grid of the code in `image` whose finder candidates are `finders`, fitted to the
    /// `candidate`th likeliest three of them (0 the likeliest); `nil` when there are no such
    /// three.
    static func grid(in image: GrayImage, finders: [Finder], candidate: Int = 0) -> Grid? {
        let triples = triples(finders)
        guard triples.indices.contains(candidate) else { return nil }
        let (topLeft, topRight, bottomLeft) = triples[candidate]
        let corners = [topLeft.centre, topRight.centre, bottomLeft.centre]
        let module = (topLeft.module + topRight.module + bottomLeft.module) / 3
        let across = modulesAcross((topLeft, topRight, bottomLeft))
        guard across.isFinite else { return nil }
        let estimate = min(40, max(1, Int(((min(max(across, 17), 200) - 17) / 4).rounded())))
        // Module sizes measured on a few blurred pixels come out large, so the version from
        // them small, by up to two on the combined-damage photos: the versions from one below
        // to three above the estimate are fitted, alignment pattern and all, and the clearest
        // fit wins (a parallelogram's timing patterns alone chose wrongly under slant).
        let versions = max(1, estimate - 1)...min(40, estimate + 3)
        // Where the alignment pattern may be does not depend on the version: a wide search
        // sifts the image once, through the middle version's map, and every version scores
        // its best few places in full (a wide search for each version cost 8% of all the
        // bench's photo reading time).
        let search = alignmentSearch(
            versions: versions, corners: corners, module: module, in: image)
        let fits = versions.compactMap { version in
            fit(version: version, corners: corners, module: module, search: search, in: image)
        }
        guard let best = fits.max(by: { $0.score < $1.score }) else { return nil }
        return refined(best.grid, module: module, in: image)
    }

    /// The modules whose colour every code of `size` modules has: the finder patterns with
    /// their separators, the timing patterns and the bottom-right alignment pattern; their
    /// centres in module coordinates, and whether each is dark.
    static func fixedModules(size: Int) -> [(centre: Point, dark: Bool)] {
        var modules: [(Point, Bool)] = []
        func add(_ column: Int, _ row: Int, _ dark: Bool) {
            guard column >= 0, row >= 0, column < size, row < size else { return }
            modules.append((Point(x: Double(column) + 0.5, y: Double(row) + 0.5), dark))
        }
        for (x0, y0) in [(3, 3), (size - 4, 3), (3, size - 4)] {
            for dy in -4...4 {
                for dx in -4...4 {
                    let ring = max(abs(dx), abs(dy))
                    add(x0 + dx, y0 + dy, ring != 2 && ring != 4)
                }
            }
        }
        for i in 8..<(size - 8) {
            add(i, 6, i % 2 == 0)
            add(6, i, i % 2 == 0)
        }
        if size > 21 {
            for dy in -2...2 {
                for dx in -2...2 { add(size - 7 + dx, size - 7 + dy, max(abs(dx), abs(dy)) != 1) }
            }
        }
        return modules
    }

    /// The mean grey level of the light fixed modules through `map` less that of the dark ones.
    private static func fixedContrast(
        _ map: Homography, fixed: [(centre: Point, dark: Bool)], darkCount: Int, in image: GrayImage
    ) -> Double {
        var dark = 0.0, light = 0.0
        for module in fixed {
            let value = Self.value(image, at: map(module.centre))
            if module.dark { dark += value } else { light += value }
        }
        return light / Double(max(1, fixed.count - darkCount)) - dark / Double(max(1, darkCount))
    }

    /// The grid with its four image points moved, one at a time, by steps of half, a quarter
    /// and an eighth of a module (at most two passes a step), wherever that makes the fixed
    /// modules show clearer:
    /// finder centres found on a few blurred pixels are a fraction of a module off, which is
    /// enough to sample a small code's far modules from their neighbours.
    static func refined(_ grid: Grid, module: Double, in image: GrayImage) -> Grid {
        let fixed = fixedModules(size: grid.size)
        let darkCount = fixed.filter(\.dark).count
        var points = [
            grid.imagePoints.0, grid.imagePoints.1, grid.imagePoints.2, grid.imagePoints.3,
        ]
        let from = grid.modulePoints
        func map(_ points: [Point]) -> Homography? {
            Homography(from: from, to: (points[0], points[1], points[2], points[3]))
        }
        guard module.isFinite, module > 0, var best = map(points) else { return grid }
        var bestScore = fixedContrast(best, fixed: fixed, darkCount: darkCount, in: image)
        var step = module / 2
        for _ in 0..<3 {
            for _ in 0..<2 {
                var moved = false
                for corner in 0..<4 {
                    for (dx, dy) in [(step, 0.0), (-step, 0.0), (0.0, step), (0.0, -step)] {
                        var candidate = points
                        candidate[corner] = candidate[corner] + Point(x: dx, y: dy)
                        guard let trial = map(candidate) else { continue }
                        let score = fixedContrast(
                            trial, fixed: fixed, darkCount: darkCount, in: image)
                        if score > bestScore {
                            (points, best, bestScore, moved) = (candidate, trial, score, true)
                        }
                    }
                }
                if !moved { break }
            }
            step /= 2
        }
        var result = grid
        result.map = best
        result.imagePoints = (points[0], points[1], points[2], points[3])
        return result
    }

    /// The upright image of the code in `image` whose grid is `grid`, resampled bilinearly,
    /// with the map from its continuous coordinates back to `image`'s.
    func rectified(_ image: GrayImage, grid: Grid) -> (image: GrayImage, toSource: (Point) -> Point)
    {
        let (size, toSource) = (grid.size, grid.map)
        let side = uprightSide(for: grid)
        let scale = Double(side / (size + 2 * marginModules))
        let margin = Double(marginModules)
        var pixels = [UInt8](repeating: 255, count: side * side)
        for y in 0..<side {
            for x in 0..<side {
                let p = toSource(
                    Point(
                        x: (Double(x) + 0.5) / scale - margin, y: (Double(y) + 0.5) / scale - margin
                    ))
                pixels[y * side + x] = Self.sample(image, at: p)
            }
        }
        return (
            GrayImage(width: side, height: side, pixels: pixels),
            { p in toSource(Point(x: p.x / scale - margin, y: p.y / scale - margin)) }
        )
    }

    /// The grey level of every module of `grid` in `image`, row by row: five samples a module,
    /// a quarter of a module apart, averaged, which averages noise away.
    static func moduleValues(_ image: GrayImage, grid: Grid) -> [Double] {
        let size = grid.size
        var values = [Double](repeating: 0, count: size * size)
        let offsets = [(0.5, 0.5), (0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)]
        for row in 0..<size {
            for column in 0..<size {
                var sum = 0.0
                for (dx, dy) in offsets {
                    sum += Self.value(
                        image, at: grid.map(Point(x: Double(column) + dx, y: Double(row) + dy)))
                }
                values[row * size + column] = sum / Double(offsets.count)
            }
        }
        return values
    }

    /// The code redrawn from its modules' grey levels (`moduleValues`): each module sharpened
    /// against its four neighbours by `sharpen` (which undoes blur that spreads a module into
    /// the next), judged dark or light against the mean of the modules around it (which undoes
    /// uneven light), and drawn as a clean square of `modulePixels` pixels in a light quiet
    /// zone. It reads codes too small or too blurred for zbar to make out the modules itself,
    /// and costs what the modules cost, not the photo's pixels.
    func redrawn(
        _ moduleValues: [Double], grid: Grid, sharpen: Double
    ) -> (image: GrayImage, toSource: (Point) -> Point) {
        let size = grid.size
        var values = moduleValues
        guard values.count == size * size else {
            return (GrayImage(width: 1, height: 1, filledWith: 255), { grid.map($0) })
        }
        if sharpen > 0 {
            var sharpened = values
            for row in 0..<size {
                for column in 0..<size {
                    var sum = 0.0, count = 0.0
                    for (dx, dy) in [(-1, 0), (1, 0), (0, -1), (0, 1)] {
                        let x = column + dx, y = row + dy
                        guard x >= 0, y >= 0, x < size, y < size else { continue }
                        sum += values[y * size + x]
                        count += 1
                    }
                    let here = values[row * size + column]
                    sharpened[row * size + column] = here + sharpen * (here - sum / count)
                }
            }
            values = sharpened
        }
        // The mean over a window of modules, from running sums.
        let radius = 4
        let stride = size + 1
        var sums = [Double](repeating: 0, count: stride * stride)
        for row in 0..<size {
            for column in 0..<size {
                sums[(row + 1) * stride + column + 1] =
                    values[row * size + column] + sums[row * stride + column + 1]
                    + sums[(row + 1) * stride + column]
                    - sums[row * stride + column]
            }
        }
        let margin = marginModules
        let side = uprightSide(for: grid)
        let perModule = side / (size + 2 * margin)
        var pixels = [UInt8](repeating: 255, count: side * side)
        for row in 0..<size {
            let top = max(0, row - radius), bottom = min(size, row + radius + 1)
            for column in 0..<size {
                let left = max(0, column - radius), right = min(size, column + radius + 1)
                let total =
                    sums[bottom * stride + right] - sums[top * stride + right]
                    - sums[bottom * stride + left]
                    + sums[top * stride + left]
                let mean = total / Double((bottom - top) * (right - left))
                guard values[row * size + column] < mean else { continue }
                for y in 0..<perModule {
                    let start =
                        ((row + margin) * perModule + y) * side + (column + margin) * perModule
                    for x in start..<(start + perModule) { pixels[x] = 0 }
                }
            }
        }
        let scale = Double(perModule)
        let shift = Double(margin)
        let map = grid.map
        return (
            GrayImage(width: side, height: side, pixels: pixels),
            { p in map(Point(x: p.x / scale - shift, y: p.y / scale - shift)) }
        )
    }

    /// The bilinear sample at `p`, white off the image or where a near-degenerate map sends
    /// a point to infinity.
    private static func sample(_ image: GrayImage, at p: Point) -> UInt8 {
        guard abs(p.x) < 1e6, abs(p.y) < 1e6 else { return 255 }
        return image.sample(p.x, p.y)
    }

    /// The bilinear value at `p`, unrounded, light off the image.
    private static func value(_ image: GrayImage, at p: Point) -> Double {
        image.interpolated(p.x, p.y)
    }

    /// How many modules a code whose finders are these three spans, from the distances between
    /// their centres.
    private static func modulesAcross(_ triple: (Finder, Finder, Finder)) -> Double {
        let (topLeft, topRight, bottomLeft) = triple
        return (modules(from: topLeft, to: topRight) + modules(from: topLeft, to: bottomLeft)) / 2
            + 7
    }

    /// How many modules lie between the centres of two finders, their module sizes taken
    /// to change steadily from one to the other.
    private static func modules(from a: Finder, to b: Finder) -> Double {
        let length = (b.centre - a.centre).length
        let ratio = b.module / a.module
        guard abs(ratio - 1) > 0.01 else { return length / a.module }
        return length * log(ratio) / (b.module - a.module)
    }

    /// Where the alignment pattern of a code whose finder centres are `corners` may be, for
    /// any of its likely versions: the places on a grid over the middle version's reach where
    /// the pattern shows clearest through that version's map, best first, and the grid's step,
    /// below which the fit refines the best.
    struct AlignmentSearch {
        var candidates: [Point]
        var step: Double
    }

    /// The alignment pattern's centre in module coordinates, three modules in from where a
    /// fourth finder's would be.
    private static func alignmentCentre(size: Int) -> Point {
        Point(x: Double(size) - 6.5, y: Double(size) - 6.5)
    }

    /// Where the parallelogram of the three finder centres puts a code of `size`'s alignment
    /// pattern.
    private static func alignmentGuess(size: Int, corners: [Point]) -> Point {
        let k = (Double(size) - 10) / (Double(size) - 7)
        return corners[0] + (corners[1] - corners[0]) * k + (corners[2] - corners[0]) * k
    }

    /// How far from the parallelogram's guess an alignment search looks: a `fraction`th of the
    /// two finder distances, at least four modules.
    private static func alignmentReach(corners: [Point], module: Double, fraction: Double)
        -> Double
    {
        max(
            module * 4,
            ((corners[1] - corners[0]).length + (corners[2] - corners[0]).length) / fraction)
    }

    /// The finder centres' three points in module coordinates of a code of `size` (a tuple:
    /// the alignment search asks for them at every place it sifts, and an array would be an
    /// allocation each time).
    private static func finderCentres(size: Int) -> (Point, Point, Point) {
        let far = Double(size) - 3.5
        return (Point(x: 3.5, y: 3.5), Point(x: far, y: 3.5), Point(x: 3.5, y: far))
    }

    /// The grey-level contrast of the alignment pattern of a code of `size` when it lies at
    /// image point `candidate`, with the map that puts it there; `nil` where it does not show.
    private static func aligned(
        _ candidate: Point, size: Int, corners: [Point], in image: GrayImage
    ) -> (map: Homography, pattern: Double)? {
        let fixed = finderCentres(size: size)
        let at = alignmentCentre(size: size)
        guard
            let map = Homography(
                from: (fixed.0, fixed.1, fixed.2, at),
                to: (corners[0], corners[1], corners[2], candidate))
        else { return nil }
        let pattern = alignmentContrast(map, at: at, in: image)
        return pattern < 30 ? nil : (map, pattern)
    }

    /// The sifted places of the alignment pattern for `versions` (see `AlignmentSearch`).
    /// Under a strong keystone the pattern lies up to a fifth of the two finder distances from
    /// the parallelogram's guess, and its dark centre is one module wide: the search reaches
    /// that far and steps at most three quarters of a module, so that no step passes over it
    /// on a large code. (The narrow search alone, an eighth in steps of an eighth of that,
    /// left 12 and 7 of two sets of 200 strongly slanted version 8 codes unread that this one
    /// reads, and 2 and 1 version 5 ones: `PhotographedTicketTests`.)
    static func alignmentSearch(
        versions: ClosedRange<Int>, corners: [Point], module: Double, in image: GrayImage
    ) -> AlignmentSearch {
        let version = max(2, (versions.lowerBound + versions.upperBound) / 2)
        let size = 17 + 4 * version
        let guess = alignmentGuess(size: size, corners: corners)
        // The other versions' guesses lie a little nearer or farther along the diagonal.
        let spread =
            [versions.lowerBound, versions.upperBound].map {
                (alignmentGuess(size: 17 + 4 * max(2, $0), corners: corners) - guess).length
            }.max() ?? 0
        let reach = alignmentReach(corners: corners, module: module, fraction: 5) + spread
        // At most 32 steps each way (about 3,200 places in the disc): a version 8 code takes
        // about 24, and a far larger one, or three finder-like marks far apart, steps coarser
        // rather than costing tens of milliseconds.
        let step = max(1, module / 2, min(reach / 8, module * 0.75), reach / 32)
        let best = sifted(
            around: guess, reach: reach, step: step, disc: true, best: 8, size: size,
            corners: corners, in: image)
        return AlignmentSearch(candidates: best, step: step)
    }

    /// The `best` places, on a grid of `step` within `reach` of `guess` (a disc or a square),
    /// where the alignment pattern of a code of `size` shows clearest, best first.
    private static func sifted(
        around guess: Point, reach: Double, step: Double, disc: Bool, best: Int, size: Int,
        corners: [Point], in image: GrayImage
    ) -> [Point] {
        guard reach.isFinite, step.isFinite, step > 0 else { return [] }
        let n = Int(min(reach / step, 200))
        var sifts: [(candidate: Point, score: Double)] = []
        for j in -n...n {
            for i in -n...n where !disc || i * i + j * j <= n * n {
                let candidate = guess + Point(x: Double(i) * step, y: Double(j) * step)
                if let found = aligned(candidate, size: size, corners: corners, in: image) {
                    sifts.append((candidate, found.pattern))
                }
            }
        }
        return sifts.sorted { $0.score > $1.score }.prefix(best).map(\.candidate)
    }

    /// The map from module coordinates of a code of `version` to `image`, through the three
    /// finder centres and the alignment pattern at the best of `search`'s places, refined (a
    /// parallelogram's fourth corner when there is none or it does not show), with how clearly
    /// the fixed patterns show through it.
    private static func fit(
        version: Int, corners: [Point], module: Double, search: AlignmentSearch,
        in image: GrayImage
    ) -> (grid: Grid, score: Double)? {
        let size = 17 + 4 * version
        let fixed = finderCentres(size: size)
        let far = Double(size) - 3.5
        let parallelogram = Point(x: far, y: far)
        if version > 1 {
            // The alignment pattern carries the keystone, which a parallelogram cannot.
            let at = alignmentCentre(size: size)
            func scored(_ candidate: Point) -> (map: Homography, score: Double)? {
                aligned(candidate, size: size, corners: corners, in: image).map {
                    ($0.map, $0.pattern + timingContrast($0.map, size: size, in: image))
                }
            }
            // This version's own narrow search as well, through its own map: within an eighth
            // of the finder distances of its guess, in steps of an eighth of that. The wide
            // search alone, through the middle version's map, missed blurred patterns this
            // one finds (3 more of 400 handheld version 8 codes read with both).
            let reach = alignmentReach(corners: corners, module: module, fraction: 8)
            let step = max(1, module / 2, reach / 8)
            let own = sifted(
                around: alignmentGuess(size: size, corners: corners), reach: reach, step: step,
                disc: false, best: 4, size: size, corners: corners, in: image)
            if let found = bestFourth(
                among: own + search.candidates, step: max(step, search.step), scored: scored)
            {
                let grid = Grid(
                    size: size, map: found.map, modulePoints: (fixed.0, fixed.1, fixed.2, at),
                    imagePoints: (corners[0], corners[1], corners[2], found.map(at)))
                return (grid, found.score)
            }
        }
        let fourth = corners[1] + corners[2] - corners[0]
        let modulePoints = (fixed.0, fixed.1, fixed.2, parallelogram)
        let imagePoints = (corners[0], corners[1], corners[2], fourth)
        guard let map = Homography(from: modulePoints, to: imagePoints) else { return nil }
        let grid = Grid(size: size, map: map, modulePoints: modulePoints, imagePoints: imagePoints)
        return (grid, timingContrast(map, size: size, in: image))
    }

    /// The mean grey level of the light modules of the timing patterns through `map` less that
    /// of the dark ones: high when the grid fits.
    private static func timingContrast(_ map: Homography, size: Int, in image: GrayImage) -> Double
    {
        var dark = 0.0, light = 0.0
        for i in 8..<(size - 8) {
            let along = Double(i) + 0.5
            let row = map(Point(x: along, y: 6.5))
            let column = map(Point(x: 6.5, y: along))
            let value = Self.value(image, at: row) + Self.value(image, at: column)
            if i % 2 == 0 { dark += value } else { light += value }
        }
        return (light - dark) / Double(size - 16)
    }

    /// How clearly a fitted grid's finder patterns and timing patterns show in `image`: for
    /// each, the mean grey level of its light modules less that of its dark ones (the finders'
    /// separators counted as light), and that difference over the spread of the modules' grey
    /// levels about their own class's mean (a signal-to-noise ratio). A readable code's finders
    /// stand well clear of their noise, and its timing patterns show too, less under blur; a
    /// grid fitted to finder-like marks that are no code finds no timing pattern.
    static func patternContrasts(_ grid: Grid, in image: GrayImage) -> PatternContrasts {
        let size = grid.size
        var finders = ClassSums(), timing = ClassSums()
        for (x0, y0) in [(3, 3), (size - 4, 3), (3, size - 4)] {
            for dy in -4...4 {
                for dx in -4...4 {
                    let (column, row) = (x0 + dx, y0 + dy)
                    guard column >= 0, row >= 0, column < size, row < size else { continue }
                    let value = Self.value(
                        image,
                        at: grid.map(Point(x: Double(column) + 0.5, y: Double(row) + 0.5)))
                    let ring = max(abs(dx), abs(dy))
                    finders.add(value, light: ring == 2 || ring == 4)
                }
            }
        }
        for i in 8..<max(8, size - 8) {
            let along = Double(i) + 0.5
            for p in [Point(x: along, y: 6.5), Point(x: 6.5, y: along)] {
                timing.add(Self.value(image, at: grid.map(p)), light: i % 2 == 1)
            }
        }
        return PatternContrasts(
            finders: finders.contrast, finderClarity: finders.clarity,
            timing: timing.contrast, timingClarity: timing.clarity)
    }

    /// How clearly a grid's fixed patterns show: see `patternContrasts(_:in:)`.
    struct PatternContrasts {
        var finders: Double
        var finderClarity: Double
        var timing: Double
        var timingClarity: Double
    }

    /// Sums of the grey levels of a pattern's light and dark modules and of their squares.
    private struct ClassSums {
        var light = (n: 0.0, sum: 0.0, squares: 0.0)
        var dark = (n: 0.0, sum: 0.0, squares: 0.0)

        mutating func add(_ value: Double, light isLight: Bool) {
            if isLight {
                light = (light.n + 1, light.sum + value, light.squares + value * value)
            } else {
                dark = (dark.n + 1, dark.sum + value, dark.squares + value * value)
            }
        }

        /// The light modules' mean less the dark ones'.
        var contrast: Double {
            guard light.n > 0, dark.n > 0 else { return 0 }
            return light.sum / light.n - dark.sum / dark.n
        }

        /// The contrast over the pooled spread of each class about its own mean; a spread
        /// under two grey levels counts as two, so that a flat patch does not divide by zero.
        var clarity: Double {
            guard light.n > 1, dark.n > 1 else { return 0 }
            let lightMean = light.sum / light.n, darkMean = dark.sum / dark.n
            let variance =
                (light.squares - light.n * lightMean * lightMean + dark.squares - dark.n
                    * darkMean * darkMean) / (light.n + dark.n - 2)
            return contrast / max(2, max(0, variance).squareRoot())
        }
    }

    /// The mean grey level of the light ring of an alignment pattern centred at module `at`
    /// through `map` less that of its dark ring and centre.
    private static func alignmentContrast(_ map: Homography, at: Point, in image: GrayImage)
        -> Double
    {
        var dark = 0.0, light = 0.0
        for dy in -2...2 {
            for dx in -2...2 {
                let p = map(Point(x: at.x + Double(dx), y: at.y + Double(dy)))
                let value = Self.value(image, at: p)
                if max(abs(dx), abs(dy)) == 1 { light += value } else { dark += value }
            }
        }
        return light / 8 - dark / 17
    }

    /// The best-scoring of `candidates` (image positions found on a grid of `step`), then
    /// ever finer around the best so far.
    private static func bestFourth(
        among candidates: [Point], step: Double,
        scored: (Point) -> (map: Homography, score: Double)?
    ) -> (map: Homography, score: Double)? {
        var best: (centre: Point, map: Homography, score: Double)?
        for candidate in candidates {
            guard let (map, score) = scored(candidate) else { continue }
            if score > best?.score ?? -.infinity { best = (candidate, map, score) }
        }
        var step = step
        while let found = best, step > 0.5 {
            let centre = found.centre
            for j in -2...2 {
                for i in -2...2 where i != 0 || j != 0 {
                    let candidate = centre + Point(x: Double(i) * step / 2, y: Double(j) * step / 2)
                    guard let (map, score) = scored(candidate) else { continue }
                    if score > best?.score ?? -.infinity { best = (candidate, map, score) }
                }
            }
            step /= 2
        }
        return best.map { ($0.map, $0.score) }
    }

    /// A finder pattern candidate: its centre, module size and how many rows confirmed it.
    struct Finder {
        var centre: Point
        var module: Double
        var count: Int
    }

    /// Whether five runs (dark, light, dark, light, dark) are in the ratio 1:1:3:1:1 within
    /// half a module each; the module size if so.
    private static func matches(_ a: Int, _ b: Int, _ c: Int, _ d: Int, _ e: Int) -> Double? {
        // With the unit s / 7, |run - unit * m| <= 0.6 * unit * m + 0.5 times 70, in integers.
        let s = a + b + c + d + e
        guard s >= 7 else { return nil }
        func near(_ run: Int, _ modules: Int) -> Bool {
            abs(70 * run - 10 * s * modules) <= 6 * s * modules + 35
        }
        return near(a, 1) && near(b, 1) && near(c, 3) && near(d, 1) && near(e, 1)
            ? Double(s) / 7 : nil
    }

    /// The 1:1:3:1:1 dark-light-dark-light-dark pattern through (`x`, `y`) along a column (or
    /// row), no run longer than `limit`: its module size and its centre on the line, or `nil`
    /// when `(x, y)` is not dark or the runs are not in that ratio.
    private static func crossPattern(
        _ binary: GrayImage, x: Int, y: Int, vertical: Bool, limit: Int
    ) -> (unit: Double, centre: Double)? {
        let (width, height) = (binary.width, binary.height)
        guard x >= 0, y >= 0, x < width, y < height else { return nil }
        // Walking from (x, y) one pixel at a time along the line, as indices into the pixels.
        let step = vertical ? width : 1
        let start = vertical ? y : x
        let length = vertical ? height : width
        let origin = y * width + x
        return unsafe binary.pixels.withUnsafeBufferPointer {
            pixels -> (unit: Double, centre: Double)? in
            func dark(_ t: Int) -> Bool { unsafe pixels[origin + (t - start) * step] < 128 }
            guard dark(start) else { return nil }
            // The runs from the centre outwards: behind it, then ahead of it (the centre run
            // counted on both sides).
            var back = (0, 0, 0)
            var t = start
            for index in 0..<3 {
                let wanted = index != 1
                var run = 0
                while t >= 0, dark(t) == wanted, run <= limit { run += 1; t -= 1 }
                if run == 0 || run > limit { return nil }
                switch index {
                case 0: back.0 = run
                case 1: back.1 = run
                default: back.2 = run
                }
            }
            var ahead = (0, 0, 0)
            t = start + 1
            for index in 0..<3 {
                let wanted = index != 1
                var run = 0
                while t < length, dark(t) == wanted, run <= limit { run += 1; t += 1 }
                if (index > 0 && run == 0) || run > limit { return nil }
                switch index {
                case 0: ahead.0 = run
                case 1: ahead.1 = run
                default: ahead.2 = run
                }
            }
            let centreRun = back.0 + ahead.0
            guard let unit = matches(back.2, back.1, centreRun, ahead.1, ahead.2) else {
                return nil
            }
            return (unit, Double(start - back.0 + 1) + Double(centreRun) / 2)
        }
    }

    /// Finder pattern centres: 1:1:3:1:1 runs along a row, confirmed along the column through
    /// their middle and again along the row through the column's middle.
    static func finderCandidates(in binary: GrayImage) -> [Finder] {
        var found: [Finder] = []
        // One row's runs and where each starts, the buffers kept from row to row.
        var runs: [Int] = []
        var starts: [Int] = []
        runs.reserveCapacity(binary.width)
        starts.reserveCapacity(binary.width)
        let width = binary.width
        for y in 0..<binary.height {
            runs.removeAll(keepingCapacity: true)
            starts.removeAll(keepingCapacity: true)
            unsafe binary.pixels.withUnsafeBufferPointer { all in
                let row = y * width, end = row + width
                var x = row
                // The binarised image is 0 or 255: a run ends where the value changes.
                while x < end {
                    let start = x
                    let value = unsafe all[x]
                    x += 1
                    while x < end, unsafe all[x] == value { x += 1 }
                    if runs.isEmpty && value >= 128 { continue }
                    runs.append(x - start)
                    starts.append(start - row)
                }
            }
            // Runs alternate starting dark, so dark runs have even indices.
            var i = 0
            while i + 4 < runs.count {
                defer { i += 2 }
                guard
                    let unit = matches(runs[i], runs[i + 1], runs[i + 2], runs[i + 3], runs[i + 4])
                else { continue }
                let cx = Int(Double(starts[i + 2]) + Double(runs[i + 2]) / 2)
                let limit = Int(unit * 5) + 2
                guard let column = crossPattern(binary, x: cx, y: y, vertical: true, limit: limit),
                    column.unit < unit * 2, unit < column.unit * 2,
                    let row = crossPattern(
                        binary, x: cx, y: Int(column.centre), vertical: false, limit: limit)
                else { continue }
                let (vUnit, hUnit) = (column.unit, row.unit)
                let centre = Point(x: row.centre, y: column.centre)
                let module = (hUnit + vUnit) / 2
                if let index = found.firstIndex(where: {
                    ($0.centre - centre).length < max($0.module, module) * 2
                }) {
                    let n = Double(found[index].count)
                    found[index].centre = (found[index].centre * n + centre) * (1 / (n + 1))
                    found[index].module = (found[index].module * n + module) / (n + 1)
                    found[index].count += 1
                } else {
                    found.append(Finder(centre: centre, module: module, count: 1))
                }
            }
        }
        return found
    }

    /// The three finders most likely to belong to one code, as top-left, top-right and
    /// bottom-left.
    static func bestTriple(_ finders: [Finder]) -> (Finder, Finder, Finder)? {
        triples(finders).first
    }

    /// Every three finders that may belong to one code, as top-left, top-right and
    /// bottom-left, likeliest first by how often each was seen and how square they stand.
    static func triples(_ finders: [Finder]) -> [(Finder, Finder, Finder)] {
        let strong = finders.filter { $0.count >= 2 }
        let pool = Array(
            (strong.count >= 3 ? strong : finders).sorted { $0.count > $1.count }.prefix(10))
        guard pool.count >= 3 else { return [] }
        var found: [(score: Double, triple: (Finder, Finder, Finder))] = []
        for i in 0..<pool.count {
            for j in i + 1..<pool.count {
                for l in j + 1..<pool.count {
                    let three = [pool[i], pool[j], pool[l]]
                    let modules = three.map(\.module)
                    guard let low = modules.min(), let high = modules.max(), high < low * 3 else {
                        continue
                    }
                    // The top-left finder is the one opposite the longest side.
                    let sides = (0..<3).map {
                        (three[($0 + 1) % 3].centre - three[($0 + 2) % 3].centre).length
                    }
                    guard let corner = sides.indices.max(by: { sides[$0] < sides[$1] }) else {
                        continue
                    }
                    let a = three[corner]
                    var b = three[(corner + 1) % 3]
                    var c = three[(corner + 2) % 3]
                    let ab = b.centre - a.centre
                    let ac = c.centre - a.centre
                    let legs = [ab.length, ac.length]
                    guard let short = legs.min(), let long = legs.max(), long < short * 2,
                        short > 10 * (low + high) / 2
                    else { continue }
                    let cosine = (ab.x * ac.x + ab.y * ac.y) / (legs[0] * legs[1])
                    guard abs(cosine) < 0.6 else { continue }
                    if ab.x * ac.y - ab.y * ac.x < 0 { swap(&b, &c) }
                    let score = Double(three.map(\.count).reduce(0, +)) - abs(cosine)
                    found.append((score, (a, b, c)))
                }
            }
        }
        return found.sorted { $0.score > $1.score }.map(\.triple)
    }
}
