import Batch
import PNGCodec
import QREncoding

/// A QR code encoded and written as a 1-bit PNG file.
struct QRPNGFile: Sendable {
    /// How the code is drawn.
    struct Options: Sendable {
        var correction: ErrorCorrection
        var modulePixels: Int
        var quietZone: Int
        var dpi: Int?
    }

    /// Where the PNG was written.
    let path: String
    /// The QR version chosen by libqrencode.
    let version: Int
    /// Modules per side.
    let modules: Int
    /// Pixels per side.
    let pixels: Int
    /// Size of the PNG file in bytes.
    let bytes: Int

    /// Encodes `text` and writes it to `path`.
    init(text: String, path: String, options: Options) throws {
        let code = try QRCode(encoding: text, correction: options.correction)
        let image = code.rendered(modulePixels: options.modulePixels, quietZone: options.quietZone)
        let png = try PNG.encode(image, dpi: options.dpi)
        try FileOutput.write(png, to: path)
        self.path = path
        self.version = code.version
        self.modules = code.size
        self.pixels = image.width
        self.bytes = png.count
    }
}

/// A failure tied to a line of an input file.
struct LineError: Error, CustomStringConvertible {
    /// 1-based line number.
    var line: Int
    /// What went wrong.
    var message: String
    var description: String { "line \(line): \(message)" }
}
