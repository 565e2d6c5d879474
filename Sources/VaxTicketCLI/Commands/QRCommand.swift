public import ArgumentParser
import Foundation
import PNGCodec
import QREncoding

extension ErrorCorrection: ExpressibleByArgument {}

struct QRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qr",
        abstract: "Encode text as a print-ready QR code PNG (1-bit grayscale).",
        discussion: """
            Uppercase letters, digits and ' $%*+-./:' are stored in QR alphanumeric mode, digits \
            in numeric mode, anything else as bytes.
            Example: vaxticket qr "HELLO WORLD" --out hello.png --dpi 300
            """
    )

    @Argument(help: "The text to encode.")
    var text: String

    @Option(name: .shortAndLong, help: "The PNG file to write.")
    var out: String

    @Option(help: "Error correction level: L, M, Q or H.")
    var ecc: ErrorCorrection = .quartile

    @Option(name: .customLong("module-px"), help: "Pixels per QR module.")
    var modulePixels: Int = 4

    @Option(name: .customLong("quiet-zone"), help: "White border, in modules.")
    var quietZone: Int = 4

    @Option(help: "Print density recorded in the PNG (pHYs chunk), in dots per inch.")
    var dpi: Int?

    @Flag(help: "Print a JSON object instead of a sentence.")
    var json = false

    func validate() throws {
        guard (1...100).contains(modulePixels) else { throw ValidationError("--module-px must be 1 to 100.") }
        guard (0...100).contains(quietZone) else { throw ValidationError("--quiet-zone must be 0 to 100.") }
        if let dpi, !(1...100_000).contains(dpi) { throw ValidationError("--dpi must be 1 to 100000.") }
        guard !text.isEmpty else { throw ValidationError("The text to encode is empty.") }
    }

    func run() throws {
        let code = try QRCode(encoding: text, correction: ecc)
        let image = code.rendered(modulePixels: modulePixels, quietZone: quietZone)
        let png = try PNG.encode(image, dpi: dpi)
        try Data(png).write(to: URL(fileURLWithPath: out))
        if json {
            JSONLine.print([
                "file": out, "version": code.version, "modules": code.size,
                "width": image.width, "height": image.height, "bytes": png.count,
            ])
        } else {
            print("\(out): QR version \(code.version) (\(code.size)x\(code.size) modules), \(image.width)x\(image.height) px, \(png.count) bytes")
        }
    }
}
