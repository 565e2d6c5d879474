import Foundation

/// Writes one JSON object per line on standard output, for scripts.
enum JSONLine {
    /// Prints `object` compactly with sorted keys; `NSNull()` values print as `null`.
    static func print(_ object: [String: Any]) {
        let options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: options) else {
            fatalError("not a JSON object: \(object)")
        }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
