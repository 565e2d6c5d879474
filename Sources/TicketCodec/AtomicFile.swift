import Foundation
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Files replaced in one step, so that a reader sees the old contents or the new, never a mix
/// and never nothing.
enum AtomicFile {
    /// Replaces the file at `path` with `data`: the bytes go to a temporary file beside it,
    /// created with `permissions` (less the umask) before any byte is written, flushed to disk,
    /// then renamed over `path` (rename(2)). On failure the temporary file is removed and the
    /// old file is left as it was.
    ///
    /// The umask is never changed: it is process-wide, and two threads writing at once (tests
    /// in parallel, a server) could otherwise restore each other's.
    static func write(_ data: Data, to path: String, permissions: FilePermissions) throws(Errno) {
        let temporary = path + ".tmp-" + UUID().uuidString
        do {
            let file = try FileDescriptor.open(
                FilePath(temporary), .writeOnly,
                options: [.create, .exclusiveCreate, .noFollow, .closeOnExec],
                permissions: permissions)
            try file.closeAfter {
                _ = try file.writeAll(data)
                guard fsync(file.rawValue) == 0 else { throw Errno(rawValue: errno) }
            }
            guard unsafe rename(temporary, path) == 0 else { throw Errno(rawValue: errno) }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw (error as? Errno) ?? Errno.ioError
        }
    }
}
