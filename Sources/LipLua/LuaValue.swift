import CLua
import CLuaShims
import LipControl

/// A Swift value that can be pushed onto a Lua stack. Arrays become sequences (1-based),
/// dictionaries with string keys become records.
public protocol LuaPushable {
    func push(onto L: OpaquePointer)
}

extension Double: LuaPushable { public func push(onto L: OpaquePointer) { lua_pushnumber(L, self) } }
extension Float: LuaPushable { public func push(onto L: OpaquePointer) { lua_pushnumber(L, Double(self)) } }
extension Int: LuaPushable { public func push(onto L: OpaquePointer) { lua_pushinteger(L, lua_Integer(self)) } }
extension Int32: LuaPushable { public func push(onto L: OpaquePointer) { lua_pushinteger(L, lua_Integer(self)) } }
extension Int64: LuaPushable { public func push(onto L: OpaquePointer) { lua_pushinteger(L, self) } }
extension Bool: LuaPushable { public func push(onto L: OpaquePointer) { lua_pushboolean(L, self ? 1 : 0) } }
extension String: LuaPushable {
    public func push(onto L: OpaquePointer) {
        var s = self
        s.withUTF8 { b in
            b.withMemoryRebound(to: CChar.self) { c in _ = lua_pushlstring(L, c.baseAddress, c.count) }
        }
    }
}
extension Optional: LuaPushable where Wrapped: LuaPushable {
    public func push(onto L: OpaquePointer) {
        if let v = self { v.push(onto: L) } else { lua_pushnil(L) }
    }
}
extension Array: LuaPushable where Element: LuaPushable {
    public func push(onto L: OpaquePointer) {
        lua_createtable(L, Int32(clamping: count), 0)
        for (i, v) in enumerated() {
            v.push(onto: L)
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
    }
}
extension Dictionary: LuaPushable where Key == String, Value: LuaPushable {
    public func push(onto L: OpaquePointer) {
        lua_createtable(L, 0, Int32(clamping: count))
        for (k, v) in self {
            k.push(onto: L)
            v.push(onto: L)
            lua_rawset(L, -3)
        }
    }
}

/// A Lua value copied into Swift (tables are copied recursively with raw access; functions
/// are kept alive by a registry reference).
public enum LuaValue: LuaPushable, CustomStringConvertible {
    case luaNil
    case boolean(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    /// A sequence 1...n.
    case array([LuaValue])
    /// Any other table; non-string keys are converted with Lua's `tostring` rules for numbers.
    case table([String: LuaValue])
    case function(LuaFunction)
    /// Userdata, threads and anything else, described by type name.
    case other(String)

    /// Copies the value at `index` (no metamethods run; nesting deeper than 32 or cycles give `.other`).
    public init(_ L: OpaquePointer, _ index: Int32, depth: Int = 0) {
        let i = lua_absindex(L, index)
        switch lua_type(L, i) {
        case LUA_TNIL, LUA_TNONE: self = .luaNil
        case LUA_TBOOLEAN: self = .boolean(lua_toboolean(L, i) != 0)
        case LUA_TNUMBER:
            if lua_isinteger(L, i) != 0 { self = .integer(lua_tointegerx(L, i, nil)) } else { self = .number(lua_tonumberx(L, i, nil)) }
        case LUA_TSTRING: self = .string(LuaCall.stringAt(L, i))
        case LUA_TFUNCTION:
            if let vm = LuaVM.from(L) { self = .function(LuaFunction(vm: vm, state: L, index: i)) } else { self = .other("function") }
        case LUA_TTABLE:
            guard depth < 32 else { self = .other("table (nested too deep)"); return }
            let n = Int(lua_rawlen(L, i))
            var count = 0
            lua_pushnil(L)
            while lua_next(L, i) != 0 { count += 1; lua_settop(L, -2) }
            if count == n, n > 0 {
                var a: [LuaValue] = []
                a.reserveCapacity(n)
                for k in 1...n {
                    lua_rawgeti(L, i, lua_Integer(k))
                    a.append(LuaValue(L, -1, depth: depth + 1))
                    lua_settop(L, -2)
                }
                self = .array(a)
            } else {
                var d: [String: LuaValue] = [:]
                lua_pushnil(L)
                while lua_next(L, i) != 0 {
                    let key: String
                    switch lua_type(L, -2) {
                    case LUA_TSTRING: key = LuaCall.stringAt(L, -2)
                    case LUA_TNUMBER:
                        key = lua_isinteger(L, -2) != 0 ? String(lua_tointegerx(L, -2, nil)) : String(lua_tonumberx(L, -2, nil))
                    default: key = String(cString: luaL_typename(L, -2))
                    }
                    d[key] = LuaValue(L, -1, depth: depth + 1)
                    lua_settop(L, -2)
                }
                self = .table(d)
            }
        default:
            self = .other(String(cString: luaL_typename(L, i)))
        }
    }

    public func push(onto L: OpaquePointer) {
        switch self {
        case .luaNil: lua_pushnil(L)
        case .boolean(let b): b.push(onto: L)
        case .integer(let n): n.push(onto: L)
        case .number(let x): x.push(onto: L)
        case .string(let s): s.push(onto: L)
        case .array(let a): a.push(onto: L)
        case .table(let d): d.push(onto: L)
        case .function(let f): f.pushValue(onto: L)
        case .other: lua_pushnil(L)
        }
    }

    /// The number, for `.integer` and `.number`.
    public var doubleValue: Double? {
        switch self {
        case .integer(let n): return Double(n)
        case .number(let x): return x
        default: return nil
        }
    }
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var boolValue: Bool? { if case .boolean(let b) = self { return b } else { return nil } }

    public var description: String {
        switch self {
        case .luaNil: return "nil"
        case .boolean(let b): return String(b)
        case .integer(let n): return String(n)
        case .number(let x): return String(x)
        case .string(let s): return String(reflecting: s)
        case .array(let a): return "{" + a.map(\.description).joined(separator: ", ") + "}"
        case .table(let d): return "{" + d.keys.sorted().map { "\($0) = \(d[$0]!)" }.joined(separator: ", ") + "}"
        case .function: return "function"
        case .other(let s): return s
        }
    }
}

/// A Lua function held from Swift (by a registry reference), callable under `lua_pcall`.
/// Use it for user code written in Lua (activations, norms): a Lua error raised inside
/// becomes a thrown `LuaError`.
public final class LuaFunction {
    weak var vm: LuaVM?
    let ref: Int32

    init(vm: LuaVM, state L: OpaquePointer, index: Int32) {
        self.vm = vm
        lua_pushvalue(L, index)
        ref = luaL_ref(L, CLUA_REGISTRYINDEX)
    }

    deinit {
        if let vm, let L = vm.state { luaL_unref(L, CLUA_REGISTRYINDEX, ref) }
    }

    func pushValue(onto L: OpaquePointer) {
        lua_rawgeti(L, CLUA_REGISTRYINDEX, lua_Integer(ref))
    }

    /// Calls the function with `arguments`; returns all its results.
    public func call(_ arguments: [any LuaPushable] = []) throws -> [LuaValue] {
        try withResults(arguments) { L, first, count in
            (0..<count).map { LuaValue(L, first + Int32($0)) }
        }
    }

    /// Calls the function with numbers and returns its first result as a number; a result
    /// that is not a number is an error naming `what` (e.g. "activation 'leaky' f").
    public func callNumber(_ arguments: Double..., what: String = "function") throws -> Double {
        try withResults(arguments) { L, first, count in
            var ok: Int32 = 0
            let x = count > 0 ? lua_tonumberx(L, first, &ok) : 0
            guard count > 0, ok != 0 else {
                let got = count > 0 ? String(cString: luaL_typename(L, first)) : "no value"
                throw LuaRaise("\(what) must return a number, got \(got)")
            }
            return x
        }
    }

    /// Calls with `arguments` and hands the results (stack slots first..<first+count) to `body`.
    ///
    /// Stops: a call made while an interrupt is pending or after the deadline of the running
    /// native call (`LuaVM.withDeadline`) throws `LuaInterruption` at once, without running Lua;
    /// during the call the stop hook is on, so a callback that loops is stopped the same way.
    /// Failures: when this call runs inside a native function (a Lua callback of LipCore, say)
    /// and fails, the error is recorded as the native call's first callback failure; later
    /// calls in the same native call fail at once with it, and the native call raises it even
    /// if the code in between swallowed it (see `nativeDispatch`).
    public func withResults<R>(_ arguments: [any LuaPushable],
                               _ body: (OpaquePointer, Int32, Int) throws -> R) throws -> R {
        guard let vm, let L = try? vm.liveState() else { throw LuaError(message: "the Lua state is closed") }
        if let stop = LuaInterruption.pending { throw vm.recordCallbackFailure(stop) }
        if let first = vm.callbackFailure { throw first }
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        guard lua_checkstack(L, Int32(arguments.count) + 4) != 0 else { throw vm.recordCallbackFailure(LuaRaise("Lua stack overflow")) }
        lua_pushcclosure(L, liplua_traceback, 0)
        pushValue(onto: L)
        for a in arguments { a.push(onto: L) }
        var saved = liplua_saved_hook()
        liplua_stop_hook_install(L, &saved)
        let status = lua_pcall(L, Int32(arguments.count), LUA_MULTRET, base + 1)
        liplua_stop_hook_restore(L, &saved)
        if status != LUA_OK {
            let error = LuaError(handlerOutput: LuaVM.popString(L))
            throw vm.recordCallbackFailure(LuaInterruption.classify(error) ?? error)
        }
        do {
            return try body(L, base + 2, Int(lua_gettop(L) - base - 1))
        } catch {
            throw vm.recordCallbackFailure(error)
        }
    }
}

/// Lua code (a callback, a chunk) was stopped by an interrupt (Ctrl-C) or by the deadline of
/// the running native call. Thrown by `LuaFunction` calls; in Lua the message reads
/// "interrupted!" or "time limit reached".
public struct LuaInterruption: Error, CustomStringConvertible, Sendable, Equatable {
    public var reason: StopReason
    public init(_ reason: StopReason) { self.reason = reason }
    public var description: String { reason == .interrupted ? "interrupted!" : "time limit reached" }

    /// The stop due now: an interrupt request, or this thread's deadline (set by
    /// `LuaVM.withDeadline`) has passed.
    public static var pending: LuaInterruption? {
        switch liplua_stop_reason() {
        case LIPLUA_STOP_INTERRUPTED: return LuaInterruption(.interrupted)
        case LIPLUA_STOP_TIME_LIMIT: return LuaInterruption(.timeLimit)
        default: return nil
        }
    }

    /// A Lua error raised by the stop hook (or any error while an interrupt is pending) as a
    /// typed interruption; nil for other errors.
    static func classify(_ e: LuaError) -> LuaInterruption? {
        if Interrupt.isRequested { return LuaInterruption(.interrupted) }
        if e.message.hasSuffix("interrupted!") { return LuaInterruption(.interrupted) }
        if e.message.hasSuffix("time limit reached") { return LuaInterruption(.timeLimit) }
        return nil
    }
}
