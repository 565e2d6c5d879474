import CameraSimulation
import Foundation
import Imaging
import PNGCodec
import PhotoReader
import QREncoding
import Recording
import Reports
import TestSupport
import Testing
import TicketCodec
import TicketScanning
import TicketStation

/// The toolkit as a city's own Swift service uses it, through its public API alone (no
/// `@testable`): the same steps as the README's example.
@Suite("the toolkit through its public API")
struct ToolkitFlowTests {
    @Test(
        "issue a ticket, print its PNG, read it back from a simulated phone photo, verify it, record it"
    )
    func issueReadVerifyRecord() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }

        // Issue: a key, a ticket, its signed text, and a print-ready PNG.
        let key = try Key.generate(id: "K1")
        let today = CalendarDate(Date(), in: .programmeDefault)
        let ticket = Ticket(
            serial: TicketSerial.random(), registrant: "2108230000012345", dose: 1,
            vaccine: "CORONAVAC", group: .general,
            site: "JKT01", validFrom: today,
            validUntil: CalendarDate(daysSince1970: today.daysSince1970 + 29), keyID: key.id)
        let text = try TicketSigner(key: key).sign(ticket)
        let code = try QRCode(encoding: text).rendered(modulePixels: 4, quietZone: 4)
        let printed = try PNG.encode(code, dpi: 300)
        #expect(PNG.isPNG(printed))

        // A phone photographs the printed ticket: tilted, blurred, unevenly lit.
        var camera = CameraSimulator(seed: 7)
        let photo = camera.photograph(
            code.grayImage, modulePixels: 4, shot: camera.handheldShot(strength: 0.5))
        let upload = try PNG.encode(photo)

        // Read and verify, as the scanning server does with an upload's bytes.
        let verifier = TicketVerifier(keyring: Keyring(keys: [key]))
        let reader = TicketImageReader(verifier: verifier)
        let tickets = try reader.tickets(in: upload, on: today)
        #expect(tickets.map(\.text) == [text])
        #expect(tickets.first?.verification.outcome == .valid)
        #expect(tickets.first?.verification.ticket == ticket)

        // Record: once, then a re-scan is recognised.
        let store = try await SQLiteDoseStore(path: folder.path("doses.sqlite"))
        let recorder = TicketRecorder(
            verifier: verifier, store: store,
            rules: RecordingRules(policy: .default2021, vaccines: .builtIn),
            context: ScanContext(officer: "OFC1", station: "PHONE1", lot: "LOT42"), jobs: 1)
        let scans = ScanInput.scans(of: .success(tickets))
        let first = try await recorder.record(scans)
        let again = try await recorder.record(scans)
        #expect(first.map(\.outcome) == [.recorded])
        #expect(again.map(\.outcome) == [.alreadyRecorded])
        #expect(try await store.statistics(StatisticsQuery()).total == 1)

        // The answer, as `record --json` prints it and the server returns it.
        let line = try JSONLineWriter.line(RecordReport(try #require(first.first)))
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["outcome"] as? String == "recorded")
        #expect(object["serial"] as? String == ticket.serialText)
        #expect(object["lot"] as? String == "LOT42")
    }
}
