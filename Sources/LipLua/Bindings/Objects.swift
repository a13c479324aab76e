import CLua
import LipCore
import LipLP

// The Swift values Lua holds as userdata, and the bridge for Lua callbacks inside LipCore.

/// Userdata wrappers (LipCore's values are structs; Lua holds references).
public final class NetworkObject { public let net: Network; init(_ n: Network) { net = n } }
public final class ActivationObject { public let act: Activation; init(_ a: Activation) { act = a } }
public final class NormObject { public let norm: Norm; init(_ n: Norm) { norm = n } }
public final class PolynomialObject { public let poly: Polynomial; init(_ p: Polynomial) { poly = p } }
/// A LipschitzProblem with what it was built from (for baselines and reports).
public final class ProblemObject {
    public let problem: LipschitzProblem
    public let network: Network?
    public let inputBox: (lower: [Double], upper: [Double])?
    public let domain: (lower: Double, upper: Double)?
    init(_ p: LipschitzProblem, network: Network?, inputBox: (lower: [Double], upper: [Double])?,
         domain: (lower: Double, upper: Double)?) {
        problem = p; self.network = network; self.inputBox = inputBox; self.domain = domain
    }
    var norm: Norm { problem.norm }
}
/// A linear program built in Swift (the Krivine LP), kept out of Lua tables.
public final class LinearProgramObject { public var lp: LinearProgram; init(_ lp: LinearProgram) { self.lp = lp } }
/// An LP solver's answer, kept in Swift (its primal vector may be millions long).
public final class LPSolutionObject { public let result: LPResult; init(_ r: LPResult) { result = r } }
/// The inverse of the Krivine reduction (turns a solution into a certified bound).
public final class KrivineInverseObject { public let inverse: KrivineInverse; init(_ i: KrivineInverse) { inverse = i } }

/// Lua callbacks used inside LipCore's non-throwing closures: the first Lua error is kept and
/// rethrown by the binding after the LipCore call returns (the closure returns NaN meanwhile,
/// which LipCore's checks reject).
final class CallbackErrors: @unchecked Sendable {
    var first: Error?
    func record(_ e: Error) { if first == nil { first = e } }
    func check() throws { if let e = first { first = nil; throw e } }
}

/// A LuaFunction carried into @Sendable LipCore closures. Lua runs on the thread of the
/// native call that uses it; LipCore calls these closures synchronously there.
struct SendableLuaFunction: @unchecked Sendable {
    let fn: LuaFunction
    let errors: CallbackErrors
    let what: String
    func number(_ x: Double) -> Double {
        if errors.first != nil { return .nan }
        do { return try fn.callNumber(x, what: what) } catch { errors.record(error); return .nan }
    }
    func pair(_ a: Double, _ b: Double) -> (Double, Double) {
        if errors.first != nil { return (.nan, .nan) }
        do {
            let values = try fn.call([a, b])
            guard values.count >= 2, let x = values[0].doubleValue, let y = values[1].doubleValue else {
                throw LuaRaise("\(what) must return two numbers (lo, hi), got \(values.count) value(s)")
            }
            return (x, y)
        } catch { errors.record(error); return (.nan, .nan) }
    }
}

extension LuaVM {
    var callbackErrors: CallbackErrors {
        if let e = extra["callbackErrors"] as? CallbackErrors { return e }
        let e = CallbackErrors(); extra["callbackErrors"] = e; return e
    }

    /// Runs a LipCore computation that may call Lua callbacks; a callback's error wins over the
    /// error it caused downstream (a NaN refused by a check).
    func withCallbacks<R>(_ body: () throws -> R) throws -> R {
        let errors = callbackErrors
        errors.first = nil
        do {
            let r = try body()
            try errors.check()
            return r
        } catch {
            try errors.check()
            throw error
        }
    }
}

extension Arguments {
    /// Pushes a Swift object (of a type declared with `registerType`).
    @discardableResult
    func push(object: AnyObject) -> Int { call.push(object: object) }
    @discardableResult
    func push(_ value: some LuaPushable) -> Int { call.push(value) }
    func network(_ name: String) -> Network? { get(name, as: NetworkObject.self)?.net }
}

/// Reads a variable reference: a 1-based index or a variable name of the problem.
func readVariable(_ L: OpaquePointer, _ i: Int32, names: [String], index: [String: Int]) throws -> Int {
    if lua_type(L, i) == LUA_TNUMBER {
        let k = try LuaRead.integer(L, i)
        guard (1...max(1, names.count)).contains(k), k <= names.count else { throw LuaRead.Problem("variable index \(k) out of range 1..\(names.count)") }
        return k - 1
    }
    let s = try LuaRead.string(L, i)
    guard let k = index[s] else {
        throw LuaRead.Problem("unknown variable '\(s)' (the problem has \(names.prefix(6).joined(separator: ", "))\(names.count > 6 ? ", ..." : ""))")
    }
    return k
}

/// A list of variable sets {{"t1", "s1_1"}, {...}} (names or 1-based indices).
func readSets(_ L: OpaquePointer, _ i: Int32, names: [String], allowEmpty: Bool = false) throws -> [[Int]] {
    let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    guard lua_type(L, i) == LUA_TTABLE else { throw LuaRead.Problem(expected: "list of variable sets", L, i) }
    let t = lua_absindex(L, i)
    try requireSequence(L, t, what: "the list of variable sets")
    let n = Int(lua_rawlen(L, t))
    guard n > 0 || allowEmpty else { throw LuaRead.Problem("the list of variable sets is empty") }
    var out: [[Int]] = []
    for k in 0..<n {
        lua_rawgeti(L, t, lua_Integer(k + 1))
        defer { lua_settop(L, -2) }
        guard lua_type(L, -1) == LUA_TTABLE else { throw LuaRead.Problem("set [\(k + 1)]: table of variables expected") }
        let s = lua_absindex(L, -1)
        try requireSequence(L, s, what: "set [\(k + 1)]")
        var set: [Int] = []
        for m in 0..<Int(lua_rawlen(L, s)) {
            lua_rawgeti(L, s, lua_Integer(m + 1))
            defer { lua_settop(L, -2) }
            do { set.append(try readVariable(L, -1, names: names, index: index)) } catch let p as LuaRead.Problem {
                throw LuaRead.Problem("set [\(k + 1)] element [\(m + 1)]: \(p.text)")
            }
        }
        out.append(Array(Set(set)).sorted())
    }
    return out
}

/// A list of products; each product is a list of factors {var, alpha, beta} meaning
/// g_var^alpha (1 - g_var)^beta (alpha default 1, beta default 0).
func readProducts(_ L: OpaquePointer, _ i: Int32, names: [String]) throws -> [ProductSpec] {
    let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    guard lua_type(L, i) == LUA_TTABLE else { throw LuaRead.Problem(expected: "list of products", L, i) }
    let t = lua_absindex(L, i)
    try requireSequence(L, t, what: "the list of products")
    var out: [ProductSpec] = []
    for k in 0..<Int(lua_rawlen(L, t)) {
        lua_rawgeti(L, t, lua_Integer(k + 1))
        defer { lua_settop(L, -2) }
        guard lua_type(L, -1) == LUA_TTABLE else { throw LuaRead.Problem("product [\(k + 1)]: list of factors {var, alpha, beta} expected") }
        let p = lua_absindex(L, -1)
        var factors: [ProductSpec.Factor] = []
        for m in 0..<Int(lua_rawlen(L, p)) {
            lua_rawgeti(L, p, lua_Integer(m + 1))
            defer { lua_settop(L, -2) }
            let f = lua_absindex(L, -1)
            let here = "product [\(k + 1)] factor [\(m + 1)]"
            guard lua_type(L, f) == LUA_TTABLE else { throw LuaRead.Problem("\(here): {var, alpha, beta} expected") }
            lua_rawgeti(L, f, 1)
            let v: Int
            do { v = try readVariable(L, -1, names: names, index: index) } catch let e as LuaRead.Problem {
                lua_settop(L, -2); throw LuaRead.Problem("\(here): \(e.text)")
            }
            lua_settop(L, -2)
            func exponent(_ slot: Int, _ fallback: Int) throws -> Int {
                lua_rawgeti(L, f, lua_Integer(slot)); defer { lua_settop(L, -2) }
                if lua_type(L, -1) == LUA_TNIL { return fallback }
                var ok: Int32 = 0
                let e = lua_tointegerx(L, -1, &ok)
                guard ok != 0, (0...15).contains(e) else { throw LuaRead.Problem("\(here): exponents must be integers in 0..15") }
                return Int(e)
            }
            let alpha = try exponent(2, 1), beta = try exponent(3, 0)
            guard alpha + beta > 0 else { throw LuaRead.Problem("\(here): exponents alpha, beta must not both be 0") }
            factors.append(.init(variable: v, alpha: alpha, beta: beta))
        }
        out.append(ProductSpec(factors))
    }
    return out
}

/// Refuses tables with keys other than 1..n (a record where a list is expected would be
/// silently read as empty).
func requireSequence(_ L: OpaquePointer, _ t: Int32, what: String) throws {
    let n = lua_rawlen(L, t)
    var count: lua_Unsigned = 0
    lua_pushnil(L)
    while lua_next(L, t) != 0 {
        lua_settop(L, -2)
        count += 1
        if lua_isinteger(L, -1) == 0 {
            let key = lua_type(L, -1) == LUA_TSTRING ? "'\(LuaCall.stringAt(L, -1))'" : LuaCall.typeName(L, -1)
            lua_settop(L, -2)
            throw LuaRead.Problem("\(what) must be a list {x1, x2, ...}; it has the key \(key)")
        }
    }
    guard count == n else { throw LuaRead.Problem("\(what) must be a list without holes (keys 1..n)") }
}

/// Reads the list of polynomials (or numbers) a Lua callback returned at stack slot `first`.
func readPolynomialList(_ L: OpaquePointer, _ first: Int32, count: Int, names: [String], what: String) throws -> [Polynomial] {
    guard count >= 1, lua_type(L, first) == LUA_TTABLE else { throw LuaRaise("\(what) must return a list of polynomials") }
    let len = Int(lua_rawlen(L, first))
    var out: [Polynomial] = []
    for k in 0..<len {
        lua_rawgeti(L, first, lua_Integer(k + 1))
        defer { lua_settop(L, -2) }
        if lua_type(L, -1) == LUA_TNUMBER { out.append(.constant(lua_tonumberx(L, -1, nil), variableNames: names)); continue }
        do { out.append(try LuaRead.object(L, -1, as: PolynomialObject.self).poly) }
        catch let p as LuaRead.Problem { throw LuaRaise("\(what) result [\(k + 1)]: \(p.text)") }
    }
    return out
}

/// An array of userdata objects pushed as a Lua sequence.
struct UserdataArray: LuaPushable {
    let objects: [AnyObject]
    func push(onto L: OpaquePointer) {
        lua_createtable(L, Int32(objects.count), 0)
        let call = LuaCall(state: L, function: "push")
        for (k, o) in objects.enumerated() {
            call.push(object: o)
            lua_rawseti(L, -2, lua_Integer(k + 1))
        }
    }
}

/// A pushable wrapper of a Swift object (for records and arrays of mixed results).
struct ObjectValue: LuaPushable {
    let object: AnyObject
    func push(onto L: OpaquePointer) { LuaCall(state: L, function: "push").push(object: object) }
}

/// The output selection as Lua users number it (1-based).
func outputText(_ o: Network.Output) -> String {
    switch o {
    case .index(let i): return "output \(i + 1)"
    case .vector(let c): return "output cᵀz with c = {\(c.prefix(6).map { "\($0)" }.joined(separator: ", "))\(c.count > 6 ? ", ..." : "")}"
    }
}

extension ResultValue: LuaPushable {
    public func push(onto L: OpaquePointer) {
        switch self {
        case .int(let n): n.push(onto: L)
        case .double(let x): x.push(onto: L)
        case .string(let s): s.push(onto: L)
        case .bool(let b): b.push(onto: L)
        case .list(let xs): xs.push(onto: L)
        case .record(let fields):
            lua_createtable(L, 0, Int32(fields.count))
            for (k, v) in fields { v.push(onto: L); lua_setfield(L, -2, k) }
        }
    }
}

extension RelaxationResult: LuaPushable {
    /// The shared result table: relaxation, method, status, certified, solver_value,
    /// correction, sizes (also flat: rows, columns, nonzeros, order), seconds and per-stage
    /// seconds, solver, message, and the relaxation's details.
    public func push(onto L: OpaquePointer) {
        lua_createtable(L, 0, 24)
        func set(_ k: String, _ v: some LuaPushable) { v.push(onto: L); lua_setfield(L, -2, k) }
        set("relaxation", relaxation)
        set("method", method)
        set("status", status)
        set("certified", certified)
        set("solver_value", solverValue)
        set("correction", correction)
        lua_createtable(L, 0, Int32(sizes.count))
        for (k, v) in sizes { v.push(onto: L); lua_setfield(L, -2, k) }
        lua_setfield(L, -2, "sizes")
        for (k, v) in sizes { set(k, v) }
        for (k, v) in timings { set(k + "_seconds", v) }
        set("seconds", totalSeconds)
        set("solver", solver)
        set("message", message)
        for (k, v) in details { set(k, v) }
    }
}
