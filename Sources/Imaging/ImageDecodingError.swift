/// Why an encoded image could not be turned into pixels.
public enum ImageDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The header claims more pixels than the configured cap allows; nothing was allocated.
    case tooLarge(width: Int, height: Int, limit: Int)
    /// The decoding library rejected the data, with its own message.
    case corrupt(library: String, message: String)

    public var description: String {
        switch self {
        case .tooLarge(let width, let height, let limit):
            "image is \(width)x\(height) pixels, over the limit of \(limit) pixels"
        case .corrupt(let library, let message):
            "\(library): \(message)"
        }
    }
}
