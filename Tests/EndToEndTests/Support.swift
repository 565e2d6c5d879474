import Foundation
import Synchronization
import TestSupport
import Testing

/// What a run of the `vaxticket` binary printed and how it exited.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// The built `vaxticket` binary, next to the test bundle in the build folder.
let vaxticketBinary: URL = {
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = folder.appendingPathComponent("vaxticket")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        folder = folder.deletingLastPathComponent()
    }
    if let executable = Bundle.main.executableURL?.deletingLastPathComponent()
        .appendingPathComponent("vaxticket")
    {
        return executable
    }
    fatalError(
        "vaxticket binary not found near \(CommandLine.arguments[0]); run `swift build` first")
}()

/// Runs `vaxticket` with `arguments` and waits for it, with a hard time limit so a hang fails
/// the test instead of stalling the suite.
func runVaxticket(
    _ arguments: [String],
    environment: [String: String] = [:],
    currentDirectory: URL? = nil,
    stdin: String? = nil,
    timeout: TimeInterval = 120
) throws -> CommandResult {
    let process = Process()
    process.executableURL = vaxticketBinary
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    let outPipe = Pipe(), errPipe = Pipe(), inPipe = Pipe()
    process.standardOutput = outPipe
    process.standardError = errPipe
    process.standardInput = inPipe
    try process.run()
    if let stdin { inPipe.fileHandleForWriting.write(Data(stdin.utf8)) }
    try inPipe.fileHandleForWriting.close()
    // Read both pipes concurrently so a chatty child never blocks on a full pipe.
    let outData = Mutex(Data())
    let errData = Mutex(Data())
    let group = DispatchGroup()
    DispatchQueue.global().async(group: group) {
        let data = outPipe.fileHandleForReading.readDataToEndOfFile()
        outData.withLock { $0 = data }
    }
    DispatchQueue.global().async(group: group) {
        let data = errPipe.fileHandleForReading.readDataToEndOfFile()
        errData.withLock { $0 = data }
    }
    if group.wait(timeout: .now() + timeout) == .timedOut {
        process.terminate()
        Issue.record("vaxticket \(arguments.joined(separator: " ")) timed out after \(timeout) s")
    }
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus,
        stdout: String(decoding: outData.withLock { $0 }, as: UTF8.self),
        stderr: String(decoding: errData.withLock { $0 }, as: UTF8.self)
    )
}
