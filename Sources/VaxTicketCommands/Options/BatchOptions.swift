import ArgumentParser
import Batch
import Imaging
import PhotoReader

/// Options shared by every command that reads many images.
struct BatchOptions: ParsableArguments {
    @Option(help: "Parallel jobs (default: all cores).")
    var jobs: Int = ParallelBatch.defaultJobs

    @Option(name: .customLong("max-pixels"), help: "Refuse images whose header claims more pixels than this (at most 250000000).")
    var maxPixels: Int = 100_000_000

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1.") }
        guard (1...PixelBudget.ceiling).contains(maxPixels) else {
            throw ValidationError("--max-pixels must be 1 to \(PixelBudget.ceiling).")
        }
    }

    /// The photo reader's settings these options ask for.
    var readerOptions: PhotoReaderOptions { PhotoReaderOptions(maxPixels: maxPixels) }

    /// The image files named by `paths`, folders expanded.
    func collect(_ paths: [String]) throws -> [String] {
        do {
            return try FileCollector.files(in: paths)
        } catch {
            throw ValidationError(error.description)
        }
    }
}
