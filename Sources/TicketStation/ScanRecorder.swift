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
    /// Concurrent requests recorded together, one transaction for all that waited.
    public let commits: GroupCommit

    /// A recorder with every part given.
    public init(
        verifier: TicketVerifier, store: any RecordingStore, rules: RecordingRules,
        photos: PhotoWorkers
    ) {
        self.verifier = verifier
        self.store = store
        self.rules = rules
        self.photos = photos
        self.commits = GroupCommit(store: store, rules: rules)
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
            return try await commits.record(ScanGroup(scans, context: context))
        } catch {
            throw .store(error)
        }
    }
}

/// One scan of a phone's queue, as the phone uploads it.
public struct QueuedUpload: Sendable {
    /// The phone's id for the scan.
    public var id: String
    /// The ticket text the phone decoded, or the photo it took.
    public var content: ScanUpload
    /// When the phone made the scan, by its clock.
    public var scannedAt: Date
    /// The phone's station id.
    public var station: String
    /// The vials' lot number, when given.
    public var lot: String?

    /// A queued scan with every field given.
    public init(id: String, content: ScanUpload, scannedAt: Date, station: String, lot: String?) {
        self.id = id
        self.content = content
        self.scannedAt = scannedAt
        self.station = station
        self.lot = lot
    }
}

extension ScanRecorder {
    /// Reads and verifies a phone's queued scans, each as of the day it was made, then records
    /// them in one transaction, each id of `officer` exactly once (see
    /// `RecordingStore.recordQueued`).
    public func recordQueued(
        _ uploads: [QueuedUpload], officer: Officer, limits: QueueLimits,
        receivedAt: Date = Date(),
        render: @escaping @Sendable ([RecordingResult]) throws -> String
    ) async throws(ScanRecordingError) -> [QueuedAnswer] {
        var scans: [QueuedScan] = []
        scans.reserveCapacity(uploads.count)
        for upload in uploads {
            // A ticket is judged as of when it was scanned; a claimed time the store refuses
            // (future, too old) makes the verdict moot.
            let at = min(upload.scannedAt, receivedAt)
            let inputs: [ScanInput]
            switch upload.content {
            case .text(let text):
                inputs = [
                    ScanInput(
                        verifier.verify(
                            text.trimmingCharacters(in: .whitespacesAndNewlines), at: at))
                ]
            case .photo(let bytes):
                do {
                    inputs = ScanInput.scans(
                        of: try await photos.tickets(
                            in: bytes, verifier: verifier,
                            on: CalendarDate(at, in: verifier.timeZone)))
                } catch {
                    throw .photoWorkersBusy
                }
            }
            scans.append(
                QueuedScan(
                    id: upload.id, scans: inputs, scannedAt: upload.scannedAt,
                    station: upload.station, lot: upload.lot))
        }
        let batch = QueuedBatch(
            scans, officer: officer, rules: rules, timeZone: verifier.timeZone, limits: limits,
            receivedAt: receivedAt)
        do {
            return try await store.recordQueued(batch, render: render)
        } catch {
            throw .store(error)
        }
    }
}
