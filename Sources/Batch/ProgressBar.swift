import Foundation
import Synchronization

/// A one-line progress bar on standard error, drawn only when standard error is a terminal, so
/// scripts and logs never see it.
public final class ProgressBar: Sendable {
    private let total: Int
    private let label: String
    private let enabled: Bool
    private let started = Date()
    private let state = Mutex<(done: Int, lastDraw: Date)>((0, .distantPast))

    /// A bar for `total` items; `enabled` defaults to whether standard error is a terminal.
    public init(total: Int, label: String, enabled: Bool? = nil) {
        self.total = total
        self.label = label
        self.enabled = (enabled ?? (isatty(STDERR_FILENO) == 1)) && total > 1
    }

    /// Counts `items` more finished items, redrawing at most ten times a second.
    public func advance(by items: Int = 1) {
        guard enabled else { return }
        state.withLock { state in
            state.done += items
            let now = Date()
            if state.done >= total || now.timeIntervalSince(state.lastDraw) >= 0.1 {
                state.lastDraw = now
                draw(done: state.done, now: now)
            }
        }
    }

    /// Clears the bar's line.
    public func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    private func draw(done: Int, now: Date) {
        let width = 30
        let filled = total > 0 ? min(width, width * done / total) : width
        let elapsed = max(now.timeIntervalSince(started), 0.001)
        let rate = Double(done) / elapsed
        let bar =
            String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        let line = "\r\(label) [\(bar)] \(done)/\(total) \(String(format: "%.0f", rate))/s\u{1B}[K"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
