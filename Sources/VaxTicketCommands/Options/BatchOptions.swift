import ArgumentParser
import Batch
import Imaging
import PhotoReader

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
        help: "Refuse images whose header claims more pixels than this (at most 250000000).")
    var maxPixels: Int = 100_000_000

    @Option(
        help: """
            How hard to try on a photo that does not read at once: low, normal (a photo that cannot \
            be read costs at most a few times one that can) or high (no limit; for re-reading what \
            failed, offline).
            """, transform: EffortArgument.parse)
    var effort: ReadEffort = .normal

    /// The photo reader's settings these options ask for.
    var readerOptions: PhotoReaderOptions {
        PhotoReaderOptions(maxPixels: maxPixels, effort: effort)
    }

    func validate() throws {
        guard (1...PixelBudget.ceiling).contains(maxPixels) else {
            throw ValidationError("--max-pixels must be 1 to \(PixelBudget.ceiling).")
        }
    }
}
