import CLua
import Foundation
import LipCore
import LipLP

// `_lip.witness`: certified witnesses (lower bounds that are proofs, docs/METHOD.md §8), the
// witness search, and exact values (MIP / pattern enumeration / vertex enumeration).

/// Where a witness may lie, as the caller gave it: a box {lower, upper} (global on that box) or
/// {center, radius} (local; rounded inward so every accepted point is inside the true ball).
enum WitnessBoxSpec {
    case box(lower: [Double], upper: [Double])
    case ball(center: [Double], radius: Double)
}

extension ArgType {
    static let witnessBox = ArgType(annotation: "lip.Box", phrase: "a box {lower =, upper =} or {center =, radius =}") { c, i in
        let L = c.state
        guard lua_type(L, i) == LUA_TTABLE else { throw LuaRead.Problem(expected: "box {lower=, upper=} or {center=, radius=}", L, i) }
        lua_getfield(L, i, "center")
        let hasCenter = lua_type(L, -1) != LUA_TNIL
        lua_settop(L, -2)
        let box = try readBox(L, i)     // checks keys, finiteness, order
        if hasCenter {
            lua_getfield(L, i, "center"); defer { lua_settop(L, -2) }
            let centre = try LuaRead.numbers(L, -1)
            lua_getfield(L, i, "radius"); defer { lua_settop(L, -2) }
            return WitnessBoxSpec.ball(center: centre, radius: try LuaRead.number(L, -1))
        }
        return WitnessBoxSpec.box(lower: box.lower, upper: box.upper)
    }
}

extension LuaVM {
    static let witnessDomainFields: [Field] = [
        Field("box", .witnessBox, "where the witness may lie: {lower=, upper=} (the global constant on that box) or {center=, radius=} (a local constant; rounded inward)", default: "[-5, 5]^n"),
        Field("domain", .domain, "clip the box to this data domain", default: "none"),
    ]

    /// The witness domain of a call with `witnessDomainFields`.
    static func witnessDomain(_ a: Arguments, inputs n: Int) throws -> WitnessDomain {
        let clip: (lower: Double, upper: Double)? = a.get("domain")
        do {
            switch a.get("box", as: WitnessBoxSpec.self) {
            case .ball(let c, let r)?:
                guard c.count == n else { throw WitnessError.input("box.center has \(c.count) coordinates, the network takes \(n) inputs") }
                return try WitnessDomain.local(center: c, radius: r, clip: clip)
            case .box(var lo, var hi)?:
                guard lo.count == n else { throw WitnessError.input("box has \(lo.count) coordinates, the network takes \(n) inputs") }
                if let d = clip { for k in 0..<n { lo[k] = max(lo[k], d.lower); hi[k] = min(hi[k], d.upper) } }
                return try WitnessDomain.global(inputs: n, box: (lo, hi))
            case nil:
                if let d = clip {
                    return try WitnessDomain.global(inputs: n, box: ([Double](repeating: max(-5, d.lower), count: n), [Double](repeating: min(5, d.upper), count: n)))
                }
                return try WitnessDomain.global(inputs: n, box: nil)
            }
        } catch let e as WitnessError { throw LuaRaise(e.description) }
    }

    static func witnessNorm(_ a: Arguments) throws -> WitnessNorm {
        let norm: Norm = a.get("norm") ?? .linf
        guard let w = WitnessNorm(norm) else {
            throw LuaRaise("witnesses need a norm whose unit ball is a box, a cross-polytope or a Euclidean ball (linf, l1, l2); '\(norm.name)' has no rigorous dual-norm evaluation")
        }
        return w
    }

    func installWitness() {
        let net = Parameter("net", .object(NetworkObject.self, "Network"))
        let norm = Parameter("norm", .norm, "the input norm (linf, l1, l2), default linf", optional: true)

        define(NativeFunction(
            module: "witness", name: "certify",
            summary: "Checks one point as a witness: x in the domain, every pre-activation at least `margin` from every kink (so f is differentiable at x), the gradient enclosed with directed rounding. Returns the witness, or nil and the reason (outside_domain, margin_too_small, non_finite, ...).",
            parameters: [net, norm, Parameter("x", .numbers, "the point"),
                         Parameter("options", .options(Self.witnessDomainFields + [
                            Field("margin", .number(min: 0), "smallest accepted distance of a pre-activation from a kink", default: "1e-9"),
                         ]), optional: true)],
            results: [Result("witness", "table|nil", "{lower (proven <= |grad f(x)|_*), upper, estimate, point, pattern, margin, source}"),
                      Result("reason", "string|nil")]) { a in
            let network = a.network("net")!
            let domain = try Self.witnessDomain(a, inputs: network.inputSize)
            let x: [Double] = a.get("x")!
            guard x.count == network.inputSize else { throw LuaRaise("x has \(x.count) coordinates, the network takes \(network.inputSize) inputs") }
            let cert: WitnessCertifier
            do {
                cert = try WitnessCertifier(network: network, norm: try Self.witnessNorm(a), domain: domain,
                                            margin: a.get("margin") ?? WitnessCertifier.defaultMargin)
            } catch let e as WitnessError { throw LuaRaise(e.description) }
            switch cert.check(x, source: .userPoint) {
            case .success(let w): return a.push(WitnessTable(w: w))
            case .failure(let why): a.call.pushNil(); a.push(why.rawValue); return 2
            }
        })

        define(NativeFunction(
            module: "witness", name: "search",
            summary: "A certified lower bound on the Lipschitz constant over a box: the best checked witness among LBS's best random point, gradient ascent on |grad f|_* (smoothed for ReLU), alternating maximisation over activation patterns with LP-checked realisability and neighbour flips (piecewise-linear nets), and user points/patterns.",
            parameters: [net, norm, Parameter("options", .options(Self.witnessDomainFields + [
                Field("seed", .seed, "random seed", default: "0"),
                Field("time_limit", .seconds, "stop the search after this many seconds (the best witness so far is kept)", default: "none"),
                Field("kicks", .boolean, "with a time limit, use all of it: perturb the best pattern or point and climb again until the time is up (false: stop after the bounded search, reproducible)", default: "true"),
                Field("margin", .number(min: 0), "smallest accepted distance from a kink", default: "1e-9"),
                Field("samples", .integer(min: 0, max: 100_000_000), "random points (the LBS part)", default: "10000"),
                Field("ascent_starts", .integer(min: 0, max: 100_000), "gradient-ascent starts", default: "8"),
                Field("ascent_steps", .integer(min: 0, max: 1_000_000), "steps per start", default: "150"),
                Field("ascent_step", .number(min: 0), "step size (fraction of the box width)", default: "0.05"),
                Field("pattern_starts", .integer(min: 0, max: 100_000), "starts of the pattern search", default: "3"),
                Field("pattern_moves", .integer(min: 0, max: 1_000_000), "moves per start", default: "40"),
                Field("flips", .integer(min: 0, max: 1_000_000), "neighbour flips tried per move", default: "24"),
                Field("lp_cap", .number(min: 0), "cap on the margin the realisability LP asks for", default: "0.01"),
                Field("lp_max_nonzeros", .integer(min: 0, max: 1_000_000_000), "skip the pattern search above this LP size", default: "150000"),
                Field("points", .matrix, "extra candidate points", default: "none"),
                Field("patterns", .any, "extra candidate activation patterns (lists of layers of 0/1)", default: "none"),
                Field("lbs", .any, "a precomputed LBS {value =, point =} (not sampled again)", default: "none"),
                Field("progress", .boolean, "print progress on stderr", default: "false"),
            ]), optional: true)],
            results: [Result("result", "table", "{lower, witness, source, lbs, by_source, drops, checked, lp_solves, lp_seconds, seconds, stop_reason, notes, domain}")]) { a in
            let network = a.network("net")!
            let domain = try Self.witnessDomain(a, inputs: network.inputSize)
            var w = WitnessSearchOptions()
            if let s: UInt64 = a.get("seed") { w.seed = s }
            if let t: Double = a.get("time_limit"), t.isFinite { w.timeLimit = t }
            if let v: Double = a.get("margin") { w.margin = v }
            if let v: Bool = a.get("kicks") { w.kicks = v }
            if let v: Int = a.get("samples") { w.samples = v }
            if let v: Int = a.get("ascent_starts") { w.ascentStarts = v }
            if let v: Int = a.get("ascent_steps") { w.ascentSteps = v }
            if let v: Double = a.get("ascent_step") { w.ascentStepSize = v }
            if let v: Int = a.get("pattern_starts") { w.patternStarts = v }
            if let v: Int = a.get("pattern_moves") { w.patternMoves = v }
            if let v: Int = a.get("flips") { w.flipCandidates = v }
            if let v: Double = a.get("lp_cap") { w.lpMarginCap = v }
            if let v: Int = a.get("lp_max_nonzeros") { w.lpMaxNonzeros = v }
            if let v: [[Double]] = a.get("points") {
                if let bad = v.firstIndex(where: { $0.count != network.inputSize }) {
                    throw LuaRaise("points[\(bad + 1)] has \(v[bad].count) coordinates, the network takes \(network.inputSize) inputs")
                }
                w.points = v
            }
            if let v: LuaValue = a.get("patterns") { w.patterns = try readPatterns(v) }
            if let v: LuaValue = a.get("lbs") { w.lbs = try readLBS(v, inputs: network.inputSize) }
            if a.get("progress") ?? false {
                w.progress = { p in
                    FileHandle.standardError.write("witness \(p.phase.rawValue): best \(p.best.map { String($0) } ?? "-"), \(p.checked) checked, \(String(format: "%.1f", p.seconds)) s\n".data(using: .utf8)!)
                }
            }
            let solver = try? a.vm.solver()
            let nrm = try Self.witnessNorm(a)
            let r: WitnessSearchResult
            do { r = try a.vm.withCallbacks { try searchWitness(network, norm: nrm, domain: domain, lpSolver: solver, options: w) } }
            catch let e as WitnessError { throw LuaRaise(e.description) }
            let L = a.call.state
            lua_createtable(L, 0, 14)
            r.lower.push(onto: L); lua_setfield(L, -2, "lower")
            r.witness.map { WitnessTable(w: $0) }.push(onto: L); lua_setfield(L, -2, "witness")
            (r.witness?.source.rawValue).push(onto: L); lua_setfield(L, -2, "source")
            r.lbs.push(onto: L); lua_setfield(L, -2, "lbs")
            lua_createtable(L, 0, 7)
            for (s, v) in r.bestBySource { if let v { v.push(onto: L); lua_setfield(L, -2, s.rawValue) } }
            lua_setfield(L, -2, "by_source")
            DropsTable(d: r.drops).push(onto: L); lua_setfield(L, -2, "drops")
            r.checked.push(onto: L); lua_setfield(L, -2, "checked")
            r.lpSolves.push(onto: L); lua_setfield(L, -2, "lp_solves")
            r.lpSeconds.push(onto: L); lua_setfield(L, -2, "lp_seconds")
            r.seconds.push(onto: L); lua_setfield(L, -2, "seconds")
            (r.stopReason?.rawValue).push(onto: L); lua_setfield(L, -2, "stop_reason")
            r.notes.push(onto: L); lua_setfield(L, -2, "notes")
            domain.kind.push(onto: L); lua_setfield(L, -2, "domain")
            return 1
        })

        define(NativeFunction(
            module: "witness", name: "exact",
            summary: "Exact values for small ReLU / leaky-ReLU networks (linf or l1 input norm). quantity = \"lipschitz\": the Lipschitz constant on the box (LipMIP's mixed-integer program, or enumeration of realisable activation patterns); \"max_p\": the maximum of the norm-gradient polynomial (vertex enumeration up to 24 variables, else the MIP). The lower value is proven by a checked witness; the upper value is the solver's floating-point claim (upper_is_proof = false).",
            parameters: [net, norm, Parameter("options", .options(Self.witnessDomainFields + [
                Field("quantity", .choice(["lipschitz", "max_p"]), "what to compute", default: "lipschitz"),
                Field("method", .choice(["mip", "pattern_enumeration", "vertex_enumeration"]), "how", default: "by size"),
                Field("time_limit", .seconds, "stop after this many seconds (then status = time_limit and [lower, upper] is an interval)", default: "none"),
                Field("verbosity", .integer(min: 0, max: 3), "solver messages", default: "0"),
                Field("max_binaries", .integer(min: 0, max: 1_000_000), "refuse MIPs with more binaries", default: "400"),
                Field("seed", .seed, "seed of the witness search that gives the incumbent", default: "0"),
            ]), optional: true)],
            results: [Result("result", "table", "{quantity, method, status (exact | time_limit | interrupted | not_certified | too_large | solver_error), exact, value, lower, upper, upper_is_proof, witness, pattern, incumbent, binaries, nodes, seconds, message}")]) { a in
            let network = a.network("net")!
            var eo = ExactOptions()
            if let t: Double = a.get("time_limit"), t.isFinite { eo.timeLimit = t }
            if let v: Int = a.get("verbosity") { eo.verbosity = v }
            if let v: Int = a.get("max_binaries") { eo.maxBinaries = v }
            if let s: UInt64 = a.get("seed") { eo.witness.seed = s }
            if let m: String = a.get("method") { eo.method = ExactMethod(rawValue: m) }
            let quantity: String = a.get("quantity") ?? "lipschitz"
            let nrm = try Self.witnessNorm(a)
            let solver = try a.vm.solver()
            let r: ExactResult
            do {
                if quantity == "max_p" {
                    var box: (lower: [Double], upper: [Double])? = nil
                    if a.has("box") { let d = try Self.witnessDomain(a, inputs: network.inputSize); box = (d.lower, d.upper) }
                    r = try a.vm.withCallbacks { try exactPolynomialMaximum(network, norm: nrm, inputBox: box, mipSolver: solver as? MIPSolver, options: eo) }
                } else {
                    guard let mip = solver as? MIPSolver else { throw WitnessError.unsupported("the LP solver '\(solver.name)' cannot solve mixed-integer programs; use lip.lp solver 'glpk'") }
                    let domain = try Self.witnessDomain(a, inputs: network.inputSize)
                    r = try a.vm.withCallbacks { try exactLipschitz(network, norm: nrm, domain: domain, lpSolver: solver, mipSolver: mip, options: eo) }
                }
            } catch let e as WitnessError { throw LuaRaise(e.description) }
            let L = a.call.state
            lua_createtable(L, 0, 16)
            r.quantity.rawValue.push(onto: L); lua_setfield(L, -2, "quantity")
            r.method.rawValue.push(onto: L); lua_setfield(L, -2, "method")
            r.status.push(onto: L); lua_setfield(L, -2, "status")
            r.isExact.push(onto: L); lua_setfield(L, -2, "exact")
            r.value.push(onto: L); lua_setfield(L, -2, "value")
            r.lower.push(onto: L); lua_setfield(L, -2, "lower")
            r.upper.push(onto: L); lua_setfield(L, -2, "upper")
            r.upperIsProof.push(onto: L); lua_setfield(L, -2, "upper_is_proof")
            r.witness.map { WitnessTable(w: $0) }.push(onto: L); lua_setfield(L, -2, "witness")
            r.pattern.map { $0.map { $0.map { Int($0) } } }.push(onto: L); lua_setfield(L, -2, "pattern")
            r.incumbent.push(onto: L); lua_setfield(L, -2, "incumbent")
            r.binaries.push(onto: L); lua_setfield(L, -2, "binaries")
            r.nodes.push(onto: L); lua_setfield(L, -2, "nodes")
            r.seconds.push(onto: L); lua_setfield(L, -2, "seconds")
            r.message.push(onto: L); lua_setfield(L, -2, "message")
            return 1
        })
    }
}

/// Lua table of a certified witness.
struct WitnessTable: LuaPushable {
    let w: CertifiedWitness
    func push(onto L: OpaquePointer) {
        lua_createtable(L, 0, 8)
        w.lower.push(onto: L); lua_setfield(L, -2, "lower")
        w.upper.push(onto: L); lua_setfield(L, -2, "upper")
        w.estimate.push(onto: L); lua_setfield(L, -2, "estimate")
        w.point.push(onto: L); lua_setfield(L, -2, "point")
        w.pattern.map { $0.map { Int($0) } }.push(onto: L); lua_setfield(L, -2, "pattern")
        w.smallestMargin.push(onto: L); lua_setfield(L, -2, "margin")
        w.source.rawValue.push(onto: L); lua_setfield(L, -2, "source")
    }
}

struct DropsTable: LuaPushable {
    let d: WitnessDrops
    func push(onto L: OpaquePointer) {
        lua_createtable(L, 0, Int32(d.nonzero.count))
        for (r, k) in d.nonzero { k.push(onto: L); lua_setfield(L, -2, r.rawValue) }
    }
}

/// The elements of a copied Lua list (an empty table counts as an empty list).
private func listOf(_ v: LuaValue) -> [LuaValue]? {
    switch v { case .array(let a): return a; case .table(let d) where d.isEmpty: return []; default: return nil }
}

/// Activation patterns from a Lua value: a list of patterns, each a list of layers of 0/1.
func readPatterns(_ v: LuaValue) throws -> [ActivationPattern] {
    guard let list = listOf(v) else { throw LuaRaise("option 'patterns': a list of patterns (each a list of layers of 0/1) expected") }
    var out: [ActivationPattern] = []
    for (k, p) in list.enumerated() {
        guard let layers = listOf(p) else { throw LuaRaise("patterns[\(k + 1)]: a list of layers expected") }
        var pattern: ActivationPattern = []
        for (m, layer) in layers.enumerated() {
            guard let pieces = listOf(layer) else { throw LuaRaise("patterns[\(k + 1)][\(m + 1)]: a list of 0/1 expected") }
            var row: [UInt8] = []
            for x in pieces {
                guard let d = x.doubleValue, d == d.rounded(), d >= 0, d <= 255 else {
                    throw LuaRaise("patterns[\(k + 1)][\(m + 1)]: pieces must be 0, 1, ...")
                }
                row.append(UInt8(d))
            }
            pattern.append(row)
        }
        out.append(pattern)
    }
    return out
}

/// A precomputed LBS {value =, point =}.
func readLBS(_ v: LuaValue, inputs n: Int) throws -> (value: Double, point: [Double]) {
    guard case .table(let t) = v, let vv = t["value"], let value = vv.doubleValue, let pv = t["point"], let pt = listOf(pv) else {
        throw LuaRaise("option 'lbs': {value = number, point = {...}} expected")
    }
    let point = pt.compactMap(\.doubleValue)
    guard point.count == n, pt.count == n, value.isFinite, point.allSatisfy(\.isFinite) else {
        throw LuaRaise("option 'lbs': a finite value and a point with \(n) finite coordinates expected")
    }
    return (value, point)
}
