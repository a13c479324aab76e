import CLua
import CLuaShims

/// The view a native function has of its call: checked argument readers (they throw
/// `LuaArgumentError`, which becomes "bad argument #i to 'f' (...)" at the caller's line)
/// and pushers for results. Only non-raising Lua API calls are used (raw table access).
public struct LuaCall {
    public let state: OpaquePointer
    /// The registered name ("lp.solve"), used in messages.
    public let function: String

    public init(state: OpaquePointer, function: String) {
        self.state = state
        self.function = function
    }

    public var vm: LuaVM { LuaVM.from(state)! }
    public var argumentCount: Int { Int(lua_gettop(state)) }

    /// Lua's name of the type at `index`; userdata with a `__name` metafield use that name.
    public static func typeName(_ L: OpaquePointer, _ index: Int32) -> String {
        if lua_type(L, index) == LUA_TUSERDATA, lua_getmetatable(L, index) != 0 {
            defer { lua_settop(L, -2) }
            lua_pushstring(L, "__name")
            defer { lua_settop(L, -2) }
            if lua_rawget(L, -2) == LUA_TSTRING { return stringAt(L, -1) }
        }
        return String(cString: luaL_typename(L, index))
    }

    static func stringAt(_ L: OpaquePointer, _ index: Int32) -> String {
        var len = 0
        guard let p = lua_tolstring(L, index, &len) else { return "" }
        return p.withMemoryRebound(to: UInt8.self, capacity: len) {
            String(decoding: UnsafeBufferPointer(start: $0, count: len), as: UTF8.self)
        }
    }

    public func isNoneOrNil(_ i: Int) -> Bool { lua_type(state, Int32(i)) <= LUA_TNIL }
    public func type(_ i: Int) -> Int32 { lua_type(state, Int32(i)) }

    func bad(_ i: Int, _ detail: String) -> LuaArgumentError { LuaArgumentError(argument: i, detail: detail) }
    func expected(_ i: Int, _ what: String) -> LuaArgumentError {
        bad(i, "\(what) expected, got \(Self.typeName(state, Int32(i)) == "nil" && lua_type(state, Int32(i)) == LUA_TNONE ? "no value" : Self.typeName(state, Int32(i)))")
    }

    // MARK: scalar arguments

    public func number(_ i: Int) throws -> Double {
        do { return try LuaRead.number(state, Int32(i)) } catch let e as LuaRead.Problem { throw bad(i, e.text) }
    }
    public func optionalNumber(_ i: Int) throws -> Double? { isNoneOrNil(i) ? nil : try number(i) }
    public func integer(_ i: Int) throws -> Int {
        do { return try LuaRead.integer(state, Int32(i)) } catch let e as LuaRead.Problem { throw bad(i, e.text) }
    }
    public func optionalInteger(_ i: Int) throws -> Int? { isNoneOrNil(i) ? nil : try integer(i) }
    public func string(_ i: Int) throws -> String {
        do { return try LuaRead.string(state, Int32(i)) } catch let e as LuaRead.Problem { throw bad(i, e.text) }
    }
    public func optionalString(_ i: Int) throws -> String? { isNoneOrNil(i) ? nil : try string(i) }
    public func boolean(_ i: Int) throws -> Bool {
        do { return try LuaRead.boolean(state, Int32(i)) } catch let e as LuaRead.Problem { throw bad(i, e.text) }
    }
    public func optionalBoolean(_ i: Int) throws -> Bool? { isNoneOrNil(i) ? nil : try boolean(i) }

    /// Checks that argument `i` is a table (for code that reads it with raw access).
    public func table(_ i: Int) throws {
        guard lua_type(state, Int32(i)) == LUA_TTABLE else { throw expected(i, "table") }
    }

    // MARK: table arguments

    /// A sequence of numbers {x1, ..., xn} → [Double].
    public func numbers(_ i: Int) throws -> [Double] {
        do { return try LuaRead.numbers(state, Int32(i)) } catch let e as LuaRead.Problem { throw bad(i, e.text) }
    }
    public func optionalNumbers(_ i: Int) throws -> [Double]? { isNoneOrNil(i) ? nil : try numbers(i) }
    /// A sequence of integers → [Int].
    public func integers(_ i: Int) throws -> [Int] {
        do { return try LuaRead.integers(state, Int32(i)) } catch let e as LuaRead.Problem { throw bad(i, e.text) }
    }
    /// Nested sequences {{...}, {...}} → [[Double]] (rows may differ in length).
    public func matrix(_ i: Int) throws -> [[Double]] {
        do { return try LuaRead.matrix(state, Int32(i)) } catch let e as LuaRead.Problem { throw bad(i, e.text) }
    }
    public func strings(_ i: Int) throws -> [String] {
        do { return try LuaRead.strings(state, Int32(i)) } catch let e as LuaRead.Problem { throw bad(i, e.text) }
    }

    /// A Lua function argument, held for calls from Swift.
    public func function(_ i: Int) throws -> LuaFunction {
        guard lua_type(state, Int32(i)) == LUA_TFUNCTION else { throw expected(i, "function") }
        return LuaFunction(vm: vm, state: state, index: Int32(i))
    }

    /// Any value, copied (see `LuaValue`).
    public func value(_ i: Int) -> LuaValue { LuaValue(state, Int32(i)) }

    /// An options table: unknown keys raise "unknown option 'degre' to 'f' (allowed: ...)".
    /// A missing argument (nil/none) gives an empty options table unless `required`.
    public func options(_ i: Int, allowed: [String], required: Bool = false) throws -> LuaOptions {
        let L = state
        let t = Int32(i)
        if lua_type(L, t) <= LUA_TNIL && !required {
            return LuaOptions(call: self, index: nil, argument: i)
        }
        guard lua_type(L, t) == LUA_TTABLE else { throw expected(i, "table of options") }
        lua_pushnil(L)
        while lua_next(L, t) != 0 {
            lua_settop(L, -2)
            guard lua_type(L, -1) == LUA_TSTRING else {
                let k = lua_type(L, -1) == LUA_TNUMBER ? "[\(LuaValue(L, -1))]" : Self.typeName(L, -1)
                lua_settop(L, -2)
                throw bad(i, "option keys must be names, got \(k); allowed: \(allowed.sorted().joined(separator: ", "))")
            }
            let key = Self.stringAt(L, -1)
            if !allowed.contains(key) {
                lua_settop(L, -2)
                var text = "unknown option '\(key)'"
                if let near = closest(key, in: allowed) { text += "; did you mean '\(near)'?" } else { text += ";" }
                text += " allowed: \(allowed.sorted().joined(separator: ", "))"
                throw bad(i, text)
            }
        }
        return LuaOptions(call: self, index: t, argument: i)
    }

    // MARK: results

    /// Pushes a value; returns 1 so a body can end with `return call.push(x)`.
    @discardableResult
    public func push(_ value: some LuaPushable) -> Int { value.push(onto: state); return 1 }
    @discardableResult
    public func pushNil() -> Int { lua_pushnil(state); return 1 }
    /// Pushes a record {key = value, ...} of mixed Swift values.
    @discardableResult
    public func pushRecord(_ fields: KeyValuePairs<String, any LuaPushable>) -> Int {
        lua_createtable(state, 0, Int32(fields.count))
        for (k, v) in fields {
            v.push(onto: state)
            lua_setfield(state, -2, k)   // fresh table without metatable: no metamethods
        }
        return 1
    }
}

/// The options table of a native call; getters return nil for absent keys and throw
/// "bad argument #i to 'f' (option 'key': number expected, got string)" for wrong types.
public struct LuaOptions {
    let call: LuaCall
    let index: Int32?
    let argument: Int

    func field<R>(_ key: String, _ read: (OpaquePointer, Int32) throws -> R) throws -> R? {
        guard let t = index else { return nil }
        let L = call.state
        lua_pushstring(L, key)
        defer { lua_settop(L, -2) }
        if lua_rawget(L, t) == LUA_TNIL { return nil }
        do { return try read(L, lua_gettop(L)) } catch let e as LuaRead.Problem {
            throw LuaArgumentError(argument: argument, detail: "option '\(key)': \(e.text)")
        }
    }

    public func has(_ key: String) -> Bool { ((try? field(key) { _, _ in true }) ?? nil) ?? false }
    public func number(_ key: String) throws -> Double? { try field(key, LuaRead.number) }
    public func integer(_ key: String) throws -> Int? { try field(key, LuaRead.integer) }
    public func string(_ key: String) throws -> String? { try field(key, LuaRead.string) }
    public func boolean(_ key: String) throws -> Bool? { try field(key, LuaRead.boolean) }
    public func numbers(_ key: String) throws -> [Double]? { try field(key, LuaRead.numbers) }
    public func integers(_ key: String) throws -> [Int]? { try field(key, LuaRead.integers) }
    public func matrix(_ key: String) throws -> [[Double]]? { try field(key, LuaRead.matrix) }
    public func strings(_ key: String) throws -> [String]? { try field(key, LuaRead.strings) }
    public func value(_ key: String) throws -> LuaValue? { try field(key) { L, i in LuaValue(L, i) } }
    public func function(_ key: String) throws -> LuaFunction? {
        try field(key) { L, i in
            guard lua_type(L, i) == LUA_TFUNCTION else { throw LuaRead.Problem(expected: "function", L, i) }
            return LuaFunction(vm: call.vm, state: L, index: i)
        }
    }
    /// A string that must be one of `choices` ("method must be one of auto, primal, ...").
    public func choice(_ key: String, _ choices: [String]) throws -> String? {
        guard let s = try string(key) else { return nil }
        guard choices.contains(s) else {
            throw LuaArgumentError(argument: argument, detail: "option '\(key)': '\(s)' is not one of \(choices.joined(separator: ", "))")
        }
        return s
    }
    /// Runs `read` with the field's stack index (for custom shapes); nil if absent.
    public func withField<R>(_ key: String, _ read: (OpaquePointer, Int32) throws -> R) throws -> R? {
        try field(key, read)
    }
}

/// Raw readers of Lua values at a stack index. They throw `Problem` with a description that
/// the callers place into an argument or option message.
public enum LuaRead {
    public struct Problem: Error, CustomStringConvertible {
        public var text: String
        public init(_ text: String) { self.text = text }
        init(expected: String, _ L: OpaquePointer, _ i: Int32) {
            text = "\(expected) expected, got \(lua_type(L, i) == LUA_TNONE ? "no value" : LuaCall.typeName(L, i))"
        }
        public var description: String { text }
    }

    public static func number(_ L: OpaquePointer, _ i: Int32) throws -> Double {
        var ok: Int32 = 0
        let x = lua_tonumberx(L, i, &ok)
        guard ok != 0 else { throw Problem(expected: "number", L, i) }
        return x
    }
    public static func integer(_ L: OpaquePointer, _ i: Int32) throws -> Int {
        var ok: Int32 = 0
        let n = lua_tointegerx(L, i, &ok)
        if ok != 0 { return Int(n) }
        if lua_type(L, i) == LUA_TNUMBER { throw Problem("number has no integer representation") }
        throw Problem(expected: "integer", L, i)
    }
    public static func string(_ L: OpaquePointer, _ i: Int32) throws -> String {
        guard lua_type(L, i) == LUA_TSTRING else { throw Problem(expected: "string", L, i) }
        return LuaCall.stringAt(L, i)
    }
    public static func boolean(_ L: OpaquePointer, _ i: Int32) throws -> Bool {
        guard lua_type(L, i) == LUA_TBOOLEAN else { throw Problem(expected: "boolean", L, i) }
        return lua_toboolean(L, i) != 0
    }

    static func sequence<T>(_ L: OpaquePointer, _ i: Int32, _ what: String,
                            _ element: (OpaquePointer, Int32) throws -> T) throws -> [T] {
        guard lua_type(L, i) == LUA_TTABLE else { throw Problem(expected: "table of \(what)", L, i) }
        let t = lua_absindex(L, i)
        let n = Int(lua_rawlen(L, t))
        var out: [T] = []
        out.reserveCapacity(n)
        guard n > 0 else { return out }
        for k in 1...n {
            lua_rawgeti(L, t, lua_Integer(k))
            defer { lua_settop(L, -2) }
            do { out.append(try element(L, -1)) } catch let p as Problem {
                throw Problem("element [\(k)]: \(p.text)")
            }
        }
        return out
    }

    public static func numbers(_ L: OpaquePointer, _ i: Int32) throws -> [Double] {
        guard lua_type(L, i) == LUA_TTABLE else { throw Problem(expected: "table of numbers", L, i) }
        let t = lua_absindex(L, i)
        let n = Int(lua_rawlen(L, t))
        var out = [Double](repeating: 0, count: n)
        var ok: Int32 = 0
        for k in 0..<n {
            lua_rawgeti(L, t, lua_Integer(k + 1))
            out[k] = lua_tonumberx(L, -1, &ok)
            if ok == 0 {
                let p = Problem(expected: "number", L, -1)
                lua_settop(L, -2)
                throw Problem("element [\(k + 1)]: \(p.text)")
            }
            lua_settop(L, -2)
        }
        return out
    }
    public static func integers(_ L: OpaquePointer, _ i: Int32) throws -> [Int] { try sequence(L, i, "integers", integer) }
    public static func strings(_ L: OpaquePointer, _ i: Int32) throws -> [String] { try sequence(L, i, "strings", string) }
    public static func matrix(_ L: OpaquePointer, _ i: Int32) throws -> [[Double]] {
        try sequence(L, i, "rows (tables of numbers)") { L, j in try numbers(L, j) }
    }
}

/// The allowed word nearest to `word` (edit distance ≤ 2), for "did you mean" hints.
func closest(_ word: String, in words: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var prev = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var cur = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                cur[j + 1] = min(prev[j + 1] + 1, cur[j] + 1, prev[j] + (x == y ? 0 : 1))
            }
            prev = cur
        }
        return prev[b.count]
    }
    let a = Array(word)
    let best = words.map { ($0, distance(a, Array($0))) }.min { $0.1 < $1.1 }
    return best.flatMap { $0.1 <= 2 ? $0.0 : nil }
}
