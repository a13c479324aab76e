import CLua
import LipControl
import LipCore

// The typed decoders every declaration uses. Each checks what it reads (finite numbers,
// integer ranges, known names through the registries) and says in its phrase what it wants,
// so a wrong value is refused with a message naming the parameter and the expectation.

extension ArgType {
    /// Any number, NaN and ±∞ excluded.
    public static let number = ArgType(annotation: "number", phrase: "a finite number") { c, i in
        let x = try LuaRead.number(c.state, i)
        guard x.isFinite else { throw LuaRead.Problem("finite number expected, got \(x)") }
        return x
    }

    /// A finite number in [min, max].
    public static func number(min: Double = -.infinity, max: Double = .infinity, phrase: String? = nil) -> ArgType {
        ArgType(annotation: "number", phrase: phrase ?? rangePhrase("a finite number", min, max)) { c, i in
            let x = try LuaRead.number(c.state, i)
            guard x.isFinite, x >= min, x <= max else {
                throw LuaRead.Problem("\(rangePhrase("a finite number", min, max)) expected, got \(x)")
            }
            return x
        }
    }

    /// An integer in [min, max] (floats with an integer value are accepted).
    public static func integer(min: Int = .min, max: Int = .max, phrase: String? = nil) -> ArgType {
        let p = phrase ?? rangePhrase("an integer", min == .min ? -.infinity : Double(min), max == .max ? .infinity : Double(max))
        return ArgType(annotation: "integer", phrase: p) { c, i in
            let L = c.state
            var ok: Int32 = 0
            let n = lua_tointegerx(L, i, &ok)
            guard ok != 0 else {
                if lua_type(L, i) == LUA_TNUMBER { throw LuaRead.Problem("\(p) expected, got \(lua_tonumberx(L, i, nil))") }
                throw LuaRead.Problem(expected: "integer", L, i)
            }
            guard n >= min, n <= max else { throw LuaRead.Problem("\(p) expected, got \(n)") }
            return Int(n)
        }
    }

    /// A seed: any integer, used as its 64-bit pattern.
    public static let seed = ArgType(annotation: "integer", phrase: "an integer seed") { c, i in
        let n = try LuaRead.integer(c.state, i)
        return UInt64(bitPattern: Int64(n))
    }

    /// Seconds of a time limit: a number ≥ 0; math.huge means none (nil). NaN is refused.
    public static let seconds = ArgType(annotation: "number", phrase: "seconds ≥ 0 (math.huge: none)") { c, i in
        let x = try LuaRead.number(c.state, i)
        guard !x.isNaN, x >= 0 else { throw LuaRead.Problem("seconds ≥ 0 expected, got \(x)") }
        return (x.isFinite ? Optional(x) : nil) as Any
    }

    /// Bytes of a memory limit: a number > 0 (math.huge: none).
    public static let bytes = ArgType(annotation: "number", phrase: "bytes > 0 (math.huge: none)") { c, i in
        let x = try LuaRead.number(c.state, i)
        guard !x.isNaN, x > 0 else { throw LuaRead.Problem("a number of bytes > 0 expected, got \(x)") }
        return x
    }

    public static let string = ArgType(annotation: "string", phrase: "a string") { c, i in try LuaRead.string(c.state, i) }

    public static let boolean = ArgType(annotation: "boolean", phrase: "a boolean") { c, i in try LuaRead.boolean(c.state, i) }

    /// One of the given words.
    public static func choice(_ words: [String]) -> ArgType {
        ArgType(annotation: words.map { "\"\($0)\"" }.joined(separator: "|"), phrase: "one of " + words.joined(separator: ", ")) { c, i in
            let s = try LuaRead.string(c.state, i)
            guard words.contains(s) else {
                var t = "'\(s)' is not one of \(words.joined(separator: ", "))"
                if let near = closest(s, in: words) { t += "; did you mean '\(near)'?" }
                throw LuaRead.Problem(t)
            }
            return s
        }
    }

    /// A sequence of finite numbers.
    public static let numbers = ArgType(annotation: "number[]", phrase: "a list of finite numbers") { c, i in
        let xs = try LuaRead.numbers(c.state, i)
        if let k = xs.firstIndex(where: { !$0.isFinite }) { throw LuaRead.Problem("element [\(k + 1)] is \(xs[k]); finite numbers expected") }
        return xs
    }

    /// A sequence of integers in [min, max].
    public static func integers(min: Int = .min, max: Int = .max) -> ArgType {
        let p = rangePhrase("a list of integers", min == .min ? -.infinity : Double(min), max == .max ? .infinity : Double(max))
        return ArgType(annotation: "integer[]", phrase: p) { c, i in
            let xs = try LuaRead.integers(c.state, i)
            if let k = xs.firstIndex(where: { $0 < min || $0 > max }) { throw LuaRead.Problem("element [\(k + 1)] is \(xs[k]); \(p) expected") }
            return xs
        }
    }

    public static let strings = ArgType(annotation: "string[]", phrase: "a list of strings") { c, i in try LuaRead.strings(c.state, i) }

    /// Rows of finite numbers (an out × in matrix as nested tables).
    public static let matrix = ArgType(annotation: "number[][]", phrase: "a matrix (a list of rows of finite numbers)") { c, i in
        let m = try LuaRead.matrix(c.state, i)
        for (r, row) in m.enumerated() {
            if let k = row.firstIndex(where: { !$0.isFinite }) { throw LuaRead.Problem("row \(r + 1) entry \(k + 1) is \(row[k]); weights must be finite") }
        }
        return m
    }

    /// A Lua function (held by reference).
    public static let function = ArgType(annotation: "function", phrase: "a function") { c, i in
        guard lua_type(c.state, i) == LUA_TFUNCTION else { throw LuaRead.Problem(expected: "function", c.state, i) }
        return LuaFunction(vm: c.vm, state: c.state, index: i)
    }

    /// Any value, copied.
    public static let any = ArgType(annotation: "any", phrase: "any value") { c, i in LuaValue(c.state, i) }

    /// An options table with the given fields.
    public static func options(_ fields: [Field]) -> ArgType {
        ArgType(annotation: "table", phrase: "a table of options", fields: fields) { _, _ in [:] as [String: Any] }
    }

    /// A userdata of a declared type.
    public static func object<T: AnyObject>(_ type: T.Type, _ name: String) -> ArgType {
        ArgType(annotation: "lip." + name, phrase: "a " + name) { c, i in try LuaRead.object(c.state, i, as: type) }
    }

    /// An activation: a registered name ("elu", "leaky_relu(0.1)", a user activation's name) or
    /// an activation value.
    public static let activation = ArgType(annotation: "string|lip.Activation", phrase: "an activation (a registered name or a lip.act value)") { c, i in
        try readActivation(c, i)
    }

    /// A norm: a registered name or a norm value.
    public static let norm = ArgType(annotation: "string|lip.Norm", phrase: "a norm (\"linf\", \"l1\", \"l2\", a user norm's name or value)") { c, i in
        try readNorm(c, i)
    }

    /// An input box {lower = {...}, upper = {...}} or {center = {...}, radius = r} (radius ≥ 0).
    public static let box = ArgType(annotation: "lip.Box", phrase: "a box {lower =, upper =} or {center =, radius =}") { c, i in
        try readBox(c.state, i)
    }

    /// A data domain {lo, hi} with lo < hi.
    public static let domain = ArgType(annotation: "number[]", phrase: "a domain {lo, hi} with lo < hi") { c, i in
        let d = try LuaRead.numbers(c.state, i)
        guard d.count == 2, d[0].isFinite, d[1].isFinite, d[0] < d[1] else {
            throw LuaRead.Problem("{lo, hi} with finite lo < hi expected")
        }
        return (lower: d[0], upper: d[1])
    }

    /// An output selection: a 1-based index, {margin = {i, j}}, or a vector c (checked against
    /// the network when it is applied).
    public static let output = ArgType(annotation: "integer|table", phrase: "an output: an index (from 1), {margin = {i, j}} or a vector c") { c, i in
        try readOutputSpec(c.state, i)
    }
}

func rangePhrase(_ what: String, _ min: Double, _ max: Double) -> String {
    func f(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)" }
    switch (min.isFinite, max.isFinite) {
    case (true, true): return "\(what) in \(f(min))..\(f(max))"
    case (true, false): return "\(what) ≥ \(f(min))"
    case (false, true): return "\(what) ≤ \(f(max))"
    default: return what
    }
}

/// An output selection before it meets a network.
public enum OutputSpec {
    case index(Int)            // 1-based as given
    case margin(Int, Int)      // 1-based
    case vector([Double])

    /// The network's output, with indices checked against its outputs (1-based messages).
    func resolve(outputs n: Int) throws -> Network.Output {
        switch self {
        case .index(let k):
            guard (1...n).contains(k) else { throw LuaRaise("output \(k) is out of range: the network has \(n) output\(n == 1 ? "" : "s") (numbered 1..\(n))") }
            return .index(k - 1)
        case .margin(let i, let j):
            guard (1...n).contains(i), (1...n).contains(j), i != j else {
                throw LuaRaise("margin {\(i), \(j)}: indices must be distinct and within 1..\(n)")
            }
            return .margin(i - 1, j - 1, outputs: n)
        case .vector(let c):
            guard c.count == n else { throw LuaRaise("output vector has \(c.count) entries, the network has \(n) outputs") }
            return .vector(c)
        }
    }
}

func readOutputSpec(_ L: OpaquePointer, _ i: Int32) throws -> OutputSpec {
    if lua_type(L, i) == LUA_TNUMBER {
        let k = try LuaRead.integer(L, i)
        guard k >= 1 else { throw LuaRead.Problem("output index \(k) must be ≥ 1 (outputs are numbered from 1)") }
        return .index(k)
    }
    guard lua_type(L, i) == LUA_TTABLE else { throw LuaRead.Problem(expected: "output index, {margin = {i, j}} or a vector c", L, i) }
    let t = lua_absindex(L, i)
    lua_pushstring(L, "margin")
    let kind = lua_rawget(L, t)
    defer { lua_settop(L, -2) }
    if kind != LUA_TNIL {
        let ij = try LuaRead.integers(L, -1)
        guard ij.count == 2 else { throw LuaRead.Problem("margin must be {i, j}") }
        return .margin(ij[0], ij[1])
    }
    let c = try LuaRead.numbers(L, t)
    guard !c.isEmpty, c.allSatisfy(\.isFinite) else { throw LuaRead.Problem("an output vector c must be a nonempty list of finite numbers") }
    return .vector(c)
}

/// An activation argument: a name resolved through the state's registries, or a value.
func readActivation(_ c: LuaCall, _ i: Int32) throws -> Activation {
    let L = c.state
    switch lua_type(L, i) {
    case LUA_TSTRING:
        do { return try c.vm.registries.activation(LuaCall.stringAt(L, i)) }
        catch let e as RegistryError { throw LuaRead.Problem(e.description) }
        catch { throw LuaRead.Problem("\(error)") }
    case LUA_TUSERDATA:
        return try LuaRead.object(L, i, as: ActivationObject.self).act
    default:
        throw LuaRead.Problem(expected: "activation (a name or lip.act value)", L, i)
    }
}

/// A norm argument: a name resolved through the state's registries, or a value.
func readNorm(_ c: LuaCall, _ i: Int32) throws -> Norm {
    let L = c.state
    switch lua_type(L, i) {
    case LUA_TSTRING:
        do { return try c.vm.registries.norms.resolve(LuaCall.stringAt(L, i)) }
        catch let e as RegistryError { throw LuaRead.Problem(e.description) }
    case LUA_TUSERDATA:
        return try LuaRead.object(L, i, as: NormObject.self).norm
    default:
        throw LuaRead.Problem(expected: "norm (\"linf\", \"l1\", \"l2\" or a lip.norm value)", L, i)
    }
}

/// A box {lower = {...}, upper = {...}} or {center = {...}, radius = r}; a number for lower or
/// upper is not accepted (sizes must be explicit). Checked: finite, lower ≤ upper.
func readBox(_ L: OpaquePointer, _ i: Int32) throws -> (lower: [Double], upper: [Double]) {
    guard lua_type(L, i) == LUA_TTABLE else { throw LuaRead.Problem(expected: "box {lower=, upper=} or {center=, radius=}", L, i) }
    let t = lua_absindex(L, i)
    let allowed = ["lower", "upper", "center", "radius"]
    lua_pushnil(L)
    while lua_next(L, t) != 0 {
        lua_settop(L, -2)
        let key = lua_type(L, -1) == LUA_TSTRING ? LuaCall.stringAt(L, -1) : "[\(LuaValue(L, -1))]"
        if !allowed.contains(key) { lua_settop(L, -2); throw LuaRead.Problem("unknown box key '\(key)' (allowed: \(allowed.joined(separator: ", ")))") }
    }
    func numbers(_ k: String) throws -> [Double]? {
        lua_pushstring(L, k); defer { lua_settop(L, -2) }
        if lua_rawget(L, t) == LUA_TNIL { return nil }
        do {
            let xs = try LuaRead.numbers(L, -1)
            if let j = xs.firstIndex(where: { !$0.isFinite }) { throw LuaRead.Problem("element [\(j + 1)] is \(xs[j]); finite numbers expected") }
            return xs
        } catch let p as LuaRead.Problem { throw LuaRead.Problem("box.\(k): \(p.text)") }
    }
    var lo: [Double], hi: [Double]
    if let c = try numbers("center") {
        lua_pushstring(L, "radius")
        let rt = lua_rawget(L, t)
        var ok: Int32 = 0
        let r = lua_tonumberx(L, -1, &ok)
        lua_settop(L, -2)
        guard rt != LUA_TNIL, ok != 0, r.isFinite, r >= 0 else { throw LuaRead.Problem("box: center needs radius = a finite number ≥ 0") }
        lo = c.map { $0 - r }; hi = c.map { $0 + r }
    } else {
        guard let l = try numbers("lower"), let u = try numbers("upper") else { throw LuaRead.Problem("box needs lower and upper, or center and radius") }
        lo = l; hi = u
    }
    guard lo.count == hi.count, !lo.isEmpty else { throw LuaRead.Problem("box has \(lo.count) lower and \(hi.count) upper bounds") }
    for k in lo.indices where !(lo[k] <= hi[k]) {
        throw LuaRead.Problem("box coordinate \(k + 1): lower \(lo[k]) > upper \(hi[k])")
    }
    return (lo, hi)
}

/// Checks a box against the network's input size.
func checkBox(_ box: (lower: [Double], upper: [Double]), inputs n: Int, what: String = "input_box") throws {
    guard box.lower.count == n else {
        throw LuaRaise("\(what) has \(box.lower.count) coordinates, the network takes \(n) inputs")
    }
}
