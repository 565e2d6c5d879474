import Foundation
import Reports
import Synchronization

/// Set when a line of output could not be written; the command then exits 1 (see `VaxTicket.execute`).
let outputFailed = Atomic<Bool>(false)

/// Writes `value` as one JSON line on standard output, for scripts. A line that cannot be
/// written is reported on standard error and makes the command fail, without stopping a batch.
func printJSON(_ value: some Encodable) {
    do {
        try JSONLineWriter().write(value)
    } catch {
        printError("error: cannot write a JSON line: \(error)")
        outputFailed.store(true, ordering: .relaxed)
    }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
