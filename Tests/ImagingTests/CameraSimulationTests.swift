import CameraSimulation
import Imaging
import Testing

/// The camera simulator is deterministic, puts the source where it says, and each kind of
/// damage does what its name says.
@Suite("camera simulation")
struct CameraSimulationTests {
    /// A 40 x 40 black square with a 10-pixel white border: 60 x 60.
    static let square: GrayImage = {
        var image = GrayImage(width: 60, height: 60, filledWith: 255)
        for y in 10..<50 { for x in 10..<50 { image[x, y] = 0 } }
        return image
    }()

    static func mean(_ image: GrayImage) -> Double {
        Double(image.pixels.reduce(0) { $0 + Int($1) }) / Double(image.pixelCount)
    }

    @Test("the same seed gives the same photo; another seed another")
    func deterministic() {
        var a = CameraSimulator(seed: 7), b = CameraSimulator(seed: 7), c = CameraSimulator(seed: 8)
        let shotA = a.handheldShot(), shotB = b.handheldShot(), shotC = c.handheldShot()
        #expect(shotA == shotB)
        #expect(shotA != shotC)
        let photoA = a.photograph(Self.square, modulePixels: 4, shot: shotA)
        let photoB = b.photograph(Self.square, modulePixels: 4, shot: shotB)
        #expect(photoA == photoB)
    }

    @Test("a clean shot frames the source unchanged, with the margin around it")
    func clean() {
        var simulator = CameraSimulator(seed: 1)
        var shot = CameraShot()
        shot.margin = 0.5
        shot.background = 128
        let photo = simulator.photograph(Self.square, modulePixels: 4, shot: shot)
        #expect(photo.width == 120 && photo.height == 120)
        #expect(photo[0, 0] == 128)
        #expect(photo[30 + 5, 30 + 5] == 255)
        #expect(photo[30 + 30, 30 + 30] == 0)
        #expect(
            CameraSimulator.corners(ofSourceWidth: 60, height: 60, in: shot)[0]
                == Point(x: 30, y: 30))
    }

    @Test("rotation by 90 degrees and perspective move the corners where reported")
    func geometry() {
        var simulator = CameraSimulator(seed: 1)
        var shot = CameraShot()
        shot.rotationDegrees = 90
        shot.cornerShifts = [
            Point(x: 0.1, y: 0), Point(x: 0, y: 0), Point(x: 0, y: 0), Point(x: 0, y: 0),
        ]
        let photo = simulator.photograph(Self.square, modulePixels: 4, shot: shot)
        let corners = CameraSimulator.corners(ofSourceWidth: 60, height: 60, in: shot)
        #expect(corners.count == 4)
        // Every corner of the source lies inside the photo, and the centre is still black.
        for corner in corners {
            #expect(
                corner.x > 0 && corner.x < Double(photo.width) && corner.y > 0
                    && corner.y < Double(photo.height))
        }
        #expect(photo[photo.width / 2, photo.height / 2] < 20)
        var turned = CameraShot()
        turned.rotationDegrees = 90
        let turnedCorners = CameraSimulator.corners(ofSourceWidth: 60, height: 60, in: turned)
        // Counter-clockwise: the source's top-left corner lands bottom-left.
        #expect(
            turnedCorners[0].x < Double(photo.width) / 2
                && turnedCorners[0].y > Double(photo.height) / 2)
    }

    @Test("blur softens the square's edge by the sigma asked, in modules")
    func blur() {
        var simulator = CameraSimulator(seed: 1)
        var shot = CameraShot()
        shot.margin = 0
        shot.blurModules = 1
        let photo = simulator.photograph(Self.square, modulePixels: 2, shot: shot)
        // Sigma 2 px: half way at the edge (between pixels 9 and 10), about 11% of white
        // 2.5 px inside, black far inside.
        #expect(abs((Int(photo[9, 30]) + Int(photo[10, 30])) / 2 - 128) <= 8)
        #expect(abs(Int(photo[12, 30]) - 27) <= 8)
        #expect(photo[30, 30] == 0)
    }

    @Test("noise has the standard deviation asked")
    func noise() {
        var simulator = CameraSimulator(seed: 3)
        var shot = CameraShot()
        shot.margin = 0
        shot.contrast = 0
        shot.noiseSigma = 10
        let photo = simulator.photograph(
            GrayImage(width: 80, height: 80, filledWith: 128), modulePixels: 4, shot: shot)
        let mean = Self.mean(photo)
        let variance =
            photo.pixels.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) }
            / Double(photo.pixelCount)
        #expect(abs(mean - 127.5) < 1.5)
        #expect(abs(variance.squareRoot() - 10) < 1)
    }

    @Test("uneven light darkens one side; low contrast narrows the range")
    func light() {
        var simulator = CameraSimulator(seed: 1)
        var shot = CameraShot()
        shot.margin = 0
        shot.lightGradient = 0.6
        shot.lightAngleDegrees = 0
        let white = GrayImage(width: 50, height: 50, filledWith: 255)
        let lit = simulator.photograph(white, modulePixels: 4, shot: shot)
        #expect(lit[1, 25] > 240)
        #expect(lit[48, 25] < 120)
        var dim = CameraShot()
        dim.margin = 0
        dim.contrast = 0.2
        let flat = simulator.photograph(Self.square, modulePixels: 4, shot: dim)
        #expect(flat.pixels.min()! >= 100 && flat.pixels.max()! <= 155)
    }

    @Test("every kind of damage has random settings that differ from a clean shot")
    func kinds() {
        var simulator = CameraSimulator(seed: 11)
        #expect(CameraDamage.allCases.count == 7)
        for kind in CameraDamage.allCases {
            #expect(simulator.shot(kind, strength: 1) != CameraShot(), "\(kind)")
            let none = simulator.shot(kind, strength: 0)
            #expect(
                none.rotationDegrees == 0
                    && none.cornerShifts.allSatisfy { $0 == Point(x: 0, y: 0) })
            #expect(
                none.blurModules == 0 && none.noiseSigma == 0 && none.lightGradient == 0
                    && none.vignette == 0)
            #expect(none.contrast == 1 && (none.jpegQuality ?? 95) == 95)
        }
        #expect(simulator.shot(.blur, strength: 0.5).blurModules == 0.3)
        #expect(simulator.shot(.jpeg, strength: 1).jpegQuality == 10)
    }
}
