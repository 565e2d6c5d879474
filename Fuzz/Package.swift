// swift-tools-version: 6.2
// libFuzzer targets for the ticket parsers and the image readers. Built only by `scripts/fuzz`
// (with -sanitize=fuzzer,address), so `swift build` and `swift test` of the main package never
// see them. The module folders under Sources/ are symlinks to the main package's. Each target's
// `main` hands its callback to libFuzzer's `LLVMFuzzerRunDriver`: SwiftPM renames an
// executable's entry point, so libFuzzer's own `main` cannot be used.
import PackageDescription

let package = Package(
    name: "VaxTicketFuzz",
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        .systemLibrary(name: "CPNG", pkgConfig: "libpng"),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg"),
        .systemLibrary(name: "CZBar", pkgConfig: "zbar"),
        .target(name: "CPNGWriter", dependencies: ["CPNG"]),
        .target(name: "Imaging"),
        .target(name: "PNGCodec", dependencies: ["CPNG", "CPNGWriter", "Imaging"]),
        .target(name: "JPEGCodec", dependencies: ["CTurboJPEG", "Imaging"]),
        .target(name: "ZBarScanner", dependencies: ["CZBar", "Imaging"]),
        .target(name: "PhotoReader", dependencies: ["Imaging", "PNGCodec", "JPEGCodec", "ZBarScanner"]),
        .target(name: "CSVFiles", dependencies: [.product(name: "CSV", package: "CSV.swift")]),
        .target(name: "TicketCodec", dependencies: [
            "CSVFiles", .product(name: "Crypto", package: "swift-crypto"), .product(name: "SystemPackage", package: "swift-system"),
        ]),
        .target(name: "CFuzzerDriver"),
        .executableTarget(name: "FuzzTicketText", dependencies: ["TicketCodec", "CFuzzerDriver"]),
        .executableTarget(name: "FuzzTicketBinary", dependencies: ["TicketCodec", "CFuzzerDriver"]),
        .executableTarget(name: "FuzzImageReader", dependencies: ["PhotoReader", "CFuzzerDriver"]),
        .executableTarget(name: "FuzzCSV", dependencies: ["CSVFiles", "TicketCodec", "CFuzzerDriver"]),
    ]
)

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}
