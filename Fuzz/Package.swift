// swift-tools-version:6.2
// libFuzzer targets for Rampart's parsers, in a package of their own so that the main build never
// compiles them and the sanitizer flags reach only this build. Build and run them with:
//   bash Fuzz/run.sh 20            (20 seconds per target; FUZZ_RUNS=10000000 for a run count)
// which does `swift build -c release -Xswiftc -sanitize=fuzzer,address` here. See README.md.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")

/// Every fuzz target, whether it needs the Hummingbird adapter (the only public way to reach the
/// multipart reader, the JSON limits on a request and the form-query decoder), and what else it
/// uses: swift-crypto as a reference (to check the cookie and token formats independently), and
/// RampartAudit for the audit's readers.
let fuzzers: [(name: String, usesHummingbird: Bool, extra: [Target.Dependency])] = [
    ("FuzzCookieHeader", false, []),
    ("FuzzSignedSealedCookie", false, [crypto]),
    ("FuzzCSRFTokens", false, [crypto]),
    ("FuzzCSPAudit", false, [.product(name: "RampartAudit", package: "Rampart")]),
    ("FuzzForwarded", false, []),
    ("FuzzHost", false, []),
    ("FuzzURLEncodedForm", true, []),
    ("FuzzTemplateContext", false, []),
    ("FuzzLeafTemplate", false, []),
    ("FuzzSafeURL", false, []),
    ("FuzzUploadSniff", false, []),
    ("FuzzMultipart", true, []),
    ("FuzzJSONLimits", true, []),
    ("FuzzHTMLEscape", false, []),
    ("FuzzKeyRing", false, []),
]

let package = Package(
    name: "RampartFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Rampart", path: ".."),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
    ],
    targets: [
        // Input splitting, property failures, the inline async driver and the corpus dump.
        .target(
            name: "FuzzSupport",
            dependencies: [
                .product(name: "Rampart", package: "Rampart"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
    ] + fuzzers.map { fuzzer in
        var dependencies: [Target.Dependency] = [
            "FuzzSupport",
            .product(name: "Rampart", package: "Rampart"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ] + fuzzer.extra
        if fuzzer.usesHummingbird {
            dependencies += [
                .product(name: "RampartHummingbird", package: "Rampart"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        }
        return .executableTarget(name: fuzzer.name, dependencies: dependencies, swiftSettings: swiftSettings)
    }
)
