import CSVFiles
import Foundation
import SystemPackage

/// Reads a text file or standard input line by line in large blocks, so a file of a million
/// ticket texts never has to fit in memory. Lines end with LF or CRLF.
///
/// Only a regular file or standard input is read: a folder, a device or a FIFO given by
/// mistake is refused when opened. A read error is thrown, never taken for the end of the
/// input, and a line longer than ``maximumLineLength`` is refused instead of growing the
/// buffer without end.
public final class LineReader {
    /// The longest line accepted, in bytes. A ticket text is about a hundred.
    public static let maximumLineLength = 64 * 1024

    private let handle: FileHandle
    private let path: String
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    /// The number of the line last returned, 1 for the first.
    public private(set) var lineNumber = 0

    /// A reader of the regular file at `path`, or of standard input when `path` is `-`.
    public init(path: String) throws(LineReaderError) {
        self.path = path
        if path == "-" {
            let input = FileHandle.standardInput
            handle = input
            isPipe = !Self.isRegularFile(input)
            return
        }
        // Open first, then look at what was opened (not at the path again).
        guard let opened = FileHandle(forReadingAtPath: path) else {
            throw .cannotOpen(
                path: path,
                reason: FileManager.default.fileExists(atPath: path)
                    ? "permission denied" : "no such file")
        }
        guard Self.isRegularFile(opened) else { throw .notARegularFile(path: path) }
        handle = opened
        isPipe = false
    }

    private let isPipe: Bool

    private static func isRegularFile(_ handle: FileHandle) -> Bool {
        (try? FileDescriptor(rawValue: handle.fileDescriptor).stat().type) == .regular
    }

    /// The next line without its line ending, or `nil` at the end of the input.
    public func nextLine() throws(LineReaderError) -> String? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = newline
                if end > start, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                try checkLength(end - start)
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = newline + 1
                lineNumber += 1
                return line
            }
            try checkLength(buffer.count - start)
            if atEnd {
                guard start < buffer.count else { return nil }
                var end = buffer.count
                if buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = buffer.count
                lineNumber += 1
                return line
            }
            try refill()
        }
    }

    /// Up to `count` more lines that hold something, each with spaces and tabs around it cut
    /// and its line number; empty at the end of the input. What a file of ticket texts is read
    /// in batches with.
    public func nextTexts(upTo count: Int) throws(LineReaderError) -> [(line: Int, text: String)] {
        var texts: [(line: Int, text: String)] = []
        texts.reserveCapacity(count)
        while texts.count < count, let line = try nextLine() {
            let text = CSVFile.trimmingSpaces(line)
            if !text.isEmpty { texts.append((lineNumber, text)) }
        }
        return texts
    }

    private func checkLength(_ length: Int) throws(LineReaderError) {
        // One more byte is allowed for a CR not yet matched with its LF.
        if length > Self.maximumLineLength + 1 {
            throw .lineTooLong(path: path, line: lineNumber + 1, limit: Self.maximumLineLength)
        }
    }

    private func refill() throws(LineReaderError) {
        buffer.removeSubrange(0..<start)
        start = 0
        // From a pipe, take what has arrived so far so lines reach the caller promptly; from a
        // file, read a megabyte at a time, and let a read error through instead of taking it
        // for the end of the file.
        let data: Data
        if isPipe {
            data = handle.availableData
        } else {
            do {
                data = try handle.read(upToCount: 1 << 20) ?? Data()
            } catch {
                throw .io(path: path, reason: error.localizedDescription)
            }
        }
        if data.isEmpty {
            atEnd = true
        } else {
            buffer.append(contentsOf: data)
        }
    }
}

/// Why a payload file could not be read.
public enum LineReaderError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file could not be opened, with the reason.
    case cannotOpen(path: String, reason: String)
    /// The path names a folder, a device or a FIFO, not a regular file.
    case notARegularFile(path: String)
    /// Reading failed part way, with the system's reason.
    case io(path: String, reason: String)
    /// A line is longer than the limit: not a ticket text.
    case lineTooLong(path: String, line: Int, limit: Int)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): "cannot read \(path): \(reason)"
        case .notARegularFile(let path):
            "cannot read \(path): not a regular file (give a file of ticket texts, or - for standard input)"
        case .io(let path, let reason): "error reading \(path): \(reason)"
        case .lineTooLong(let path, let line, let limit):
            "\(path): line \(line) is longer than \(limit) bytes; not a ticket text, stopped there"
        }
    }
}
