/// Image filters used by the photo reader's retry cascade and by the camera simulator.
extension GrayImage {
    /// A box blur of the given radius, computed with running sums (separable, O(1) per pixel).
    public func boxBlurred(radius: Int) -> GrayImage {
        guard radius > 0, width > 0, height > 0 else { return self }
        return GrayImage(
            width: width, height: height, pixels: boxFiltered(radius: radius, binarizingWith: nil))
    }

    /// The box blur's pixels, or with `offset`, the adaptive binarisation against them made
    /// in the same pass.
    private func boxFiltered(radius: Int, binarizingWith offset: Int?) -> [UInt8] {
        // Sums of a window of 255s at most: the rounded means of every possible sum, so that no
        // pixel pays for a division.
        let window = 2 * radius + 1
        let means = (0...(255 * window)).map { UInt8(($0 + window / 2) / window) }
        let horizontal = Self.horizontalBoxPass(
            pixels, width: width, height: height, radius: radius, means: means)
        guard let offset else {
            return Self.verticalBoxPass(
                horizontal, width: width, height: height, radius: radius, means: means)
        }
        // Black where the pixel is darker than its mean less the offset.
        let levels = means.map { Int($0) - offset }
        return Self.verticalBoxPass(
            horizontal, width: width, height: height, radius: radius, means: means,
            binarizing: (pixels, levels))
    }

    /// Each row's running mean over `2 * radius + 1` pixels, the edge pixels repeated beyond
    /// the ends.
    private static func horizontalBoxPass(
        _ source: [UInt8], width: Int, height: Int, radius: Int, means: [UInt8]
    ) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: source.count)
        unsafe source.withUnsafeBufferPointer { input in
            unsafe out.withUnsafeMutableBufferPointer { output in
                unsafe means.withUnsafeBufferPointer { means in
                    for row in 0..<height {
                        let base = row * width
                        var sum = 0
                        for i in -radius...radius {
                            unsafe sum += Int(input[base + min(max(i, 0), width - 1)])
                        }
                        for i in 0..<width {
                            unsafe output[base + i] = unsafe means[sum]
                            let leaving = max(i - radius, 0)
                            let entering = min(i + radius + 1, width - 1)
                            unsafe sum += Int(input[base + entering]) - Int(input[base + leaving])
                        }
                    }
                }
            }
        }
        return out
    }

    /// Each column's running mean over `2 * radius + 1` pixels, the edge rows repeated beyond
    /// the ends, kept for all columns at once so that memory is read row by row.
    /// With `binarizing`, each pixel of its image is written black where it is darker than
    /// the level its window's sum maps to, white elsewhere, instead of the mean.
    private static func verticalBoxPass(
        _ source: [UInt8], width: Int, height: Int, radius: Int, means: [UInt8],
        binarizing: (pixels: [UInt8], levels: [Int])? = nil
    ) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: source.count)
        var sums = [Int](repeating: 0, count: width)
        unsafe source.withUnsafeBufferPointer { input in
            unsafe out.withUnsafeMutableBufferPointer { output in
                unsafe sums.withUnsafeMutableBufferPointer { sums in
                    unsafe means.withUnsafeBufferPointer { means in
                        for i in -radius...radius {
                            let base = min(max(i, 0), height - 1) * width
                            for x in 0..<width { unsafe sums[x] += Int(input[base + x]) }
                        }
                        for row in 0..<height {
                            let base = row * width
                            let leaving = max(row - radius, 0) * width
                            let entering = min(row + radius + 1, height - 1) * width
                            if let binarizing {
                                unsafe binarizing.pixels.withUnsafeBufferPointer { original in
                                    unsafe binarizing.levels.withUnsafeBufferPointer { levels in
                                        for x in 0..<width {
                                            unsafe output[base + x] =
                                                unsafe Int(original[base + x]) < levels[sums[x]]
                                                ? 0 : 255
                                        }
                                    }
                                }
                            } else {
                                for x in 0..<width {
                                    unsafe output[base + x] = unsafe means[sums[x]]
                                }
                            }
                            for x in 0..<width {
                                unsafe sums[x] += Int(input[entering + x]) - Int(input[leaving + x])
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Unsharp masking: `self + amount * (self - blurred(self))`.
    public func unsharpMasked(radius: Int = 2, amount: Double = 1.0) -> GrayImage {
        let blurred = boxBlurred(radius: radius).boxBlurred(radius: max(1, radius / 2))
        var out = pixels
        let gain = Int(amount * 256)
        for i in 0..<out.count {
            let original = Int(pixels[i])
            let value = original + ((original - Int(blurred.pixels[i])) * gain) >> 8
            out[i] = UInt8(clamping: value)
        }
        return GrayImage(width: width, height: height, pixels: out)
    }

    /// The image scaled by an integer factor with bilinear interpolation (pixel centres
    /// aligned, edges clamped), in fixed point.
    public func upscaled(by factor: Int) -> GrayImage {
        guard factor > 1, width > 0, height > 0 else { return self }
        let newWidth = width * factor
        let newHeight = height * factor
        // Source column pairs and 8-bit weights for every output column, computed once.
        let columns = Self.bilinearTaps(count: newWidth, sourceCount: width, factor: factor)
        let rows = Self.bilinearTaps(count: newHeight, sourceCount: height, factor: factor)
        var out = [UInt8](repeating: 0, count: newWidth * newHeight)
        var top = [Int](repeating: 0, count: newWidth)
        var bottom = [Int](repeating: 0, count: newWidth)
        var lastRows = (-1, -1)
        for y in 0..<newHeight {
            let (y0, y1, wy) = rows[y]
            if lastRows != (y0, y1) {
                // Horizontal interpolation of the two source rows, reused by every output
                // row between them.
                let row0 = y0 * width, row1 = y1 * width
                for x in 0..<newWidth {
                    let (x0, x1, wx) = columns[x]
                    top[x] = Int(pixels[row0 + x0]) * (256 - wx) + Int(pixels[row0 + x1]) * wx
                    bottom[x] = Int(pixels[row1 + x0]) * (256 - wx) + Int(pixels[row1 + x1]) * wx
                }
                lastRows = (y0, y1)
            }
            let base = y * newWidth
            for x in 0..<newWidth {
                out[base + x] = UInt8(
                    truncatingIfNeeded: (top[x] * (256 - wy) + bottom[x] * wy + 32768) >> 16)
            }
        }
        return GrayImage(width: newWidth, height: newHeight, pixels: out)
    }

    /// For each of `count` output positions, the two source positions it lies between and the
    /// weight of the second, out of 256.
    private static func bilinearTaps(count: Int, sourceCount: Int, factor: Int) -> [(Int, Int, Int)]
    {
        (0..<count).map { i in
            // Source coordinate of the output centre, in 1/(2 factor) steps to stay exact.
            let scaled = (2 * i + 1) - factor
            let twice = 2 * factor
            let floor = scaled >= 0 ? scaled / twice : -((-scaled + twice - 1) / twice)
            let fraction = scaled - floor * twice
            let x0 = min(max(floor, 0), sourceCount - 1)
            let x1 = min(max(floor + 1, 0), sourceCount - 1)
            return (x0, x1, fraction * 256 / twice)
        }
    }

    /// The image shrunk by an integer factor, each output pixel the mean of a factor x factor block.
    public func downscaled(by factor: Int) -> GrayImage {
        guard factor > 1 else { return self }
        let newWidth = width / factor
        let newHeight = height / factor
        guard newWidth > 0, newHeight > 0 else { return self }
        var out = [UInt8](repeating: 0, count: newWidth * newHeight)
        let area = factor * factor
        for y in 0..<newHeight {
            for x in 0..<newWidth {
                var sum = 0
                for dy in 0..<factor {
                    let row = (y * factor + dy) * width + x * factor
                    for dx in 0..<factor { sum += Int(pixels[row + dx]) }
                }
                out[y * newWidth + x] = UInt8(sum / area)
            }
        }
        return GrayImage(width: newWidth, height: newHeight, pixels: out)
    }

    /// Black and white swapped.
    public var inverted: GrayImage {
        GrayImage(width: width, height: height, pixels: pixels.map { 255 - $0 })
    }

    /// Local contrast normalisation: each pixel rescaled against the minimum and maximum of a
    /// blurred neighbourhood, which evens out shadows and uneven light.
    public func locallyNormalized(radius: Int) -> GrayImage {
        let mean = boxBlurred(radius: radius)
        var deviation = [UInt8](repeating: 0, count: pixels.count)
        for i in 0..<pixels.count {
            deviation[i] = UInt8(min(255, abs(Int(pixels[i]) - Int(mean.pixels[i])) * 2))
        }
        let spread = GrayImage(width: width, height: height, pixels: deviation).boxBlurred(
            radius: radius)
        var out = pixels
        for i in 0..<out.count {
            let s = max(8, Int(spread.pixels[i]))
            out[i] = UInt8(clamping: 128 + (Int(pixels[i]) - Int(mean.pixels[i])) * 96 / s)
        }
        return GrayImage(width: width, height: height, pixels: out)
    }

    /// Adaptive binarisation: black where a pixel is darker than its neighbourhood mean less
    /// `offset`, white elsewhere.
    public func adaptivelyBinarized(radius: Int, offset: Int = 4) -> GrayImage {
        guard radius > 0, width > 0, height > 0 else {
            return GrayImage(
                width: width, height: height,
                pixels: pixels.map { Int($0) < Int($0) - offset ? 0 : 255 })
        }
        return GrayImage(
            width: width, height: height,
            pixels: boxFiltered(radius: radius, binarizingWith: offset))
    }
}

extension GrayImage {
    /// The 1st and 99th percentile grey levels stretched to black and white.
    public func contrastStretched() -> GrayImage {
        guard !pixels.isEmpty else { return self }
        var histogram = [Int](repeating: 0, count: 256)
        for value in pixels { histogram[Int(value)] += 1 }
        let clip = pixels.count / 100
        var low = 0, high = 255, seen = 0
        while low < 255, seen + histogram[low] <= clip { seen += histogram[low]; low += 1 }
        seen = 0
        while high > 0, seen + histogram[high] <= clip { seen += histogram[high]; high -= 1 }
        guard high > low else { return self }
        var table = [UInt8](repeating: 0, count: 256)
        for value in 0..<256 {
            table[value] = UInt8(clamping: (value - low) * 255 / (high - low))
        }
        return GrayImage(width: width, height: height, pixels: pixels.map { table[Int($0)] })
    }
}
