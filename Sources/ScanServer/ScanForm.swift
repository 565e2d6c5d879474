import MultipartKit
import NIOCore
import TicketStation

/// A multipart form upload: the `photo` field (or a `ticket` text field) and optional `lot`
/// and `station` fields.
struct ScanForm {
    var upload: ScanUpload
    var lot: String?
    var station: String?

    /// Why a form could not be used.
    enum Problem: Error, CustomStringConvertible {
        case noBoundary
        case malformed
        case noPhoto

        var description: String {
            switch self {
            case .noBoundary: "the multipart Content-Type has no boundary"
            case .malformed: "the multipart body is malformed"
            case .noPhoto: "the form has no photo field (nor a ticket field)"
            }
        }
    }

    init(_ body: ByteBuffer, boundary: String) throws(Problem) {
        guard !boundary.isEmpty, boundary.count <= 70 else { throw .noBoundary }
        var fields: [String: ByteBuffer] = [:]
        var headers: [(String, String)] = []
        var current = ByteBuffer()
        var complete = false
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in headers.append((name, value)) }
        parser.onBody = { chunk in current.writeBuffer(&chunk) }
        parser.onPartComplete = {
            let disposition = headers.first { $0.0.lowercased() == "content-disposition" }?.1 ?? ""
            if let name = Self.fieldName(disposition), fields[name] == nil {
                fields[name] = current
            }
            headers = []
            current = ByteBuffer()
            complete = true
        }
        do {
            try parser.execute(body)
        } catch {
            throw .malformed
        }
        guard complete else { throw .malformed }
        if let photo = fields["photo"] {
            upload = .photo(Array(photo.readableBytesView))
        } else if let ticket = fields["ticket"] {
            upload = .text(String(decoding: ticket.readableBytesView, as: UTF8.self))
        } else {
            throw .noPhoto
        }
        lot = fields["lot"].map { String(decoding: $0.readableBytesView, as: UTF8.self) }
        station = fields["station"].map { String(decoding: $0.readableBytesView, as: UTF8.self) }
    }

    /// The `name` parameter of a `Content-Disposition: form-data; name="photo"` header.
    static func fieldName(_ disposition: String) -> String? {
        MediaType(disposition).parameters["name"]
    }
}
