import CLua
import Foundation
import LipCore
import LipIO

// The `_lip.nn`, `_lip.act`, `_lip.norm`, `_lip.poly`, `_lip.problem`, `_lip.bounds` and
// `_lip.data` native modules: LipCore's networks, activations, norms, polynomials, problems
// and baselines as Lua userdata and functions. The Lua modules stdlib/lip/*.lua re-export
// them (so error positions point at the user's script) and add Lua conveniences.

/// Userdata wrappers (LipCore's values are structs; Lua holds references).
public final class NetworkObject { public let net: Network; init(_ n: Network) { net = n } }
public final class ActivationObject { public let act: Activation; init(_ a: Activation) { act = a } }
public final class NormObject { public let norm: Norm; init(_ n: Norm) { norm = n } }
public final class PolynomialObject { public let poly: Polynomial; init(_ p: Polynomial) { poly = p } }
/// A LipschitzProblem with what it was built from (for baselines and reports).
public final class ProblemObject {
    public let problem: LipschitzProblem
    public let network: Network?
    public let norm: Norm?
    public let inputBox: (lower: [Double], upper: [Double])?
    public let domain: (lower: Double, upper: Double)?
    init(_ p: LipschitzProblem, network: Network?, norm: Norm?, inputBox: (lower: [Double], upper: [Double])?,
         domain: (lower: Double, upper: Double)?) {
        problem = p; self.network = network; self.norm = norm; self.inputBox = inputBox; self.domain = domain
    }
}

/// Lua callbacks used inside LipCore's non-throwing closures: the first Lua error is kept and
/// rethrown by the binding after the LipCore call returns (the closure returns NaN meanwhile,
/// which LipCore's validation rejects anyway).
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
        do { return try fn.callNumber(x, what: what) } catch { errors.record(error); return .nan }
    }
    func pair(_ a: Double, _ b: Double) -> (Double, Double) {
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
}

/// Reads an activation argument: a name ("elu"), an Activation userdata, or nil (default).
func readActivation(_ L: OpaquePointer, _ i: Int32) throws -> Activation {
    switch lua_type(L, i) {
    case LUA_TSTRING:
        let name = LuaCall.stringAt(L, i)
        guard let a = Activation.named(name) else {
            throw LuaRead.Problem("unknown activation '\(name)' (built in: \(Activation.builtinNames.joined(separator: ", ")); define your own with lip.act.define{...})")
        }
        return a
    case LUA_TUSERDATA:
        return try LuaRead.object(L, i, as: ActivationObject.self).act
    default:
        throw LuaRead.Problem(expected: "activation (name or lip.act value)", L, i)
    }
}

func readNorm(_ L: OpaquePointer, _ i: Int32) throws -> Norm {
    switch lua_type(L, i) {
    case LUA_TSTRING:
        let name = LuaCall.stringAt(L, i)
        guard let n = Norm.named(name) else {
            throw LuaRead.Problem("unknown norm '\(name)' (built in: linf, l1, l2; define your own with lip.norm.define{...})")
        }
        return n
    case LUA_TUSERDATA:
        return try LuaRead.object(L, i, as: NormObject.self).norm
    default:
        throw LuaRead.Problem(expected: "norm (\"linf\", \"l1\", \"l2\" or a lip.norm value)", L, i)
    }
}

/// Output selection: an integer (1-based output index), or {margin = {i, j}}, or a vector c.
func readOutput(_ L: OpaquePointer, _ i: Int32, outputs: Int?) throws -> Network.Output {
    if lua_type(L, i) == LUA_TNUMBER {
        let k = try LuaRead.integer(L, i)
        guard k >= 1 else { throw LuaRead.Problem("output index \(k) must be ≥ 1 (outputs are numbered from 1)") }
        return .index(k - 1)
    }
    guard lua_type(L, i) == LUA_TTABLE else { throw LuaRead.Problem(expected: "output index, {margin = {i, j}} or a vector c", L, i) }
    let t = lua_absindex(L, i)
    lua_pushstring(L, "margin")
    let kind = lua_rawget(L, t)
    defer { lua_settop(L, -2) }
    if kind != LUA_TNIL {
        let ij = try LuaRead.integers(L, -1)
        guard ij.count == 2, let n = outputs else { throw LuaRead.Problem("margin must be {i, j}") }
        guard (1...n).contains(ij[0]), (1...n).contains(ij[1]), ij[0] != ij[1] else {
            throw LuaRead.Problem("margin {\(ij[0]), \(ij[1])}: indices must be distinct and within 1..\(n)")
        }
        return .margin(ij[0] - 1, ij[1] - 1, outputs: n)
    }
    return .vector(try LuaRead.numbers(L, t))
}

/// An input box: {lower = {...}, upper = {...}} or {center = {...}, radius = r}.
func readBox(_ L: OpaquePointer, _ i: Int32, size n: Int?) throws -> (lower: [Double], upper: [Double]) {
    guard lua_type(L, i) == LUA_TTABLE else { throw LuaRead.Problem(expected: "box {lower=, upper=} or {center=, radius=}", L, i) }
    let t = lua_absindex(L, i)
    func get(_ k: String) throws -> LuaValue? {
        lua_pushstring(L, k); defer { lua_settop(L, -2) }
        return lua_rawget(L, t) == LUA_TNIL ? nil : LuaValue(L, -1)
    }
    func numbers(_ k: String) throws -> [Double]? {
        lua_pushstring(L, k); defer { lua_settop(L, -2) }
        if lua_rawget(L, t) == LUA_TNIL { return nil }
        if lua_type(L, -1) == LUA_TNUMBER, let n { return [Double](repeating: lua_tonumberx(L, -1, nil), count: n) }
        do { return try LuaRead.numbers(L, -1) } catch let p as LuaRead.Problem { throw LuaRead.Problem("box.\(k): \(p.text)") }
    }
    let allowed = ["lower", "upper", "center", "radius"]
    lua_pushnil(L)
    while lua_next(L, t) != 0 {
        lua_settop(L, -2)
        let key = lua_type(L, -1) == LUA_TSTRING ? LuaCall.stringAt(L, -1) : "?"
        if !allowed.contains(key) { lua_settop(L, -2); throw LuaRead.Problem("unknown box key '\(key)' (allowed: \(allowed.joined(separator: ", ")))") }
    }
    var lo: [Double], hi: [Double]
    if let c = try numbers("center") {
        guard let r = try get("radius")?.doubleValue, r >= 0, r.isFinite else { throw LuaRead.Problem("box: center needs radius = a finite number ≥ 0") }
        lo = c.map { $0 - r }; hi = c.map { $0 + r }
    } else {
        guard let l = try numbers("lower"), let u = try numbers("upper") else { throw LuaRead.Problem("box needs lower and upper, or center and radius") }
        lo = l; hi = u
    }
    if let n, lo.count != n || hi.count != n {
        throw LuaRead.Problem("box has \(lo.count) lower and \(hi.count) upper bounds, the network takes \(n) inputs")
    }
    for k in lo.indices where !(lo[k] <= hi[k]) {
        throw LuaRead.Problem("box coordinate \(k + 1): lower \(lo[k]) > upper \(hi[k]) (or NaN)")
    }
    return (lo, hi)
}

extension LuaCall {
    func network(_ i: Int) throws -> Network { try object(i, as: NetworkObject.self).net }
    func pushNetwork(_ n: Network) -> Int { push(object: NetworkObject(n)) }
    func pushPolynomial(_ p: Polynomial) -> Int { push(object: PolynomialObject(p)) }
}

extension LuaVM {
    func installCore() {
        installActivations()
        installNorms()
        installNetworks()
        installPolynomials()
        installProblems()
        installBounds()
        installData()
    }

    // MARK: activations

    func installActivations() {
        registerType(ActivationObject.self, name: "Activation", methods: [
            "value": { c in c.push(try c.object(1, as: ActivationObject.self).act.value(try c.number(2))) },
            "derivative": { c in c.push(try c.object(1, as: ActivationObject.self).act.derivative(try c.number(2))) },
            "derivative_range": { c in
                let r = try c.object(1, as: ActivationObject.self).act.derivativeRange
                c.push(r.lowerBound); c.push(r.upperBound); return 2
            },
            "derivative_bounds": { c in
                let a = try c.object(1, as: ActivationObject.self).act
                let (lo, hi) = a.derivativeBounds(try c.number(2), try c.number(3))
                try c.vm.callbackErrors.check()
                c.push(lo); c.push(hi); return 2
            },
            "name": { c in c.push(try c.object(1, as: ActivationObject.self).act.name) },
        ], describe: { "activation \($0.act.name) (σ' in [\($0.act.derivativeRange.lowerBound), \($0.act.derivativeRange.upperBound)])" })

        register(module: "act", name: "get", doc: """
            lip.act.get(name [, alpha]) -> activation
            A built-in activation: relu, leaky_relu (alpha, default 0.01), elu (alpha, default 1),
            tanh, sigmoid, softplus, identity. Each gives σ, σ', the global range of σ' and a sound
            interval map [l, u] -> [lo, hi] ⊇ σ'([l, u]) (METHOD §2). Also lip.act.relu, lip.act.elu, ...
            """) { c in
            let name = try c.string(1)
            let alpha = try c.optionalNumber(2)
            let act: Activation
            switch name {
            case "leaky_relu": act = .leakyReLU(alpha ?? 0.01)
            case "elu": act = .elu(alpha: alpha ?? 1)
            default:
                guard let a = Activation.named(name) else {
                    throw LuaArgumentError(argument: 1, detail: "unknown activation '\(name)' (built in: \(Activation.builtinNames.joined(separator: ", ")))")
                }
                act = a
            }
            return c.push(object: ActivationObject(act))
        }

        register(module: "act", name: "define", doc: """
            lip.act.define{ name = , f = function(x), derivative = function(x),
                            derivative_range = {lo, hi}, derivative_bounds = function(l, u) -> lo, hi } -> activation
            A user activation. f is σ; derivative is σ' (optional: then a central difference is used
            for sampling checks only); derivative_range is the range of σ' over all reals (METHOD §2:
            it bounds the derivative variables globally); derivative_bounds maps a pre-activation
            interval [l, u] to an interval containing σ'([l, u]) (optional: then the global range is
            used, which is sound but loose). The toolkit checks lo <= hi, finite values, and that
            sampled σ' lie inside the claimed range and inside derivative_bounds of small intervals,
            and raises with what is wrong.
            """, Self.defineActivation)
    }

    // MARK: norms

    func installNorms() {
        registerType(NormObject.self, name: "Norm", methods: [
            "dual": { c in
                let n = try c.object(1, as: NormObject.self).norm
                let v = n.dualNorm(try c.numbers(2))
                try c.vm.callbackErrors.check()
                return c.push(v)
            },
            "name": { c in c.push(try c.object(1, as: NormObject.self).norm.name) },
        ], describe: { "norm \($0.norm.name)" })

        register(module: "norm", name: "get", doc: """
            lip.norm.get(name) -> norm
            A built-in input norm: "linf" (dual ℓ1; B_* the box [-1,1]^n, the main case), "l1" (dual
            ℓ∞; B_* the cross-polytope, written t = u - v), "l2" (dual ℓ2; B_* the ball 1 - Σt² >= 0
            plus the box). Also lip.norm.linf, lip.norm.l1, lip.norm.l2.
            """) { c in
            let name = try c.string(1)
            guard let n = Norm.named(name) else { throw LuaArgumentError(argument: 1, detail: "unknown norm '\(name)' (built in: linf, l1, l2)") }
            return c.push(object: NormObject(n))
        }

        register(module: "norm", name: "define", doc: """
            lip.norm.define{ name = , dual = function(g) -> number, ball = function(t) -> {g1, g2, ...},
                             box = function(n) -> lower, upper } -> norm
            A user input norm. dual(g) is the dual norm ‖g‖_* of a gradient (a Lua array). ball(t)
            receives the list of dual variables t[1..n] as polynomials and returns the polynomials
            g_j(t) with 0 <= g_j <= 1 describing the dual unit ball B_* together with the box
            (METHOD §2); box(n) returns the box's bounds (default [-1, 1]^n, right whenever
            ‖·‖ <= ‖·‖_1).
            """, Self.defineNorm)
    }

    // MARK: networks

    func installNetworks() {
        registerType(NetworkObject.self, name: "Network", methods: [
            "forward": { c in
                let net = try c.network(1)
                return c.push(try net.forward(try c.numbers(2)))
            },
            "outputs": { c in c.push(try c.network(1).outputs(try c.numbers(2))) },
            "gradient": { c in c.push(try c.network(1).gradient(try c.numbers(2))) },
            "ibp": { c in
                let net = try c.network(1)
                let box = try readBoxArgument(c, 2, size: net.inputSize)
                let layers = try net.intervalBounds(lower: box.lower, upper: box.upper)
                let L = c.state
                lua_createtable(L, Int32(layers.count), 0)
                for (k, b) in layers.enumerated() {
                    c.pushRecord(["lower": b.l, "upper": b.u])
                    lua_rawseti(L, -2, lua_Integer(k + 1))
                }
                return 1
            },
            "sizes": { c in c.push(try c.network(1).sizes) },
            "depth": { c in c.push(try c.network(1).depth) },
            "nonzeros": { c in c.push(try c.network(1).nonzeroWeights) },
            "output_weights": { c in c.push(try c.network(1).outputWeights) },
            "layer": { c in
                let net = try c.network(1)
                let k = try c.integer(2)
                guard (1...net.depth).contains(k) else { throw LuaArgumentError(argument: 2, detail: "layer \(k) out of range 1..\(net.depth)") }
                let layer = net.layers[k - 1]
                let m = layer.matrix
                let dense = m.dense()
                let rows: [[Double]] = (0..<m.rows).map { i in Array(dense[(i * m.cols)..<((i + 1) * m.cols)]) }
                c.pushRecord(["weights": rows, "bias": layer.bias, "activation": layer.activation?.name,
                              "rows": m.rows, "cols": m.cols, "nonzeros": m.nonzeroCount])
                return 1
            },
            "with_output": { c in
                let net = try c.network(1)
                let o: Network.Output
                do { o = try readOutput(c.state, 2, outputs: net.outputSize) } catch let p as LuaRead.Problem { throw LuaArgumentError(argument: 2, detail: p.text) }
                return c.pushNetwork(try net.withOutput(o))
            },
            "with_activation": { c in
                let net = try c.network(1)
                let a: Activation
                do { a = try readActivation(c.state, 2) } catch let p as LuaRead.Problem { throw LuaArgumentError(argument: 2, detail: p.text) }
                return c.pushNetwork(net.withActivation(a))
            },
            "pruned": { c in c.pushNetwork(try c.network(1).pruned(keep: try c.number(2), seed: UInt64(try c.optionalInteger(3) ?? 0))) },
            "save": { c in
                let net = try c.network(1)
                let path = try c.string(2)
                try NetworkFile.save(net, to: path)
                return c.push(path)
            },
            "info": { c in
                let net = try c.network(1)
                c.pushRecord(["sizes": net.sizes, "depth": net.depth, "nonzeros": net.nonzeroWeights,
                              "output": outputText(net.output),
                              "activations": net.layers.dropLast().map { $0.activation?.name ?? "identity" },
                              "bias": net.layers.contains { $0.bias != nil }])
                return 1
            },
        ], describe: { o in
            let n = o.net
            let acts = Set(n.layers.dropLast().compactMap { $0.activation?.name }).sorted().joined(separator: ",")
            let out = outputText(n.output)
            return "network \(n.sizes.map(String.init).joined(separator: "-")) (\(acts.isEmpty ? "linear" : acts), \(n.nonzeroWeights) nonzero weights, \(out))"
        })

        register(module: "nn", name: "random", doc: """
            lip.nn.random{ sizes = {n0, n1, ..., nd}, sparsity = s, activation = "elu", bias = false,
                           seed = 0, band = "centered"|"exact_width"|"causal"|"proportional", output = 1 } -> network
            A random network as in LiPopt's experiments (METHOD §6): every layer drawn like PyTorch's
            nn.Linear default, W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)); with sparsity s, hidden
            layers keep the band |i - c_j| <= floor((s - 1)/2) (hidden neuron j sees inputs i; c_j = j
            for square layers, spread evenly otherwise; "centered", the paper's band and the
            default); "exact_width" keeps exactly s inputs also for even s; "causal" the one-sided
            band c_j - s + 1 <= i <= c_j; "proportional" centres neuron j at floor(j·n_in/n_out) for layers
            of different widths. The last layer is dense. Seeded with xoshiro256**: the same seed gives the
            same network on every machine.
            """) { c in
            let o = try c.options(1, allowed: ["sizes", "sparsity", "activation", "bias", "seed", "band", "output"], required: true)
            guard let sizes = try o.integers("sizes") else { throw LuaArgumentError(argument: 1, detail: "random network needs sizes = {n0, n1, ..., nd}") }
            let act = try o.withField("activation", readActivation) ?? .elu()
            let band: Network.Band
            switch try o.choice("band", ["centered", "exact_width", "causal", "proportional"]) ?? "centered" {
            case "proportional": band = .proportional
            case "exact_width": band = .exactWidth
            case "causal": band = .causal
            default: band = .centered
            }
            let output = try o.withField("output") { L, i in try readOutput(L, i, outputs: sizes.last) } ?? .index(0)
            let seed = try o.integer("seed") ?? 0
            let net = try Network.random(sizes: sizes, sparsity: try o.integer("sparsity"), activation: act,
                                         bias: try o.boolean("bias") ?? false, seed: UInt64(bitPattern: Int64(seed)),
                                         band: band, output: output)
            return c.pushNetwork(net)
        }

        register(module: "nn", name: "load", doc: """
            lip.nn.load(path, { activation = "relu", output = 1 | {margin = {i, j}} | c }) -> network
            Loads a network from a file: safetensors (what safetensors.torch.save_file(model.state_dict())
            writes for an nn.Sequential of Linear layers: 0.weight, 0.bias, 2.weight, ...; F32, F64,
            F16, BF16), numpy .npz (state_dict names or W1..Wd / b1..bd; np.savez or
            np.savez_compressed) or liplua's JSON form. A state_dict holds no activations: give
            the hidden activation (default relu). Output indices are 1-based.
            """) { c in
            let path = try c.string(1)
            let o = try c.options(2, allowed: ["activation", "output"])
            let act = try o.withField("activation", readActivation) ?? .relu
            var net = try NetworkFile.load(path, activation: act, output: .index(0))
            if let out = try o.withField("output", { L, i in try readOutput(L, i, outputs: net.outputSize) }) {
                net = try net.withOutput(out)
            }
            return c.pushNetwork(net)
        }

        register(module: "nn", name: "from_layers", doc: """
            lip.nn.from_layers{ layers = { {weights = {{...}, ...}, bias = {...}}, ... },
                                activation = "relu", output = 1 } -> network
            A network from Lua tables: weights are out × in row-major nested tables (W_l x + b_l).
            """) { c in
            let o = try c.options(1, allowed: ["layers", "activation", "output"], required: true)
            let act = try o.withField("activation", readActivation) ?? .relu
            guard let layersValue = try o.withField("layers", { L, i -> [([[Double]], [Double]?)] in
                guard lua_type(L, i) == LUA_TTABLE else { throw LuaRead.Problem(expected: "table of layers", L, i) }
                let t = lua_absindex(L, i)
                var out: [([[Double]], [Double]?)] = []
                for k in 1...max(1, Int(lua_rawlen(L, t))) where lua_rawlen(L, t) > 0 {
                    lua_rawgeti(L, t, lua_Integer(k)); defer { lua_settop(L, -2) }
                    guard lua_type(L, -1) == LUA_TTABLE else { throw LuaRead.Problem("layers[\(k)]: table expected") }
                    lua_pushstring(L, "weights"); lua_rawget(L, -2)
                    let w: [[Double]]
                    do { w = try LuaRead.matrix(L, -1) } catch let p as LuaRead.Problem { lua_settop(L, -2); throw LuaRead.Problem("layers[\(k)].weights: \(p.text)") }
                    lua_settop(L, -2)
                    lua_pushstring(L, "bias"); lua_rawget(L, -2)
                    var b: [Double]? = nil
                    if lua_type(L, -1) != LUA_TNIL {
                        do { b = try LuaRead.numbers(L, -1) } catch let p as LuaRead.Problem { lua_settop(L, -2); throw LuaRead.Problem("layers[\(k)].bias: \(p.text)") }
                    }
                    lua_settop(L, -2)
                    out.append((w, b))
                }
                return out
            }), !layersValue.isEmpty else { throw LuaArgumentError(argument: 1, detail: "needs layers = { {weights = ..., bias = ...}, ... }") }
            let hasBias = layersValue.contains { $0.1 != nil }
            let net0 = try Network(weights: layersValue.map { $0.0 },
                                   biases: hasBias ? layersValue.map { $0.1 ?? [Double](repeating: 0, count: $0.0.count) } : nil,
                                   activation: act)
            var net = net0
            if let out = try o.withField("output", { L, i in try readOutput(L, i, outputs: net0.outputSize) }) { net = try net.withOutput(out) }
            return c.pushNetwork(net)
        }
    }

    // MARK: polynomials

    func installPolynomials() {
        registerType(PolynomialObject.self, name: "Polynomial", methods: [
            "evaluate": { c in c.push(try c.object(1, as: PolynomialObject.self).poly.evaluate(try c.numbers(2))) },
            "degree": { c in c.push(try c.object(1, as: PolynomialObject.self).poly.degree) },
            "term_count": { c in c.push(try c.object(1, as: PolynomialObject.self).poly.termCount) },
            "variables": { c in c.push(try c.object(1, as: PolynomialObject.self).poly.variableNames) },
            "terms": { c in
                let p = try c.object(1, as: PolynomialObject.self).poly
                let L = c.state
                let terms = p.sortedTerms
                lua_createtable(L, Int32(terms.count), 0)
                for (k, t) in terms.enumerated() {
                    lua_createtable(L, 0, 3)
                    t.coefficient.push(onto: L); lua_setfield(L, -2, "coefficient")
                    t.monomial.format(names: p.variableNames).push(onto: L); lua_setfield(L, -2, "monomial")
                    t.monomial.variables.map { Int($0) + 1 }.push(onto: L); lua_setfield(L, -2, "variables")
                    lua_rawseti(L, -2, lua_Integer(k + 1))
                }
                return 1
            },
            "coefficient": { c in
                let p = try c.object(1, as: PolynomialObject.self).poly
                let vars = try c.integers(2)
                for v in vars where !(1...p.variableCount).contains(v) { throw LuaArgumentError(argument: 2, detail: "variable index \(v) out of range 1..\(p.variableCount)") }
                return c.push(p.coefficient(of: Monomial(vars.map { Int32($0 - 1) })))
            },
        ], describe: { o in
            let p = o.poly
            if p.termCount <= 12 { return p.description }
            return "polynomial with \(p.termCount) terms of degree \(p.degree) in \(p.variableCount) variables"
        })

        // Arithmetic metamethods: polynomials with polynomials or numbers.
        func operand(_ c: LuaCall, _ i: Int, names: [String]) throws -> Polynomial {
            if c.type(i) == LUA_TNUMBER { return .constant(try c.number(i), variableNames: names) }
            return try c.object(i, as: PolynomialObject.self).poly
        }
        func names(_ c: LuaCall) -> [String] {
            for i in 1...2 { if let p = try? c.object(i, as: PolynomialObject.self).poly { return p.variableNames } }
            return []
        }
        func merge(_ a: Polynomial, _ b: Polynomial) throws -> (Polynomial, Polynomial) {
            let n = max(a.variableCount, b.variableCount)
            let longer = a.variableCount >= b.variableCount ? a.variableNames : b.variableNames
            guard Array(a.variableNames.prefix(min(a.variableCount, n))) == Array(longer.prefix(a.variableCount)),
                  Array(b.variableNames.prefix(b.variableCount)) == Array(longer.prefix(b.variableCount)) else {
                throw LuaRaise("polynomials over different variables (\(a.variableNames.prefix(4).joined(separator: ",")) vs \(b.variableNames.prefix(4).joined(separator: ","))); create them from one lip.poly.variables call")
            }
            var x = a; x.variableNames = longer
            var y = b; y.variableNames = longer
            return (x, y)
        }
        let ops: [(String, LuaNativeFunction)] = [
            ("__add", { c in let n = names(c); let (a, b) = try merge(try operand(c, 1, names: n), try operand(c, 2, names: n)); return c.pushPolynomial(a + b) }),
            ("__sub", { c in let n = names(c); let (a, b) = try merge(try operand(c, 1, names: n), try operand(c, 2, names: n)); return c.pushPolynomial(a - b) }),
            ("__mul", { c in
                let n = names(c)
                let (a, b) = try merge(try operand(c, 1, names: n), try operand(c, 2, names: n))
                guard a.termCount * b.termCount <= 50_000_000 else { throw LuaRaise("polynomial product too large (\(a.termCount) × \(b.termCount) terms)") }
                return c.pushPolynomial(a * b)
            }),
            ("__unm", { c in c.pushPolynomial(-(try c.object(1, as: PolynomialObject.self).poly)) }),
            ("__pow", { c in
                let p = try c.object(1, as: PolynomialObject.self).poly
                let k = try c.integer(2)
                guard k >= 0, k <= 64 else { throw LuaArgumentError(argument: 2, detail: "exponent \(k) must be an integer in 0..64") }
                var r = Polynomial.constant(1, variableNames: p.variableNames)
                for _ in 0..<k { r = r * p }
                return c.pushPolynomial(r)
            }),
            ("__len", { c in c.push(try c.object(1, as: PolynomialObject.self).poly.termCount) }),
            ("__call", { c in c.push(try c.object(1, as: PolynomialObject.self).poly.evaluate(try c.numbers(2))) }),
        ]
        if let L = state {
            let base = lua_gettop(L)
            _ = luaL_getmetatable(L, LuaVM.metatableKey("Polynomial"))
            for (name, fn) in ops { pushFunction(named: "Polynomial:" + name, fn); lua_setfield(L, -2, name) }
            lua_settop(L, base)
        }

        register(module: "poly", name: "variables", doc: """
            lip.poly.variables(names) -> x1, x2, ...   (also lip.poly.variables(n) for x1..xn)
            Polynomial variables with the given names; combine them with + - * ^ and numbers.
            p:evaluate{...} (or p{...}), p:degree(), #p (number of terms), p:terms(),
            p:coefficient{i, j, ...} (1-based variable indices, repeated for powers), tostring(p).
            """) { c in
            let names: [String]
            if c.type(1) == LUA_TNUMBER {
                let n = try c.integer(1)
                guard n >= 1, n <= 1_000_000 else { throw LuaArgumentError(argument: 1, detail: "number of variables must be in 1..1000000") }
                names = (1...n).map { "x\($0)" }
            } else { names = try c.strings(1) }
            guard !names.isEmpty else { throw LuaArgumentError(argument: 1, detail: "at least one variable name expected") }
            guard lua_checkstack(c.state, Int32(names.count) + 2) != 0 else { throw LuaRaise("too many variables to return at once") }
            for i in names.indices { c.pushPolynomial(.variable(i, variableNames: names)) }
            return names.count
        }
    }

    // MARK: problems

    func installProblems() {
        registerType(ProblemObject.self, name: "LipschitzProblem", methods: [
            "polynomial": { c in c.pushPolynomial(try c.object(1, as: ProblemObject.self).problem.polynomial) },
            "variables": { c in c.push(try c.object(1, as: ProblemObject.self).problem.variableNames) },
            "constraints": { c in
                let p = try c.object(1, as: ProblemObject.self).problem
                let L = c.state
                lua_createtable(L, Int32(p.constraints.count), 0)
                for (k, g) in p.constraints.enumerated() { c.pushPolynomial(g); lua_rawseti(L, -2, lua_Integer(k + 1)) }
                return 1
            },
            "box": { c in
                let p = try c.object(1, as: ProblemObject.self).problem
                c.push(p.lower); c.push(p.upper); return 2
            },
            "exact_max": { c in
                let p = try c.object(1, as: ProblemObject.self).problem
                let r = try exactMaximum(p, maxEnumerated: try c.optionalInteger(2) ?? 24)
                c.push(r.value); c.push(r.argmax); return 2
            },
            "info": { c in
                let o = try c.object(1, as: ProblemObject.self)
                let p = o.problem
                c.pushRecord(["variables": p.variableCount, "terms": p.polynomial.termCount, "degree": p.polynomial.degree,
                              "constraints": p.constraints.count, "norm": p.normName, "local": p.isLocal])
                return 1
            },
        ], describe: { o in
            let p = o.problem
            return "Lipschitz problem (\(p.normName), \(p.isLocal ? "local" : "global")): p has \(p.polynomial.termCount) terms of degree \(p.polynomial.degree) in \(p.variableCount) variables"
        })

        register(module: "", name: "lipschitz_problem", doc: """
            lip.lipschitz_problem{ network = net, norm = "linf", input_box = {lower=, upper=} | {center=, radius=},
                                   domain = {lo, hi} } -> problem
            The polynomial optimisation problem LiPopt relaxes (METHOD §2): maximise the
            norm-gradient polynomial p(t, s) over t in the dual ball and s in the derivative ranges.
            Without input_box the ranges are the activations' global ranges; with it (a local
            Lipschitz constant) they come from interval bound propagation of the box (clipped to
            domain, e.g. {0, 1} for images); neurons with a fixed derivative are constants and dead
            neurons drop their paths. Variables: t1..tn (dual ball; for l1, u_i and v_i with
            t = u - v) and s<layer>_<neuron>. problem:polynomial(), :variables(), :box(),
            :constraints(), :exact_max(), :info().
            """) { c in
            let o = try c.options(1, allowed: ["network", "norm", "input_box", "domain"], required: true)
            guard let net = try o.object("network", as: NetworkObject.self)?.net else { throw LuaArgumentError(argument: 1, detail: "needs network = <lip.nn network>") }
            let norm = try o.withField("norm", readNorm) ?? .linf
            let box = try o.withField("input_box") { L, i in try readBox(L, i, size: net.inputSize) }
            let domain = try readDomain(o)
            let p = try makeLipschitzProblem(net, norm: norm, inputBox: box, domain: domain)
            try c.vm.callbackErrors.check()
            return c.push(object: ProblemObject(p, network: net, norm: norm, inputBox: box, domain: domain))
        }
    }

    // MARK: baselines

    func installBounds() {
        register(module: "bounds", name: "product", doc: """
            lip.bounds.product(net, norm [, {input_box = , domain = }]) -> number
            UBP, the product bound (METHOD §5): ‖cᵀW_d‖_* chained with the operator norms of the
            layers scaled by the largest |σ'| of each neuron (global, or from interval propagation
            of input_box). Always an upper bound on the Lipschitz constant; cheap.
            """) { c in
            let net = try c.network(1)
            let norm: Norm
            do { norm = c.isNoneOrNil(2) ? .linf : try readNorm(c.state, 2) } catch let p as LuaRead.Problem { throw LuaArgumentError(argument: 2, detail: p.text) }
            let o = try c.options(3, allowed: ["input_box", "domain"])
            let box = try o.withField("input_box") { L, i in try readBox(L, i, size: net.inputSize) }
            let domain = try readDomain(o)
            return c.push(try productBound(net, norm: norm, inputBox: box, domain: domain))
        }
        register(module: "bounds", name: "sampled", doc: """
            lip.bounds.sampled(net, norm [, {samples = 10000, box = {lower=, upper=}|{center=, radius=}, seed = 0}])
              -> value, argmax
            LBS, the sampling lower bound (METHOD §5): the largest dual norm of the exact gradient
            over uniform random points of the box (default: the wide box [-5, 5]^n, for the global
            constant). A lower bound on the Lipschitz constant over the box: an estimate, not a
            certificate.
            """) { c in
            let net = try c.network(1)
            let norm: Norm
            do { norm = c.isNoneOrNil(2) ? .linf : try readNorm(c.state, 2) } catch let p as LuaRead.Problem { throw LuaArgumentError(argument: 2, detail: p.text) }
            let o = try c.options(3, allowed: ["samples", "box", "seed"])
            let n = net.inputSize
            let box = try o.withField("box") { L, i in try readBox(L, i, size: n) }
                ?? ([Double](repeating: -5, count: n), [Double](repeating: 5, count: n))
            let r = try sampledLowerBound(net, norm: norm, samples: try o.integer("samples") ?? 10_000, box: box,
                                          seed: UInt64(bitPattern: Int64(try o.integer("seed") ?? 0)))
            try c.vm.callbackErrors.check()
            c.push(r.value); c.push(r.argmax); return 2
        }
    }

    // MARK: data

    func installData() {
        register(module: "data", name: "idx", doc: """
            _lip.data.idx(path) -> { shape = {...}, type = "uint8", bytes = <string> } or { shape, type, values = {...} }
            Reads an MNIST-format IDX file (gzip-compressed or not). Used by lip.data.idx.
            """) { c in
            let a = try IDXFile.read(try c.string(1))
            let L = c.state
            lua_createtable(L, 0, 3)
            a.shape.push(onto: L); lua_setfield(L, -2, "shape")
            if let bytes = a.uint8Values {
                "uint8".push(onto: L); lua_setfield(L, -2, "type")
                bytes.withUnsafeBufferPointer { b in
                    b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { _ = lua_pushlstring(L, $0, b.count) }
                }
                lua_setfield(L, -2, "bytes")
            } else {
                "\(a.elementType)".push(onto: L); lua_setfield(L, -2, "type")
                a.values.push(onto: L); lua_setfield(L, -2, "values")
            }
            return 1
        }
        register(module: "", name: "peak_rss", doc: """
            _lip.peak_rss() -> bytes
            The peak resident memory of this process so far (getrusage), for benchmarks.
            """) { c in c.push(peakResidentSetBytes()) }
        register(module: "", name: "isatty", doc: """
            _lip.isatty(fd) -> boolean
            Whether file descriptor fd (0 stdin, 1 stdout, 2 stderr) is a terminal.
            """) { c in c.push(isatty(Int32(try c.integer(1))) != 0) }
    }
}


extension LuaVM {
    static func defineActivation(_ c: LuaCall) throws -> Int {
        let o = try c.options(1, allowed: ["name", "f", "derivative", "derivative_range", "derivative_bounds"], required: true)
        guard let name = try o.string("name") else { throw LuaArgumentError(argument: 1, detail: "activation needs name = \"...\"") }
        guard let f = try o.function("f") else { throw LuaArgumentError(argument: 1, detail: "activation '\(name)' needs f = function(x) ... end") }
        guard let range = try o.numbers("derivative_range"), range.count == 2 else {
            throw LuaArgumentError(argument: 1, detail: "activation '\(name)' needs derivative_range = {lo, hi} (the range of σ' over all reals)")
        }
        guard range[0].isFinite, range[1].isFinite, range[0] <= range[1] else {
            throw LuaArgumentError(argument: 1, detail: "activation '\(name)': derivative_range {\(range[0]), \(range[1])} must be finite with lo <= hi")
        }
        let errors = c.vm.callbackErrors
        let fv = SendableLuaFunction(fn: f, errors: errors, what: "activation '\(name)' f")
        var dv: SendableLuaFunction? = nil
        if let d = try o.function("derivative") { dv = SendableLuaFunction(fn: d, errors: errors, what: "activation '\(name)' derivative") }
        var bounds: (@Sendable (Double, Double) -> (lo: Double, hi: Double))? = nil
        if let b = try o.function("derivative_bounds") {
            let bv = SendableLuaFunction(fn: b, errors: errors, what: "activation '\(name)' derivative_bounds")
            bounds = { (l: Double, u: Double) -> (lo: Double, hi: Double) in
                let r = bv.pair(l, u)
                return (lo: r.0, hi: r.1)
            }
        }
        let derivative: @Sendable (Double) -> Double
        if let d = dv {
            derivative = { (x: Double) -> Double in d.number(x) }
        } else {
            derivative = { (x: Double) -> Double in
                let h = 1e-6 * Swift.max(1, Swift.abs(x))
                return (fv.number(x + h) - fv.number(x - h)) / (2 * h)
            }
        }
        let value: @Sendable (Double) -> Double = { (x: Double) -> Double in fv.number(x) }
        let act = Activation.custom(name: name, value: value, derivative: derivative,
                                    derivativeRange: range[0]...range[1], derivativeBounds: bounds)
        do { try validateUserActivation(act) } catch {
            try errors.check()
            throw error
        }
        try errors.check()
        return c.push(object: ActivationObject(act))
    }

    static func defineNorm(_ c: LuaCall) throws -> Int {
        let o = try c.options(1, allowed: ["name", "dual", "ball", "box"], required: true)
        guard let name = try o.string("name") else { throw LuaArgumentError(argument: 1, detail: "norm needs name = \"...\"") }
        guard let dual = try o.function("dual") else { throw LuaArgumentError(argument: 1, detail: "norm '\(name)' needs dual = function(g) ... end") }
        guard let ball = try o.function("ball") else { throw LuaArgumentError(argument: 1, detail: "norm '\(name)' needs ball = function(t) return {g1, ...} end") }
        let box = try o.function("box")
        let errors = c.vm.callbackErrors
        let d = SendableLuaFunction(fn: dual, errors: errors, what: "norm '\(name)' dual")
        let b = SendableLuaFunction(fn: ball, errors: errors, what: "norm '\(name)' ball")
        var bx: SendableLuaFunction? = nil
        if let f = box { bx = SendableLuaFunction(fn: f, errors: errors, what: "norm '\(name)' box") }
        let dualNorm: @Sendable ([Double]) -> Double = { (g: [Double]) -> Double in
            do {
                let r = try d.fn.call([g])
                guard let x = r.first?.doubleValue else { throw LuaRaise("norm '\(name)' dual must return a number") }
                return x
            } catch { errors.record(error); return .nan }
        }
        let constraints: @Sendable (Int) -> [Polynomial] = { (n: Int) -> [Polynomial] in
            let names = (0..<n).map { "t\($0 + 1)" }
            let ts: [AnyObject] = (0..<n).map { PolynomialObject(Polynomial.variable($0, variableNames: names)) }
            do {
                return try b.fn.withResults([UserdataArray(objects: ts)]) { (L: OpaquePointer, first: Int32, count: Int) throws -> [Polynomial] in
                    try readPolynomialList(L, first, count: count, names: names, what: "norm '\(name)' ball")
                }
            } catch { errors.record(error); return [] }
        }
        var boxFunction: (@Sendable (Int) -> (lower: [Double], upper: [Double]))? = nil
        if let f = bx {
            boxFunction = { (n: Int) -> (lower: [Double], upper: [Double]) in
                do {
                    let r = try f.fn.call([n])
                    guard r.count >= 2, case .array(let l) = r[0], case .array(let u) = r[1] else {
                        throw LuaRaise("norm '\(name)' box must return two arrays lower, upper")
                    }
                    return (lower: l.map { $0.doubleValue ?? .nan }, upper: u.map { $0.doubleValue ?? .nan })
                } catch {
                    errors.record(error)
                    return (lower: [Double](repeating: .nan, count: n), upper: [Double](repeating: .nan, count: n))
                }
            }
        }
        let norm = Norm.custom(name: name, dualNorm: dualNorm, dualBallConstraints: constraints, dualBallBox: boxFunction)
        return c.push(object: NormObject(norm))
    }
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

/// The output selection as Lua users number it (1-based).
func outputText(_ o: Network.Output) -> String {
    switch o {
    case .index(let i): return "output \(i + 1)"
    case .vector(let c): return "output cᵀz with c = {\(c.prefix(6).map { "\($0)" }.joined(separator: ", "))\(c.count > 6 ? ", ..." : "")}"
    }
}

/// The option `domain = {lo, hi}` (the data domain the input box is clipped to), checked.
func readDomain(_ o: LuaOptions) throws -> (lower: Double, upper: Double)? {
    guard let d = try o.numbers("domain") else { return nil }
    guard d.count == 2, d[0] < d[1] else {
        throw LuaArgumentError(argument: o.argument, detail: "option 'domain': {lo, hi} with lo < hi expected")
    }
    return (d[0], d[1])
}

func readBoxArgument(_ c: LuaCall, _ i: Int, size: Int) throws -> (lower: [Double], upper: [Double]) {
    do { return try readBox(c.state, Int32(i), size: size) } catch let p as LuaRead.Problem { throw LuaArgumentError(argument: i, detail: p.text) }
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
