import Imaging
import Testing

/// The filters of the photo reader's cascade do what they say, on small known images.
@Suite("filters")
struct FiltersTests {
    /// A horizontal ramp, 0 on the left to 255 on the right.
    static func ramp(width: Int = 16, height: Int = 4) -> GrayImage {
        var image = GrayImage(width: width, height: height, filledWith: 0)
        for y in 0..<height {
            for x in 0..<width { image[x, y] = UInt8(x * 255 / (width - 1)) }
        }
        return image
    }

    @Test("upscaling by 2 keeps flat areas flat and interpolates between pixel centres")
    func upscale() {
        let image = GrayImage(width: 2, height: 1, pixels: [0, 200])
        let big = image.upscaled(by: 2)
        #expect(big.width == 4 && big.height == 2)
        // Output centres at source x = -0.25, 0.25, 0.75, 1.25: clamped, 1/4, 3/4, clamped.
        #expect(big.pixels == [0, 50, 150, 200, 0, 50, 150, 200])
        let flat = GrayImage(width: 5, height: 3, filledWith: 77).upscaled(by: 3)
        #expect(flat.width == 15 && flat.height == 9 && flat.pixels.allSatisfy { $0 == 77 })
    }

    @Test("downscaling averages blocks")
    func downscale() {
        let image = GrayImage(width: 4, height: 2, pixels: [0, 100, 200, 200, 100, 200, 200, 200])
        #expect(image.downscaled(by: 2).pixels == [100, 200])
    }

    @Test("box blur keeps flat areas and the mean of a ramp")
    func blur() {
        let flat = GrayImage(width: 9, height: 9, filledWith: 90)
        #expect(flat.boxBlurred(radius: 2) == flat)
        let ramp = Self.ramp()
        let blurred = ramp.boxBlurred(radius: 1)
        // Away from the edges a box blur of a linear ramp is the ramp (within rounding).
        for x in 2..<14 { #expect(abs(Int(blurred[x, 1]) - Int(ramp[x, 1])) <= 1) }
    }

    @Test(
        "box blur is the rounded mean of each pixel's square, edge pixels repeated beyond the edges",
        arguments: [(1, 1, 1), (7, 5, 1), (13, 9, 3), (4, 11, 6), (31, 17, 12)])
    func blurMatchesItsDefinition(width: Int, height: Int, radius: Int) {
        let image = Self.noise(width: width, height: height)
        let blurred = image.boxBlurred(radius: radius)
        let window = 2 * radius + 1
        func clamped(_ v: Int, _ n: Int) -> Int { min(max(v, 0), n - 1) }
        // The horizontal mean of each row is rounded first, then the vertical mean of those.
        var rows = GrayImage(width: width, height: height, filledWith: 0)
        for y in 0..<height {
            for x in 0..<width {
                let sum = (-radius...radius).reduce(0) {
                    $0 + Int(image[clamped(x + $1, width), y])
                }
                rows[x, y] = UInt8((sum + window / 2) / window)
            }
        }
        for y in 0..<height {
            for x in 0..<width {
                let sum = (-radius...radius).reduce(0) {
                    $0 + Int(rows[x, clamped(y + $1, height)])
                }
                #expect(blurred[x, y] == UInt8((sum + window / 2) / window), "at \(x), \(y)")
            }
        }
    }

    @Test("unsharp masking steepens an edge")
    func unsharp() {
        var edge = GrayImage(width: 12, height: 3, filledWith: 200)
        for y in 0..<3 { for x in 0..<6 { edge[x, y] = 60 } }
        let sharp = edge.unsharpMasked(radius: 2, amount: 1)
        #expect(sharp[5, 1] < 60)
        #expect(sharp[6, 1] > 200)
        #expect(sharp[0, 1] == 60 && sharp[11, 1] == 200)
    }

    @Test("inversion, contrast stretch")
    func levels() {
        let image = GrayImage(width: 3, height: 1, pixels: [0, 100, 255])
        #expect(image.inverted.pixels == [255, 155, 0])
        var dim = GrayImage(width: 100, height: 1, filledWith: 100)
        for x in 50..<100 { dim[x, 0] = 140 }
        let stretched = dim.contrastStretched()
        #expect(stretched[0, 0] == 0 && stretched[99, 0] == 255)
    }

    /// Pseudo-random pixels, extremes included, from a fixed seed.
    static func noise(width: Int, height: Int) -> GrayImage {
        var state: UInt32 = 12345
        var image = GrayImage(width: width, height: height, filledWith: 0)
        for y in 0..<height {
            for x in 0..<width {
                state = state &* 1_664_525 &+ 1_013_904_223
                image[x, y] = [0, 255, UInt8(truncatingIfNeeded: state >> 24)][Int(state >> 8) % 3]
            }
        }
        return image
    }

    @Test(
        "adaptive binarisation is black exactly where a pixel is darker than its box mean less the offset"
    )
    func binarizeMatchesItsDefinition() {
        let image = Self.noise(width: 23, height: 19)
        for (radius, offset) in [(1, 0), (2, 4), (5, 12), (30, -3)] {
            let mean = image.boxBlurred(radius: radius)
            let binary = image.adaptivelyBinarized(radius: radius, offset: offset)
            #expect(
                binary.pixels.indices.allSatisfy { i in
                    binary.pixels[i]
                        == (Int(image.pixels[i]) < Int(mean.pixels[i]) - offset ? 0 : 255)
                })
        }
        #expect(image.adaptivelyBinarized(radius: 0, offset: 4).pixels.allSatisfy { $0 == 255 })
    }

    @Test("adaptive binarisation follows uneven light")
    func binarize() {
        // Dark stripes on a background that brightens from left to right.
        var image = Self.ramp(width: 64, height: 8)
        for y in 0..<8 { for x in stride(from: 4, to: 64, by: 8) { image[x, y] /= 2 } }
        let binary = image.adaptivelyBinarized(radius: 4, offset: 2)
        for x in stride(from: 12, to: 60, by: 8) {
            #expect(binary[x, 4] == 0)
            #expect(binary[x + 3, 4] == 255)
        }
    }
}
