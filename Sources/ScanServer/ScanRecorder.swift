public import Foundation
public import PhotoReader
public import Recording
public import TicketCodec
import TicketScanning

/// What a phone sent: a photo to read, or a ticket text it decoded itself.
public enum ScanUpload: Sendable {
    /// An encoded PNG or JPEG.
    case photo([UInt8])
    /// A ticket text.
    case text(String)
}

/// Records one upload through the recording core: the server's work, without HTTP. Blocking:
/// call it on the work pool, never on an event loop.
public final class ScanRecorder: Sendable {
    /// Checks signatures, validity and revocation.
    public let verifier: TicketVerifier
    /// Where the doses go.
    public let store: any DoseStore
    /// The programme's rules.
    public let rules: RecordingRules
    /// How photos are read.
    public let readerOptions: PhotoReaderOptions
    private let readers: ReaderShelf

    /// A scanner with every part given.
    public init(
        verifier: TicketVerifier, store: any DoseStore, rules: RecordingRules,
        readerOptions: PhotoReaderOptions = PhotoReaderOptions()
    ) {
        self.verifier = verifier
        self.store = store
        self.rules = rules
        self.readerOptions = readerOptions
        readers = ReaderShelf(verifier: verifier, options: readerOptions)
    }

    /// Reads and verifies `upload`, then records what it holds as `officer` at `station`:
    /// one result per ticket found (a photo can hold several), or one refusal.
    public func record(
        _ upload: ScanUpload, officer: Officer, station: String, lot: String?, now: Date = Date()
    )
        throws(StoreError) -> [RecordingResult]
    {
        let context = ScanContext(
            officer: officer.name, station: station, site: officer.site, lot: lot,
            administeredAt: nil)
        let scans: [ScanInput]
        switch upload {
        case .text(let text):
            scans = [
                ScanInput(
                    verifier.verify(text.trimmingCharacters(in: .whitespacesAndNewlines), at: now))
            ]
        case .photo(let bytes):
            let day = CalendarDate(now, in: verifier.timeZone)
            let reader = readers.take()
            defer { readers.giveBack(reader) }
            scans = ScanInput.scans(
                of: Result { () throws(UnreadableImage) in try reader.tickets(in: bytes, on: day) })
        }
        return try store.record(scans, context: context, rules: rules)
    }
}

/// Ticket image readers for the pool's threads: a reader is not thread-safe, so each job
/// borrows one and gives it back; at most one per thread ever exists.
private final class ReaderShelf: @unchecked Sendable {
    private let verifier: TicketVerifier
    private let options: PhotoReaderOptions
    private var idle: [TicketImageReader] = []
    private let lock = NSLock()

    init(verifier: TicketVerifier, options: PhotoReaderOptions) {
        self.verifier = verifier
        self.options = options
    }

    func take() -> TicketImageReader {
        lock.lock()
        let reader = idle.popLast()
        lock.unlock()
        return reader ?? TicketImageReader(verifier: verifier, options: options)
    }

    func giveBack(_ reader: TicketImageReader) {
        lock.lock()
        defer { lock.unlock() }
        idle.append(reader)
    }
}
