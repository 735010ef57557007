// swift-tools-version:6.2
// RampartVapor: Rampart's protections for Vapor 4. A package of its own, beside the root package
// and depending on it by path, so that a Hummingbird user's `swift build` never resolves or
// compiles Vapor (docs/decisions/0015-vapor-adapter.md).
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "RampartVapor",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RampartVapor", targets: ["RampartVapor"]),
        .library(name: "RampartLeaf", targets: ["RampartLeaf"]),
        .executable(name: "HelloRampartVapor", targets: ["HelloRampartVapor"]),
        .executable(name: "RampartVaporLoadServer", targets: ["RampartVaporLoadServer"]),
        .library(name: "RampartVaporBoard", targets: ["RampartVaporBoard"]),
        .executable(name: "rampart-vapor", targets: ["rampart-vapor"]),
    ],
    dependencies: [
        .package(name: "Rampart", path: "../.."),
        .package(url: "https://github.com/vapor/vapor", from: "4.122.3"),
        .package(url: "https://github.com/vapor/leaf", from: "4.5.2"),
        .package(url: "https://github.com/vapor/leaf-kit", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
    ],
    targets: [
        .target(
            name: "RampartVapor",
            dependencies: [
                .product(name: "Rampart", package: "Rampart"),
                .product(name: "RampartMultipart", package: "Rampart"),
                .product(name: "RampartSQLite", package: "Rampart"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            ],
            swiftSettings: swiftSettings
        ),
        // Leaf templates checked at load, escaped on bytes, with #cspNonce() and #csrfField().
        .target(
            name: "RampartLeaf",
            dependencies: [
                "RampartVapor",
                .product(name: "Rampart", package: "Rampart"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Leaf", package: "leaf"),
                .product(name: "LeafKit", package: "leaf-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The reference board (RampartBoard, framework-free) served on Vapor.
        .target(
            name: "RampartVaporBoard",
            dependencies: [
                "RampartVapor",
                .product(name: "Rampart", package: "Rampart"),
                .product(name: "RampartBoard", package: "Rampart"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // `rampart-vapor serve`: the board on Vapor, with `rampart serve`'s flags.
        .executableTarget(
            name: "rampart-vapor",
            dependencies: [
                "RampartVaporBoard",
                .product(name: "Rampart", package: "Rampart"),
                .product(name: "RampartBoard", package: "Rampart"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // The README's "Add Rampart to a Vapor app", built and served by a test.
        .executableTarget(
            name: "HelloRampartVapor",
            dependencies: [
                "RampartVapor",
                .product(name: "Rampart", package: "Rampart"),
                .product(name: "Vapor", package: "vapor"),
            ],
            path: "Examples/HelloRampartVapor",
            swiftSettings: swiftSettings
        ),
        // The Vapor servers for Benchmarks/load/compare.sh (bare, headers, stack).
        .executableTarget(
            name: "RampartVaporLoadServer",
            dependencies: [
                "RampartVapor",
                .product(name: "Rampart", package: "Rampart"),
                .product(name: "RampartSQLite", package: "Rampart"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RampartVaporTests",
            dependencies: [
                "RampartVapor",
                "RampartLeaf",
                .product(name: "Rampart", package: "Rampart"),
                .product(name: "RampartConformance", package: "Rampart"),
                .product(name: "RampartSQLite", package: "Rampart"),
                .product(name: "Leaf", package: "leaf"),
                .product(name: "LeafKit", package: "leaf-kit"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "VaporTesting", package: "vapor"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        // The board's journeys on Vapor: BoardJourneyTests.swift and BoardJourneySupport.swift are
        // symbolic links to the root package's (Tests/RampartAppTests), run there on Hummingbird.
        .testTarget(
            name: "RampartVaporBoardTests",
            dependencies: [
                "RampartVaporBoard",
                .product(name: "Rampart", package: "Rampart"),
                .product(name: "RampartBoard", package: "Rampart"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
