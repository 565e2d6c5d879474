import Foundation

/// Reads a text file or standard input line by line in large blocks, so a file of a million
/// ticket texts never has to fit in memory. Lines end with LF or CRLF.
public final class LineReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    private let isPipe: Bool

    /// A reader of the file at `path`, or of standard input when `path` is `-`.
    public init(path: String) throws(LineReaderError) {
        if path == "-" {
            handle = FileHandle.standardInput
            isPipe = true
        } else {
            isPipe = false
            guard let opened = FileHandle(forReadingAtPath: path) else { throw LineReaderError(path: path) }
            handle = opened
        }
    }

    /// The next line without its line ending, or `nil` at the end of the input.
    public func nextLine() -> String? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = newline
                if end > start, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = newline + 1
                return line
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                var end = buffer.count
                if buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = buffer.count
                return line
            }
            refill()
        }
    }

    private func refill() {
        buffer.removeSubrange(0..<start)
        start = 0
        // From a pipe, take what has arrived so far so lines reach the caller promptly; from a
        // file, read a megabyte at a time.
        let data = isPipe ? handle.availableData : ((try? handle.read(upToCount: 1 << 20)) ?? Data())
        if data.isEmpty {
            atEnd = true
        } else {
            buffer.append(contentsOf: data)
        }
    }
}

/// A payload file that could not be opened.
public struct LineReaderError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The path as given.
    public var path: String
    public var description: String { "cannot read \(path)" }
}
