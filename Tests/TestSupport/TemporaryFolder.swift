public import Foundation
import Synchronization

/// A fresh temporary folder for one test, removed by `remove()`, which also stops whatever the
/// test started to run as long as the folder (a store's connection pool).
public struct TemporaryFolder: Sendable {
    /// The folder.
    public let url: URL
    private let cleanups = Cleanups()

    /// Creates a new, empty folder under the system's temporary directory.
    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "vaxticket-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The path of `name` inside the folder.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Runs `work` until the folder is removed.
    public func runUntilRemoved(_ work: @escaping @Sendable () async -> Void) {
        let task = Task { await work() }
        cleanups.add { task.cancel() }
    }

    /// Stops what runs with the folder, then deletes it and everything in it.
    public func remove() {
        cleanups.run()
        try? FileManager.default.removeItem(at: url)
    }
}

private final class Cleanups: Sendable {
    private let actions = Mutex<[@Sendable () -> Void]>([])

    func add(_ action: @escaping @Sendable () -> Void) { actions.withLock { $0.append(action) } }

    func run() {
        for action in actions.withLock({ actions in
            defer { actions = [] }; return actions
        }) {
            action()
        }
    }
}
