public import Foundation
public import Recording
public import TicketCodec

/// What a phone sent: a photo to read, or a ticket text it decoded itself.
public enum ScanUpload: Sendable {
    /// An encoded PNG or JPEG.
    case photo([UInt8])
    /// A ticket text.
    case text(String)
}

/// Why an upload could not be recorded; nothing of it was written.
public enum ScanRecordingError: Error, Hashable, Sendable {
    /// Every photo worker was busy and the queue full.
    case photoWorkersBusy
    /// The store failed.
    case store(StoreError)
}

/// Records one upload through the recording core: the scanning server's work, without HTTP.
/// A ticket text is verified and recorded without leaving the calling task; a photo is read on
/// one of the photo workers' threads first.
public struct ScanRecorder: Sendable {
    /// Checks signatures, validity and revocation.
    public let verifier: TicketVerifier
    /// Where the doses go.
    public let store: any RecordingStore
    /// The programme's rules.
    public let rules: RecordingRules
    /// The threads that read photos.
    public let photos: PhotoWorkers

    /// A recorder with every part given.
    public init(
        verifier: TicketVerifier, store: any RecordingStore, rules: RecordingRules,
        photos: PhotoWorkers
    ) {
        self.verifier = verifier
        self.store = store
        self.rules = rules
        self.photos = photos
    }

    /// Reads and verifies `upload`, then records what it holds as `officer` at `station`:
    /// one result per ticket found (a photo can hold several), or one refusal.
    public func record(
        _ upload: ScanUpload, officer: Officer, station: String, lot: String?, now: Date = Date()
    ) async throws(ScanRecordingError) -> [RecordingResult] {
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
            do {
                scans = ScanInput.scans(
                    of: try await photos.tickets(
                        in: bytes, verifier: verifier, on: CalendarDate(now, in: verifier.timeZone)
                    ))
            } catch {
                throw .photoWorkersBusy
            }
        }
        do {
            return try await store.record(scans, context: context, rules: rules)
        } catch {
            throw .store(error)
        }
    }
}
