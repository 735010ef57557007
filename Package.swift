// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Rampart",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Rampart", targets: ["Rampart"]),
        .library(name: "RampartAudit", targets: ["RampartAudit"]),
        .library(name: "RampartHummingbird", targets: ["RampartHummingbird"]),
        .library(name: "RampartMustache", targets: ["RampartMustache"]),
        .library(name: "RampartMultipart", targets: ["RampartMultipart"]),
        .library(name: "RampartConformance", targets: ["RampartConformance"]),
        .library(name: "RampartSQLite", targets: ["RampartSQLite"]),
        .library(name: "RampartPostgres", targets: ["RampartPostgres"]),
        .library(name: "RampartBoard", targets: ["RampartBoard"]),
        .library(name: "RampartApp", targets: ["RampartApp"]),
        .executable(name: "rampart", targets: ["rampart"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/onevcat/Rainbow", from: "4.2.2"),
        // `swift package generate-documentation` (DocC); a plugin, never linked into the products.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // The framework-free core: HTTPTypes and Crypto only.
        .target(
            name: "Rampart",
            dependencies: [
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Tooling that no request runs: Observatory grading, deployment header rules, HPKP pins.
        .target(
            name: "RampartAudit",
            dependencies: [
                "Rampart",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // multipart/form-data pieces both adapters share: the guard that keeps multipart-kit
        // 4.7.1 from trapping on a non-ASCII part header name, and the CSRF field scan.
        .target(
            name: "RampartMultipart",
            dependencies: [
                "Rampart",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The Hummingbird 2 adapter.
        // The adapter conformance suite: one app spec and one list of cases, run by each
        // adapter's test driver (Hummingbird here, Vapor in Adapters/RampartVapor).
        .target(
            name: "RampartConformance",
            dependencies: [
                "Rampart",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Safe Mustache templates, for any framework (swift-mustache and the core only).
        .target(
            name: "RampartMustache",
            dependencies: [
                "Rampart",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RampartHummingbird",
            dependencies: [
                "Rampart",
                "RampartMustache",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // RampartWiring's startup probe runs on an EmbeddedChannel.
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                "RampartMultipart",
                .product(name: "Mustache", package: "swift-mustache"),
                // The embedded SQLite store behind RampartSetup's defaults.
                "RampartSQLite",
            ],
            swiftSettings: swiftSettings
        ),
        // The README's "Add Rampart to a Hummingbird app", built and served by a test.
        .executableTarget(
            name: "HelloRampart",
            dependencies: [
                "Rampart",
                "RampartHummingbird",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Examples/HelloRampart",
            swiftSettings: swiftSettings
        ),
        // Stores on embedded SQLite, through GRDB: the default back-end.
        .target(
            name: "RampartSQLite",
            dependencies: [
                "Rampart",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // Stores on PostgreSQL, through PostgresNIO: for several instances sharing state.
        .target(
            name: "RampartPostgres",
            dependencies: [
                "Rampart",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The reference application's domain, with no HTTP framework: repository, templates,
        // forms, rules and the route handlers over BoardRequest/BoardResponse. Hummingbird
        // (RampartApp) and Vapor (Adapters/RampartVapor: RampartVaporBoard) serve it.
        .target(
            name: "RampartBoard",
            dependencies: [
                "Rampart",
                "RampartMultipart",
                "RampartMustache",
                "RampartSQLite",
                "RampartPostgres",
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // ServeOptions: `rampart serve` and `rampart-vapor serve` take the same flags.
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The reference application on Hummingbird, as a library.
        .target(
            name: "RampartApp",
            dependencies: [
                "Rampart",
                // DeploymentFinding and the header rules, which the app's own rules extend.
                "RampartAudit",
                "RampartBoard",
                "RampartHummingbird",
                "RampartMustache",
                "RampartSQLite",
                "RampartPostgres",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The `rampart` command-line tool.
        .executableTarget(
            name: "rampart",
            dependencies: [
                "RampartApp",
                "RampartAudit",
                "RampartPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Rainbow", package: "Rainbow"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RampartTests",
            dependencies: [
                "Rampart",
                // FuzzRegressionTests checks the audit's readers.
                "RampartAudit",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RampartAuditTests",
            dependencies: [
                "Rampart",
                "RampartAudit",
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RampartHummingbirdTests",
            dependencies: [
                "Rampart",
                "RampartConformance",
                "RampartHummingbird",
                "RampartMustache",
                "RampartSQLite",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RampartSQLiteTests",
            dependencies: [
                "Rampart",
                "RampartSQLite",
                "RampartPostgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RampartAppTests",
            dependencies: [
                "RampartApp",
                "RampartBoard",
                "rampart",
                "Rampart",
                "RampartAudit",
                "RampartSQLite",
                "RampartPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                "RampartHummingbird",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
