/// A failure tied to a line of an input file.
struct LineError: Error, CustomStringConvertible {
    /// 1-based line number.
    var line: Int
    /// What went wrong.
    var message: String
    var description: String { "line \(line): \(message)" }
}
