import FHIRReceiver
import Foundation

// A loopback FHIR-like registry for scripts/bench: `fhir-receiver [--port N]`. The client id
// and secret come from VAXTICKET_SYNC_CLIENT_ID / VAXTICKET_SYNC_CLIENT_SECRET. Prints its
// base URL and token URL on one line, then serves until killed; GET /_receiver/counts gives
// the counters.
let arguments = CommandLine.arguments
let port: Int = {
    guard let index = arguments.firstIndex(of: "--port"), index + 1 < arguments.count,
        let value = Int(arguments[index + 1]),
        (0...65535).contains(value)
    else { return 0 }
    return value
}()
let environment = ProcessInfo.processInfo.environment
let receiver = FHIRReceiver(
    clientID: environment["VAXTICKET_SYNC_CLIENT_ID"] ?? "bench",
    clientSecret: environment["VAXTICKET_SYNC_CLIENT_SECRET"] ?? "bench-secret")
let bound = try await receiver.start(port: port)
FileHandle.standardOutput.write(
    Data("http://127.0.0.1:\(bound)/fhir http://127.0.0.1:\(bound)/token\n".utf8))
while true { try await Task.sleep(nanoseconds: 3_600_000_000_000) }
