import Batch
import Foundation
import Imaging
import PNGCodec
import QREncoding
import SystemPackage

/// How QR codes are drawn as 1-bit PNGs; tickets use the defaults, ECC Q and a 4-module quiet
/// zone.
struct QRRendering: Sendable {
    var correction: ErrorCorrection = .quartile
    var modulePixels: Int
    var quietZone: Int = 4
    var dpi: Int?

    /// A code's PNG and its QR version and size.
    struct Image {
        var png: [UInt8]
        var version: Int
        var modules: Int
        var pixels: Int
    }

    func png(for text: String) throws -> Image {
        let code = try QRCode(encoding: text, correction: correction)
        let image = code.rendered(modulePixels: modulePixels, quietZone: quietZone)
        let png = try PNG.encode(image, dpi: dpi)
        return Image(png: png, version: code.version, modules: code.size, pixels: image.width)
    }
}

/// Names of batch-issued ticket files.
enum TicketFileName {
    /// `000002-2108230000012345.png`: the CSV line number, zero-padded so files sort in CSV order, and the registrant.
    static func fileName(line: Int, registrant: String) -> String {
        let digits = String(line)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits + "-" + registrant
            + ".png"
    }
}

/// A text file written line by line through a buffer, flushed every few hundred lines so an
/// interrupted batch leaves a usable file. A line that cannot be written is an error, never a
/// silent gap: the manifest of `issue` is what keeps a re-run from issuing a row twice.
final class AppendingFile {
    private let path: String
    private let descriptor: FileDescriptor
    private var buffer: [UInt8] = []
    private var lines = 0

    /// Opens `path` for appending; creates it (or empties it when `truncate`) and writes
    /// `header` into a new file. With `privateFile`, the file is created mode 0600, and an
    /// existing one (from an older run) is tightened to it before anything new goes in.
    init(path: String, truncate: Bool, header: String? = nil, privateFile: Bool = false)
        throws(FileOutputError)
    {
        self.path = path
        let isNew = truncate || !FileManager.default.fileExists(atPath: path)
        var options: FileDescriptor.OpenOptions = [.create, .append, .closeOnExec]
        if truncate { options.insert(.truncate) }
        do {
            descriptor = try FileDescriptor.open(
                FilePath(path), .writeOnly, options: options,
                permissions: privateFile
                    ? [.ownerReadWrite] : [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            throw FileOutputError(path: path, reason: "\(error)")
        }
        if privateFile {
            try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        }
        if isNew, let header { try append(header + "\n") }
    }

    deinit { try? descriptor.close() }

    func append(_ text: String) throws(FileOutputError) {
        buffer.append(contentsOf: text.utf8)
        lines += 1
        if lines % 256 == 0 { try flush() }
    }

    private func flush() throws(FileOutputError) {
        guard !buffer.isEmpty else { return }
        do {
            _ = try descriptor.writeAll(buffer)
        } catch {
            throw FileOutputError(path: path, reason: "\(error)")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered; the file itself is closed when the writer goes away.
    func close() throws(FileOutputError) {
        try flush()
    }
}

/// Writes a line to standard output straight away (unlike `print`, which buffers when piped),
/// so per-ticket lines and the summary on standard error keep their order.
func printLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
