// swift-tools-version:6.2
// Benchmarks live in their own package so the main build stays lean. Build in release:
//   swift run -c release RampartBenchmarks
//   swift run -c release EscapeBenchmark        (and python3 load/markupsafe_bench.py; LeafKit 1.14.3 in the same run)
//   ./load/headers.sh
//   RAMPART_TEST_POSTGRES_URL=postgres://… swift run -c release StoreBenchmark
import PackageDescription

let package = Package(
    name: "RampartBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Rampart", path: "../"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // Only for EscapeBenchmark's comparison with LeafKit's escaper.
        .package(url: "https://github.com/vapor/leaf-kit", from: "1.14.3"),
    ],
    targets: [
        .executableTarget(
            name: "RampartBenchmarks",
            dependencies: [
                .product(name: "Rampart", package: "Rampart"),
                .product(name: "RampartSQLite", package: "Rampart"),
                .product(name: "RampartPostgres", package: "Rampart"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "EscapeBenchmark",
            dependencies: [.product(name: "Rampart", package: "Rampart"), .product(name: "LeafKit", package: "leaf-kit")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "RampartLoadServer",
            dependencies: [
                .product(name: "Rampart", package: "Rampart"),
                .product(name: "RampartHummingbird", package: "Rampart"),
                .product(name: "RampartSQLite", package: "Rampart"),
                .product(name: "RampartApp", package: "Rampart"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "StoreBenchmark",
            dependencies: [
                .product(name: "Rampart", package: "Rampart"),
                .product(name: "RampartSQLite", package: "Rampart"),
                .product(name: "RampartPostgres", package: "Rampart"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
