import CFuzzerDriver
import Foundation
import TicketCodec

/// VEC1 signs version 1 (HMAC), VEC2 version 2 (Ed25519).
let keys = [
    try! Key(id: "VEC1", secret: Array(0..<32), created: Date(timeIntervalSince1970: 0)),
    try! Key(id: "VEC2", secret: Array(32..<64), created: Date(timeIntervalSince1970: 0), algorithm: .ed25519),
]
let verifier = TicketVerifier(keyring: Keyring(keys: keys))
let signers = Dictionary(uniqueKeysWithValues: keys.map { ($0.algorithm.ticketVersion, TicketSigner(key: $0, maxValidityDays: Int.max)) })
let day = CalendarDate(iso: "2021-08-25")!

/// libFuzzer entry point: any bytes as a binary ticket, through the verifier and, skipping the
/// tag or signature check, straight into the field parser (which a real reader only reaches
/// with a good one).
func fuzz(_ binary: [UInt8]) -> CInt {
    _ = verifier.verify(binary: binary, on: day)
    guard case .success(let header) = TicketFormat.header(of: binary), let signer = signers[header.version] else { return 0 }
    let length = header.version.signatureLength
    let signed = binary[..<(binary.count - length)]
    guard case .success(var ticket) = TicketFormat.fields(of: signed, keyID: header.keyID, fieldsStart: header.fieldsStart, vaccines: .builtIn) else {
        return 0
    }
    // Every accepted field set has exactly one encoding: signing it again gives the same bytes.
    ticket.keyID = signer.key.id
    if header.keyID == signer.key.id {
        let again = try! signer.binary(for: ticket)
        precondition(Array(again.dropLast(length)) == Array(signed), "fields do not re-encode to the same bytes")
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
