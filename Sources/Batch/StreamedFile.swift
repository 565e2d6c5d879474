public import Foundation

/// A file written in pieces under a temporary name and moved into place on `commit`, so a
/// reader never sees half a file and a failed run leaves the old one. Created with mode 0600
/// when it holds personal data.
public final class StreamedFile {
    /// The final path.
    public let path: String
    private let temporaryPath: String
    private let handle: FileHandle
    private var done = false

    /// Opens a temporary file beside `path`.
    public init(path: String, privateToOwner: Bool) throws(FileOutputError) {
        self.path = path
        let url = URL(fileURLWithPath: path)
        temporaryPath =
            url.deletingLastPathComponent().appendingPathComponent(
                ".\(url.lastPathComponent).\(UUID().uuidString).tmp"
            ).path
        let attributes: [FileAttributeKey: Any] = [
            .posixPermissions: privateToOwner ? 0o600 : 0o644
        ]
        guard
            FileManager.default.createFile(
                atPath: temporaryPath, contents: nil, attributes: attributes),
            let handle = FileHandle(forWritingAtPath: temporaryPath)
        else {
            throw FileOutputError(path: path, reason: "cannot create a file in its folder")
        }
        self.handle = handle
    }

    /// Appends `data`.
    public func write(_ data: Data) throws(FileOutputError) {
        do {
            try handle.write(contentsOf: data)
        } catch {
            throw FileOutputError(path: path, reason: error.localizedDescription)
        }
    }

    /// Flushes, closes and moves the file into place.
    public func commit() throws(FileOutputError) {
        done = true
        do {
            try handle.synchronize()
            try handle.close()
            if FileManager.default.fileExists(atPath: path) {
                _ = try FileManager.default.replaceItemAt(
                    URL(fileURLWithPath: path), withItemAt: URL(fileURLWithPath: temporaryPath))
            } else {
                try FileManager.default.moveItem(atPath: temporaryPath, toPath: path)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporaryPath)
            throw FileOutputError(path: path, reason: error.localizedDescription)
        }
    }

    deinit {
        if !done {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temporaryPath)
        }
    }
}
