import CameraSimulation
import Foundation
import Imaging
import JPEGCodec
import PNGCodec
import Testing

/// Writes a folder of simulated handheld photos (`NAME.jpg` or `.png` beside `NAME.txt`) for
/// `scripts/photo-eval`; runs only when VAXTICKET_SIMULATED_PHOTOS names the output folder.
@Suite("simulated photo set writer")
struct SimulatedPhotoSetWriter {
    static let folder = ProcessInfo.processInfo.environment["VAXTICKET_SIMULATED_PHOTOS"]

    @Test("writes the simulated photo set", .enabled(if: folder != nil))
    func write() throws {
        let root = URL(fileURLWithPath: try #require(Self.folder))
        let encoder = try JPEGEncoder()
        var seed: UInt64 = 1000
        // Handheld photos, every kind of damage at once, at phone sizes: ~0.6, 2.6 and 12 MP.
        for (index, target) in ([600, 1600, 1600, 3500] + [1600, 1600, 3500, 1600] + [600, 1600])
            .enumerated()
        {
            for round in 0..<4 {
                seed += 1
                var simulator = CameraSimulator(seed: seed)
                var shot = simulator.handheldShot(strength: 0.9)
                try writePhoto(
                    named: "handheld/\(index)-\(round)", seed: seed, size: target, shot: &shot,
                    simulator: &simulator, encoder: encoder, root: root)
            }
        }
        // One kind of damage at a time, strong, at 1000 px.
        for kind in CameraDamage.allCases {
            for round in 0..<12 {
                seed += 1
                var simulator = CameraSimulator(seed: seed)
                var shot = simulator.shot(kind, strength: 1)
                shot.noiseSigma = max(shot.noiseSigma, 3)
                if kind != .jpeg { shot.jpegQuality = 92 }
                try writePhoto(
                    named: "kind-\(kind)/\(round)", seed: seed, size: 1000, shot: &shot,
                    simulator: &simulator, encoder: encoder, root: root)
            }
        }
    }

    @Test("writes the small-photo set", .enabled(if: folder != nil))
    func writeSmall() throws {
        let root = URL(fileURLWithPath: try #require(Self.folder))
        let encoder = try JPEGEncoder()
        // Small photos, 3 pixels a module, as in the unit tests; then tiny codes, 1.5 pixels
        // a module, that need upscaling.
        for (group, count, moduleScale) in [
            ("small-handheld", 20, 1.5), ("small-blur", 10, 1.5), ("small-tiny", 10, 0.75),
        ] {
            for index in 0..<count {
                let seed = UInt64(
                    7000 + index + (group == "small-blur" ? 100 : group == "small-tiny" ? 200 : 0))
                var simulator = CameraSimulator(seed: seed)
                var shot =
                    group == "small-blur"
                    ? simulator.shot(.blur, strength: 0.8)
                    : group == "small-tiny"
                        ? simulator.shot(.rotation, strength: 0.3)
                        : simulator.handheldShot(strength: 0.8)
                shot.noiseSigma = max(shot.noiseSigma, 3)
                let text = ticketText(seed: seed, length: 40)
                let code = try renderedCode(text, modulePixels: 2)
                shot.scale = moduleScale
                let photo = simulator.photograph(code, modulePixels: 2, shot: shot)
                let url = root.appendingPathComponent("\(group)/\(index)")
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(encoder.encodeAsColor(photo, quality: shot.jpegQuality ?? 90)).write(
                    to: url.appendingPathExtension("jpg"))
                try Data(text.utf8).write(to: url.appendingPathExtension("txt"))
            }
        }
    }

    @Test("writes the combined-damage set", .enabled(if: folder != nil))
    func writeCombined() throws {
        let root = URL(fileURLWithPath: try #require(Self.folder))
        let encoder = try JPEGEncoder()
        // Small poor photos with every kind of damage firmly present, as `simulate-photo
        // --kind combined` makes them: about half readable.
        for index in 0..<60 {
            let seed = UInt64(9000 + index)
            var simulator = CameraSimulator(seed: seed)
            let shot = simulator.combinedShot(strength: 0.6, modulePixels: 4)
            let text = ticketText(seed: seed, length: 60 + index % 3 * 20)
            let photo = simulator.photograph(
                try renderedCode(text, modulePixels: 4), modulePixels: 4, shot: shot)
            let url = root.appendingPathComponent("combined/\(index)")
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(encoder.encodeAsColor(photo, quality: shot.jpegQuality ?? 80)).write(
                to: url.appendingPathExtension("jpg"))
            try Data(text.utf8).write(to: url.appendingPathExtension("txt"))
        }
    }

    private func writePhoto(
        named name: String, seed: UInt64, size: Int, shot: inout CameraShot,
        simulator: inout CameraSimulator, encoder: JPEGEncoder, root: URL
    ) throws {
        let text = ticketText(seed: seed, length: 60 + Int(seed % 5) * 30)
        let modulePixels = 4
        let code = try renderedCode(text, modulePixels: modulePixels)
        // The code fills a third to two thirds of the frame.
        let fill = 0.35 + 0.3 * Double(seed % 7) / 6
        shot.scale = Double(size) * fill / Double(code.width)
        shot.margin = (1 / fill - 1) / 2
        let photo = simulator.photograph(code, modulePixels: Double(modulePixels), shot: shot)
        let url = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if let quality = shot.jpegQuality {
            try Data(encoder.encodeAsColor(photo, quality: quality)).write(
                to: url.appendingPathExtension("jpg"))
        } else {
            try Data(PNG.encode(photo)).write(to: url.appendingPathExtension("png"))
        }
        try Data(text.utf8).write(to: url.appendingPathExtension("txt"))
    }
}
