// swift-tools-version: 6.2
import PackageDescription

/// Settings every Swift target shares: Swift 6 language mode (set below), strict concurrency, and the
/// upcoming features that make existential types and imports explicit decisions.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "leadgate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "leadgate", targets: ["leadgate"]),
        .library(name: "TreeEnsemble", targets: ["TreeEnsemble"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2")
    ],
    targets: [
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"]), .brew(["curl"])]
        ),
        // No pkgConfig: hiredis.pc adds -D_FILE_OFFSET_BITS=64, which SwiftPM rejects with a warning;
        // the headers live in the default include path (libhiredis-dev).
        .systemLibrary(name: "CHiredis"),
        .target(name: "TreeEnsemble", swiftSettings: strict),
        .executableTarget(
            name: "leadgate",
            dependencies: [
                "TreeEnsemble",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TreeEnsembleTests",
            dependencies: ["TreeEnsemble"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LeadgateCLITests",
            dependencies: ["leadgate"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SystemLibraryTests",
            dependencies: ["CCurl", "CHiredis"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
