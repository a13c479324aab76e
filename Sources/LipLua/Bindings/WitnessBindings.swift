import CLua
import Foundation
import LipCore
import LipLP

// The `_lip.witness` native module: certified witnesses (lower bounds that are proofs), the
// witness search, and exact values (MIP / pattern enumeration). Kept in its own file so the
// integrator can fold it into the redesigned bindings; `installWitness()` is called from
// Install.swift.

/// Reads the domain of a witness: `box = {lower=, upper=}` (global on that box) or
/// `box = {center=, radius=}` (local, rounded inward), optionally clipped to `domain = {lo, hi}`;
/// without `box` the default global box [−5, 5]^n (clipped to `domain` when given).
func readWitnessDomain(_ c: LuaCall, _ o: LuaOptions, inputs n: Int) throws -> WitnessDomain {
    let clip = try readDomain(o)
    let local: (center: [Double], radius: Double)? = try o.withField("box") { L, i in
        lua_getfield(L, i, "center"); defer { lua_settop(L, -2) }
        if lua_type(L, -1) == LUA_TNIL { return nil }
        let centre = try LuaRead.numbers(L, -1)
        lua_getfield(L, i, "radius"); defer { lua_settop(L, -2) }
        return (centre, try LuaRead.number(L, -1))
    } ?? nil
    do {
        if let l = local {
            guard l.center.count == n else { throw WitnessError.input("box.center has \(l.center.count) coordinates, the network takes \(n) inputs") }
            return try WitnessDomain.local(center: l.center, radius: l.radius, clip: clip)
        }
        var box = try o.withField("box") { L, i in try readBox(L, i, size: n) }
        if box == nil, let d = clip { box = ([Double](repeating: d.lower, count: n), [Double](repeating: d.upper, count: n)) }
        else if var b = box, let d = clip {
            for k in 0..<n { b.lower[k] = max(b.lower[k], d.lower); b.upper[k] = min(b.upper[k], d.upper) }
            box = b
        }
        return try WitnessDomain.global(inputs: n, box: box)
    } catch let e as WitnessError {
        throw LuaArgumentError(argument: o.argument, detail: e.description)
    }
}

func readWitnessNorm(_ c: LuaCall, _ i: Int) throws -> WitnessNorm {
    let norm: Norm
    do { norm = c.isNoneOrNil(i) ? .linf : try readNorm(c.state, Int32(i)) } catch let p as LuaRead.Problem {
        throw LuaArgumentError(argument: i, detail: p.text)
    }
    guard let w = WitnessNorm(norm) else {
        throw LuaArgumentError(argument: i, detail: "witnesses need a built-in norm (linf, l1, l2); '\(norm.name)' has no rigorous dual-norm evaluation")
    }
    return w
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

func readPatterns(_ L: OpaquePointer, _ i: Int32) throws -> [ActivationPattern] {
    guard lua_type(L, i) == LUA_TTABLE else { throw LuaRead.Problem(expected: "list of patterns (each a list of layers of 0/1)", L, i) }
    let t = lua_absindex(L, i)
    var out: [ActivationPattern] = []
    for k in 1...max(1, Int(lua_rawlen(L, t))) where lua_rawlen(L, t) > 0 {
        lua_rawgeti(L, t, lua_Integer(k)); defer { lua_settop(L, -2) }
        let p = lua_absindex(L, -1)
        guard lua_type(L, p) == LUA_TTABLE else { throw LuaRead.Problem("pattern [\(k)]: list of layers expected") }
        var layers: [[UInt8]] = []
        for m in 1...max(1, Int(lua_rawlen(L, p))) where lua_rawlen(L, p) > 0 {
            lua_rawgeti(L, p, lua_Integer(m)); defer { lua_settop(L, -2) }
            let v = try LuaRead.integers(L, -1)
            guard v.allSatisfy({ $0 >= 0 && $0 <= 255 }) else { throw LuaRead.Problem("pattern [\(k)] layer [\(m)]: pieces must be 0, 1, ...") }
            layers.append(v.map { UInt8($0) })
        }
        out.append(layers)
    }
    return out
}

extension LuaVM {
    func installWitness() {
        register(module: "witness", name: "certify", doc: """
            _lip.witness.certify(net, norm, x [, {box = , domain = , margin = 1e-9}]) -> witness | nil, reason
            Checks one point: x in the domain (default box [-5, 5]^n), every pre-activation at least
            `margin` from every kink (so f is differentiable at x), gradient enclosed with directed
            rounding. witness = {lower (proven <= |grad f(x)|_*), upper, estimate, point, pattern,
            margin, source}; reason = "outside_domain" | "margin_too_small" | "non_finite" | ...
            """) { c in
            let net = try c.network(1)
            let norm = try readWitnessNorm(c, 2)
            let x = try c.numbers(3)
            let o = try c.options(4, allowed: ["box", "domain", "margin"])
            let domain = try readWitnessDomain(c, o, inputs: net.inputSize)
            let cert = try WitnessCertifier(network: net, norm: norm, domain: domain, margin: try o.number("margin") ?? WitnessCertifier.defaultMargin)
            switch cert.check(x, source: .userPoint) {
            case .success(let w): return c.push(WitnessTable(w: w))
            case .failure(let why): c.pushNil(); c.push(why.rawValue); return 2
            }
        }

        register(module: "witness", name: "search", doc: """
            _lip.witness.search(net, norm [, options]) -> result
            A certified lower bound on the Lipschitz constant over a box: the best of (a) LBS's best
            random point, (b) gradient ascent on |grad f|_* (smoothed for ReLU), (c) for piecewise-
            linear nets, alternating maximisation over activation patterns with LP-checked
            realisability and neighbour flips, (d) user points/patterns. options: box =
            {lower=, upper=} | {center=, radius=} (default [-5, 5]^n), domain = {lo, hi}, seed = 0,
            time_limit, margin = 1e-9, samples = 10000, ascent_starts = 8, ascent_steps = 150,
            ascent_step = 0.05, pattern_starts = 3, pattern_moves = 40, flips = 24, lp_cap = 0.01,
            lp_max_nonzeros = 150000, points = {x...}, patterns = {pattern...}, lbs = {value=,
            point=} (a precomputed LBS: not sampled again), progress = false.
            result: {lower, witness = {...}, source, lbs, by_source = {sampled=, ascent=, ...},
            drops = {reason = count}, checked, lp_solves, lp_seconds, seconds, stop_reason, notes}.
            """) { c in
            let net = try c.network(1)
            let norm = try readWitnessNorm(c, 2)
            let o = try c.options(3, allowed: ["box", "domain", "seed", "time_limit", "margin", "samples", "ascent_starts",
                                               "ascent_steps", "ascent_step", "pattern_starts", "pattern_moves", "flips",
                                               "lp_cap", "lp_max_nonzeros", "points", "patterns", "progress", "lbs"])
            let domain = try readWitnessDomain(c, o, inputs: net.inputSize)
            var w = WitnessSearchOptions()
            if let s = try o.integer("seed") { w.seed = UInt64(bitPattern: Int64(s)) }
            w.timeLimit = try o.number("time_limit")
            if let v = try o.number("margin") { w.margin = v }
            if let v = try o.integer("samples") { w.samples = v }
            if let v = try o.integer("ascent_starts") { w.ascentStarts = v }
            if let v = try o.integer("ascent_steps") { w.ascentSteps = v }
            if let v = try o.number("ascent_step") { w.ascentStepSize = v }
            if let v = try o.integer("pattern_starts") { w.patternStarts = v }
            if let v = try o.integer("pattern_moves") { w.patternMoves = v }
            if let v = try o.integer("flips") { w.flipCandidates = v }
            if let v = try o.number("lp_cap") { w.lpMarginCap = v }
            if let v = try o.integer("lp_max_nonzeros") { w.lpMaxNonzeros = v }
            w.lbs = try o.withField("lbs") { L, i -> (value: Double, point: [Double]) in
                lua_getfield(L, i, "value"); defer { lua_settop(L, -2) }
                let v = try LuaRead.number(L, -1)
                lua_getfield(L, i, "point"); defer { lua_settop(L, -2) }
                return (v, try LuaRead.numbers(L, -1))
            }
            if let v = try o.matrix("points") { w.points = v }
            if let v = try o.withField("patterns", readPatterns) { w.patterns = v }
            if try o.boolean("progress") ?? false {
                w.progress = { p in
                    FileHandle.standardError.write("witness \(p.phase.rawValue): best \(p.best.map { String($0) } ?? "-"), \(p.checked) checked, \(String(format: "%.1f", p.seconds)) s\n".data(using: .utf8)!)
                }
            }
            let solver = try? c.vm.solver()
            let r: WitnessSearchResult
            do { r = try searchWitness(net, norm: norm, domain: domain, lpSolver: solver, options: w) }
            catch let e as WitnessError { throw LuaArgumentError(argument: 3, detail: e.description) }
            let L = c.state
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
        }

        register(module: "witness", name: "exact", doc: """
            _lip.witness.exact(net, norm [, options]) -> result
            Exact values for small ReLU / leaky-ReLU networks, linf or l1 input norm.
            quantity = "lipschitz" (default; on the box: LipMIP's MIP or pattern enumeration) or
            "max_p" (the maximum of the norm-gradient polynomial: vertex enumeration up to 24
            variables, the MIP above). options: box, domain (as witness.search; for max_p the box
            gives local derivative ranges, none = global), method = "mip" | "pattern_enumeration"
            | "vertex_enumeration", time_limit, verbosity, max_binaries, seed.
            result: {quantity, method, status ("exact" | "time_limit" | "interrupted" |
            "not_certified" | "too_large" | "solver_error"), exact (boolean), value (when exact),
            lower (proven), upper (the solver's bound: a floating-point claim, upper_is_proof =
            false), witness, pattern, incumbent, binaries, nodes, seconds, message}.
            """) { c in
            let net = try c.network(1)
            let norm = try readWitnessNorm(c, 2)
            let o = try c.options(3, allowed: ["box", "domain", "quantity", "method", "time_limit", "verbosity", "max_binaries", "seed"])
            var eo = ExactOptions()
            eo.timeLimit = try o.number("time_limit")
            if let v = try o.integer("verbosity") { eo.verbosity = v }
            if let v = try o.integer("max_binaries") { eo.maxBinaries = v }
            if let s = try o.integer("seed") { eo.witness.seed = UInt64(bitPattern: Int64(s)) }
            if let m = try o.choice("method", ["mip", "pattern_enumeration", "vertex_enumeration"]) { eo.method = ExactMethod(rawValue: m) }
            let quantity = try o.choice("quantity", ["lipschitz", "max_p"]) ?? "lipschitz"
            let solver = try c.vm.solver()
            let r: ExactResult
            do {
                if quantity == "max_p" {
                    var box: (lower: [Double], upper: [Double])? = nil
                    if o.has("box") { let d = try readWitnessDomain(c, o, inputs: net.inputSize); box = (d.lower, d.upper) }
                    r = try exactPolynomialMaximum(net, norm: norm, inputBox: box, mipSolver: solver as? MIPSolver, options: eo)
                } else {
                    guard let mip = solver as? MIPSolver else { throw WitnessError.unsupported("the registered LP solver '\(solver.name)' cannot solve MIPs") }
                    let domain = try readWitnessDomain(c, o, inputs: net.inputSize)
                    r = try exactLipschitz(net, norm: norm, domain: domain, lpSolver: solver, mipSolver: mip, options: eo)
                }
            } catch let e as WitnessError { throw LuaArgumentError(argument: 3, detail: e.description) }
            let L = c.state
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
        }
    }
}
