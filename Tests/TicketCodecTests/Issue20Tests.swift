import Foundation
import Testing

@testable import TicketCodec

#if canImport(Glibc)
    import Glibc
#endif

/// Regression tests for issue 20 item 8, the keyring's lock file, named after the item.
@Suite("Issue 20 hardening: the keyring lock")
struct Issue20Tests {
    // MARK: Item 8: the keyring's lock file

    @Test(
        "issue 20 item 8: a lock file group or others may open is refused, and the keyring is left as it was"
    )
    func item8OpenLock() throws {
        let scratch = try Scratch()
        let path = scratch.path("keyring.json")
        try Fixtures.keyring.save(to: path)
        let lock = path + ".lock"
        for mode in [0o666, 0o644, 0o640, 0o604] {
            try? FileManager.default.removeItem(atPath: lock)
            #expect(FileManager.default.createFile(atPath: lock, contents: nil))
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: lock)
            #expect(
                throws: KeyringError.untrustedLock(
                    path: lock,
                    reason: "may be opened by group or others (mode \(String(mode, radix: 8)))")
            ) {
                try Keyring.update(at: path) { (ring: inout Keyring) throws(KeyringError) in
                    try ring.revoke(7, reason: nil)
                }
            }
        }
        #expect(try Keyring.load(from: path).revocations.isEmpty)
        let message = KeyringError.untrustedLock(path: lock, reason: "x").description
        #expect(message.contains("remove it") && message.contains("0600"))
        // Removed, it is made again with mode 0600 and the update goes through.
        try FileManager.default.removeItem(atPath: lock)
        try Keyring.update(at: path) { (ring: inout Keyring) throws(KeyringError) in
            try ring.revoke(7, reason: nil)
        }
        #expect(try permissions(lock) & 0o777 == 0o600)
        #expect(try Keyring.load(from: path).revocations.map(\.serial) == [7])
    }

    @Test("issue 20 item 8: a lock file that is a symbolic link or a folder is refused")
    func item8LinkedLock() throws {
        let scratch = try Scratch()
        let path = scratch.path("keyring.json")
        try Fixtures.keyring.save(to: path)
        let lock = path + ".lock"
        // A link to a file of ours, and a dangling link that would create a file elsewhere.
        let elsewhere = scratch.path("elsewhere")
        for target in [path, elsewhere] {
            try FileManager.default.createSymbolicLink(atPath: lock, withDestinationPath: target)
            #expect(
                throws: KeyringError.untrustedLock(
                    path: lock, reason: "is a symbolic link to \(target)")
            ) {
                try Keyring.update(at: path) { (ring: inout Keyring) throws(KeyringError) in
                    ring.note = "changed"
                }
            }
            try FileManager.default.removeItem(atPath: lock)
        }
        #expect(!FileManager.default.fileExists(atPath: elsewhere))
        try FileManager.default.createDirectory(atPath: lock, withIntermediateDirectories: false)
        #expect(throws: KeyringError.self) {
            try Keyring.update(at: path) { (ring: inout Keyring) throws(KeyringError) in
                ring.note = "changed"
            }
        }
        #expect(try Keyring.load(from: path).note == Fixtures.keyring.note)
    }

    @Test(
        "issue 20 item 8: a lock file another user owns is refused, even with mode 0600",
        .enabled(if: geteuid() == 0, "needs root to give the file to another user"))
    func item8ForeignLock() throws {
        let scratch = try Scratch()
        let path = scratch.path("keyring.json")
        try Fixtures.keyring.save(to: path)
        let lock = path + ".lock"
        #expect(FileManager.default.createFile(atPath: lock, contents: nil))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: lock)
        try FileManager.default.setAttributes(
            [.ownerAccountID: 65534, .groupOwnerAccountID: 65534], ofItemAtPath: lock)
        #expect(
            throws: KeyringError.untrustedLock(
                path: lock, reason: "belongs to user 65534, not to you (\(geteuid()))")
        ) {
            try Keyring.update(at: path) { (ring: inout Keyring) throws(KeyringError) in
                try ring.rotate(newID: "K9")
            }
        }
        #expect(try Keyring.load(from: path).keys.count == 1)
    }
}
