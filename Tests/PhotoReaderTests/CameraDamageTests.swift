import CameraSimulation
import Imaging
import JPEGCodec
import PhotoReader
import Testing
import ZBarScanner

/// Read rates on simulated handheld photos, made in Swift with fixed seeds. The floors sit
/// below the measured rates (see each test) with margin, so they catch a broken cascade
/// without being flaky; the photos are small so the suite stays fast in debug builds.
@Suite("simulated camera damage")
struct CameraDamageTests {
    /// Photographs a fresh ticket code with `shot`, stores it as a phone would (colour JPEG at
    /// the shot's quality, 90 if none) and tells whether the reader gets the text back.
    static func reads(
        seed: UInt64, reader: PhotoReader, simulator: inout CameraSimulator, shot: CameraShot
    ) throws -> Bool {
        let text = ticketText(seed: seed, length: 40)
        // Two pixels a module in the source, three in the photo.
        let code = try renderedCode(text, modulePixels: 2)
        var shot = shot
        shot.scale = 1.5
        let photo = simulator.photograph(code, modulePixels: 2, shot: shot)
        let jpeg = try JPEGEncoder().encodeAsColor(photo, quality: shot.jpegQuality ?? 90)
        return try reader.read(jpeg).contains { PayloadText.decode($0.bytes) == text }
    }

    /// Measured: 30 of 30 at effort normal (within its work budget) and at high (26 at
    /// normal before the redraw step).
    @Test(
        "30 handheld photos, every kind of damage at once: at least 27 read at effort normal and high",
        arguments: [(ReadEffort.normal, 27), (.high, 27)])
    func handheld(effort: ReadEffort, floor: Int) throws {
        let reader = PhotoReader(options: PhotoReaderOptions(effort: effort))
        var read = 0
        for index in 0..<30 {
            let seed = UInt64(500 + index)
            var simulator = CameraSimulator(seed: seed)
            let shot = simulator.handheldShot(strength: 0.8)
            if try Self.reads(seed: seed, reader: reader, simulator: &simulator, shot: shot) {
                read += 1
            }
        }
        #expect(read >= floor, "\(effort): read \(read) of 30")
    }

    /// Measured: 10 of 10 for every kind (perspective 8 before the redraw step).
    @Test(
        "each kind of damage alone, strong: at least 8 of 10 read", arguments: CameraDamage.allCases
    )
    func kind(_ damage: CameraDamage) throws {
        let reader = PhotoReader()
        var read = 0
        for index in 0..<10 {
            let seed = UInt64(900 + index)
            var simulator = CameraSimulator(seed: seed)
            var shot = simulator.shot(damage, strength: 0.8)
            shot.noiseSigma = max(shot.noiseSigma, 3)
            if try Self.reads(seed: seed, reader: reader, simulator: &simulator, shot: shot) {
                read += 1
            }
        }
        #expect(read >= 8, "\(damage): read \(read) of 10")
    }

    /// Measured: a single pass 1 of 6, the cascade 6 of 6 at effort normal (within its work
    /// budget) and at high.
    @Test(
        "the cascade reads blur of 0.45 module that defeats a single zbar pass",
        arguments: [(ReadEffort.normal, 5), (.high, 5)])
    func blurNeedsCascade(effort: ReadEffort, floor: Int) throws {
        var plain = PhotoReaderOptions()
        plain.cascade = []
        plain.highEffortSteps = []
        let single = PhotoReader(options: plain)
        let full = PhotoReader(options: PhotoReaderOptions(effort: effort))
        var singleReads = 0, fullReads = 0
        for index in 0..<6 {
            let seed = UInt64(1300 + index)
            var shot = CameraShot()
            shot.blurModules = 0.45
            shot.noiseSigma = 3
            shot.rotationDegrees = Double(index) * 13
            var first = CameraSimulator(seed: seed), second = CameraSimulator(seed: seed)
            if try Self.reads(seed: seed, reader: single, simulator: &first, shot: shot) {
                singleReads += 1
            }
            if try Self.reads(seed: seed, reader: full, simulator: &second, shot: shot) {
                fullReads += 1
            }
        }
        #expect(
            fullReads >= floor && fullReads >= singleReads + 3,
            "single pass \(singleReads), cascade \(fullReads) of 6")
    }
}
