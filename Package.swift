// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "OneCode",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "onecode", targets: ["onecode"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // MARK: - C libraries, each behind one wrapper

        .systemLibrary(
            name: "CQREncode",
            pkgConfig: "libqrencode",
            providers: [.apt(["libqrencode-dev"])]
        ),
        .systemLibrary(
            name: "CMaxMindDB",
            pkgConfig: "libmaxminddb",
            providers: [.apt(["libmaxminddb-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        /// GS1's Barcode Syntax Engine (gs1/gs1-syntax-engine, Apache-2.0), vendored as GS1's own Swift
        /// distribution vendors it (see Sources/CGS1Encoders/SOURCE.md): GS1 Digital Link URI syntax.
        .target(
            name: "CGS1Encoders",
            exclude: ["c-lib/aitable.inc", "LICENSE", "SOURCE.md"],
            cSettings: [
                // Not PRNT: debug.h prints every parse to stdout when PRNT is defined at all (even as 0).
                .define("GS1_LINTER_ERR_STR_EN"),
                .headerSearchPath("include"),
                .headerSearchPath("c-lib"),
                .headerSearchPath("c-lib/syntax"),
            ]
        ),

        // MARK: - Layers

        /// Pure values and rules: code format, GTIN, products, batches, URLs.
        .target(
            name: "OneCodeDomain",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        /// GS1 Digital Link URIs: their syntax as GS1's engine checks it, for the resolver.
        .target(
            name: "OneCodeGS1",
            dependencies: ["CGS1Encoders", "OneCodeDomain"],
            swiftSettings: strict
        ),
        /// The storage interface that feature code calls; no SQL here.
        .target(
            name: "OneCodeStorage",
            dependencies: ["OneCodeDomain"],
            swiftSettings: strict
        ),
        /// The rulebook: verdicts, draws, limits, claims, redemptions and feedback decided once, over the
        /// transactions each storage backend lends (the domain decides, storage persists).
        .target(
            name: "OneCodeRulebook",
            dependencies: ["OneCodeDomain", "OneCodeStorage"],
            swiftSettings: strict
        ),
        /// The embedded SQLite implementation of the storage interface (GRDB on the system libsqlite3).
        .target(
            name: "OneCodeSQLite",
            dependencies: [
                "OneCodeDomain", "OneCodeStorage", "OneCodeRulebook", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        /// The PostgreSQL implementation of the same ports (PostgresNIO; no ORM), for several nodes on one database.
        .target(
            name: "OneCodePostgres",
            dependencies: [
                "OneCodeDomain", "OneCodeStorage", "OneCodeRulebook",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        /// QR symbols and their artwork (SVG, PNG, PDF label sheets); the only importer of libqrencode.
        .target(
            name: "OneCodeRendering",
            dependencies: ["OneCodeDomain", "CQREncode", "CZlib", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        /// The application layer: each action staff take (activate a batch, blacklist a code, create a token, …),
        /// its input checked once and an audit entry written with it; the CLI, the API and the console call it.
        .target(
            name: "OneCodeApplication",
            dependencies: ["OneCodeDomain", "OneCodeStorage", "OneCodeRulebook", "OneCodeIssuing", "OneCodeRendering", .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"), .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                           .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: strict
        ),
        /// Issuing batches and writing the printer's code package (and the zip the API serves it as).
        .target(
            name: "OneCodeIssuing",
            dependencies: [
                "OneCodeDomain", "OneCodeStorage", "OneCodeRendering", "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        /// Regions by IP from a MaxMind-format database; the only importer of libmaxminddb.
        .target(
            name: "OneCodeGeoIP",
            dependencies: ["OneCodeDomain", "CMaxMindDB"],
            swiftSettings: strict
        ),
        /// The HTTP service: scan pages, the admin API, the group-commit scan writer.
        .target(
            name: "OneCodeService",
            dependencies: [
                "OneCodeDomain", "OneCodeStorage", "OneCodeRulebook", "OneCodeIssuing", "OneCodeRendering", "OneCodeGeoIP", "OneCodeGS1",
                "OneCodeApplication",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // The console's templates, catalogues and style, compiled into the binary: one file to deploy.
            resources: [.embedInCode("Console/Templates"), .embedInCode("Console/Assets")],
            swiftSettings: strict
        ),
        /// The `onecode` command-line tool.
        .executableTarget(
            name: "onecode",
            dependencies: [
                "OneCodeDomain", "OneCodeStorage", "OneCodeRulebook", "OneCodeSQLite", "OneCodePostgres", "OneCodeRendering", "OneCodeIssuing",
                "OneCodeService", "OneCodeApplication",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // MARK: - Tests

        .testTarget(
            name: "OneCodeTests",
            dependencies: [
                "OneCodeDomain", "OneCodeStorage", "OneCodeRulebook", "OneCodeSQLite", "OneCodePostgres", "OneCodeRendering", "OneCodeIssuing",
                "OneCodeService", "OneCodeGS1", "OneCodeApplication",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
