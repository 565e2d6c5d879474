/// Checked arithmetic for pixel-buffer sizes computed from a file's header, and the largest
/// image any reader accepts however its cap is set.
public enum PixelBudget {
    /// The highest `--max-pixels` accepted: 250 megapixels, about twice the largest phone
    /// sensors. A gray buffer that size is 250 MB, an RGB one 750 MB, per parallel job.
    public static let ceiling = 250_000_000

    /// `width * height`, or `nil` when either is not positive or the product overflows.
    public static func pixels(width: Int, height: Int) -> Int? {
        guard width > 0, height > 0 else { return nil }
        let (product, overflow) = width.multipliedReportingOverflow(by: height)
        return overflow ? nil : product
    }

    /// `pixels * channels`, or `nil` when either is not positive or the product overflows.
    public static func bytes(pixels: Int, channels: Int) -> Int? {
        guard pixels > 0, channels > 0 else { return nil }
        let (product, overflow) = pixels.multipliedReportingOverflow(by: channels)
        return overflow ? nil : product
    }
}
