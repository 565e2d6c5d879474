import Foundation
import TestSupport
import Testing

/// Issue 20 item 8 through the built binary, named after the item.
@Suite("Issue 20 hardening: the keyring lock, through the binary")
struct Issue20CommandTests {
    /// A temporary folder with a fresh keyring.
    private struct Setup {
        let folder: TemporaryFolder
        var keyring: String { folder.path("keyring.json") }
        var environment: [String: String] { ["VAXTICKET_KEYRING": keyring] }

        init() throws {
            folder = try TemporaryFolder()
            let made = try runVaxticket(["keys", "new", "--keyring", folder.path("keyring.json")])
            #expect(made.status == 0, "\(made.stderr)")
        }

        func run(_ arguments: [String]) throws -> CommandResult {
            try runVaxticket(arguments, environment: environment, currentDirectory: folder.url)
        }
    }

    @Test(
        "issue 20 item 8: revoke and keys rotate refuse a lock file others may open, say why, and leave the keyring alone"
    )
    func item8OpenLock() throws {
        let setup = try Setup()
        defer { setup.folder.remove() }
        let lock = setup.keyring + ".lock"
        let before = try Data(contentsOf: URL(fileURLWithPath: setup.keyring))
        #expect(FileManager.default.createFile(atPath: lock, contents: nil))
        try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: lock)

        for arguments in [["revoke", "0123456789ABCDEF"], ["keys", "rotate"]] {
            let run = try setup.run(arguments)
            #expect(run.status == 1)
            #expect(
                run.stderr.contains(
                    "the keyring's lock file \(lock) may be opened by group or others"),
                "\(run.stderr)")
            #expect(run.stderr.contains("remove it"))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: setup.keyring)) == before)

        try FileManager.default.removeItem(atPath: lock)
        #expect(try setup.run(["revoke", "0123456789ABCDEF"]).status == 0)
        let mode = try FileManager.default.attributesOfItem(atPath: lock)[.posixPermissions] as? Int
        #expect(mode.map { $0 & 0o777 } == 0o600)
    }

    @Test(
        "issue 20 item 8: a lock file another user made is refused by keys rotate",
        .enabled(if: getuid() == 0, "needs root to give the file to another user"))
    func item8ForeignLock() throws {
        let setup = try Setup()
        defer { setup.folder.remove() }
        let lock = setup.keyring + ".lock"
        #expect(FileManager.default.createFile(atPath: lock, contents: nil))
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o600, .ownerAccountID: 65534, .groupOwnerAccountID: 65534],
            ofItemAtPath: lock)
        let run = try setup.run(["keys", "rotate"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("belongs to user 65534, not to you"), "\(run.stderr)")
        #expect(try setup.run(["keys", "list"]).stdout.components(separatedBy: "K2").count == 1)
    }
}
