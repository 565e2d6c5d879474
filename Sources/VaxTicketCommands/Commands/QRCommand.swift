public import ArgumentParser
import Batch
import Foundation
import PNGCodec
import QREncoding
import Reports

extension ErrorCorrection: ExpressibleByArgument {}

struct QRCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qr",
        abstract: "Encode text as a print-ready QR code PNG (1-bit grayscale).",
        discussion: """
            Uppercase letters, digits and ' $%*+-./:' are stored in QR alphanumeric mode, digits \
            in numeric mode, anything else as bytes.
            One code:   vaxticket qr "HELLO WORLD" --out hello.png --dpi 300
            Many codes: vaxticket qr --texts lines.txt --out-dir codes/   (one PNG per line, \
            named by line number, in parallel)
            """
    )

    @Argument(help: "The text to encode.")
    var text: String?

    @Option(name: .shortAndLong, help: "The PNG file to write.")
    var out: String?

    @Option(help: "A file of texts, one per line, each encoded to its own PNG (with --out-dir).")
    var texts: String?

    @Option(name: .customLong("out-dir"), help: "Folder for the PNGs of --texts.")
    var outDir: String?

    @Option(help: "Error correction level: L, M, Q or H.")
    var ecc: ErrorCorrection = .quartile

    @Option(name: .customLong("quiet-zone"), help: "White border, in modules.")
    var quietZone: Int = 4

    @OptionGroup var printing: PrintOptions

    @Option(help: "Parallel jobs for --texts (default: all cores).")
    var jobs: Int = ParallelBatch.defaultJobs

    @Flag(help: "Print JSON (one object per PNG) instead of sentences.")
    var json = false

    func validate() throws {
        guard (0...100).contains(quietZone) else {
            throw ValidationError("--quiet-zone must be 0 to 100.")
        }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1.") }
        switch (text, out, texts, outDir) {
        case (let text?, _?, nil, nil):
            guard !text.isEmpty else { throw ValidationError("The text to encode is empty.") }
        case (nil, nil, _?, _?):
            break
        default:
            throw ValidationError(
                "Give either TEXT with --out FILE.png, or --texts FILE with --out-dir DIR.")
        }
    }

    func run() async throws {
        if let text, let out {
            let image = try rendering.png(for: text)
            try FileOutput.write(image.png, to: out)
            report(image, path: out)
        } else if let texts, let outDir {
            try await runBatch(textsFile: texts, outDir: outDir)
        }
    }

    private var rendering: QRRendering {
        QRRendering(
            correction: ecc, modulePixels: printing.modulePixels, quietZone: quietZone,
            dpi: printing.dpi)
    }

    private func runBatch(textsFile: String, outDir: String) async throws {
        let lines: [String]
        do {
            lines = try String(contentsOfFile: textsFile, encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        } catch {
            throw ValidationError("cannot read \(textsFile): \(error.localizedDescription)")
        }
        let entries = lines.enumerated().filter { !$0.element.isEmpty }
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        let width = max(5, String(lines.count).count)
        let rendering = rendering
        let progress = ProgressBar(total: entries.count, label: "qr")
        var failures = 0
        await ParallelBatch.run(
            count: entries.count, jobs: jobs,
            makeState: { () },
            work: { _, index in
                let (offset, text) = entries[index]
                let number = String(offset + 1)
                let name =
                    String(repeating: "0", count: max(0, width - number.count)) + number + ".png"
                let path = (outDir as NSString).appendingPathComponent(name)
                return Result { () throws(LineError) in
                    do {
                        let image = try rendering.png(for: text)
                        try FileOutput.write(image.png, to: path)
                        return (image, path)
                    } catch {
                        throw LineError(line: offset + 1, message: "\(error)")
                    }
                }
            },
            emit: { _, result in
                progress.advance()
                switch result {
                case .success(let (image, path)): if json { report(image, path: path) }
                case .failure(let error):
                    failures += 1
                    printError("error: \(error)")
                }
            }
        )
        progress.finish()
        if !json { print("wrote \(entries.count - failures) PNG files to \(outDir)") }
        if failures > 0 { throw ExitCode.failure }
    }

    private func report(_ image: QRRendering.Image, path: String) {
        if json {
            printJSON(
                QRImageReport(
                    file: path, version: image.version, modules: image.modules,
                    pixels: image.pixels, bytes: image.png.count))
        } else {
            print(
                "\(path): QR version \(image.version) (\(image.modules)x\(image.modules) modules), \(image.pixels)x\(image.pixels) px, \(image.png.count) bytes"
            )
        }
    }
}
