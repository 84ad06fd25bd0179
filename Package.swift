// swift-tools-version: 6.2
import PackageDescription

/// Settings every Swift target shares: Swift 6 language mode (set below), strict concurrency, and the
/// upcoming features that make existential types and imports explicit decisions. A warning in our
/// own code is an error, so it cannot hide in a file an incremental build did not recompile.
let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
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
        .library(name: "Scoring", targets: ["Scoring"]),
        .library(name: "Gateway", targets: ["Gateway"]),
        .library(name: "Reranker", targets: ["Reranker"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
        .library(name: "Records", targets: ["Records"]),
        .library(name: "Training", targets: ["Training"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // The system of record: PostgreSQL through postgres-nio, the embedded default through
        // sqlite-nio (vapor's; it bundles a current SQLite amalgamation, so no system library).
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
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
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"]), .brew(["openssl"])]
        ),
        // The xgboost C API (Debian's libxgboost-dev), for `leadgate train`; serving never uses it.
        .systemLibrary(name: "CXGBoost", providers: [.apt(["libxgboost-dev"]), .brew(["xgboost"])]),
        // One strict JSON reader and writer, shared by every module.
        .target(name: "JSON", swiftSettings: strict),
        // Measures of ranked scores against outcomes (AUC, PR-AUC, precision@K, ECE, bootstrap).
        .target(name: "Evaluation", dependencies: ["JSON"], swiftSettings: strict),
        // SHA-256, HMAC and hex, over OpenSSL's libcrypto.
        .target(name: "Hashing", dependencies: ["COpenSSL"], swiftSettings: strict),
        // Metric names, help texts and buckets, and typed families over swift-metrics.
        .target(
            name: "Telemetry",
            dependencies: [.product(name: "CoreMetrics", package: "swift-metrics")],
            swiftSettings: strict
        ),
        .target(name: "TreeEnsemble", dependencies: ["JSON"], swiftSettings: strict),
        .target(
            name: "Scoring",
            dependencies: ["TreeEnsemble", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .target(
            name: "Reranker",
            dependencies: [
                "CCurl", "JSON", "Hashing", "Scoring",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(name: "Store", dependencies: ["CHiredis"], swiftSettings: strict),
        // The system of record: decisions, lead_scores, outcomes and audit in PostgreSQL or SQLite,
        // numbered migrations, the recorder with its bounded queue and fsync'd journal.
        .target(
            name: "Records",
            dependencies: [
                "JSON",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The one scoring path: evaluate, adjust (LLM), finish, publish (and record).
        .target(
            name: "Pipeline",
            dependencies: [
                "Scoring", "Reranker", "Store", "Records", "JSON", "Hashing", "Telemetry",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strict
        ),
        // Events ingest, score streams and the Vapi and Retell adapters.
        .target(
            name: "Voice",
            dependencies: [
                "Pipeline", "Scoring", "Store", "JSON", "Hashing", "Telemetry",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strict
        ),
        // Async scores and bulk jobs on a Redis Stream with a consumer group, shared by every gateway.
        .target(
            name: "Jobs",
            dependencies: [
                "Pipeline", "Scoring", "Store", "Records", "JSON", "Telemetry", "Reranker",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Training with the real xgboost, calibration, model cards, offline batch scoring.
        .target(
            name: "Training",
            dependencies: ["CXGBoost", "Scoring", "TreeEnsemble", "Evaluation", "JSON", "Records", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        // Prompt evaluation against outcomes and dry runs.
        .target(
            name: "PromptOps",
            dependencies: ["Pipeline", "Reranker", "Scoring", "Evaluation", "JSON", "Records", "Telemetry", "TreeEnsemble"],
            swiftSettings: strict
        ),
        .target(
            name: "Gateway",
            dependencies: [
                "Scoring",
                "Reranker",
                "Store",
                "JSON",
                "Hashing",
                "Telemetry",
                "Pipeline",
                "Records",
                "Voice",
                "Jobs",
                "PromptOps",
                "Training",
                "TreeEnsemble",
                "Evaluation",
                "COpenSSL",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            // The OpenAPI document, checked in as YAML and served as it is (and as JSON).
            resources: [.copy("Resources/openapi.yaml")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "leadgate",
            dependencies: [
                "CCurl",
                "TreeEnsemble",
                "Gateway",
                "PromptOps",
                "Reranker",
                "Scoring",
                "Store",
                "Records",
                "Training",
                "JSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "JSONTests", dependencies: ["JSON"], swiftSettings: strict),
        .testTarget(name: "JobsTests", dependencies: ["Jobs"], swiftSettings: strict),
        .testTarget(
            name: "TreeEnsembleTests",
            dependencies: ["TreeEnsemble"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ScoringTests",
            dependencies: ["Scoring", "TreeEnsemble"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "Scoring", "CCurl", "COpenSSL", "Reranker", "Store", "TestSupport", "Evaluation", "PromptOps", "Pipeline", "Records",
                "Training",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Test doubles shared by the test targets: a mock OpenAI-compatible server, a silent socket.
        .target(
            name: "TestSupport",
            dependencies: [
                "Reranker",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "RerankerTests",
            dependencies: [
                "Reranker", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RecordsTests",
            dependencies: ["Records", "JSON", "TestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TrainingTests",
            dependencies: ["Training", "Scoring", "TreeEnsemble", "Evaluation"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "StoreTests",
            dependencies: ["Store", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LeadgateCLITests",
            dependencies: ["leadgate", "TestSupport"],
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
