// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Carrier",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Carrier", targets: ["Carrier"]),
        .executable(name: "carrier", targets: ["CarrierCLI"]),
        .executable(name: "carrier-bench", targets: ["CarrierBench"]),
        .executable(name: "carrier-example", targets: ["CarrierExample"]),
        .executable(name: "carrier-fuzz", targets: ["CarrierFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        // Thin system-library modules over the C libraries. libcurl and libcrypto are opened on
        // first use rather than linked (Sources/CCurl/shim.h and Sources/COpenSSL/shim.h say why);
        // their headers come from libcurl4-openssl-dev and libssl-dev all the same.
        .systemLibrary(name: "CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1",
                       providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "COpenSSL", providers: [.apt(["libssl-dev"])]),

        .target(name: "CarrierYAML", dependencies: ["CYAML"]),
        .target(name: "CarrierCurl", dependencies: ["CCurl", "CarrierModel"]),
        // providers/*.yaml compiled into the library as Swift source (a copied binary carries them).
        .executableTarget(name: "CarrierEmbed"),
        .plugin(name: "EmbedProviders", capability: .buildTool(), dependencies: ["CarrierEmbed"],
                path: "Sources/EmbedProvidersPlugin"),
        // The library, one target per layer; each depends only on the layers below it, so SwiftPM
        // refuses a cycle (docs/architecture.md draws them). `Carrier` is the facade users import.
        .target(name: "CarrierModel", dependencies: ["CarrierYAML", "COpenSSL"]),
        .target(name: "CarrierMapping", dependencies: ["CarrierModel"]),
        .target(name: "CarrierProviders", dependencies: ["CarrierMapping", "CarrierCurl", "COpenSSL"],
                plugins: ["EmbedProviders"]),
        .target(name: "CarrierTransport", dependencies: ["CarrierProviders", "CarrierCurl"]),
        .target(name: "CarrierDelivery", dependencies: [
            "CarrierTransport", "CarrierCurl",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        .target(name: "CarrierEvents", dependencies: ["CarrierDelivery", "CarrierCurl", "COpenSSL"]),
        .target(name: "Carrier", dependencies: [
            "CarrierEvents", "CarrierCurl",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // `carrier serve`'s gateway: clients, the durable queue, sending with an MTA's retries (docs/serve.md).
        .target(name: "CarrierGateway", dependencies: [
            "Carrier",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The shared store on PostgreSQL (`store: postgres://…`): the gateway's queue, route state,
        // rate limits and delivery events for several machines (docs/storage.md).
        .target(name: "CarrierPostgres", dependencies: [
            "Carrier", "CarrierGateway",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The servers: the gateway's HTTP API and `carrier events serve` on Hummingbird, its SMTP
        // listener on SwiftNIO with swift-nio-ssl (docs/dependencies.md).
        .target(name: "CarrierServer", dependencies: [
            "Carrier",
            "CarrierGateway",
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "CarrierCLI", dependencies: [
            "Carrier",
            "CarrierGateway",
            "CarrierPostgres",
            "CarrierServer",
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            "CarrierCurl",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], linkerSettings: [
            // Swift's static runtime links executables with --export-dynamic: 44,000 symbols in
            // the dynamic table, which the loader searches for every symbol libraries bind and
            // the runtime's start (dladdr) walks whole. Nothing loads into `carrier` that needs
            // its symbols: without them a start is about 1 ms shorter (docs/performance.md).
            .unsafeFlags(["-Xlinker", "--no-export-dynamic"]),
        ]),
        .executableTarget(name: "CarrierBench", dependencies: [
            "Carrier", "CarrierGateway", "CarrierPostgres", .product(name: "Logging", package: "swift-log"),
        ], path: "Sources/CarrierBench"),
        .executableTarget(name: "CarrierExample", dependencies: ["Carrier"], path: "examples/library"),
        // Fuzz targets (Fuzz/README.md): libFuzzer under `make fuzz`; replays saved inputs otherwise.
        .target(name: "CFuzzer", path: "Fuzz/CFuzzer"),
        .executableTarget(name: "CarrierFuzz", dependencies: ["Carrier", "CarrierCurl", "CarrierYAML", "CFuzzer"], path: "Fuzz/CarrierFuzz"),
        .testTarget(name: "CarrierTests", dependencies: [
            "Carrier", "CarrierYAML", "CarrierGateway", "CarrierPostgres", .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
    ]
)
