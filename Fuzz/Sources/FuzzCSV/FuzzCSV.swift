import CFuzzerDriver
import CSVFiles
import Foundation
import TicketCodec

/// libFuzzer entry point: any bytes as a CSV file, through the line reader and the registrants
/// parser. Every line must be accounted for, and what the writer makes must read back.
func fuzz(_ bytes: [UInt8]) -> CInt {
    let text = String(decoding: bytes, as: UTF8.self)
    let lines = CSVFile.lines(of: text)
    for (index, line) in lines.enumerated() {
        precondition(line.number == index + 1, "line numbers are not consecutive")
        if case .success(let fields) = line.fields {
            let written = CSVFile.line(fields)
            let again = CSVFile.lines(of: written)
            precondition(again.count == 1, "a written line does not read back as one line")
            if case .success(let back) = again[0].fields {
                precondition(back.count == fields.count, "a written line reads back with another field count")
            } else if !fields.contains(where: { $0.unicodeScalars.contains("\r") || $0.unicodeScalars.contains("\n") }) {
                preconditionFailure("a written line without line breaks does not read back")
            }
        }
    }
    if let rows = try? IssueCSV.parse(text) {
        precondition(rows.count + IssueCSV.blankLines(in: text) == max(lines.count - 1, 0), "issue rows do not add up to the file's lines")
    }
    return 0
}

@main
enum FuzzCSV {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        // libFuzzer owns the loop; the buffer it passes is valid for the duration of one call.
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            fuzz(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
        })
    }
}
