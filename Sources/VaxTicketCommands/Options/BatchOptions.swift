import ArgumentParser
import Batch
import Imaging
import PhotoReader
import ScanServer

/// `--effort`: how hard to try on a photo that does not read at once.
enum EffortArgument {
    static func parse(_ text: String) throws -> ReadEffort {
        guard let effort = ReadEffort(rawValue: text) else {
            throw ValidationError("--effort must be low, normal or high, not \(text).")
        }
        return effort
    }
}

/// `--jobs`, shared by every command that works a batch in parallel.
struct BatchOptions: ParsableArguments {
    @Option(help: "Parallel jobs (default: all cores).")
    var jobs: Int = ParallelBatch.defaultJobs

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1.") }
    }

    /// The image files named by `paths`, folders expanded.
    func collect(_ paths: [String]) throws -> [String] {
        do {
            return try FileCollector.files(in: paths)
        } catch {
            throw ValidationError(error.description)
        }
    }
}

/// How photos are read: `--max-pixels` and `--effort`, shared by every command that reads
/// photos (scan, verify, record, serve).
struct PhotoOptions: ParsableArguments {
    @Option(
        name: .customLong("max-pixels"),
        help: """
            Refuse images whose header claims more pixels than this, before decoding them (at \
            most 250000000; default: 100000000 for files, 12500000 for serve, what a 12 MP phone \
            photo needs).
            """)
    var maxPixels: Int?

    /// The cap of files read from disk.
    static let fileMaxPixels = 100_000_000
    /// The server's cap: a 12 MP phone photo and a little more (see `ServerConfiguration`).
    static let serverMaxPixels = ServerConfiguration.defaultMaxPixels

    @Option(
        help: """
            How hard to try on a photo that does not read at once: low, normal (a photo that cannot \
            be read costs at most a few times one that can) or high (no limit; for re-reading what \
            failed, offline).
            """, transform: EffortArgument.parse)
    var effort: ReadEffort = .normal

    /// The photo reader's settings these options ask for, for images from files.
    var readerOptions: PhotoReaderOptions { readerOptions(defaultMaxPixels: Self.fileMaxPixels) }

    /// The photo reader's settings these options ask for, with a command's own default cap.
    func readerOptions(defaultMaxPixels: Int) -> PhotoReaderOptions {
        PhotoReaderOptions(maxPixels: maxPixels ?? defaultMaxPixels, effort: effort)
    }

    func validate() throws {
        if let maxPixels, !(1...PixelBudget.ceiling).contains(maxPixels) {
            throw ValidationError("--max-pixels must be 1 to \(PixelBudget.ceiling).")
        }
    }
}
