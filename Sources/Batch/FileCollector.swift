import Foundation

/// Why a path given on the command line could not be used.
public struct MissingPathError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The path as given.
    public var path: String
    public var description: String { "no such file or folder: \(path)" }
}

/// Expands command-line paths into a list of files: files as given, folders searched
/// recursively for files with one of the given extensions, in a stable (sorted) order.
public enum FileCollector {
    /// File extensions of the images the photo reader understands.
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "jpe", "jfif"]

    /// The files named by `paths`; a folder contributes its files whose extension is in
    /// `extensions` (case-insensitive), a file is taken whatever its name.
    public static func files(in paths: [String], extensions: Set<String> = imageExtensions)
        throws(MissingPathError) -> [String]
    {
        var result: [String] = []
        let manager = FileManager.default
        for path in paths {
            guard manager.fileExists(atPath: path) else { throw MissingPathError(path: path) }
            guard isDirectory(path) else {
                result.append(path)
                continue
            }
            var found: [String] = []
            if let enumerator = manager.enumerator(atPath: path) {
                for case let relative as String in enumerator {
                    let ext = (relative as NSString).pathExtension.lowercased()
                    guard extensions.contains(ext) else { continue }
                    let full = (path as NSString).appendingPathComponent(relative)
                    if !isDirectory(full) {
                        found.append(full)
                    }
                }
            }
            result += found.sorted()
        }
        return result
    }

    private static func isDirectory(_ path: String) -> Bool {
        let values = try? URL(fileURLWithPath: path).resourceValues(forKeys: [.isDirectoryKey])
        return values?.isDirectory ?? false
    }
}
