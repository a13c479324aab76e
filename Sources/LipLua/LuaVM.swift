import CLua
import CLuaShims
import Foundation
import LipControl
import LipCore
import LipLP

/// A Lua error seen from Swift: the error message ("file.lua:12: message") and, when the
/// error went through the traceback handler, the "stack traceback:" lines.
public struct LuaError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var traceback: String

    public init(message: String, traceback: String = "") {
        self.message = message
        self.traceback = traceback
    }

    /// Splits the output of the traceback handler ("msg\nstack traceback:\n...").
    init(handlerOutput text: String) {
        if let r = text.range(of: "\nstack traceback:") {
            message = String(text[..<r.lowerBound])
            traceback = String(text[text.index(after: r.lowerBound)...])
        } else {
            message = text
            traceback = ""
        }
    }

    public var description: String { traceback.isEmpty ? message : message + "\n" + traceback }
}

/// The signature of a Swift function exported to Lua. The body reads its arguments from
/// `call`, pushes its results and returns how many it pushed. Throwing is the only way to
/// raise a Lua error: the dispatcher turns the Swift error into a Lua error with the
/// caller's position after every Swift frame has returned (see Sources/CLuaShims).
public typealias LuaNativeFunction = (LuaCall) throws -> Int

/// Holds one exported Swift function; the Lua closure carries a pointer to it as upvalue.
final class NativeBox {
    let name: String
    let body: LuaNativeFunction
    init(name: String, body: @escaping LuaNativeFunction) {
        self.name = name
        self.body = body
    }
}

/// The single C entry point of every exported Swift function (called by the CLuaShims
/// trampoline). It never raises: errors are left on the stack and -1 is returned.
let nativeDispatch: liplua_SwiftFn = { state in
    guard let L = state, let raw = lua_touserdata(L, liplua_upvalueindex(1)) else { return 0 }
    let box = Unmanaged<NativeBox>.fromOpaque(raw).takeUnretainedValue()
    let vm = LuaVM.from(L)
    let previous = vm?.activeState
    vm?.activeState = L
    // Each native call has its own "first callback failure" slot (nested calls save the
    // outer one); see LuaFunction.withResults.
    let outerFailure = vm?.callbackFailure
    vm?.callbackFailure = nil
    vm?.nativeDepth += 1
    defer {
        vm?.activeState = previous
        vm?.callbackFailure = outerFailure
        vm?.nativeDepth -= 1
        if vm?.nativeDepth == 0 { vm?.clearBindingCallbackErrors() }
    }
    do {
        let n = try box.body(LuaCall(state: L, function: box.name))
        // A callback failed but the code in between went on (LipCore's closures cannot
        // throw and return NaN instead): the call fails with the callback's error.
        if let failure = vm?.callbackFailure { throw failure }
        return Int32(n)
    } catch {
        // The first callback failure explains what followed (NaN values, invalid LPs).
        let first = vm?.callbackFailure ?? error
        let message = LuaVM.errorMessage(for: first, function: box.name, state: L)
        lua_settop(L, 0)
        lua_pushstring(L, message)
        return -1
    }
}

/// An embedded Lua 5.4 interpreter with the `lip` standard library on its module path.
///
/// Every chunk runs under `lua_pcall` with a traceback handler; Lua errors come back as a
/// thrown `LuaError`. Swift functions exported with `register(module:name:doc:_:)` live in
/// the native table `_lip` (`require "_lip"`), which the Lua modules of stdlib/lip wrap.
/// A `LuaVM` is bound to the thread that uses it; it is not `Sendable`.
public final class LuaVM {
    /// The main Lua state. Valid until `close()`.
    public private(set) var state: OpaquePointer?
    /// The state a native function is currently running on (a coroutine's thread, maybe).
    var activeState: OpaquePointer?
    /// The stdlib directory put on `package.path`, if one was found.
    public let stdlibDirectory: String?
    /// How the stdlib directory was found ("--stdlib", "$LIPLUA_STDLIB", "installed", "source tree").
    public let stdlibOrigin: String?

    var natives: [NativeBox] = []
    var userdataTypes: [ObjectIdentifier: String] = [:]
    /// Per-state objects of binding files (e.g. the Lua callback error slot of CoreBindings).
    var extra: [String: AnyObject] = [:]
    /// Registry reference of the `_lip` table.
    var libraryRef: Int32 = 0
    /// Documentation of native functions, by full name ("lp.solve").
    public internal(set) var documentation: [String: String] = [:]

    /// The registries of this state (activations, norms, product families, sparsity patterns,
    /// relaxations, solvers): the built-ins plus what Lua code defines. Names resolve here.
    public let registries: Registries = Registries.builtin()
    /// The first error a Lua callback raised during the running native call, and how deep
    /// native calls are nested (0: Swift called Lua directly, e.g. the REPL).
    var callbackFailure: Error?
    var nativeDepth = 0

    /// Records `error` as the running native call's first callback failure (outside native
    /// calls nothing is recorded) and returns it for throwing.
    func recordCallbackFailure(_ error: Error) -> Error {
        if nativeDepth > 0, callbackFailure == nil { callbackFailure = error }
        return error
    }

    /// The bindings' own slot (CallbackErrors) must not carry a failure into the next call.
    func clearBindingCallbackErrors() {
        (extra["callbackErrors"] as? CallbackErrors)?.first = nil
    }

    /// Runs `body` with a deadline `seconds` from now for Lua code: LuaFunction calls made
    /// after it fail with `LuaInterruption(.timeLimit)`, and Lua code running then (a looping
    /// callback) stops with "time limit reached". Nested deadlines keep the earliest. `nil`,
    /// NaN, +∞ or ≥ 1e9 s set none. Native functions with a time limit wrap their work in this.
    public func withDeadline<R>(seconds: Double?, _ body: () throws -> R) rethrows -> R {
        guard let s = seconds else { return try body() }
        let previous = liplua_deadline_push(s)
        defer { liplua_deadline_pop(previous) }
        return try body()
    }
    /// Writes an LP to a file ("mps" or "lp" format) for `lip.lp.write`; set by the host.
    public var lpWriter: ((LinearProgram, String, String) throws -> Void)?
    /// Shown by `_lip.version()`: the host's version line (set by the executable).
    public var versionText: String = "liplua (embedded)"

    /// Creates a state with the standard Lua libraries, the `_lip` native table and
    /// `package.path` extended by the stdlib directory.
    /// - Parameter stdlib: where stdlib/ is; `nil` searches (`LuaStdlib.locate`).
    public init(stdlib: LuaStdlib.Location? = LuaStdlib.locate()) throws {
        guard let L = luaL_newstate() else { throw LuaError(message: "cannot create a Lua state (out of memory)") }
        state = L
        stdlibDirectory = stdlib?.directory
        stdlibOrigin = stdlib?.origin
        clua_getextraspace(L).storeBytes(of: Unmanaged.passUnretained(self).toOpaque(), as: UnsafeMutableRawPointer?.self)
        luaL_openlibs(L)
        liplua_install_coroutine_watch(L)

        // package.loaded._lip = {}
        lua_createtable(L, 0, 8)
        lua_pushvalue(L, -1)
        libraryRef = luaL_ref(L, CLUA_REGISTRYINDEX)
        lua_getfield(L, CLUA_REGISTRYINDEX, LUA_LOADED_TABLE)
        lua_pushvalue(L, -2)
        lua_setfield(L, -2, "_lip")
        lua_settop(L, 0)

        installBindings()
        try run(string: """
            local dir = ...
            if dir then
              package.path = dir .. "/?.lua;" .. dir .. "/?/init.lua;" .. package.path
            end
            function help(...) return require("lip.doc").help(...) end
            -- `lip` is a global in every mode (scripts, -e, the REPL); require "lip" returns
            -- the same table. Loading it costs nothing: its modules load on first use.
            if dir then lip = require "lip" end
            """, chunkName: "=(liplua init)", arguments: stdlibDirectory.map { [$0] } ?? [])
    }

    deinit { close() }

    /// "Lua 5.4.4": the release of the Lua library this module was compiled against.
    public static let luaRelease = "Lua \(CLUA_VERSION_RELEASE_NUM / 10000).\(CLUA_VERSION_RELEASE_NUM / 100 % 100).\(CLUA_VERSION_RELEASE_NUM % 100)"

    /// Closes the state (runs every pending `__gc`). Safe to call twice.
    public func close() {
        guard let L = state else { return }
        lua_close(L)
        state = nil
        natives.removeAll()
    }

    /// The VM stored in a state's extra space.
    public static func from(_ L: OpaquePointer) -> LuaVM? {
        guard let raw = clua_getextraspace(L).load(as: UnsafeMutableRawPointer?.self) else { return nil }
        return Unmanaged<LuaVM>.fromOpaque(raw).takeUnretainedValue()
    }

    func liveState() throws -> OpaquePointer {
        guard let L = state else { throw LuaError(message: "the Lua state is closed") }
        return activeState ?? L
    }

    // MARK: running chunks

    /// Runs a Lua file with `arguments` as `...`; returns what the chunk returns.
    @discardableResult
    public func run(file path: String, arguments: [String] = []) throws -> [LuaValue] {
        let L = try liveState()
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        let status = path == "-" ? luaL_loadfilex(L, nil, nil) : luaL_loadfilex(L, path, nil)
        if status != LUA_OK { throw LuaError(message: Self.popString(L)) }
        return try callLoaded(L, base: base, arguments: arguments)
    }

    /// Runs a string chunk with `arguments` as `...`; returns what the chunk returns.
    /// `chunkName` follows Lua's rules ("=name" is used verbatim, "@file" names a file).
    @discardableResult
    public func run(string source: String, chunkName: String = "=(string)", arguments: [String] = []) throws -> [LuaValue] {
        let L = try liveState()
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        if Self.load(L, source, chunkName) != LUA_OK { throw LuaError(message: Self.popString(L)) }
        return try callLoaded(L, base: base, arguments: arguments)
    }

    /// Evaluates a line the way the REPL does: first as an expression (`return <line>`),
    /// then as a statement. Returns the values produced.
    public func evaluate(_ source: String, chunkName: String = "=stdin") throws -> [LuaValue] {
        let L = try liveState()
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        if Self.load(L, "return " + source, chunkName) != LUA_OK {
            lua_settop(L, base)
            if Self.load(L, source, chunkName) != LUA_OK { throw LuaError(message: Self.popString(L)) }
        }
        return try callLoaded(L, base: base, arguments: [])
    }

    static func load(_ L: OpaquePointer, _ source: String, _ name: String) -> Int32 {
        var utf8 = Array(source.utf8)
        return utf8.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(buffer.count, 1)) {
                luaL_loadbufferx(L, $0, buffer.count, name, nil)
            }
        }
    }

    /// Calls the function on top of the stack (above `base`) under pcall with the traceback
    /// handler and converts its results.
    func callLoaded(_ L: OpaquePointer, base: Int32, arguments: [String]) throws -> [LuaValue] {
        for a in arguments { lua_pushstring(L, a) }
        lua_pushcclosure(L, liplua_traceback, 0)
        let handler = base + 1
        lua_rotate(L, handler, 1)
        let status = lua_pcall(L, Int32(arguments.count), LUA_MULTRET, handler)
        if status != LUA_OK { throw LuaError(handlerOutput: Self.popString(L)) }
        var values: [LuaValue] = []
        let top = lua_gettop(L)
        if top > handler {
            for i in (handler + 1)...top { values.append(LuaValue(L, i)) }
        }
        return values
    }

    /// Reads the string on top of the stack (any value, converted safely) and pops it.
    static func popString(_ L: OpaquePointer) -> String {
        defer { lua_settop(L, -2) }
        if lua_type(L, -1) == LUA_TSTRING, let s = lua_tolstring(L, -1, nil) { return String(cString: s) }
        if liplua_pcall_tostring(L, -1) == LUA_OK, let s = lua_tolstring(L, -1, nil) {
            let r = String(cString: s); lua_settop(L, -2); return r
        }
        lua_settop(L, -2)
        return "(error object is a \(String(cString: luaL_typename(L, -1))) value)"
    }

    /// Restores default signal handling (unblocks signals a parent may have blocked).
    public static func resetSignals() { liplua_reset_signals() }

    /// Runs `body` with Ctrl-C turned into the Lua error "interrupted!" (as lua.c does): the
    /// SIGINT handler sets the process-wide interrupt flag (`LipControl.Interrupt`), which the
    /// LP solvers and the Lua stop hook poll. The flag stays set when `body` returns: the
    /// caller decides (the REPL clears it before the next command, a script exits with 130).
    @discardableResult
    public func interruptible<R>(_ body: () throws -> R) rethrows -> R {
        if let L = state { liplua_interruptible_begin(L) }
        defer { liplua_interruptible_end() }
        return try body()
    }

    // MARK: globals and the `arg` table

    /// Sets `arg` as lua.c does: `arg[0]` is the script, `arg[1...]` its arguments and
    /// negative indices the interpreter's own arguments before the script.
    public func setArgTable(_ argv: [String], scriptIndex: Int) {
        guard let L = state else { return }
        lua_createtable(L, Int32(max(argv.count - scriptIndex - 1, 0)), Int32(scriptIndex + 1))
        for (i, a) in argv.enumerated() {
            lua_pushstring(L, a)
            lua_rawseti(L, -2, lua_Integer(i - scriptIndex))
        }
        lua_setglobal(L, "arg")
    }

    /// Sets a global to a Swift value.
    public func setGlobal(_ name: String, _ value: some LuaPushable) {
        guard let L = state else { return }
        value.push(onto: L)
        lua_setglobal(L, name)
    }

    // MARK: the native table `_lip`

    /// Exports a Swift function as `_lip.<module>.<name>` (or `_lip.<name>` when `module`
    /// is empty) with its documentation (shown by `help`).
    public func register(module: String, name: String, doc: String, _ body: @escaping LuaNativeFunction) {
        guard let L = state else { return }
        let full = module.isEmpty ? name : module + "." + name
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        pushFunction(named: full, body)
        let fn = base + 1
        lua_rawgeti(L, CLUA_REGISTRYINDEX, lua_Integer(libraryRef))
        if !module.isEmpty { Self.rawSubtable(L, -1, module) }
        lua_pushstring(L, name)
        lua_pushvalue(L, fn)
        lua_rawset(L, -3)
        // _lip._doc[fn] = { name = full, text = doc }
        lua_rawgeti(L, CLUA_REGISTRYINDEX, lua_Integer(libraryRef))
        Self.rawSubtable(L, -1, "_doc")
        lua_pushvalue(L, fn)
        lua_createtable(L, 0, 2)
        lua_pushstring(L, full); lua_setfield(L, -2, "name")
        lua_pushstring(L, doc); lua_setfield(L, -2, "text")
        lua_rawset(L, -3)
        documentation[full] = doc
    }

    /// Pushes a Lua function that calls `body` (through the error trampoline).
    public func pushFunction(named name: String, _ body: @escaping LuaNativeFunction) {
        guard let L = state else { return }
        let box = NativeBox(name: name, body: body)
        natives.append(box)
        lua_pushlightuserdata(L, Unmanaged.passUnretained(box).toOpaque())
        liplua_pushclosure(L, nativeDispatch, 1)
    }

    /// Leaves `t[name]` (a table, created if absent; raw access) on the stack above `t`.
    static func rawSubtable(_ L: OpaquePointer, _ index: Int32, _ name: String) {
        let t = lua_absindex(L, index)
        lua_pushstring(L, name)
        if lua_rawget(L, t) != LUA_TTABLE {
            lua_settop(L, -2)
            lua_createtable(L, 0, 4)
            lua_pushstring(L, name)
            lua_pushvalue(L, -2)
            lua_rawset(L, t)
        }
    }

    // MARK: error messages

    /// "file.lua:12: " for the Lua function that called the running native function
    /// (luaL_where(L, 1); lua_getstack and lua_getinfo do not raise).
    static func callerPosition(_ L: OpaquePointer) -> String {
        luaL_where(L, 1)
        defer { lua_settop(L, -2) }
        return lua_tolstring(L, -1, nil).map { String(cString: $0) } ?? ""
    }

    static func errorMessage(for error: any Error, function: String, state L: OpaquePointer) -> String {
        switch error {
        case let e as LuaError:
            return e.message   // already positioned by Lua
        case let e as LuaArgumentError:
            var arg = e.argument
            var fname = function
            // Name the function as the caller did (Lua's own rule); a method call `obj:f(x)`
            // counts self as argument #1.
            var ar = lua_Debug()
            if lua_getstack(L, 0, &ar) != 0, lua_getinfo(L, "n", &ar) != 0 {
                if let n = ar.name { fname = String(cString: n) }
                if let what = ar.namewhat, String(cString: what) == "method" {
                    arg -= 1
                    if arg == 0 { return callerPosition(L) + "calling '\(fname)' on bad self (\(e.detail))" }
                }
            }
            return callerPosition(L) + "bad argument #\(arg) to '\(fname)' (\(e.detail))"
        case let e as LuaInterruption:
            // Lua code of a callback was stopped; stay close to lua.c's "interrupted!".
            return callerPosition(L) + e.description
        default:
            return callerPosition(L) + String(describing: error)
        }
    }
}

/// A bad argument to a native function; becomes "bad argument #2 to 'solve' (detail)".
public struct LuaArgumentError: Error, CustomStringConvertible {
    public var argument: Int
    public var detail: String
    public init(argument: Int, detail: String) {
        self.argument = argument
        self.detail = detail
    }
    public var description: String { "bad argument #\(argument) (\(detail))" }
}

/// A plain error raised from a native function: "file.lua:12: <message>".
public struct LuaRaise: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
