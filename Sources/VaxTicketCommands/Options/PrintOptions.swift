import ArgumentParser

/// How large a QR code prints: shared by `qr` and `issue`.
struct PrintOptions: ParsableArguments {
    @Option(name: .customLong("module-px"), help: "Pixels per QR module.")
    var modulePixels: Int = 4

    @Option(help: "Print density recorded in the PNG (pHYs chunk), in dots per inch.")
    var dpi: Int?

    func validate() throws {
        guard (1...100).contains(modulePixels) else {
            throw ValidationError("--module-px must be 1 to 100.")
        }
        if let dpi, !(1...100_000).contains(dpi) {
            throw ValidationError("--dpi must be 1 to 100000.")
        }
    }
}
