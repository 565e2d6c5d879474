import ArgumentParser
import Batch
import CameraSimulation
import Foundation
import Imaging
import JPEGCodec
import PhotoReader

struct SimulatePhotoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate-photo",
        abstract:
            "Turn clean QR images into simulated handheld phone photos (JPEG), for testing scanners.",
        discussion: """
            Kinds: rotation, perspective, blur, noise, light (uneven light), contrast (low \
            contrast), jpeg (low quality), small (small modules), mixed (a little of everything), \
            combined (small poor photos with every kind of damage firmly present at once).
            --strength is 0 (none) to 1 (severe); for --kind blur it is the Gaussian sigma in \
            pixels of the input image instead.
            For each input X.png, writes DIR/X.KIND.I.jpg for I in 1...count, and copies X.txt \
            (the expected text, when present next to the input) to DIR/X.KIND.I.txt.
            The same --seed always gives the same photos.
            """
    )

    /// The damage to simulate.
    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case rotation, perspective, blur, noise, light, contrast, jpeg, small, mixed, combined
    }

    @Argument(help: "Clean PNG or JPEG images of QR codes.")
    var inputs: [String]

    @Option(name: .customLong("out-dir"), help: "Folder for the simulated photos.")
    var outDir: String

    @Option(help: "Kind of damage: \(Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var kind: Kind = .mixed

    @Option(help: "Strength of the damage, 0 to 1 (blur: sigma in input pixels).")
    var strength: Double = 0.6

    @Option(help: "Photos per input.")
    var count: Int = 1

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    @Option(help: "JPEG quality of the photos (default: the shot's own, 85 when it has none).")
    var quality: Int?

    @Option(name: .customLong("module-px"), help: "Pixels per QR module in the inputs.")
    var modulePixels: Double = 4

    @Option(help: "Parallel jobs (default: all cores).")
    var jobs: Int = ParallelBatch.defaultJobs

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1.") }
        if let problem = CameraSimulator.checkStrength(strength, isBlurSigma: kind == .blur) {
            throw ValidationError("--strength \(problem).")
        }
        if let quality, !(1...100).contains(quality) {
            throw ValidationError("--quality must be 1 to 100.")
        }
        if let problem = CameraSimulator.checkModulePixels(modulePixels) {
            throw ValidationError("--module-px \(problem).")
        }
    }

    func run() async throws {
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        let jobsList = inputs.flatMap { input in (1...count).map { (input, $0) } }
        var failures = 0
        let settings = self
        await ParallelBatch.run(
            count: jobsList.count, jobs: jobs,
            makeState: { () },
            work: { _, index in
                let (input, number) = jobsList[index]
                return Result { () throws(LineError) in
                    do {
                        return try settings.simulate(input: input, number: number, index: index)
                    } catch {
                        throw LineError(line: number, message: "\(input): \(error)")
                    }
                }
            },
            emit: { _, result in
                switch result {
                case .success(let path): print(path)
                case .failure(let error):
                    failures += 1
                    printError("error: \(error.message)")
                }
            }
        )
        if failures > 0 { throw ExitCode.failure }
    }

    private func simulate(input: String, number: Int, index: Int) throws -> String {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: input)))
        let source = try ImageFile.decode(bytes)
        var simulator = CameraSimulator(seed: seed &* 1_000_003 &+ UInt64(index))
        var shot: CameraShot
        switch kind {
        case .rotation: shot = simulator.shot(.rotation, strength: strength)
        case .perspective: shot = simulator.shot(.perspective, strength: strength)
        case .blur:
            shot = CameraShot()
            shot.blurModules = strength / modulePixels
        case .noise: shot = simulator.shot(.noise, strength: strength)
        case .light: shot = simulator.shot(.unevenLight, strength: strength)
        case .contrast: shot = simulator.shot(.lowContrast, strength: strength)
        case .jpeg: shot = simulator.shot(.jpeg, strength: strength)
        case .small:
            shot = CameraShot()
            // At strength 1 a module shrinks to about 1.5 photo pixels.
            shot.scale = max(0.2, 1 - (1 - 1.5 / modulePixels) * min(strength, 1))
        case .mixed: shot = simulator.handheldShot(strength: min(strength, 1))
        case .combined:
            shot = simulator.combinedShot(strength: min(strength, 1), modulePixels: modulePixels)
        }
        let photo = simulator.photograph(source, modulePixels: modulePixels, shot: shot)
        let jpeg = try JPEGEncoder().encodeAsColor(
            photo, quality: quality ?? shot.jpegQuality ?? 85)
        let base = ((input as NSString).lastPathComponent as NSString).deletingPathExtension
        let name = "\(base).\(kind.rawValue).\(number)"
        let path = (outDir as NSString).appendingPathComponent(name + ".jpg")
        try Data(jpeg).write(to: URL(fileURLWithPath: path))
        let expected =
            ((input as NSString).deletingPathExtension as NSString).appendingPathExtension("txt")
            ?? ""
        if FileManager.default.fileExists(atPath: expected) {
            let target = (outDir as NSString).appendingPathComponent(name + ".txt")
            try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.copyItem(atPath: expected, toPath: target)
        }
        return path
    }
}
