import CFuzzerDriver
import Foundation
import TicketCodec

let key = try! Key(id: "VEC1", secret: Array(0..<32), created: Date(timeIntervalSince1970: 0))
let verifier = TicketVerifier(keyring: Keyring(keys: [key]))
let signer = TicketSigner(key: key, maxValidityDays: Int.max)
let day = CalendarDate(iso: "2021-08-25")!

/// libFuzzer entry point: any bytes as a binary ticket, through the verifier and, skipping the
/// tag check, straight into the field parser (which a real reader only reaches with a good tag).
func fuzz(_ binary: [UInt8]) -> CInt {
    _ = verifier.verify(binary: binary, on: day)
    guard case .success(let header) = TicketFormat.header(of: binary) else { return 0 }
    let signed = binary[..<(binary.count - TicketFormat.tagLength)]
    guard case .success(var ticket) = TicketFormat.fields(of: signed, keyID: header.keyID, fieldsStart: header.fieldsStart, vaccines: .builtIn) else {
        return 0
    }
    // Every accepted field set has exactly one encoding: signing it again gives the same bytes.
    ticket.keyID = key.id
    if header.keyID == key.id {
        let again = try! signer.binary(for: ticket)
        precondition(Array(again.dropLast(TicketFormat.tagLength)) == Array(signed), "fields do not re-encode to the same bytes")
    }
    return 0
}

@main
enum FuzzTicketBinary {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        // libFuzzer owns the loop; the buffer it passes is valid for the duration of one call.
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            fuzz(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
        })
    }
}
