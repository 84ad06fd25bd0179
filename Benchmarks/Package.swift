// swift-tools-version: 6.2
// A separate package so the main build (and CI) never compiles package-benchmark.
// Run from this folder: `swift package benchmark` (release build, ~2 min the first time).
import PackageDescription

let package = Package(
    name: "leadgate-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Named, because a path dependency is otherwise known by its folder name, which depends on the checkout.
        .package(name: "leadgate", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "TreeEnsembleBenchmarks",
            dependencies: [
                .product(name: "TreeEnsemble", package: "leadgate"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "TreeEnsembleBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ],
    swiftLanguageModes: [.v6]
)
