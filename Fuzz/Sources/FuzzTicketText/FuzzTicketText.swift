import CFuzzerDriver
import Foundation
import TicketCodec

/// A keyring with an HMAC key (VEC1, version 1) and an Ed25519 key (VEC2, version 2) and a
/// day, so signed inputs (the seeds) reach the field parser.
let keyring = Keyring(keys: [
    try! Key(id: "VEC1", secret: Array(0..<32), created: Date(timeIntervalSince1970: 0)),
    try! Key(id: "VEC2", secret: Array(32..<64), created: Date(timeIntervalSince1970: 0), algorithm: .ed25519),
])
let verifier = TicketVerifier(keyring: keyring, revocations: RevocationList([1]))
let day = CalendarDate(iso: "2021-08-25")!

/// libFuzzer entry point: any bytes as a ticket text.
func fuzz(_ bytes: [UInt8]) -> CInt {
    let text = String(decoding: bytes, as: UTF8.self)
    let result = verifier.verify(text, on: day)
    // A result with fields must have come from a valid tag or signature; re-signing must give
    // the same text (Ed25519 signatures are deterministic with BoringSSL).
    if let ticket = result.ticket, let key = keyring.key(id: ticket.keyID) {
        let again = try! TicketSigner(key: key, maxValidityDays: Int.max).sign(ticket)
        precondition(again == text, "a verified ticket does not re-encode to its text")
    }
    if case .success(let binary) = TicketFormat.binary(text: text) {
        precondition(Base45.decode(Base45.encode(binary)) == binary, "Base45 round trip failed")
    }
    return 0
}

@main
enum FuzzTicketText {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        // libFuzzer owns the loop; the buffer it passes is valid for the duration of one call.
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            fuzz(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
        })
    }
}
