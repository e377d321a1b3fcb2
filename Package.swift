// swift-tools-version:6.0
import Foundation
import PackageDescription

// One target per pipeline stage, in the order data flows; each may use the stages before it, never after:
//
//     Core ← API ← Snapshot ← Audit ← Diff ← Remediation ← Report ← Run ← keyaudit (the command line)
//
// Core holds the shared leaves (JSON, files, text formatting and escaping, YAML, errors, diagnostics);
// SampleAccount (the deterministic account generator behind --demo, the tests and the benchmark) depends on
// Core only. The compiler enforces the direction: a stage cannot import a later one, and `make test` builds
// with `--explicit-target-dependency-import-check error` so that no target imports what it does not declare.
// ARCHITECTURE.md draws the graph.
//
// Cross-stage declarations are `package`, not `public`: only what the command line and a library user need
// is public (the library product `KeyAudit` re-exports it).
let package = Package(
    name: "keyaudit",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "keyaudit", targets: ["KeyAuditCLI"]),
        .executable(name: "keyaudit-bench", targets: ["KeyAuditBench"]),
        .library(name: "KeyAudit", targets: ["KeyAudit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.19"),
    ],
    targets: [
        .systemLibrary(
            name: "CXLSXWriter",
            pkgConfig: "xlsxwriter",
            providers: [.apt(["libxlsxwriter-dev"]), .brew(["libxlsxwriter"])]
        ),

        /// prctl(2) for ProcessHardening: a variadic C call Swift cannot import.
        .target(name: "CKeyAuditSystem", path: "Sources/CSystem"),

        // MARK: The pipeline, leaves first

        .target(
            name: "KeyAuditCore",
            dependencies: [
                "CKeyAuditSystem",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Sources/Core"
        ),
        .target(
            name: "KeyAuditAPI",
            dependencies: [
                "KeyAuditCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/API"
        ),
        .target(name: "KeyAuditSnapshot", dependencies: ["KeyAuditCore", "KeyAuditAPI"], path: "Sources/Snapshot"),
        .target(
            name: "KeyAuditAudit", dependencies: ["KeyAuditCore", "KeyAuditAPI", "KeyAuditSnapshot"],
            path: "Sources/Audit"),
        .target(
            name: "KeyAuditDiff", dependencies: ["KeyAuditCore", "KeyAuditAPI", "KeyAuditSnapshot", "KeyAuditAudit"],
            path: "Sources/Diff"),
        .target(
            name: "KeyAuditRemediation",
            dependencies: ["KeyAuditCore", "KeyAuditAPI", "KeyAuditSnapshot", "KeyAuditAudit", "KeyAuditDiff"],
            path: "Sources/Remediation"),
        .target(
            name: "KeyAuditReport",
            dependencies: [
                "CXLSXWriter", "KeyAuditCore", "KeyAuditAPI", "KeyAuditSnapshot", "KeyAuditAudit", "KeyAuditDiff",
                "KeyAuditRemediation",
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            path: "Sources/Report"
        ),
        .target(
            name: "KeyAuditRun",
            dependencies: [
                "KeyAuditCore", "KeyAuditAPI", "KeyAuditSnapshot", "KeyAuditAudit", "KeyAuditDiff",
                "KeyAuditRemediation", "KeyAuditReport",
                "KeyAuditSampleAccount",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Run"
        ),
        .target(name: "KeyAuditSampleAccount", dependencies: ["KeyAuditCore"], path: "Sources/SampleAccount"),
        /// The library product: the public surface of every stage, under one import.
        .target(
            name: "KeyAudit",
            dependencies: [
                "KeyAuditCore", "KeyAuditAPI", "KeyAuditSnapshot", "KeyAuditAudit", "KeyAuditDiff",
                "KeyAuditRemediation", "KeyAuditReport",
                "KeyAuditRun",
            ], path: "Sources/KeyAudit"),

        // MARK: Executables

        .executableTarget(
            name: "KeyAuditCLI",
            dependencies: [
                "KeyAuditCore", "KeyAuditAPI", "KeyAuditAudit", "KeyAuditDiff", "KeyAuditRemediation",
                "KeyAuditReport", "KeyAuditRun",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/keyaudit"
        ),
        .executableTarget(
            name: "KeyAuditBench",
            dependencies: [
                "KeyAuditCore", "KeyAuditAPI", "KeyAuditSnapshot", "KeyAuditAudit", "KeyAuditDiff",
                "KeyAuditRemediation", "KeyAuditReport",
                "KeyAuditRun", "KeyAuditSampleAccount", "KeyAuditTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/keyaudit-bench"
        ),

        // MARK: Tests

        /// What keyaudit's parsers must hold for any input, shared by the fuzzer (`make fuzz`) and the seeded
        /// mutation tests.
        .target(
            name: "KeyAuditFuzzing",
            dependencies: [
                "KeyAuditCore", "KeyAuditAPI", "KeyAuditSnapshot", "KeyAuditAudit", "KeyAuditSampleAccount",
            ],
            path: "Sources/Fuzzing"
        ),
        /// The stand-in Management API (SwiftNIO on 127.0.0.1) and its fake account, shared by the tests and the
        /// benchmark.
        .target(
            name: "KeyAuditTestSupport",
            dependencies: [
                "KeyAuditCore", "KeyAuditSampleAccount",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/TestSupport"
        ),
        .testTarget(
            name: "KeyAuditTests",
            dependencies: [
                "KeyAuditCore", "KeyAuditAPI", "KeyAuditSnapshot", "KeyAuditAudit", "KeyAuditDiff",
                "KeyAuditRemediation", "KeyAuditReport", "KeyAuditRun", "KeyAuditSampleAccount", "KeyAuditTestSupport",
                "KeyAuditCLI", "KeyAuditFuzzing",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// The libFuzzer entry point, only when `make fuzz` asks for it (KEYAUDIT_FUZZ=1, built with `--sanitize fuzzer`
// into its own build folder): it has no `main` of its own (libFuzzer provides one), so it cannot be part of the
// ordinary build.
if ProcessInfo.processInfo.environment["KEYAUDIT_FUZZ"] == "1" {
    package.products.append(.executable(name: "keyaudit-fuzz", targets: ["KeyAuditFuzzer"]))
    package.targets.append(
        .executableTarget(name: "KeyAuditFuzzer", dependencies: ["KeyAuditFuzzing"], path: "Fuzz/Target"))
}
