import CFuzzerDriver
import Foundation
import PhotoReader

/// One reader for the whole run (libFuzzer calls the entry point from one thread), capped at 4
/// megapixels so a huge claimed size cannot exhaust memory.
nonisolated(unsafe) let reader = PhotoReader(options: PhotoReaderOptions(maxPixels: 4_000_000))

/// libFuzzer entry point: any bytes as a PNG or JPEG photo.
func fuzz(_ bytes: [UInt8]) -> CInt {
    _ = try? reader.read(bytes)
    return 0
}

@main
enum FuzzImageReader {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        // libFuzzer owns the loop; the buffer it passes is valid for the duration of one call.
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            fuzz(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
        })
    }
}
