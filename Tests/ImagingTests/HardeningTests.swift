import CameraSimulation
import Imaging
import Testing

@Suite("Issue 9 hardening: simulated photos")
struct SimulationHardeningTests {
    @Test(
        "issue 9 item 3: every floating-point setting is checked, and a non-finite strength draws no damage"
    )
    func item3FloatingPointSettings() {
        for bad in [Double.infinity, -.infinity, .nan, -0.1, 1.5] {
            #expect(CameraSimulator.checkStrength(bad, isBlurSigma: false) != nil, "\(bad)")
        }
        for bad in [Double.infinity, .nan, 101, -1] {
            #expect(CameraSimulator.checkStrength(bad, isBlurSigma: true) != nil, "\(bad)")
            #expect(CameraSimulator.checkModulePixels(bad == 101 ? 1001 : bad) != nil, "\(bad)")
        }
        #expect(CameraSimulator.checkStrength(0.6, isBlurSigma: false) == nil)
        #expect(CameraSimulator.checkStrength(2.5, isBlurSigma: true) == nil)
        #expect(CameraSimulator.checkModulePixels(4) == nil)

        var simulator = CameraSimulator(seed: 1)
        #expect(simulator.shot(.blur, strength: .infinity).blurModules == 0)
        #expect(simulator.handheldShot(strength: .nan).blurModules == 0)
        // A shot whose blur is not finite leaves the photo unblurred instead of trapping.
        var shot = CameraShot()
        shot.blurModules = .infinity
        let photo = simulator.photograph(
            GrayImage(width: 8, height: 8, filledWith: 0), modulePixels: 1, shot: shot)
        #expect(photo.width > 0)
    }
}
