import Foundation
import Recording
import Reports
import TicketStation

/// The body of `POST /api/v1/scans/batch`: a phone's queued scans, oldest first.
struct QueueUploadBody: Decodable {
    struct Scan: Decodable {
        /// The phone's id for the scan, 8 to 64 letters, digits, `-` and `_`.
        var id: String
        /// A ticket text the phone decoded.
        var ticket: String?
        /// A photo the phone took (Base64 of a JPEG or PNG), when it could not decode it.
        var photo: String?
        /// When the phone made the scan, ISO 8601.
        var scannedAt: String
        var station: String?
        var lot: String?
    }

    var scans: [Scan]

    /// The scans as the recorder takes them, or why the body cannot be taken (nothing of it is
    /// recorded then).
    func uploads(maxScans: Int) throws(APIFailure) -> [QueuedUpload] {
        guard !scans.isEmpty else { throw .badRequest("the batch holds no scans") }
        guard scans.count <= maxScans else {
            throw .badRequest("a batch holds at most \(maxScans) scans")
        }
        return try scans.map { scan throws(APIFailure) in
            guard QueuedScan.isValidID(scan.id) else {
                throw .badRequest("a scan id must be 8 to 64 letters, digits, - and _")
            }
            guard let scannedAt = Timestamp.date(scan.scannedAt) else {
                throw .badRequest("scannedAt of \(scan.id) must be an ISO 8601 instant")
            }
            try ScanServer.checkFields(lot: scan.lot, station: scan.station)
            let content: ScanUpload
            switch (scan.ticket, scan.photo) {
            case (let ticket?, nil):
                guard ticket.utf8.count <= 4096 else {
                    throw .badRequest("the ticket of \(scan.id) is too long to be a ticket")
                }
                content = .text(ticket)
            case (nil, let photo?):
                guard let bytes = Data(base64Encoded: photo) else {
                    throw .badRequest("the photo of \(scan.id) is not Base64")
                }
                content = .photo(Array(bytes))
            default:
                throw .badRequest("scan \(scan.id) must have a ticket or a photo, not both")
            }
            return QueuedUpload(
                id: scan.id, content: content, scannedAt: scannedAt,
                station: scan.station ?? "phone", lot: scan.lot)
        }
    }
}
