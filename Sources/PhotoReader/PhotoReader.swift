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
    /// No retry scans more pixels than this: upscaling and finer scales that would are
    /// skipped, so a hard photo costs bounded time whatever its size.
    public var retryPixels: Int = 3_000_000
    /// The retry cascade, tried in order after the first look finds nothing, stopping at the
    /// first attempt that finds a code.
    public var cascade: [ReadAttempt] = PhotoReader.defaultCascade

    /// The defaults: a 100 MP cap.
    public init(maxPixels: Int = 100_000_000) {
        self.maxPixels = maxPixels
    }
}

/// Finds every QR code in a PNG or JPEG photo, retrying with image enhancements when a first
/// pass finds nothing. Holds a zbar scanner and a JPEG decoder for reuse: one reader per thread.
public final class PhotoReader {
    /// The settings in force.
    public let options: PhotoReaderOptions
    private let scanner = QRScanner()
    private let jpegDecoder: JPEGDecoder?

    /// How the codes of the last photo read were found, `nil` when none were.
    public private(set) var lastOutcome: ReadOutcome?

    /// The retry cascade used unless the options name another, cheap and often useful steps
    /// first. Chosen by measuring candidates one by one on 97 real handheld photos and on
    /// simulated ones of every kind of damage (see `scripts/photo-eval`):
    /// - a half-scale look is cheap and undoes sensor noise and print texture;
    /// - adaptive binarisation rescues low contrast and uneven light; a light blur, alone or
    ///   before binarising, noise;
    /// - strong unsharp masking at three pixel scales undoes blur of up to about half a module;
    /// - 2x upscaling, plain, sharpened or binarised, reads small codes in small photos, a
    ///   finer scale small codes in large photos;
    /// - resampling the code upright from its finder and alignment patterns reads codes seen
    ///   at a steep slant (strong keystone), which zbar misses about a third of the time;
    /// - inversion reads light-on-dark codes.
    /// Mild unsharp masking, local contrast normalisation, contrast stretching and 3x upscaling
    /// read nothing these did not.
    public static let defaultCascade: [ReadAttempt] = [
        ReadAttempt(scaleShift: 1),
        ReadAttempt([.binarize(fraction: 20)]),
        ReadAttempt([.blur(radius: 1)]),
        ReadAttempt(scaleShift: 1, [.unsharp(radius: 3, amount: 4)]),
        ReadAttempt([.unsharp(radius: 2, amount: 3)]),
        ReadAttempt([.blur(radius: 1), .binarize(fraction: 10)]),
        ReadAttempt([.upscale(2)]),
        ReadAttempt([.upscale(2), .unsharp(radius: 2, amount: 2)]),
        ReadAttempt([.upscale(2), .binarize(fraction: 20)]),
        ReadAttempt([.unsharp(radius: 6, amount: 4)]),
        ReadAttempt(scaleShift: -1),
        ReadAttempt([.rectify]),
        ReadAttempt([.invert]),
    ]

    /// A reader with the given settings.
    public init(options: PhotoReaderOptions = PhotoReaderOptions()) {
        self.options = options
        self.jpegDecoder = try? JPEGDecoder()
    }

    /// Reads the file at `path` and returns every symbol found, corners in the file's pixel
    /// coordinates.
    public func read(contentsOf path: String) throws(PhotoReadError) -> [ScannedSymbol] {
        try read(Self.contents(of: path))
    }

    /// Reads an encoded PNG or JPEG, the format judged by content.
    public func read(_ bytes: [UInt8]) throws(PhotoReadError) -> [ScannedSymbol] {
        lastOutcome = nil
        guard !bytes.isEmpty else { throw .empty }
        return read(try decode(bytes))
    }

    /// Reads a decoded image.
    public func read(_ image: GrayImage) -> [ScannedSymbol] {
        lastOutcome = nil
        guard image.width > 0, image.height > 0 else { return [] }
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
                return ScaledSource(image: try PNG.decode(bytes, maxPixels: options.maxPixels))
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
        let source = ScaledSource(jpeg: bytes, header: header, decoder: decoder, maxPixels: options.maxPixels)
        // Decode the first look now, so that a corrupt file is reported as such.
        _ = try source.image(atDenominator: firstLookDenominator(for: source))
        return source
    }

    private func firstLookDenominator(for source: ScaledSource) -> Int {
        JPEG.scaleDenominators.first { source.pixelCount(atDenominator: $0) <= options.firstLookPixels } ?? 8
    }

    private func read(_ source: ScaledSource) -> [ScannedSymbol] {
        let base = firstLookDenominator(for: source)
        for (step, attempt) in ([ReadAttempt()] + options.cascade).enumerated() {
            guard let (found, scanned) = run(attempt, on: source, base: base) else { continue }
            if !found.isEmpty {
                lastOutcome = ReadOutcome(
                    attempt: attempt, step: step, denominator: scanned.denominator,
                    scannedWidth: scanned.width, scannedHeight: scanned.height)
                return found
            }
        }
        return []
    }

    /// The symbols one attempt finds, corners in full-size coordinates, and the image it
    /// scanned; `nil` when the attempt does not apply to this photo (or, for a JPEG that
    /// decoded at the first look's scale, does not decode at the attempt's).
    private func run(
        _ attempt: ReadAttempt, on source: ScaledSource, base: Int
    ) -> ([ScannedSymbol], (denominator: Int, width: Int, height: Int))? {
        guard let denominator = attempt.denominator(base: base) else { return nil }
        let magnification = attempt.magnification
        // Upscaling is for photos seen at full size; a scaled first look has real pixels to go
        // finer instead.
        if magnification > 1 && base > 1 { return nil }
        let (width, height) = JPEG.scaledSize(width: source.width, height: source.height, denominator: denominator)
        // A coarser look that leaves too few pixels for a code is pointless.
        if denominator > base && min(width, height) < 100 { return nil }
        if attempt != ReadAttempt() && width * height * magnification * magnification > options.retryPixels { return nil }
        guard var image = try? source.image(atDenominator: denominator) else { return nil }
        // Rectification changes the geometry: keep the size it started from and its map back.
        var frameWidth = image.width, frameHeight = image.height
        var unwarp: (map: (Point2D) -> Point2D, width: Int)?
        for enhancement in attempt.enhancements {
            guard enhancement == .rectify else {
                image = enhancement.apply(to: image)
                continue
            }
            guard unwarp == nil, let rectified = PerspectiveRectifier().rectified(image) else {
                return ([], (denominator, image.width, image.height))
            }
            (frameWidth, frameHeight) = (image.width, image.height)
            image = rectified.image
            unwarp = (rectified.toSource, image.width)
        }
        let found = scanner.scan(image)
        let scanned = (denominator, image.width, image.height)
        guard !found.isEmpty else { return ([], scanned) }
        // Scanned coordinates are full-size ones scaled by the image's size over the source's,
        // after undoing any rectification (in continuous coordinates, pixel centres at +0.5).
        let xFactor = Double(source.width) / Double(unwarp == nil ? image.width : frameWidth)
        let yFactor = Double(source.height) / Double(unwarp == nil ? image.height : frameHeight)
        // Enhancements after rectification may have magnified the upright image further.
        let upright = Double(unwarp?.width ?? image.width) / Double(image.width)
        let mapped = found.map { symbol in
            ScannedSymbol(
                bytes: symbol.bytes,
                corners: symbol.corners.map { corner in
                    var p = Point2D(x: (corner.x + 0.5) * upright, y: (corner.y + 0.5) * upright)
                    if let unwarp { p = unwarp.map(p) }
                    return Point(x: p.x * xFactor - 0.5, y: p.y * yFactor - 0.5)
                })
        }
        return (Self.deduplicated(mapped), scanned)
    }

    /// One symbol per payload and place: a symbol with the same bytes as one already kept and
    /// its centre within half that one's size of the other's centre is dropped. Two copies of a
    /// ticket side by side stay two.
    public static func deduplicated(_ symbols: [ScannedSymbol]) -> [ScannedSymbol] {
        var kept: [ScannedSymbol] = []
        for symbol in symbols {
            let duplicate = kept.contains { other in
                other.bytes == symbol.bytes && distance(centre(of: other), centre(of: symbol)) < radius(of: other) * 0.5 + 2
            }
            if !duplicate { kept.append(symbol) }
        }
        return kept
    }

    private static func centre(of symbol: ScannedSymbol) -> Point {
        guard !symbol.corners.isEmpty else { return Point(x: 0, y: 0) }
        let n = Double(symbol.corners.count)
        return Point(x: symbol.corners.map(\.x).reduce(0, +) / n, y: symbol.corners.map(\.y).reduce(0, +) / n)
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
        return ([ReadAttempt()] + options.cascade).enumerated().map { step, attempt in
            let start = ContinuousClock.now
            let found = run(attempt, on: source, base: base)
            return AttemptReport(
                step: step, attempt: attempt, ran: found != nil, symbols: found?.0 ?? [],
                duration: ContinuousClock.now - start)
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
}
