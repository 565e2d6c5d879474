import CameraSimulation
import Imaging
import JPEGCodec
import PhotoReader
import Testing

/// The rectifying step reads codes seen at a slant steep enough to defeat zbar, and reports
/// their corners in the photo's coordinates.
@Suite("perspective rectification")
struct PerspectiveTests {
    @Test("a steeply slanted code the rest of the cascade misses is read by rectifying it")
    func keystone() throws {
        // Given a code photographed with its corners pulled far out of square
        var options = PhotoReaderOptions()
        options.cascade = PhotoReader.defaultCascade.filter { $0.enhancements != [.rectify] }
        let without = PhotoReader(options: options)
        let full = PhotoReader()
        var simulator = CameraSimulator(seed: 4)
        var shot = CameraShot()
        shot.cornerShifts = [
            Point(x: -0.03, y: 0.17), Point(x: 0.16, y: 0), Point(x: -0.05, y: 0.04), Point(x: 0.19, y: -0.02),
        ]
        let text = ticketText(seed: 7, length: 60)
        let photo = simulator.photograph(try renderedCode(text, modulePixels: 4), modulePixels: 4, shot: shot)

        // Then only the cascade with the rectifying step reads it
        #expect(without.read(photo).isEmpty)
        let reading = full.reading(photo)
        #expect(reading.symbols.map { PayloadText.decode($0.bytes) } == [text])
        #expect(reading.outcome?.attempt.enhancements == [.rectify])
    }

    @Test("corners found on the rectified image are mapped back onto the photo")
    func cornersMappedBack() throws {
        var simulator = CameraSimulator(seed: 11)
        var shot = CameraShot()
        shot.cornerShifts = [Point(x: 0.06, y: 0), Point(x: -0.04, y: 0.03), Point(x: 0, y: 0), Point(x: 0.02, y: -0.05)]
        let text = ticketText(seed: 11, length: 60)
        let photo = simulator.photograph(try renderedCode(text, modulePixels: 4), modulePixels: 4, shot: shot)
        let reports = try PhotoReader().eachAttempt(of: JPEGEncoder().encodeAsColor(photo, quality: 90))
        let direct = try #require(reports.first?.symbols.first)
        let rectified = try #require(reports.first { $0.attempt.enhancements == [.rectify] }?.symbols.first)
        #expect(rectified.corners.count == direct.corners.count)
        for corner in rectified.corners {
            let nearest = direct.corners.map { ($0.x - corner.x) * ($0.x - corner.x) + ($0.y - corner.y) * ($0.y - corner.y) }
                .min()
            #expect((nearest ?? .infinity).squareRoot() < 4)
        }
    }
}
