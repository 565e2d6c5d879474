public import Recording
import TicketCodec
public import TicketScanning

extension UnreadableScan {
    /// What the recording core keeps of an image that gave no ticket: its code and sentence.
    public init(_ image: UnreadableImage) {
        self.init(code: image.code, description: image.description)
    }
}

extension ScanInput {
    /// The scans of one image: one per ticket found, or one refusal saying why there is none.
    public static func scans(of image: Result<[ScannedTicket], UnreadableImage>) -> [ScanInput] {
        switch image {
        case .success(let tickets): tickets.map { ScanInput($0.verification) }
        case .failure(let unreadable):
            [.refused(.unreadable(UnreadableScan(unreadable)), ticket: nil)]
        }
    }
}
