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
    ],
    targets: [
        // MARK: implementation details: C libraries from Debian
        .systemLibrary(name: "CLua", pkgConfig: "lua5.4", providers: [.apt(["liblua5.4-dev"])]),
        .systemLibrary(name: "CGLPK", providers: [.apt(["libglpk-dev"])]),
        .systemLibrary(name: "CEdit", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // Small C targets: the Lua error trampoline and the GLPK setjmp guard (Swift cannot
        // longjmp or setjmp safely; see Sources/CLuaShims and Sources/CGLPKShims).
        .target(name: "CLipSignals"),
        .target(name: "CLuaShims", dependencies: ["CLua", "CLipSignals"], linkerSettings: [.linkedLibrary("lua5.4")]),
        .target(name: "CGLPKShims", dependencies: ["CGLPK"], linkerSettings: [.linkedLibrary("glpk")]),

        // MARK: implementation details: Swift modules (arrows point down)
        .target(name: "LipControl", dependencies: ["CLipSignals"]),
        .target(name: "LipLP", dependencies: ["LipControl"], exclude: ["README.md"]),
        .target(name: "LipGLPK", dependencies: ["LipLP", "LipControl", "CGLPK", "CGLPKShims"], exclude: ["README.md"]),
        .target(name: "LipCore", dependencies: ["LipLP", "CZlib"], exclude: ["README.md", "Hierarchy/README.md", "Witness/README.md"]),
        .target(name: "LipLua", dependencies: ["LipCore", "LipLP", "CLua", "CLuaShims"], exclude: ["README.md"]),
        .executableTarget(name: "liplua", dependencies: ["LipLua", "LipCore", "LipLP", "LipGLPK", "CEdit"]),

        // MARK: tests
        .testTarget(name: "LipLPTests", dependencies: ["LipLP"]),
        .testTarget(name: "LipGLPKTests", dependencies: ["LipGLPK", "LipLP"]),
        .testTarget(name: "LipCoreTests", dependencies: ["LipCore", "LipLP", "LipGLPK"]),
        .testTarget(name: "LipLuaTests", dependencies: ["LipLua", "LipCore", "LipLP", "LipGLPK", "CLua", "CLuaShims"]),
        .testTarget(name: "LipluaCLITests", dependencies: ["liplua"]),
    ]
)
