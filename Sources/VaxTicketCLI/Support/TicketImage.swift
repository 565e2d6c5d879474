import PhotoReader

/// Why a photo yields no ticket texts at all, with a stable code (`no_code` when it holds no
/// QR code, else the photo reader's code) and a sentence.
struct UnreadableImage: Error {
    var code: String
    var message: String
}

/// The ticket texts in a photo, as `verify` and `record` both read them.
enum TicketImage {
    /// The payload text of every QR code in the file (`nil` for a code that holds no text), or
    /// why the file yields none.
    static func texts(in file: String, reader: PhotoReader) -> Result<[String?], UnreadableImage> {
        do throws(PhotoReadError) {
            let symbols = try reader.read(contentsOf: file)
            guard !symbols.isEmpty else { return .failure(UnreadableImage(code: "no_code", message: "no QR code found")) }
            return .success(symbols.map { PayloadText.decode($0.bytes) })
        } catch {
            return .failure(UnreadableImage(code: error.code, message: error.description))
        }
    }
}
