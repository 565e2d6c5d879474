import Foundation
public import Imaging

/// A kind of damage a handheld phone photo does to a printed code, for reporting read rates
/// per kind.
public enum CameraDamage: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// The code turned in the image plane.
    case rotation
    /// The code seen at an angle: a projective warp.
    case perspective
    /// Out of focus or shaken: a Gaussian blur, its sigma measured in modules.
    case blur
    /// Sensor noise: Gaussian, added to every pixel.
    case noise
    /// Uneven light: a brightness gradient across the picture and a darker rim (vignette).
    case unevenLight
    /// Grey ink on grey paper, or a dim exposure: little difference between dark and light.
    case lowContrast
    /// Lossy JPEG storage, at a low quality; applied by the caller (see `CameraShot.jpegQuality`).
    case jpeg

    public var description: String { rawValue }
}

/// The settings of one simulated photo of a clean image. Zero values mean no damage of that
/// kind; `CameraShot()` is a clean copy framed by a border.
public struct CameraShot: Hashable, Sendable {
    /// Photo pixels per source pixel: how large the code comes out.
    public var scale: Double = 1
    /// Background around the source, on each side, as a fraction of the source's size.
    public var margin: Double = 0.15
    /// Grey level of the surface around the printed sheet.
    public var background: UInt8 = 150
    /// Turn of the code in the image plane, in degrees, counter-clockwise.
    public var rotationDegrees: Double = 0
    /// Projective warp: how far each of the source's four corners moves (top-left, top-right,
    /// bottom-right, bottom-left), in fractions of the source's size.
    public var cornerShifts: [Point] = []
    /// Gaussian blur sigma, in modules of the code (see `photograph(_:modulePixels:)`).
    /// Blur beyond about half a module is what defeats classic decoders.
    public var blurModules: Double = 0
    /// Standard deviation of the sensor noise, in grey levels (0...255).
    public var noiseSigma: Double = 0
    /// Fraction of the light lost from one side of the photo to the other (0...1).
    public var lightGradient: Double = 0
    /// Direction in which the light falls off, in degrees.
    public var lightAngleDegrees: Double = 0
    /// Fraction of the light lost in the photo's corners (0...1).
    public var vignette: Double = 0
    /// Difference between ink and paper as a fraction of the full range (1 = black on white).
    public var contrast: Double = 1
    /// Brightness of the middle between ink and paper, 0...1.
    public var midLevel: Double = 0.5
    /// The JPEG quality at which the caller should store the photo, or `nil` for lossless.
    /// This module only describes it: it depends on nothing but Imaging.
    public var jpegQuality: Int? = nil

    /// A clean shot; set the fields for damage.
    public init() {}
}

/// A small, fast, seedable random number generator (SplitMix64): the same seed gives the same
/// photos on every machine.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator started from `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in 0..<1.
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal value (Box-Muller).
    public mutating func normal() -> Double {
        let u = max(unit(), 0x1.0p-53)
        let v = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}

/// Turns clean images (rendered QR tickets) into simulated handheld photos: deterministic for a
/// given seed, pure Swift.
public struct CameraSimulator: Sendable {
    /// The random source for shot settings and sensor noise.
    public var generator: SeededGenerator

    /// A simulator whose photos depend only on `seed`.
    public init(seed: UInt64) {
        generator = SeededGenerator(seed: seed)
    }

    // MARK: Settings from users

    /// The largest blur sigma, in input pixels, a simulated photo may ask for.
    public static let maximumBlurSigma = 100.0
    /// The largest module size, in input pixels.
    public static let maximumModulePixels = 1000.0

    /// Why `strength` cannot be used, or `nil`: it must be a finite number from 0 to 1, or to
    /// ``maximumBlurSigma`` when it is a blur's sigma in pixels. Infinity and NaN would reach
    /// integer conversions (a blur radius, a JPEG quality) and trap.
    public static func checkStrength(_ strength: Double, isBlurSigma: Bool) -> String? {
        let maximum = isBlurSigma ? maximumBlurSigma : 1
        guard strength.isFinite, strength >= 0, strength <= maximum else {
            return
                "must be a number from 0 to \(isBlurSigma ? "100 (the blur sigma in pixels)" : "1")"
        }
        return nil
    }

    /// Why `modulePixels` cannot be used, or `nil`: it must be a finite number above 0 and at
    /// most ``maximumModulePixels``.
    public static func checkModulePixels(_ modulePixels: Double) -> String? {
        guard modulePixels.isFinite, modulePixels > 0, modulePixels <= maximumModulePixels else {
            return "must be a number above 0 and at most 1000"
        }
        return nil
    }

    // MARK: Random shots

    /// Random settings with one kind of damage at `strength` (0 none ... 1 severe), directions
    /// and signs drawn at random. The severe end is meant to be hard but mostly readable.
    public mutating func shot(_ damage: CameraDamage, strength: Double) -> CameraShot {
        var shot = CameraShot()
        let s = strength.isFinite ? min(max(strength, 0), 1) : 0
        switch damage {
        case .rotation:
            shot.rotationDegrees = (generator.unit() * 2 - 1) * 180 * s
        case .perspective:
            shot.cornerShifts = randomCornerShifts(maximum: 0.22 * s)
        case .blur:
            shot.blurModules = 0.6 * s
        case .noise:
            shot.noiseSigma = 45 * s
        case .unevenLight:
            shot.lightGradient = 0.75 * s
            shot.lightAngleDegrees = generator.unit() * 360
            shot.vignette = 0.5 * s
        case .lowContrast:
            shot.contrast = 1 - 0.85 * s
            shot.midLevel = 0.35 + 0.3 * generator.unit()
        case .jpeg:
            shot.jpegQuality = Int((95 - 85 * s).rounded())
        }
        return shot
    }

    /// A typical handheld photo: a little of every kind of damage at once, each drawn at random
    /// up to `strength` (0...1); at 1 it is a poor but mostly readable photo.
    public mutating func handheldShot(strength: Double = 0.6) -> CameraShot {
        let s = strength.isFinite ? min(max(strength, 0), 1) : 0
        var shot = CameraShot()
        shot.rotationDegrees = (generator.unit() * 2 - 1) * 180
        shot.cornerShifts = randomCornerShifts(maximum: 0.15 * s * generator.unit())
        shot.blurModules = 0.45 * s * generator.unit()
        shot.noiseSigma = 4 + 20 * s * generator.unit()
        shot.lightGradient = 0.5 * s * generator.unit()
        shot.lightAngleDegrees = generator.unit() * 360
        shot.vignette = 0.35 * s * generator.unit()
        shot.contrast = 1 - 0.55 * s * generator.unit()
        shot.midLevel = 0.4 + 0.2 * generator.unit()
        shot.jpegQuality = Int((90 - 50 * s * generator.unit()).rounded())
        return shot
    }

    /// A poor small photo: every kind of damage at once and all of them firmly present (mild
    /// perspective, any rotation, uneven light, blur, a code shrunk to two or three photo pixels
    /// a module, noise, low JPEG quality), the code filling about half of a frame of a few
    /// hundred pixels. At strength 0.7 about half are readable by a good reader, and few by zbar.
    /// - Parameter modulePixels: the size of one module in the source, in pixels.
    public mutating func combinedShot(strength: Double = 0.7, modulePixels: Double) -> CameraShot {
        let s = min(max(strength, 0), 1)
        var shot = CameraShot()
        shot.rotationDegrees = (generator.unit() * 2 - 1) * 180
        shot.cornerShifts = randomCornerShifts(maximum: 0.03 + 0.09 * s)
        shot.lightGradient = 0.2 + 0.6 * s * generator.unit()
        shot.lightAngleDegrees = generator.unit() * 360
        shot.vignette = 0.1 + 0.4 * s * generator.unit()
        shot.contrast = 1 - 0.6 * s * generator.unit()
        shot.midLevel = 0.4 + 0.2 * generator.unit()
        shot.blurModules = 0.15 + 0.45 * s * generator.unit()
        // Photo pixels per module: 3 down to 1 at full strength.
        let photoModule = 3 - 2 * s * (0.5 + 0.5 * generator.unit())
        shot.scale = photoModule / max(modulePixels, 0.1)
        shot.margin = 0.6 + 0.6 * generator.unit()
        shot.noiseSigma = 5 + 20 * s * generator.unit()
        shot.jpegQuality = Int((80 - 50 * s * generator.unit()).rounded())
        return shot
    }

    private mutating func randomCornerShifts(maximum: Double) -> [Point] {
        (0..<4).map { _ in
            Point(x: (generator.unit() * 2 - 1) * maximum, y: (generator.unit() * 2 - 1) * maximum)
        }
    }

    // MARK: Photographing

    /// The simulated photo of `source` taken with `shot`.
    /// - Parameter modulePixels: the size of one code module in `source`, in pixels, which
    ///   `shot.blurModules` is measured in.
    public mutating func photograph(_ source: GrayImage, modulePixels: Double, shot: CameraShot)
        -> GrayImage
    {
        let (width, height, reflectance) = warp(source, shot: shot)
        var light = lit(reflectance, width: width, height: height, shot: shot)
        let sigma = shot.blurModules * modulePixels * shot.scale
        // A sigma that is not finite, or beyond any image, would make the kernel radius trap.
        if sigma > 0.05, sigma <= 10_000 {
            light = Self.gaussianBlur(light, width: width, height: height, sigma: sigma)
        }
        var pixels = [UInt8](repeating: 0, count: width * height)
        let noise = shot.noiseSigma
        for i in 0..<pixels.count {
            var value = light[i] * 255
            if noise > 0 { value += Float(noise * generator.normal()) }
            pixels[i] = UInt8(clamping: Int(value.rounded()))
        }
        return GrayImage(width: width, height: height, pixels: pixels)
    }

    /// The positions in the photo of the source's four corners (top-left, top-right,
    /// bottom-right, bottom-left), where the code's corners land when the source is just the
    /// code and its quiet zone.
    public static func corners(ofSourceWidth width: Int, height: Int, in shot: CameraShot)
        -> [Point]
    {
        Geometry(sourceWidth: width, sourceHeight: height, shot: shot).destinationCorners
    }

    /// The photo's size and the source seen through the shot's geometry, as reflectance 0...1.
    private func warp(_ source: GrayImage, shot: CameraShot) -> (Int, Int, [Float]) {
        let geometry = Geometry(sourceWidth: source.width, sourceHeight: source.height, shot: shot)
        let width = geometry.photoWidth, height = geometry.photoHeight
        let h = geometry.photoToSource
        var out = [Float](repeating: 0, count: width * height)
        let background = Float(shot.background) / 255
        // Shrinking aliases: average a few samples per photo pixel then.
        let samples = shot.scale < 0.75 ? 3 : 1
        let step = 1.0 / Double(samples)
        let weight = 1 / Float(samples * samples)
        let sw = Double(source.width), sh = Double(source.height)
        let contrast = Float(shot.contrast), mid = Float(shot.midLevel)
        for y in 0..<height {
            for x in 0..<width {
                var sum: Float = 0
                for sy in 0..<samples {
                    for sx in 0..<samples {
                        let px = Double(x) + (Double(sx) + 0.5) * step
                        let py = Double(y) + (Double(sy) + 0.5) * step
                        let w = h[6] * px + h[7] * py + h[8]
                        let u = (h[0] * px + h[1] * py + h[2]) / w
                        let v = (h[3] * px + h[4] * py + h[5]) / w
                        if u < 0 || v < 0 || u >= sw || v >= sh {
                            sum += background
                        } else {
                            let paper = Float(source.sample(u, v)) / 255
                            sum += mid + (paper - 0.5) * contrast
                        }
                    }
                }
                out[y * width + x] = sum * weight
            }
        }
        return (width, height, out)
    }

    /// Reflectance times illumination: a linear gradient and a vignette.
    private func lit(_ reflectance: [Float], width: Int, height: Int, shot: CameraShot) -> [Float] {
        guard shot.lightGradient > 0 || shot.vignette > 0 else { return reflectance }
        var out = reflectance
        let angle = shot.lightAngleDegrees * Double.pi / 180
        let dx = cos(angle), dy = sin(angle)
        let cx = Double(width) / 2, cy = Double(height) / 2
        let reach = abs(dx) * cx + abs(dy) * cy
        let rimSquared = cx * cx + cy * cy
        for y in 0..<height {
            for x in 0..<width {
                let ox = Double(x) + 0.5 - cx, oy = Double(y) + 0.5 - cy
                // t runs from 0 on the bright side to 1 on the dark side.
                let t = reach > 0 ? ((ox * dx + oy * dy) / reach + 1) / 2 : 0
                let rim = (ox * ox + oy * oy) / rimSquared
                let light = (1 - shot.lightGradient * t) * (1 - shot.vignette * rim)
                out[y * width + x] *= Float(light)
            }
        }
        return out
    }

    /// An exact separable Gaussian blur, edges clamped.
    static func gaussianBlur(_ pixels: [Float], width: Int, height: Int, sigma: Double) -> [Float] {
        let radius = max(1, Int((3 * sigma).rounded(.up)))
        var kernel = (-radius...radius).map { i in Float(exp(-Double(i * i) / (2 * sigma * sigma)))
        }
        let total = kernel.reduce(0, +)
        for i in kernel.indices { kernel[i] /= total }
        var horizontal = [Float](repeating: 0, count: pixels.count)
        for y in 0..<height {
            let row = y * width
            for x in 0..<width {
                var sum: Float = 0
                for k in -radius...radius {
                    sum += kernel[k + radius] * pixels[row + min(max(x + k, 0), width - 1)]
                }
                horizontal[row + x] = sum
            }
        }
        var out = [Float](repeating: 0, count: pixels.count)
        for y in 0..<height {
            for x in 0..<width {
                var sum: Float = 0
                for k in -radius...radius {
                    sum +=
                        kernel[k + radius] * horizontal[min(max(y + k, 0), height - 1) * width + x]
                }
                out[y * width + x] = sum
            }
        }
        return out
    }
}

/// Where the source lands in the photo: scaled, framed by the margin, rotated about the centre
/// and its corners shifted, as one projective map.
private struct Geometry {
    let photoWidth: Int
    let photoHeight: Int
    let destinationCorners: [Point]
    /// Row-major 3x3 homography from photo to source coordinates.
    let photoToSource: [Double]

    init(sourceWidth: Int, sourceHeight: Int, shot: CameraShot) {
        let sw = Double(sourceWidth), sh = Double(sourceHeight)
        let scaledWidth = sw * shot.scale, scaledHeight = sh * shot.scale
        // Room for the code turned at any angle: the photo is square around its diagonal when
        // rotated, else the scaled source plus the margin.
        let turned = shot.rotationDegrees.truncatingRemainder(dividingBy: 180) != 0
        let diagonal = (scaledWidth * scaledWidth + scaledHeight * scaledHeight).squareRoot()
        let baseWidth = turned ? diagonal : scaledWidth
        let baseHeight = turned ? diagonal : scaledHeight
        let longSide = max(scaledWidth, scaledHeight)
        photoWidth = max(1, Int((baseWidth + 2 * shot.margin * longSide).rounded()))
        photoHeight = max(1, Int((baseHeight + 2 * shot.margin * longSide).rounded()))
        let cx = Double(photoWidth) / 2, cy = Double(photoHeight) / 2
        let angle = -shot.rotationDegrees * Double.pi / 180
        let cosA = cos(angle), sinA = sin(angle)
        let source = [
            Point(x: 0, y: 0), Point(x: sw, y: 0), Point(x: sw, y: sh), Point(x: 0, y: sh),
        ]
        destinationCorners = source.enumerated().map { index, corner in
            let shift =
                index < shot.cornerShifts.count ? shot.cornerShifts[index] : Point(x: 0, y: 0)
            let x = (corner.x + shift.x * sw - sw / 2) * shot.scale
            let y = (corner.y + shift.y * sh - sh / 2) * shot.scale
            return Point(x: cx + x * cosA - y * sinA, y: cy + x * sinA + y * cosA)
        }
        photoToSource = Self.homography(from: destinationCorners, to: source)
    }

    /// The projective map taking each `from` point to the matching `to` point.
    static func homography(from: [Point], to: [Point]) -> [Double] {
        // Eight equations in h0...h7 (h8 = 1), solved by Gaussian elimination with pivoting.
        var a = [[Double]]()
        for (p, q) in zip(from, to) {
            a.append([p.x, p.y, 1, 0, 0, 0, -p.x * q.x, -p.y * q.x, q.x])
            a.append([0, 0, 0, p.x, p.y, 1, -p.x * q.y, -p.y * q.y, q.y])
        }
        for column in 0..<8 {
            let pivot = (column..<8).max { abs(a[$0][column]) < abs(a[$1][column]) } ?? column
            a.swapAt(column, pivot)
            let divisor = a[column][column]
            guard abs(divisor) > 1e-12 else { continue }
            for k in column...8 { a[column][k] /= divisor }
            for row in 0..<8 where row != column {
                let factor = a[row][column]
                if factor != 0 {
                    for k in column...8 { a[row][k] -= factor * a[column][k] }
                }
            }
        }
        return (0..<8).map { a[$0][8] } + [1]
    }
}
