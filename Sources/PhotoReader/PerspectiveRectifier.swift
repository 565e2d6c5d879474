import Foundation
import Imaging

/// A projective map of the plane, as a row-major 3x3 matrix.
struct Homography {
    private let m: [Double]

    /// The map sending each of four points to its partner, or `nil` when they are degenerate.
    init?(from source: [Point], to target: [Point]) {
        guard source.count == 4, target.count == 4 else { return nil }
        // Eight equations in the eight unknowns h0...h7, h8 fixed at 1, as rows of nine.
        var a = [Double](repeating: 0, count: 72)
        for (index, (s, t)) in zip(source, target).enumerated() {
            let row = index * 18
            for (k, value) in [s.x, s.y, 1, 0, 0, 0, -s.x * t.x, -s.y * t.x, t.x].enumerated() { a[row + k] = value }
            for (k, value) in [0, 0, 0, s.x, s.y, 1, -s.x * t.y, -s.y * t.y, t.y].enumerated() { a[row + 9 + k] = value }
        }
        for column in 0..<8 {
            guard let pivot = (column..<8).max(by: { abs(a[$0 * 9 + column]) < abs(a[$1 * 9 + column]) }),
                abs(a[pivot * 9 + column]) > 1e-9
            else { return nil }
            if pivot != column {
                for k in 0..<9 { a.swapAt(column * 9 + k, pivot * 9 + k) }
            }
            for row in 0..<8 where row != column {
                let factor = a[row * 9 + column] / a[column * 9 + column]
                if factor == 0 { continue }
                for k in column..<9 { a[row * 9 + k] -= factor * a[column * 9 + k] }
            }
        }
        var solution = [Double](repeating: 1, count: 9)
        for row in 0..<8 { solution[row] = a[row * 9 + 8] / a[row * 9 + row] }
        m = solution
    }

    /// The image of `p`.
    func callAsFunction(_ p: Point) -> Point {
        let w = m[6] * p.x + m[7] * p.y + m[8]
        return Point(x: (m[0] * p.x + m[1] * p.y + m[2]) / w, y: (m[3] * p.x + m[4] * p.y + m[5]) / w)
    }
}

/// A point with real coordinates, pixel centres at half-integers.
/// A QR code seen at an angle, resampled upright from its three finder patterns (and its
/// bottom-right alignment pattern when found), for codes whose keystone defeats zbar.
struct PerspectiveRectifier {
    /// Pixels per module of the upright image, fewer for codes so large that it would pass
    /// `maxSide`: enough for zbar on a clean upright grid, and few enough that rectifying a
    /// small photo costs about what looking at it does.
    var modulePixels = 6
    /// The upright image's largest side: at most 400 x 400 pixels, which bounds the work a
    /// rectifying step may cost before it runs.
    var maxSide = 400
    /// Light modules added around the code on each side.
    var marginModules = 4

    /// An upright image of the code in `image`, with the map from its continuous coordinates
    /// back to `image`'s; `nil` when no plausible three finder patterns are found.
    func rectified(_ image: GrayImage) -> (image: GrayImage, toSource: (Point) -> Point)? {
        rectified(image, finders: Self.finders(in: image))
    }

    /// The side of the upright image `rectified(_:finders:)` makes from these finders, `nil`
    /// when no three of them fit together; it never makes a larger one.
    func uprightSide(for finders: [Finder]) -> Int? {
        guard let (a, b, c) = Self.bestTriple(finders) else { return nil }
        let across = (Self.modules(from: a, to: b) + Self.modules(from: a, to: c)) / 2 + 7
        guard across.isFinite, across > 0 else { return nil }
        // The version fit may pick one larger than the estimate: four modules to spare.
        let modules = Int(min(across, 200).rounded(.up)) + 4 + 2 * marginModules
        return min(maxSide, modules * modulePixels)
    }

    /// Finder pattern candidates in `image`, binarised first: also the reader's cheap check
    /// for whether a photo may hold a code at all.
    static func finders(in image: GrayImage) -> [Finder] {
        finderCandidates(in: image.adaptivelyBinarized(radius: max(2, min(image.width, image.height) / 16)))
    }

    /// The upright image of the code in `image` whose finder candidates are `finders`.
    func rectified(_ image: GrayImage, finders: [Finder]) -> (image: GrayImage, toSource: (Point) -> Point)? {
        guard let (topLeft, topRight, bottomLeft) = Self.bestTriple(finders) else { return nil }
        let corners = [topLeft.centre, topRight.centre, bottomLeft.centre]
        let module = (topLeft.module + topRight.module + bottomLeft.module) / 3
        let across = (Self.modules(from: topLeft, to: topRight) + Self.modules(from: topLeft, to: bottomLeft)) / 2 + 7
        let estimate = min(40, max(1, Int(((across - 17) / 4).rounded())))
        // Module sizes seen at a slant are rough: the version whose timing patterns show
        // clearest in its fit wins.
        let fits = (max(1, estimate - 1)...min(40, estimate + 1)).compactMap { version in
            Self.fit(version: version, corners: corners, module: module, in: image)
        }
        guard let (size, toSource, _) = fits.max(by: { $0.score < $1.score }) else { return nil }
        let perModule = max(2, min(modulePixels, maxSide / (size + 2 * marginModules)))
        let side = (size + 2 * marginModules) * perModule
        let scale = Double(perModule)
        let margin = Double(marginModules)
        var pixels = [UInt8](repeating: 255, count: side * side)
        for y in 0..<side {
            for x in 0..<side {
                let p = toSource(Point(x: (Double(x) + 0.5) / scale - margin, y: (Double(y) + 0.5) / scale - margin))
                pixels[y * side + x] = Self.sample(image, at: p)
            }
        }
        return (
            GrayImage(width: side, height: side, pixels: pixels),
            { p in toSource(Point(x: p.x / scale - margin, y: p.y / scale - margin)) }
        )
    }

    /// The bilinear sample at `p`, white off the image or where a near-degenerate map sends
    /// a point to infinity.
    private static func sample(_ image: GrayImage, at p: Point) -> UInt8 {
        guard abs(p.x) < 1e6, abs(p.y) < 1e6 else { return 255 }
        return image.sample(p.x, p.y)
    }

    /// How many modules lie between the centres of two finders, their module sizes taken
    /// to change steadily from one to the other.
    private static func modules(from a: Finder, to b: Finder) -> Double {
        let length = (b.centre - a.centre).length
        let ratio = b.module / a.module
        guard abs(ratio - 1) > 0.01 else { return length / a.module }
        return length * log(ratio) / (b.module - a.module)
    }

    /// The map from module coordinates of a code of `version` to `image`, through the three
    /// finder centres and the alignment pattern (a parallelogram's fourth corner when there is
    /// none or it does not show), with how clearly the fixed patterns show through it.
    private static func fit(
        version: Int, corners: [Point], module: Double, in image: GrayImage
    ) -> (size: Int, map: Homography, score: Double)? {
        let size = 17 + 4 * version
        let far = Double(size) - 3.5
        let fixed = [Point(x: 3.5, y: 3.5), Point(x: far, y: 3.5), Point(x: 3.5, y: far)]
        let parallelogram = Point(x: far, y: far)
        if version > 1 {
            // The alignment pattern's centre is three modules in from where a fourth finder's
            // would be; it carries the keystone, which a parallelogram cannot.
            let at = Point(x: Double(size) - 6.5, y: Double(size) - 6.5)
            let k = (Double(size) - 10) / (Double(size) - 7)
            let guess = corners[0] + (corners[1] - corners[0]) * k + (corners[2] - corners[0]) * k
            let reach = max(module * 4, ((corners[1] - corners[0]).length + (corners[2] - corners[0]).length) / 8)
            if let found = bestFourth(
                near: guess, reach: reach, step: max(1, module / 2, reach / 24),
                scored: { candidate in
                    guard let map = Homography(from: fixed + [at], to: corners + [candidate]) else { return nil }
                    let pattern = alignmentContrast(map, at: at, in: image)
                    return pattern < 30 ? nil : (map, pattern + timingContrast(map, size: size, in: image))
                })
            {
                return (size, found.map, found.score)
            }
        }
        let fourth = corners[1] + corners[2] - corners[0]
        guard let map = Homography(from: fixed + [parallelogram], to: corners + [fourth]) else { return nil }
        return (size, map, timingContrast(map, size: size, in: image))
    }

    /// The mean grey level of the light modules of the timing patterns through `map` less that
    /// of the dark ones: high when the grid fits.
    private static func timingContrast(_ map: Homography, size: Int, in image: GrayImage) -> Double {
        var dark = 0.0, light = 0.0
        for i in 8..<(size - 8) {
            let along = Double(i) + 0.5
            let row = map(Point(x: along, y: 6.5))
            let column = map(Point(x: 6.5, y: along))
            let value = Double(sample(image, at: row)) + Double(sample(image, at: column))
            if i % 2 == 0 { dark += value } else { light += value }
        }
        return (light - dark) / Double(size - 16)
    }

    /// The mean grey level of the light ring of an alignment pattern centred at module `at`
    /// through `map` less that of its dark ring and centre.
    private static func alignmentContrast(_ map: Homography, at: Point, in image: GrayImage) -> Double {
        var dark = 0.0, light = 0.0
        for dy in -2...2 {
            for dx in -2...2 {
                let p = map(Point(x: at.x + Double(dx), y: at.y + Double(dy)))
                let value = Double(sample(image, at: p))
                if max(abs(dx), abs(dy)) == 1 { light += value } else { dark += value }
            }
        }
        return light / 8 - dark / 17
    }

    /// The best-scoring image position within `reach` of `guess`, searched on a grid of `step`
    /// and then ever finer around the best so far.
    private static func bestFourth(
        near guess: Point, reach: Double, step: Double,
        scored: (Point) -> (map: Homography, score: Double)?
    ) -> (map: Homography, score: Double)? {
        var best: (centre: Point, map: Homography, score: Double)?
        var step = step
        var centre = guess
        var radius = reach
        while true {
            let n = Int(radius / step)
            for j in -n...n {
                for i in -n...n {
                    let candidate = centre + Point(x: Double(i) * step, y: Double(j) * step)
                    guard let (map, score) = scored(candidate) else { continue }
                    if score > best?.score ?? -.infinity { best = (candidate, map, score) }
                }
            }
            guard let found = best, step > 0.5 else { break }
            centre = found.centre
            radius = step
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

    /// Whether `runs` (dark, light, dark, light, dark) match `ratios` within half a module each.
    private static func matches(_ runs: [Int], _ ratios: [Double]) -> Double? {
        let total = runs.reduce(0, +)
        let unit = Double(total) / ratios.reduce(0, +)
        guard unit >= 1 else { return nil }
        for (run, ratio) in zip(runs, ratios) where abs(Double(run) - unit * ratio) > unit * ratio * 0.6 + 0.5 {
            return nil
        }
        return unit
    }

    /// The five runs of a dark-light-dark-light-dark pattern through (`x`, `y`) along a column
    /// (or row), its centre on the line, or `nil` when `(x, y)` is not dark.
    private static func crossRuns(
        _ binary: GrayImage, x: Int, y: Int, vertical: Bool, limit: Int
    ) -> (runs: [Int], centre: Double)? {
        func dark(_ t: Int) -> Bool? {
            let (px, py) = vertical ? (x, t) : (t, y)
            guard px >= 0, py >= 0, px < binary.width, py < binary.height else { return nil }
            return binary[px, py] < 128
        }
        let start = vertical ? y : x
        guard dark(start) == true else { return nil }
        var back = [0, 0, 0]
        var t = start
        for (index, wanted) in [true, false, true].enumerated() {
            while let d = dark(t), d == wanted, back[index] <= limit { back[index] += 1; t -= 1 }
            if back[index] == 0 || back[index] > limit { return nil }
        }
        var ahead = [0, 0, 0]
        t = start + 1
        for (index, wanted) in [true, false, true].enumerated() {
            while let d = dark(t), d == wanted, ahead[index] <= limit { ahead[index] += 1; t += 1 }
            if (index > 0 && ahead[index] == 0) || ahead[index] > limit { return nil }
        }
        let centreRun = back[0] + ahead[0]
        let centreStart = start - back[0] + 1
        return ([back[2], back[1], centreRun, ahead[1], ahead[2]], Double(centreStart) + Double(centreRun) / 2)
    }

    /// Finder pattern centres: 1:1:3:1:1 runs along a row, confirmed along the column through
    /// their middle and again along the row through the column's middle.
    static func finderCandidates(in binary: GrayImage) -> [Finder] {
        let ratios: [Double] = [1, 1, 3, 1, 1]
        var found: [Finder] = []
        for y in 0..<binary.height {
            var runs: [Int] = []
            var starts: [Int] = []
            var x = 0
            while x < binary.width {
                let start = x
                let dark = binary[x, y] < 128
                while x < binary.width, (binary[x, y] < 128) == dark { x += 1 }
                if runs.isEmpty && !dark { continue }
                runs.append(x - start)
                starts.append(start)
            }
            // Runs alternate starting dark, so dark runs have even indices.
            var i = 0
            while i + 4 < runs.count {
                defer { i += 2 }
                guard let unit = matches(Array(runs[i..<i + 5]), ratios) else { continue }
                let cx = Int(Double(starts[i + 2]) + Double(runs[i + 2]) / 2)
                let limit = Int(unit * 5) + 2
                guard let column = crossRuns(binary, x: cx, y: y, vertical: true, limit: limit),
                    let vUnit = matches(column.runs, ratios),
                    vUnit < unit * 2, unit < vUnit * 2,
                    let row = crossRuns(binary, x: cx, y: Int(column.centre), vertical: false, limit: limit),
                    let hUnit = matches(row.runs, ratios)
                else { continue }
                let centre = Point(x: row.centre, y: column.centre)
                let module = (hUnit + vUnit) / 2
                if let index = found.firstIndex(where: { ($0.centre - centre).length < max($0.module, module) * 2 }) {
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
        let strong = finders.filter { $0.count >= 2 }
        let pool = Array((strong.count >= 3 ? strong : finders).sorted { $0.count > $1.count }.prefix(10))
        guard pool.count >= 3 else { return nil }
        var best: (score: Double, triple: (Finder, Finder, Finder))?
        for i in 0..<pool.count {
            for j in i + 1..<pool.count {
                for l in j + 1..<pool.count {
                    let three = [pool[i], pool[j], pool[l]]
                    let modules = three.map(\.module)
                    guard let low = modules.min(), let high = modules.max(), high < low * 3 else { continue }
                    // The top-left finder is the one opposite the longest side.
                    let sides = (0..<3).map { (three[($0 + 1) % 3].centre - three[($0 + 2) % 3].centre).length }
                    guard let corner = sides.indices.max(by: { sides[$0] < sides[$1] }) else { continue }
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
                    if best == nil || score > best!.score { best = (score, (a, b, c)) }
                }
            }
        }
        return best?.triple
    }
}
