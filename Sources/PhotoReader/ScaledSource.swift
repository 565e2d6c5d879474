import Imaging
import JPEGCodec

/// One photo, available at full size and at 1/2, 1/4 and 1/8 of it: a JPEG decoded by
/// TurboJPEG at that scale (its DCT scaling is far cheaper than a full decode, and averages
/// sensor noise away), any other image shrunk by block averaging. Each scale is made at most
/// once and kept while the photo is being read.
final class ScaledSource {
    /// Full-size width.
    let width: Int
    /// Full-size height.
    let height: Int
    private var cache: [Int: GrayImage] = [:]
    private let jpeg: (bytes: [UInt8], decoder: JPEGDecoder, maxPixels: Int)?
    /// Work units spent decoding and shrinking so far (see `WorkCost`).
    private(set) var work = 0

    /// A decoded image; `work` is what decoding it cost.
    init(image: GrayImage, work: Int = 0) {
        width = image.width
        height = image.height
        cache[1] = image
        jpeg = nil
        self.work = work
    }

    /// A JPEG not decoded yet, its full size read from the header.
    init(jpeg bytes: [UInt8], header: JPEGHeader, decoder: JPEGDecoder, maxPixels: Int) {
        width = header.width
        height = header.height
        jpeg = (bytes, decoder, maxPixels)
    }

    /// The pixel count at full size.
    var pixelCount: Int { width * height }

    /// The pixel count at 1/`denominator` scale.
    func pixelCount(atDenominator denominator: Int) -> Int {
        let (w, h) = JPEG.scaledSize(width: width, height: height, denominator: denominator)
        return w * h
    }

    /// The work units making the photo at 1/`denominator` costs, made already or not.
    func makingCost(atDenominator denominator: Int) -> Int {
        let pixels = pixelCount(atDenominator: denominator)
        if jpeg != nil { return WorkCost.decode(pixels: pixels, fullPixels: pixelCount) }
        return denominator > 1 ? WorkCost.downscale(pixelCount) : 0
    }

    /// The work units getting the photo at 1/`denominator` costs now: none when made already.
    func cost(ofMaking denominator: Int) -> Int {
        cache[denominator] == nil ? makingCost(atDenominator: denominator) : 0
    }

    /// The photo at 1/`denominator` of its size (1, 2, 4 or 8).
    func image(atDenominator denominator: Int) throws(ImageDecodingError) -> GrayImage {
        if let image = cache[denominator] { return image }
        let image: GrayImage
        if let jpeg {
            image = try jpeg.decoder.decode(
                jpeg.bytes, scaleDenominator: denominator, maxPixels: jpeg.maxPixels)
        } else if let full = cache[1] {
            // Shrink from the nearest finer scale already made.
            let finer =
                stride(from: denominator / 2, through: 1, by: -1).first {
                    cache[$0] != nil && denominator % $0 == 0
                } ?? 1
            image = (cache[finer] ?? full).downscaled(by: denominator / finer)
        } else {
            preconditionFailure("a source is either decoded or a JPEG")
        }
        work += makingCost(atDenominator: denominator)
        cache[denominator] = image
        return image
    }
}
