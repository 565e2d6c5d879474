import SystemPackage

/// An error writing a file, with the system's message.
public struct FileOutputError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// The system's description of the failure.
    public var reason: String
    public var description: String { "cannot write \(path): \(reason)" }

    /// An error writing `path`, for the system's `reason`.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// Writes whole files with one open, one write and one close: Foundation's `Data.write(to:)`
/// costs several times more per file, which dominates when writing hundreds of thousands of
/// small PNGs.
public enum FileOutput {
    /// Creates or truncates the file at `path` and writes `bytes` to it.
    /// - Parameter privateToOwner: create the file with mode 0600 (for secrets) instead of 0644.
    public static func write(_ bytes: [UInt8], to path: String, privateToOwner: Bool = false)
        throws(FileOutputError)
    {
        let permissions: FilePermissions =
            privateToOwner ? [.ownerReadWrite] : [.ownerReadWrite, .groupRead, .otherRead]
        do {
            let descriptor = try FileDescriptor.open(
                FilePath(path), .writeOnly, options: [.create, .truncate], permissions: permissions,
                retryOnInterrupt: true)
            _ = try descriptor.closeAfter { try descriptor.writeAll(bytes) }
        } catch {
            throw FileOutputError(path: path, reason: "\(error)")
        }
    }
}
