// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "liplua",
    products: [
        // MARK: public API
        .executable(name: "liplua", targets: ["liplua"]),
        .library(name: "LipCore", targets: ["LipCore"]),
        .library(name: "LipLP", targets: ["LipLP"]),
        .library(name: "LipGLPK", targets: ["LipGLPK"]),
        .library(name: "LipLua", targets: ["LipLua"]),
        .library(name: "LipControl", targets: ["LipControl"]),
        .library(name: "LipClp", targets: ["LipClp"]),
        .library(name: "LipIO", targets: ["LipIO"]),
        .library(name: "LipSDP", targets: ["LipSDP"]),
        .library(name: "LipDSDP", targets: ["LipDSDP"]),
    ],
    dependencies: [
        // ONNX import: the protobuf runtime only (the generated code is committed; see
        // scripts/tools/gen_onnx_proto.sh).
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
    ],
    targets: [
        // MARK: implementation details: C libraries from Debian
        .systemLibrary(name: "CLua", pkgConfig: "lua5.4", providers: [.apt(["liblua5.4-dev"])]),
        .systemLibrary(name: "CGLPK", providers: [.apt(["libglpk-dev"])]),
        .systemLibrary(name: "CEdit", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // DSDP 5.8 (SDP solver): Debian libdsdp-dev, no pkg-config file (see Sources/LipDSDP).
        .systemLibrary(name: "CDSDP", providers: [.apt(["libdsdp-dev"])]),
        // Small C targets: the Lua error trampoline and the GLPK setjmp guard (Swift cannot
        // longjmp or setjmp safely; see Sources/CLuaShims and Sources/CGLPKShims).
        .target(name: "CLipSignals"),
        // Child processes for external solvers (own process group, parent-death signal).
        .target(name: "CLipSpawn"),
        .target(name: "CLuaShims", dependencies: ["CLua", "CLipSignals"], linkerSettings: [.linkedLibrary("lua5.4")]),
        .target(name: "CGLPKShims", dependencies: ["CGLPK", "CLipSignals", "CLipSpawn"], linkerSettings: [.linkedLibrary("glpk")]),

        // MARK: implementation details: Swift modules (arrows point down)
        .target(name: "LipControl", dependencies: ["CLipSignals"]),
        .target(name: "LipLP", dependencies: ["LipControl"], exclude: ["README.md"]),
        .target(name: "LipGLPK", dependencies: ["LipLP", "LipControl", "CGLPK", "CGLPKShims"], exclude: ["README.md"]),
        // COIN-OR Clp run as a separate program (EPL: not linked), see Sources/LipClp.
        .target(name: "LipClp", dependencies: ["LipLP", "LipControl", "CLipSpawn"], exclude: ["README.md"]),
        // SDP: value types, the verified certificate and the low-rank solver (pure Swift);
        // DSDP behind the same protocol.
        .target(name: "LipSDP", dependencies: ["LipControl"], exclude: ["README.md"]),
        .target(name: "LipDSDP", dependencies: ["LipSDP", "CDSDP"], exclude: ["README.md"],
                linkerSettings: [.linkedLibrary("dsdp"), .linkedLibrary("lapack"), .linkedLibrary("blas")]),
        .target(name: "LipCore", dependencies: ["LipControl", "LipLP", "LipSDP"], exclude: ["README.md", "Hierarchy/README.md", "SDP/README.md", "Witness/README.md"]),
        .target(name: "LipIO", dependencies: ["LipCore", "LipControl", "CZlib", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                exclude: ["README.md", "ONNX/onnx.proto"]),
        .target(name: "LipIOFuzz", dependencies: ["LipIO", "LipCore", "LipControl"]),
        .executableTarget(name: "lipio-fuzz", dependencies: ["LipIOFuzz"]),
        .target(name: "LipLua", dependencies: ["LipControl", "LipCore", "LipIO", "LipLP", "LipSDP", "CLua", "CLuaShims"], exclude: ["README.md"]),
        .executableTarget(name: "liplua", dependencies: ["LipLua", "LipCore", "LipLP", "LipGLPK", "LipClp", "LipSDP", "LipDSDP", "CEdit"]),
        // Lua-free SDP benchmark (scripts/tools/sdp_bench runs it, one case per process).
        .executableTarget(name: "sdp-bench", dependencies: ["LipCore", "LipSDP", "LipDSDP", "LipControl"]),

        // MARK: tests
        // Helpers shared by the test targets: child processes with time limits, the LP catalogue,
        // the seeded generator.
        .target(name: "LipTestSupport", dependencies: ["LipLP"], path: "Tests/LipTestSupport"),
        .testTarget(name: "LipLPTests", dependencies: ["LipLP"]),
        .testTarget(name: "LipGLPKTests", dependencies: ["LipTestSupport", "LipGLPK", "LipLP"]),
        .testTarget(name: "LipCoreTests", dependencies: ["LipTestSupport", "LipControl", "LipCore", "LipIO", "LipLP", "LipGLPK", "LipSDP", "LipDSDP"]),
        .testTarget(name: "LipIOTests", dependencies: ["LipTestSupport", "LipIO", "LipIOFuzz", "LipCore", "LipControl"], exclude: ["corpus"]),
        .testTarget(name: "LipSDPTests", dependencies: ["LipTestSupport", "LipSDP", "LipLP", "LipControl"]),
        .testTarget(name: "LipDSDPTests", dependencies: ["LipTestSupport", "LipDSDP", "LipSDP", "CDSDP", "LipControl", "LipGLPK", "LipLP"]),
        .testTarget(name: "LipLuaTests", dependencies: ["LipLua", "LipCore", "LipLP", "LipGLPK", "LipClp", "LipSDP", "LipDSDP", "CLua", "CLuaShims"]),
        .testTarget(name: "LipluaCLITests", dependencies: ["LipTestSupport", "liplua"]),
        .testTarget(name: "LipClpTests", dependencies: ["LipTestSupport", "LipClp", "LipLP", "LipGLPK", "LipCore", "LipControl"]),
    ]
)
