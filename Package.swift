// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "VaxTicket",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vaxticket", targets: ["VaxTicketCLI"]),
        // The toolkit for a city's own Swift service: print, read, verify and record tickets.
        .library(
            name: "VaxTicketKit",
            targets: [
                "TicketCodec", "QREncoding", "PNGCodec", "PhotoReader", "TicketScanning",
                "TicketStation",
                "Recording", "Reports",
            ]),
        // The commands themselves, for embedding the command line or testing it in-process.
        .library(name: "VaxTicketCommands", targets: ["VaxTicketCommands"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
    ],
    targets: [
        // C libraries, found with pkg-config; `scripts/bootstrap` installs the Debian packages.
        .systemLibrary(
            name: "CQREncode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CZBar", pkgConfig: "zbar", providers: [.apt(["libzbar-dev"])]),
        .systemLibrary(
            name: "CPangoCairo", pkgConfig: "pangocairo",
            providers: [.apt(["libcairo2-dev", "libpango1.0-dev"])]),
        // libpng's classic writer reports errors with longjmp; this C target keeps setjmp and
        // every longjmp inside C so none can cross a Swift frame.
        .target(name: "CPNGWriter", dependencies: ["CPNG"]),

        // Pure Swift: the grayscale image type and image filters.
        .target(name: "Imaging"),
        // Thin wrappers, the only Swift modules that touch C.
        .target(name: "QREncoding", dependencies: ["CQREncode", "Imaging"]),
        .target(name: "PNGCodec", dependencies: ["CPNG", "CPNGWriter", "Imaging"]),
        .target(name: "JPEGCodec", dependencies: ["CTurboJPEG", "Imaging"]),
        .target(name: "ZBarScanner", dependencies: ["CZBar", "Imaging"]),
        .target(
            name: "CairoGraphics",
            dependencies: [
                "CPangoCairo", "Imaging", .product(name: "SystemPackage", package: "swift-system"),
            ]),
        // The photo pipeline: format sniffing, scaled decoding, the retry cascade.
        .target(
            name: "PhotoReader", dependencies: ["Imaging", "PNGCodec", "JPEGCodec", "ZBarScanner"]),
        // Simulated phone-camera damage, for tests and benchmarks.
        .target(name: "CameraSimulation", dependencies: ["Imaging"]),
        // Parallel batches, file lists and progress bars for the command line.
        .target(
            name: "Batch",
            dependencies: [
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            ]),
        // CSV files read strictly line by line and written safely for spreadsheets, through yaslab/CSV.swift.
        .target(name: "CSVFiles", dependencies: [.product(name: "CSV", package: "CSV.swift")]),
        // Signed tickets: layout, text form, HMAC keyring. No C.
        .target(
            name: "TicketCodec",
            dependencies: [
                "CSVFiles", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]),
        // Images to verified tickets: what every front end reads photos with.
        .target(
            name: "TicketScanning", dependencies: ["PhotoReader", "TicketCodec", "ZBarScanner"]),
        // The recording core: verified scans become dose records, with rules and statistics.
        .target(
            name: "Recording",
            dependencies: [
                "TicketCodec", "CSVFiles", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]),
        // A scanning station's work above the recording core: images and ticket texts in,
        // recorded doses out; photos read on a bounded pool of threads.
        .target(
            name: "TicketStation",
            dependencies: [
                "Recording", "TicketScanning", "TicketCodec", "PhotoReader",
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        // The same store on PostgreSQL, for a city-wide deployment with many writers.
        .target(
            name: "PostgresStore",
            dependencies: [
                "Recording", "TicketCodec",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // What front ends print and answer: Codable reports and the JSON line writer.
        .target(
            name: "Reports",
            dependencies: [
                "PhotoReader", "ZBarScanner", "TicketCodec", "TicketScanning", "Recording",
            ]),
        // Printable ticket cards (PNG) and A4 sheets (PDF), laid out in Swift, drawn by CairoGraphics.
        .target(
            name: "TicketCards",
            dependencies: [
                "TicketCodec", "QREncoding", "CairoGraphics", "PNGCodec", "Imaging", "Batch",
            ]),
        // FHIR R4 resources as Codable types, the dose -> Immunization mapping, and exports.
        .target(name: "FHIR", dependencies: ["Recording", "TicketCodec"]),
        // Sends recorded doses to the national registry exactly once (OAuth2, transaction Bundles).
        .target(
            name: "RegistrySync",
            dependencies: [
                "FHIR", "Recording", "TicketCodec",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // A small FHIR-like registry with injectable faults, for tests and scripts/bench only.
        .target(
            name: "FHIRReceiver",
            dependencies: [
                "FHIR",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "fhir-receiver", dependencies: ["FHIRReceiver"]),

        // The scanning server: HTTP API and phone page on Hummingbird, officers and their tokens.
        .target(
            name: "ScanServer",
            dependencies: [
                "TicketCodec", "TicketStation", "PhotoReader", "Recording", "Reports",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The phone page's files, served as they are (docs/phone-page.md).
            resources: [.copy("PhonePage")]
        ),

        // Every command, as a library; the executable is a three-line main.
        .target(
            name: "VaxTicketCommands",
            dependencies: [
                "Imaging", "QREncoding", "PNGCodec", "JPEGCodec", "PhotoReader", "TicketCodec",
                "TicketScanning", "TicketStation", "Batch",
                "ZBarScanner",
                "Recording", "PostgresStore", "Reports", "CameraSimulation", "CSVFiles",
                "TicketCards", "FHIR", "RegistrySync",
                "ScanServer",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .executableTarget(name: "VaxTicketCLI", dependencies: ["VaxTicketCommands"]),

        // Helpers shared by the test targets.
        .target(
            name: "TestSupport", dependencies: ["PostgresStore", "TicketCodec"],
            path: "Tests/TestSupport"),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "CameraSimulation"]),
        .testTarget(name: "BatchTests", dependencies: ["TestSupport", "Batch"]),
        .testTarget(
            name: "CodecTests",
            dependencies: [
                "Imaging", "QREncoding", "PNGCodec", "JPEGCodec", "ZBarScanner", "CameraSimulation",
            ]),
        .testTarget(
            name: "PhotoReaderTests",
            dependencies: [
                "TestSupport", "Imaging", "QREncoding", "PNGCodec", "JPEGCodec", "PhotoReader",
                "CameraSimulation", "ZBarScanner",
            ]),
        .testTarget(name: "TicketCodecTests", dependencies: ["TicketCodec"]),
        .testTarget(
            name: "RecordingTests",
            dependencies: [
                "TestSupport", "Recording", "PostgresStore", "TicketCodec", "TicketScanning",
                "TicketStation",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        .testTarget(
            name: "TicketScanningTests",
            dependencies: [
                "TestSupport", "Imaging", "TicketScanning", "TicketCodec", "QREncoding", "PNGCodec",
                "PhotoReader", "CameraSimulation", "JPEGCodec",
            ]),
        .testTarget(
            name: "ReportsTests",
            dependencies: [
                "Reports", "Recording", "TicketCodec", "TicketScanning", "TicketStation",
                "TestSupport", "PhotoReader",
            ]),
        .testTarget(
            name: "CommandTests",
            dependencies: [
                "VaxTicketCommands", "Batch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["Snapshots"]),
        // The toolkit through its public API alone, as a city's own service would use it.
        .testTarget(
            name: "PublicAPITests",
            dependencies: [
                "TestSupport", "TicketCodec", "QREncoding", "PNGCodec", "PhotoReader",
                "TicketScanning", "TicketStation", "Imaging", "Recording", "Reports",
                "CameraSimulation",
            ]),
        .testTarget(name: "CSVFilesTests", dependencies: ["CSVFiles"]),
        .testTarget(
            name: "TicketCardsTests",
            dependencies: [
                "TestSupport", "TicketCards", "CairoGraphics", "TicketCodec", "PNGCodec",
                "ZBarScanner", "Imaging",
            ]),
        .testTarget(
            name: "SyncTests",
            dependencies: [
                "TestSupport", "FHIR", "RegistrySync", "FHIRReceiver", "Recording", "TicketCodec",
            ]),
        // The server over loopback with a real HTTP client, and the phone page in headless Chromium.
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "TestSupport", "ScanServer", "TicketStation", "Recording", "Reports", "TicketCodec",
                "QREncoding",
                "PNGCodec", "JPEGCodec",
                "CameraSimulation", "Imaging",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["TestSupport", "Imaging", "PNGCodec", "JPEGCodec", "CameraSimulation"]),
    ]
)

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.strictMemorySafety())
    target.swiftSettings = settings
}
