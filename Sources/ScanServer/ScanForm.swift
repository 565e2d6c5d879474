import MultipartKit
import NIOCore
import TicketStation

/// A multipart form upload: the `photo` field (or a `ticket` text field) and optional `lot`
/// and `station` fields.
///
/// Parsed on a photo worker's thread, never on the server's own, and within limits: at most
/// `maxParts` parts, a few headers each, and only the fields the form can have are kept. The
/// body is fed to the parser in slices, so a form of a hundred thousand tiny parts is refused
/// after its first few, not parsed to its end.
struct ScanForm: Sendable {
    var upload: ScanUpload
    var lot: String?
    var station: String?

    /// Why a form could not be used.
    enum Problem: Error, CustomStringConvertible {
        case noBoundary
        case malformed
        case noPhoto
        case tooManyParts(Int)
        case tooManyHeaders

        var description: String {
            switch self {
            case .noBoundary: "the multipart Content-Type has no boundary"
            case .malformed: "the multipart body is malformed"
            case .noPhoto: "the form has no photo field (nor a ticket field)"
            case .tooManyParts(let limit): "the form has more than \(limit) fields"
            case .tooManyHeaders: "a form field has too many headers"
            }
        }
    }

    /// The fields a scan form can have; others are skipped, never kept.
    static let fieldNames: Set<String> = ["photo", "ticket", "lot", "station"]
    /// Headers one part may have (Content-Disposition and Content-Type are all a form needs).
    static let maxHeadersPerPart = 8
    /// The size of the slices the body is parsed in.
    static let sliceBytes = 64 * 1024

    init(_ body: ByteBuffer, boundary: String, maxParts: Int) throws(Problem) {
        guard !boundary.isEmpty, boundary.count <= 70 else { throw .noBoundary }
        var fields: [String: ByteBuffer] = [:]
        var headers: [(String, String)] = []
        var current = ByteBuffer()
        var parts = 0
        var problem: Problem?
        var complete = false
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in
            if headers.count >= Self.maxHeadersPerPart {
                problem = problem ?? .tooManyHeaders
            } else {
                headers.append((name, value))
            }
        }
        parser.onBody = { chunk in current.writeBuffer(&chunk) }
        parser.onPartComplete = {
            parts += 1
            if parts > maxParts { problem = problem ?? .tooManyParts(maxParts) }
            let disposition = headers.first { $0.0.lowercased() == "content-disposition" }?.1 ?? ""
            if let name = Self.fieldName(disposition), Self.fieldNames.contains(name),
                fields[name] == nil
            {
                fields[name] = current
            }
            headers = []
            current = ByteBuffer()
            complete = true
        }
        var rest = body
        while rest.readableBytes > 0, problem == nil {
            guard let slice = rest.readSlice(length: min(Self.sliceBytes, rest.readableBytes))
            else { break }
            do {
                try parser.execute(slice)
            } catch {
                throw .malformed
            }
        }
        if let problem { throw problem }
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
