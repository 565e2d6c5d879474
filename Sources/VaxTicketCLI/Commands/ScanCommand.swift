import ArgumentParser
import Batch
import Foundation
import PhotoReader
import ZBarScanner

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Read every QR code in PNG or JPEG images, files or folders.",
        discussion: """
            Folders are searched recursively for .png and .jpg files. Images are read in \
            parallel. Exit status: 0 when every image yielded at least one code, 1 otherwise.
            With --json, one object per image per line:
            {"file", "symbols": [{"text", "bytes" (Base64), "corners"}], "error": null or {"code", "message"}}
            """
    )

    @Argument(help: "Image files or folders.")
    var paths: [String]

    @OptionGroup var batch: BatchOptions

    @Flag(help: "Print one JSON object per image per line.")
    var json = false

    @Flag(
        name: .customLong("full-resolution"),
        help: "Decode JPEGs at full size for the first look instead of TurboJPEG's cheaper 1/2, 1/4 or 1/8 scale.")
    var fullResolution = false

    func run() throws {
        let files = try batch.collect(paths)
        let options = readerOptions
        let progress = ProgressBar(total: files.count, label: "scan")
        var failures = 0
        ParallelBatch.run(
            count: files.count, jobs: batch.jobs,
            makeState: { PhotoReader(options: options) },
            work: { reader, index in Result { () throws(PhotoReadError) in try reader.read(contentsOf: files[index]) } },
            emit: { index, result in
                progress.advance()
                if (try? result.get())?.isEmpty ?? true { failures += 1 }
                report(file: files[index], result: result)
            }
        )
        progress.finish()
        if failures > 0 { throw ExitCode.failure }
    }

    private var readerOptions: PhotoReaderOptions {
        var options = PhotoReaderOptions(maxPixels: batch.maxPixels)
        if fullResolution { options.firstLookPixels = .max }
        return options
    }

    private func report(file: String, result: Result<[ScannedSymbol], PhotoReadError>) {
        if json {
            var object: [String: Any] = ["file": file, "symbols": [Any](), "error": NSNull()]
            switch result {
            case .success(let symbols):
                object["symbols"] = symbols.map { symbol in
                    [
                        "text": PayloadText.decode(symbol.bytes) ?? NSNull(),
                        "bytes": Data(symbol.bytes).base64EncodedString(),
                        "corners": symbol.corners.map { [$0.x, $0.y] },
                    ] as [String: Any]
                }
            case .failure(let error):
                object["error"] = ["code": error.code, "message": error.description]
            }
            JSONLine.print(object)
            return
        }
        switch result {
        case .success(let symbols) where symbols.isEmpty:
            print("\(file): no QR code found")
        case .success(let symbols):
            for symbol in symbols {
                let text = PayloadText.decode(symbol.bytes) ?? "(binary, base64) " + Data(symbol.bytes).base64EncodedString()
                print("\(file): \(text)")
            }
        case .failure(let error):
            print("\(file): error: \(error)")
        }
    }
}
