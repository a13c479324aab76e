import Foundation

/// Finding the Lua standard library (the directory holding lip/init.lua).
public enum LuaStdlib {
    public struct Location: Sendable, Equatable {
        public var directory: String
        /// "--stdlib", "$LIPLUA_STDLIB", "installed" or "source tree".
        public var origin: String
        public init(directory: String, origin: String) {
            self.directory = directory
            self.origin = origin
        }
    }

    public enum Problem: Error, CustomStringConvertible {
        case notAStdlib(String, origin: String)
        public var description: String {
            switch self {
            case let .notAStdlib(dir, origin):
                return "\(origin) names '\(dir)', which has no lip/init.lua; point it at the stdlib/ directory of liplua"
            }
        }
    }

    /// The stdlib directory of the source tree this module was compiled from.
    public static let sourceTree: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("stdlib").path

    static func isStdlib(_ dir: String) -> Bool {
        FileManager.default.fileExists(atPath: dir + "/lip/init.lua")
    }

    /// Search order: `explicit` (--stdlib), `$LIPLUA_STDLIB` (unless `ignoreEnvironment`),
    /// `<executable dir>/../share/liplua/stdlib`, then the source tree. An explicit or
    /// environment directory without lip/init.lua is an error, not skipped silently.
    public static func find(explicit: String?, ignoreEnvironment: Bool = false,
                              executablePath: String? = nil) throws -> Location? {
        if let explicit {
            guard isStdlib(explicit) else { throw Problem.notAStdlib(explicit, origin: "--stdlib") }
            return Location(directory: explicit, origin: "--stdlib")
        }
        if !ignoreEnvironment, let env = ProcessInfo.processInfo.environment["LIPLUA_STDLIB"], !env.isEmpty {
            guard isStdlib(env) else { throw Problem.notAStdlib(env, origin: "$LIPLUA_STDLIB") }
            return Location(directory: env, origin: "$LIPLUA_STDLIB")
        }
        if let exe = executablePath {
            let installed = URL(fileURLWithPath: exe).resolvingSymlinksInPath().deletingLastPathComponent()
                .appendingPathComponent("../share/liplua/stdlib").standardizedFileURL.path
            if isStdlib(installed) { return Location(directory: installed, origin: "installed") }
        }
        if isStdlib(sourceTree) { return Location(directory: sourceTree, origin: "source tree") }
        return nil
    }

    /// `find(explicit: nil)` with defaults, ignoring problems (used by `LuaVM()`).
    public static func locate() -> Location? {
        (try? find(explicit: nil)) ?? (isStdlib(sourceTree) ? Location(directory: sourceTree, origin: "source tree") : nil)
    }
}
