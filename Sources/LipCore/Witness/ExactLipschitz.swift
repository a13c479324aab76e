import Foundation
import LipControl
import LipLP

/// Which number an exact method computes.
public enum ExactQuantity: String, Sendable {
    /// The Lipschitz constant of f on the domain box: max ‖∇f(x)‖_* over the points x of the box
    /// where f is differentiable (LipMIP's quantity).
    case lipschitz
    /// The maximum of the norm-gradient polynomial p over t ∈ B_*, s in its box (METHOD §2): the
    /// quantity LiPopt relaxes, ≥ the Lipschitz constant (patterns need not be realisable).
    case polynomialMaximum = "max_p"
}

/// How an exact value was computed.
public enum ExactMethod: String, Sendable {
    /// Mixed-integer program, GLPK branch and cut.
    case mip
    /// Every activation pattern of the unstable neurons, each checked by the margin LP (tiny nets).
    case patternEnumeration = "pattern_enumeration"
    /// Every vertex of the derivative box (`exactMaximum`, ≤ 24 variables; max_p only).
    case vertexEnumeration = "vertex_enumeration"
}

public struct ExactOptions: Sendable {
    /// Seconds for everything (witness search, MIP); nil for none.
    public var timeLimit: Double? = nil
    /// nil: automatic (Lipschitz: pattern enumeration up to `maxEnumeratedNeurons` unstable
    /// neurons, else MIP; max_p: vertex enumeration up to 24 variables, else MIP).
    public var method: ExactMethod? = nil
    public var maxEnumeratedNeurons: Int = 12
    /// The MIP is refused above this many binaries (the size of the branch-and-bound tree).
    public var maxBinaries: Int = 5_000
    /// The witness search run first (its best point is the MIP's first incumbent and the proven
    /// lower end of the interval). Its own time limit is capped at `witnessTimeFraction` of the
    /// total; no restarts (`kicks`) by default, so it ends when its counts are done.
    public var witness: WitnessSearchOptions = {
        var w = WitnessSearchOptions(); w.samples = 2_000; w.ascentStarts = 4; w.ascentSteps = 100
        w.patternStarts = 2; w.patternMoves = 20; w.kicks = false; return w
    }()
    public var witnessTimeFraction: Double = 0.1
    /// Exact means: the MIP finished, and the certified lower bound is within this relative
    /// tolerance of the MIP's bound.
    public var exactTolerance: Double = 1e-7
    public var margin: Double = WitnessCertifier.defaultMargin
    /// GLPK's message level (0 silent … 3 all).
    public var verbosity: Int = 0
    /// Cutting planes in the MIP (see `MIPOptions.cuts`).
    public var cuts: Bool = false
    /// Branch on the first hidden layer's binaries first (otherwise GLPK's Driebeck–Tomlin rule,
    /// which needed half the nodes on a [784,20,20,2] network).
    public var layerPriority: Bool = false
    public var progress: (@Sendable (ExactProgress) -> Void)? = nil
    /// Polled by the witness search, the enumeration and the MIP. Default: the Ctrl-C flag.
    public var interrupted: @Sendable () -> Bool = { Interrupt.isRequested }
    public init() {}
}

public struct ExactProgress: Sendable {
    public var stage: String
    public var lower: Double?
    public var upper: Double?
    public var nodes: Int
    public var seconds: Double
}

/// An exact value, or the interval reached.
///
/// What the numbers guarantee:
/// - `lower` is a theorem: for `.lipschitz` a certified witness (a point of the domain, f
///   differentiable there, ‖∇f‖_* enclosed with directed rounding); for `.polynomialMaximum` p
///   evaluated with directed rounding at a vertex of the s-box with the best t.
/// - `upper` is the solver's claim (`upperIsProof == false`): GLPK's branch-and-bound bound from
///   floating-point LP relaxations with tolerances (or, for pattern enumeration, the LP's
///   infeasibility verdicts on the other patterns). It is not certified.
/// - `isExact` (status "exact"): the search finished and `lower` ≥ `upper` − tolerance, so the
///   value is `lower`, proven from below and optimal up to the solver's claim.
public struct ExactResult: Sendable {
    public var quantity: ExactQuantity
    public var method: ExactMethod
    /// "exact", "time_limit", "interrupted", "not_certified" (the solver finished but its optimum
    /// could not be re-verified as a witness), "solver_error", "too_large".
    public var status: String
    public var isExact: Bool
    public var lower: Double?
    public var upper: Double?
    public var upperIsProof: Bool = false
    /// The exact value (= lower) when `isExact`.
    public var value: Double? { isExact ? lower : nil }
    /// The certified witness behind `lower` (`.lipschitz`).
    public var witness: CertifiedWitness?
    /// The pattern of the optimum (incumbent).
    public var pattern: ActivationPattern?
    /// The solver's own objective at its incumbent (floating point).
    public var incumbent: Double?
    public var binaries: Int = 0
    public var nodes: Int = 0
    public var seconds: Double = 0
    public var message: String = ""
    /// The witness search run first (nil for max_p).
    public var witnessSearch: WitnessSearchResult?
}

// MARK: - the MIP

/// The MIP of a piecewise-linear network with one kink per activation (ReLU, leaky ReLU;
/// identity layers have none), following the norm-gradient polynomial written forward:
///
///     p(t, s) = cᵀW_d D_{d−1} W_{d−1} ⋯ D_1 W_1 t,   D_l = diag(s_l)
///
/// - Dual variables t ∈ B_*: ℓ∞ input: t ∈ [−1, 1]^n (continuous: for fixed s, p is linear in t,
///   so the LP picks a vertex and max_t p = ‖g(s)‖_1 exactly, no sign binaries); ℓ1 input: t = u − v,
///   u, v ≥ 0, Σ(u + v) ≤ 1 (max = ‖g‖_∞).
/// - Per hidden layer: q_l = W_l d_{l−1} (d_0 = t) with interval bounds [Q_l, Q_u], and
///   d_{l,j} = s_{l,j} q_{l,j}. A neuron whose derivative is fixed contributes s·q. Otherwise
///   s = s₀ + (s₁ − s₀) b with a binary b and w = b·q linearised exactly (b integral) by
///   w ≤ Q_u b, w ≥ Q_l b, w ≤ q − Q_l(1 − b), w ≥ q − Q_u(1 − b); d = s₀ q + (s₁ − s₀) w.
/// - Objective: cᵀW_d d_{d−1}.
/// - `.lipschitz` adds the network on the domain: x in the box, z_l = W_l a_{l−1} + b_l with IBP
///   bounds [L, U]; a stable neuron (IBP) has a fixed piece; an unstable one has r = relu(z) by
///   r ≥ 0, r ≥ z, r ≤ U b, r ≤ z − L(1 − b) with the same binary b as its derivative, and
///   a = s₀ z + (s₁ − s₀) r. So b = [z ≥ 0] ties the derivative to the input.
/// All interval bounds are computed with directed rounding, so the program is a valid model of
/// the exact problem; its solution is still a floating-point answer (see `ExactResult`).
struct LipschitzMIP {
    var lp = LinearProgram(sense: .maximize, columns: 0, name: "lipschitz-mip")
    /// Per hidden layer, per neuron: the binary's column, or nil when the derivative is fixed.
    var binary: [[Int?]] = []
    /// Fixed derivative pieces (nil for binaries).
    var fixedPiece: [[UInt8?]] = []
    var xColumns: [Int] = []
    var zColumns: [[Int]] = []
    var rColumns: [[Int?]] = []
    var tColumns: [Int] = []          // ℓ∞: t; ℓ1: u then v
    var qColumns: [[Int]] = []
    var wColumns: [[Int?]] = []
    var slopes: [[Double]] = []       // two per layer (or one for kink-free layers)
    var binaryCount: Int { binary.reduce(0) { $0 + $1.reduce(0) { $0 + ($1 == nil ? 0 : 1) } } }

    mutating func column(_ lo: Double, _ hi: Double, integer: Bool = false, name: String) -> Int {
        let j = lp.addColumn(objective: 0, lower: lo, upper: hi, name: name)
        lp.isInteger.append(integer)
        return j
    }

    mutating func row(_ e: [(Int, Double)], _ lo: Double, _ hi: Double, name: String? = nil) {
        var s = e.filter { $0.1 != 0 }.sorted { $0.0 < $1.0 }
        var k = 0
        while k + 1 < s.count {
            if s[k].0 == s[k + 1].0 { s[k].1 += s[k + 1].1; s.remove(at: k + 1) } else { k += 1 }
        }
        lp.addRow(s.filter { $0.1 != 0 }.map { (column: $0.0, value: $0.1) }, lower: lo, upper: hi, name: name)
    }

    /// Builds the program. `pieces[l][j]`: the allowed pieces (lo, hi) of each neuron — from IBP
    /// for `.lipschitz`, from the derivative ranges for `.polynomialMaximum`.
    init(net: Network, norm: WitnessNorm, quantity: ExactQuantity, domain: WitnessDomain?,
         profiles: [WitnessActivationProfile], pieces: [[(lo: UInt8, hi: UInt8)]], ibp: [(l: [Double], u: [Double])]) throws {
        let h = net.depth - 1
        let n0 = net.inputSize
        for p in profiles {
            guard let s = p.slopes, p.kinks.count <= 1, p.kinks.allSatisfy({ $0 == 0 }) else {
                throw WitnessError.unsupported("the MIP handles activations with at most one kink, at 0, and constant slopes (ReLU, leaky ReLU, identity); '\(p.name)' is not one")
            }
            slopes.append(s)
        }
        // Forward network on the domain.
        var prevExpr: [[(Int, Double)]] = []
        var prevConst: [Double] = []
        if quantity == .lipschitz {
            guard let dom = domain else { throw WitnessError.input("exact Lipschitz constant: a domain box is needed") }
            for i in 0..<n0 { xColumns.append(column(dom.lower[i], dom.upper[i], name: "x\(i + 1)")) }
            prevExpr = xColumns.map { [($0, 1.0)] }
            prevConst = [Double](repeating: 0, count: n0)
        }
        for l in 0..<h {
            let W = net.layers[l].matrix
            var bl: [Int?] = [], fl: [UInt8?] = [], zl: [Int] = [], rl: [Int?] = []
            var nextExpr: [[(Int, Double)]] = [], nextConst: [Double] = []
            for j in 0..<W.rows {
                let a = pieces[l][j]
                let fixed: UInt8? = a.lo == a.hi ? a.lo : nil
                var b: Int? = nil
                if fixed == nil { b = column(0, 1, integer: true, name: "b\(l + 1)_\(j + 1)") }
                bl.append(b); fl.append(fixed)
                guard quantity == .lipschitz else { continue }
                let L = ibp[l].l[j], U = ibp[l].u[j]
                let z = column(L, U, name: "z\(l + 1)_\(j + 1)")
                zl.append(z)
                var e: [(Int, Double)] = [(z, 1)]
                var rhs = net.layers[l].bias?[j] ?? 0
                for p in W.rowStart[j]..<W.rowStart[j + 1] {
                    let k = W.columns[p], w = W.values[p]
                    for (c, v) in prevExpr[k] { e.append((c, -w * v)) }
                    rhs += w * prevConst[k]
                }
                row(e, rhs, rhs, name: "zdef\(l + 1)_\(j + 1)")
                let s = slopes[l]
                if let piece = fixed {
                    rl.append(nil)
                    nextExpr.append(s[Int(piece)] == 0 ? [] : [(z, s[Int(piece)])]); nextConst.append(0)
                } else {
                    let r = column(0, Swift.max(0, U), name: "r\(l + 1)_\(j + 1)")
                    rl.append(r)
                    row([(r, 1), (z, -1)], 0, .infinity)                       // r ≥ z
                    row([(r, 1), (z, -1), (b!, -L)], -.infinity, -L)          // r ≤ z − L(1 − b)
                    row([(r, 1), (b!, -Swift.max(0, U))], -.infinity, 0)      // r ≤ U b
                    var ex: [(Int, Double)] = []
                    if s[0] != 0 { ex.append((z, s[0])) }
                    if s[1] - s[0] != 0 { ex.append((r, s[1] - s[0])) }
                    nextExpr.append(ex); nextConst.append(0)
                }
            }
            binary.append(bl); fixedPiece.append(fl)
            if quantity == .lipschitz { zColumns.append(zl); rColumns.append(rl); prevExpr = nextExpr; prevConst = nextConst }
        }
        // Forward-mode gradient from t.
        var dExpr: [[(Int, Double)]] = []
        var dBound: [Interval] = []
        switch norm {
        case .linf:
            for i in 0..<n0 { tColumns.append(column(-1, 1, name: "t\(i + 1)")) }
            dExpr = tColumns.map { [($0, 1.0)] }
        case .l1:
            let u = (0..<n0).map { column(0, 1, name: "u\($0 + 1)") }
            let v = (0..<n0).map { column(0, 1, name: "v\($0 + 1)") }
            tColumns = u + v
            row(tColumns.map { ($0, 1.0) }, -.infinity, 1, name: "dual_ball")
            dExpr = (0..<n0).map { [(u[$0], 1.0), (v[$0], -1.0)] }
        case .l2:
            throw WitnessError.unsupported("the MIP handles ℓ∞ and ℓ1 input norms (dual ℓ1, ℓ∞); the ℓ2 dual ball is not polyhedral")
        }
        dBound = [Interval](repeating: Interval(-1, 1), count: n0)
        for l in 0..<h {
            let W = net.layers[l].matrix
            var ql: [Int] = [], wl: [Int?] = []
            var nExpr: [[(Int, Double)]] = [], nBound: [Interval] = []
            for j in 0..<W.rows {
                var qb = Interval.zero
                if l == 0 && norm == .l1 {
                    var m = 0.0
                    for p in W.rowStart[j]..<W.rowStart[j + 1] { m = Swift.max(m, Swift.abs(W.values[p])) }
                    qb = Interval(-m, m)
                } else {
                    for p in W.rowStart[j]..<W.rowStart[j + 1] { qb = qb + W.values[p] * dBound[W.columns[p]] }
                }
                let q = column(qb.lo, qb.hi, name: "q\(l + 1)_\(j + 1)")
                ql.append(q)
                var e: [(Int, Double)] = [(q, 1)]
                for p in W.rowStart[j]..<W.rowStart[j + 1] {
                    for (c, v) in dExpr[W.columns[p]] { e.append((c, -W.values[p] * v)) }
                }
                row(e, 0, 0, name: "qdef\(l + 1)_\(j + 1)")
                let s = slopes[l]
                if let piece = fixedPiece[l][j] {
                    wl.append(nil)
                    let sp = s[Int(piece)]
                    nExpr.append(sp == 0 ? [] : [(q, sp)]); nBound.append(sp * qb)
                } else {
                    let b = binary[l][j]!
                    let w = column(Swift.min(0, qb.lo), Swift.max(0, qb.hi), name: "w\(l + 1)_\(j + 1)")
                    wl.append(w)
                    row([(w, 1), (b, -qb.hi)], -.infinity, 0)                 // w ≤ Q_u b
                    row([(w, 1), (b, -qb.lo)], 0, .infinity)                  // w ≥ Q_l b
                    row([(w, 1), (q, -1), (b, -qb.lo)], -.infinity, -qb.lo)   // w ≤ q − Q_l(1 − b)
                    row([(w, 1), (q, -1), (b, -qb.hi)], -qb.hi, .infinity)    // w ≥ q − Q_u(1 − b)
                    var ex: [(Int, Double)] = []
                    if s[0] != 0 { ex.append((q, s[0])) }
                    if s[1] - s[0] != 0 { ex.append((w, s[1] - s[0])) }
                    nExpr.append(ex); nBound.append((s[0] * qb).hull(s[1] * qb))
                }
            }
            qColumns.append(ql); wColumns.append(wl)
            dExpr = nExpr; dBound = nBound
        }
        let v = net.outputWeights
        for (j, e) in dExpr.enumerated() where v[j] != 0 {
            for (c, a) in e { lp.objective[c] += v[j] * a }
        }
    }

    /// Branch on the first hidden layer's binaries first.
    var priority: [Int] {
        var p = [Int](repeating: Int(Int32.max), count: lp.columnCount)
        for (l, row) in binary.enumerated() { for b in row { if let b { p[b] = l } } }
        return p
    }

    /// The pattern of a solution (binaries rounded; fixed pieces as they are).
    func pattern(_ x: [Double]) -> ActivationPattern {
        binary.indices.map { l in binary[l].indices.map { j in
            if let f = fixedPiece[l][j] { return f }
            return x[binary[l][j]!] > 0.5 ? 1 : 0
        } }
    }

    /// A full solution from a point of the domain (Lipschitz) or a pattern alone (max_p), for
    /// the solver's first incumbent. Nil when the pattern contradicts a fixed piece.
    func start(net: Network, norm: WitnessNorm, point: [Double]?, pattern: ActivationPattern) -> [Double]? {
        var x = [Double](repeating: 0, count: lp.columnCount)
        for l in binary.indices { for j in binary[l].indices {
            if let f = fixedPiece[l][j] { if f != pattern[l][j] { return nil } }
            else { x[binary[l][j]!] = Double(pattern[l][j]) }
        } }
        let h = binary.count
        if let p = point {
            for (i, c) in xColumns.enumerated() { x[c] = p[i] }
            var a = p
            for l in 0..<h {
                let L = net.layers[l]
                var z = L.matrix.multiply(a)
                if let b = L.bias { for i in z.indices { z[i] += b[i] } }
                for j in z.indices {
                    x[zColumns[l][j]] = z[j]
                    if let r = rColumns[l][j] { x[r] = Swift.max(0, z[j]) }
                }
                a = z.indices.map { slopes[l][Int(pattern[l][$0])] * z[$0] }
            }
        }
        // g for the pattern, then t, then q and w forward.
        var beta = net.outputWeights
        var l = h - 1
        while l >= 0 {
            for j in beta.indices { beta[j] *= slopes[l][Int(pattern[l][j])] }
            beta = net.layers[l].matrix.transposeMultiply(beta)
            l -= 1
        }
        let t = norm.subgradient(beta)
        if norm == .l1 {
            let n0 = t.count
            for i in 0..<n0 { if t[i] > 0 { x[tColumns[i]] = t[i] } else if t[i] < 0 { x[tColumns[n0 + i]] = -t[i] } }
        } else {
            for (i, c) in tColumns.enumerated() { x[c] = t[i] }
        }
        var d = t
        for l in 0..<h {
            let q = net.layers[l].matrix.multiply(d)
            for j in q.indices {
                x[qColumns[l][j]] = q[j]
                if let w = wColumns[l][j] { x[w] = pattern[l][j] == 1 ? q[j] : 0 }
            }
            d = q.indices.map { slopes[l][Int(pattern[l][$0])] * q[$0] }
        }
        for j in x.indices { x[j] = Swift.min(Swift.max(x[j], lp.columnLower[j]), lp.columnUpper[j]) }
        return x
    }
}

/// The exact Lipschitz constant of a small piecewise-linear network on a box (local: the input
/// box clipped to the data domain; global: a box), ℓ∞ or ℓ1 input norm. Runs a witness search
/// first (the proven lower end and the MIP's first incumbent), then pattern enumeration (few
/// unstable neurons) or the MIP. See `ExactResult` for what the numbers guarantee.
public func exactLipschitz(_ net: Network, norm: WitnessNorm, domain: WitnessDomain, lpSolver: LPSolver,
                           mipSolver: MIPSolver, options o: ExactOptions = ExactOptions()) throws -> ExactResult {
    let started = monotonicSeconds()
    let deadline = Deadline(seconds: o.timeLimit)
    guard net.depth >= 2 else { throw WitnessError.input("exact Lipschitz constant: the network has no hidden layer (its gradient is constant)") }
    let certifier = try WitnessCertifier(network: net, norm: norm, domain: domain, margin: o.margin, profiles: o.witness.profiles)
    guard certifier.isPiecewiseLinear else {
        throw WitnessError.unsupported("exact Lipschitz constant: needs piecewise-linear activations (ReLU, leaky ReLU, identity)")
    }
    let model = try PatternNetwork(certifier: certifier)
    let unstable = model.unstable
    let method = o.method ?? (unstable.count <= o.maxEnumeratedNeurons ? .patternEnumeration : .mip)
    func report(_ stage: String, _ lo: Double?, _ up: Double?, _ nodes: Int) {
        o.progress?(ExactProgress(stage: stage, lower: lo, upper: up, nodes: nodes, seconds: monotonicSeconds() - started))
    }

    // Witness search first.
    var wopt = o.witness
    wopt.margin = o.margin
    wopt.interrupted = o.interrupted
    if let t = o.timeLimit { wopt.timeLimit = Swift.min(wopt.timeLimit ?? .infinity, t * o.witnessTimeFraction) }
    let search = try searchWitness(net, norm: norm, domain: domain, lpSolver: lpSolver, options: wopt)
    var best = search.witness
    report("witness", best?.lower, nil, 0)
    var result = ExactResult(quantity: .lipschitz, method: method, status: "solver_error", isExact: false,
                             lower: best?.lower, upper: nil, witness: best, pattern: best?.pattern, witnessSearch: search)
    func finish(_ r: inout ExactResult) { r.seconds = monotonicSeconds() - started }

    var realiser = PatternRealiser(model: model, certifier: certifier, solver: lpSolver, cap: 1)
    switch method {
    case .vertexEnumeration:
        throw WitnessError.input("exact Lipschitz constant: vertex enumeration computes max p, not the Lipschitz constant; use .mip or .patternEnumeration")
    case .patternEnumeration:
        guard unstable.count <= 30 else { throw WitnessError.tooLarge("pattern enumeration: \(unstable.count) unstable neurons would need 2^\(unstable.count) LPs; use the MIP") }
        let en = enumeratePatterns(model: model, realiser: &realiser, unstable: unstable, deadline: deadline, interrupted: o.interrupted)
        if let w = en.best, w.lower > (best?.lower ?? -.infinity) { best = w }
        result.lower = best?.lower; result.witness = best
        result.pattern = en.bestPattern ?? best?.pattern
        result.upper = en.maxValue
        result.incumbent = en.maxValue
        result.binaries = unstable.count
        result.nodes = en.enumerated
        if let stop = en.stopReason {
            result.status = stop.rawValue
            result.upper = nil
            result.message = "pattern enumeration stopped (\(stop.rawValue)) after \(en.enumerated) of \(1 << unstable.count) patterns; only the witness's lower bound holds."
        } else {
            settle(&result, tolerance: o.exactTolerance,
                   what: "pattern enumeration: \(en.realisable) of \(en.enumerated) patterns of \(unstable.count) unstable neurons realisable (margin LP > 0)")
        }
        finish(&result)
        return result
    case .mip:
        break
    }
    var mip = try LipschitzMIP(net: net, norm: norm, quantity: .lipschitz, domain: domain,
                               profiles: certifier.profiles.map { $0! }, pieces: model.allowed, ibp: model.ibp)
    result.binaries = mip.binaryCount
    guard mip.binaryCount <= o.maxBinaries else {
        result.status = "too_large"
        result.message = "MIP: \(mip.binaryCount) binaries exceed maxBinaries = \(o.maxBinaries); only the witness's lower bound is reported."
        finish(&result); return result
    }
    mip.lp.name = "lipschitz-mip"
    var mo = MIPOptions()
    mo.timeLimit = deadline.remaining
    mo.verbosity = o.verbosity
    mo.branchingPriority = o.layerPriority ? mip.priority : []
    mo.interrupted = o.interrupted
    mo.cuts = o.cuts
    if let w = best { mo.start = mip.start(net: net, norm: norm, point: w.point, pattern: w.pattern) }
    if let p = o.progress {
        mo.progress = { m in p(ExactProgress(stage: "mip", lower: m.incumbent, upper: m.bound, nodes: m.nodes, seconds: monotonicSeconds() - started)) }
    }
    let r = try mipSolver.solveMIP(mip.lp, options: mo)
    result.nodes = r.nodes
    result.incumbent = r.hasIncumbent ? r.objective : nil
    result.upper = r.bound.isNaN ? nil : r.bound
    if r.hasIncumbent {
        let pat = mip.pattern(r.primal)
        result.pattern = pat
        if best?.pattern != pat {
            switch realiser.realise(pat, deadline: Deadline(seconds: 60), source: .mip) {
            case .witness(let w): if w.lower > (best?.lower ?? -.infinity) { best = w }
            case .rejected: break
            }
        }
    }
    result.lower = best?.lower; result.witness = best
    switch r.status {
    case .optimal:
        settle(&result, tolerance: o.exactTolerance, what: "MIP (\(mip.binaryCount) binaries, \(r.nodes) nodes; \(r.message))")
    case .timeLimit, .interrupted:
        result.status = r.status.rawValue
        result.message = "MIP stopped (\(r.status.rawValue)) after \(r.nodes) nodes: the constant lies in [lower, upper] (lower proven, upper the solver's bound)."
    default:
        result.status = "solver_error"
        result.upper = nil
        result.message = "MIP: \(r.status.rawValue): \(r.message)"
    }
    finish(&result)
    return result
}

/// Marks a finished result exact when the proven lower end meets the solver's value.
func settle(_ r: inout ExactResult, tolerance: Double, what: String) {
    guard var up = r.upper else { r.status = "solver_error"; r.message = what + ": no value"; return }
    // A certified witness is a proof; a solver value below it is the solver's rounding.
    if let lo = r.lower, lo > up { up = lo; r.upper = up }
    if let lo = r.lower, up - lo <= tolerance * Swift.max(1, Swift.abs(lo)) {
        r.isExact = true; r.status = "exact"
        r.message = what + ". Exact: the certified lower bound \(lo) meets the solver's optimum \(up) (relative tolerance \(tolerance)); the optimality itself is the solver's floating-point claim."
    } else {
        r.status = "not_certified"
        r.message = what + ". The solver's optimum \(up) could not be re-verified: the best certified witness gives \(r.lower.map { "\($0)" } ?? "nothing") (a degenerate region, or a pattern thinner than the margin)."
    }
}

// MARK: - pattern enumeration (tiny networks; the test oracle)

public struct PatternEnumeration: Sendable {
    /// max ‖g(s)‖_* over the realisable patterns (floating point), nil when none.
    public var maxValue: Double?
    public var bestPattern: ActivationPattern?
    /// The certified witness of the best realisable pattern.
    public var best: CertifiedWitness?
    public var realisable = 0
    public var enumerated = 0
    public var stopReason: StopReason?
}

func enumeratePatterns(model: PatternNetwork, realiser: inout PatternRealiser, unstable: [(layer: Int, neuron: Int)],
                       deadline: Deadline, interrupted: () -> Bool = { Interrupt.isRequested }) -> PatternEnumeration {
    var out = PatternEnumeration()
    var base: ActivationPattern = model.allowed.map { $0.map { $0.lo } }
    let u = unstable.count
    for mask in 0..<(1 << u) {
        if interrupted() { out.stopReason = .interrupted; return out }
        if deadline.expired { out.stopReason = .timeLimit; return out }
        for (k, (l, j)) in unstable.enumerated() { base[l][j] = (mask >> k) & 1 == 1 ? model.allowed[l][j].hi : model.allowed[l][j].lo }
        out.enumerated += 1
        switch realiser.realise(base, deadline: deadline, source: .enumeration) {
        case .witness(let w):
            out.realisable += 1
            let v = model.value(base)
            if out.maxValue.map({ v > $0 }) ?? true { out.maxValue = v; out.bestPattern = base }
            if out.best.map({ w.lower > $0.lower }) ?? true { out.best = w }
        case .rejected: break
        }
    }
    return out
}

/// The maximum of ‖∇f‖_* over every activation pattern of the unstable neurons that has an
/// interior point in the domain (each checked by the margin LP): the exact Lipschitz constant of
/// a tiny piecewise-linear network by brute force (2^u LPs, u ≤ `maxUnstable`).
public func enumerateRealisablePatterns(_ net: Network, norm: WitnessNorm, domain: WitnessDomain, lpSolver: LPSolver,
                                        maxUnstable: Int = 16, timeLimit: Double? = nil,
                                        margin: Double = WitnessCertifier.defaultMargin) throws -> PatternEnumeration {
    let certifier = try WitnessCertifier(network: net, norm: norm, domain: domain, margin: margin)
    let model = try PatternNetwork(certifier: certifier)
    let unstable = model.unstable
    guard unstable.count <= maxUnstable else {
        throw WitnessError.tooLarge("pattern enumeration: \(unstable.count) unstable neurons (limit \(maxUnstable))")
    }
    var realiser = PatternRealiser(model: model, certifier: certifier, solver: lpSolver, cap: 1)
    return enumeratePatterns(model: model, realiser: &realiser, unstable: unstable, deadline: Deadline(seconds: timeLimit))
}

// MARK: - max p beyond vertex enumeration

/// The exact maximum of the norm-gradient polynomial p (METHOD §2) for ℓ∞/ℓ1 input norms:
/// vertex enumeration (`exactMaximum`) up to 24 derivative variables, the MIP above (ReLU and
/// leaky ReLU networks). Derivative ranges: global (`inputBox == nil`) or IBP of the box, as
/// `makeLipschitzProblem` builds them. `lower` is p at the best vertex found, evaluated with
/// directed rounding (a proof that max p ≥ lower); `upper` is the solver's claim.
public func exactPolynomialMaximum(_ net: Network, norm: WitnessNorm, inputBox: (lower: [Double], upper: [Double])? = nil,
                                   mipSolver: MIPSolver?, options o: ExactOptions = ExactOptions()) throws -> ExactResult {
    let started = monotonicSeconds()
    guard norm != .l2 else { throw WitnessError.unsupported("exact max p: the ℓ2 dual ball is not polyhedral; use exactMaximum for tiny problems") }
    let normValue: Norm = norm == .linf ? .linf : .l1
    let ranges = try derivativeRanges(net, inputBox: inputBox)
    let variables = ranges.reduce(0) { acc, r in acc + zip(r.lo, r.hi).filter { $0 != $1 }.count }
    let method = o.method ?? (variables <= 24 ? .vertexEnumeration : .mip)
    if method == .vertexEnumeration {
        let problem = try makeLipschitzProblem(net, norm: normValue, inputBox: inputBox)
        let v = try exactMaximum(problem)
        var r = ExactResult(quantity: .polynomialMaximum, method: .vertexEnumeration, status: "exact", isExact: true,
                            lower: v.value, upper: v.value, upperIsProof: false)
        r.binaries = variables
        r.message = "vertex enumeration of \(variables) derivative variables (2^\(variables) vertices, floating point)"
        r.seconds = monotonicSeconds() - started
        return r
    }
    guard method == .mip, let solver = mipSolver else {
        throw WitnessError.input("exact max p: \(variables) derivative variables; method \(method.rawValue) needs a MIP solver")
    }
    let profiles = try net.layers.dropLast().map { L -> WitnessActivationProfile in
        guard let p = WitnessActivationProfile.builtin(L.activation!), p.isPiecewiseLinear else {
            throw WitnessError.unsupported("exact max p beyond 24 variables: the MIP needs ReLU or leaky ReLU activations, not '\(L.activation!.name)'")
        }
        return p
    }
    // Allowed pieces from the derivative ranges: fixed where lo = hi.
    var pieces: [[(lo: UInt8, hi: UInt8)]] = []
    for (l, r) in ranges.enumerated() {
        let s = profiles[l].slopes!
        pieces.append(zip(r.lo, r.hi).map { lo, hi in
            if lo != hi { return (0, UInt8(s.count - 1)) }
            let k = UInt8(s.firstIndex(of: lo) ?? 0)
            return (k, k)
        })
    }
    var mip = try LipschitzMIP(net: net, norm: norm, quantity: .polynomialMaximum, domain: nil, profiles: profiles,
                               pieces: pieces, ibp: [])
    var result = ExactResult(quantity: .polynomialMaximum, method: .mip, status: "solver_error", isExact: false, lower: nil, upper: nil)
    result.binaries = mip.binaryCount
    guard mip.binaryCount <= o.maxBinaries else {
        result.status = "too_large"; result.message = "MIP: \(mip.binaryCount) binaries exceed maxBinaries = \(o.maxBinaries)"
        result.seconds = monotonicSeconds() - started
        return result
    }
    mip.lp.name = "max-p-mip"
    // Alternating maximisation gives the first incumbent (no realisability needed for max p).
    let domain = try WitnessDomain.global(inputs: net.inputSize, box: inputBox)
    let certifier = try WitnessCertifier(network: net, norm: norm, domain: domain, margin: 0, profiles: profiles)
    var startPattern: ActivationPattern = pieces.map { $0.map { $0.hi } }
    let value: (ActivationPattern) -> Double = { p in
        var derivs: [[Interval]] = []
        for l in p.indices { derivs.append(p[l].map { Interval(profiles[l].slopes![Int($0)]) }) }
        return norm.dualLowerBound(certifier.gradientEnclosure(derivs))
    }
    do {
        let pm = try PatternNetwork(polynomialOf: certifier, pieces: pieces)
        for _ in 0..<10 {
            let (next, _) = pm.alternate(startPattern)
            if next == startPattern { break }
            startPattern = next
        }
    }
    var mo = MIPOptions()
    mo.timeLimit = o.timeLimit.map { Swift.max(0, $0 - (monotonicSeconds() - started)) }
    mo.verbosity = o.verbosity
    mo.branchingPriority = o.layerPriority ? mip.priority : []
    mo.interrupted = o.interrupted
    mo.start = mip.start(net: net, norm: norm, point: nil, pattern: startPattern)
    if let p = o.progress {
        mo.progress = { m in p(ExactProgress(stage: "mip", lower: m.incumbent, upper: m.bound, nodes: m.nodes, seconds: monotonicSeconds() - started)) }
    }
    let r = try solver.solveMIP(mip.lp, options: mo)
    result.nodes = r.nodes
    result.incumbent = r.hasIncumbent ? r.objective : nil
    result.upper = r.bound.isNaN ? nil : r.bound
    var lower = value(startPattern)
    result.pattern = startPattern
    if r.hasIncumbent {
        let p = mip.pattern(r.primal)
        let v = value(p)
        if v > lower { lower = v; result.pattern = p }
    }
    result.lower = lower
    switch r.status {
    case .optimal: settle(&result, tolerance: o.exactTolerance, what: "MIP for max p (\(mip.binaryCount) binaries, \(r.nodes) nodes)")
    case .timeLimit, .interrupted:
        result.status = r.status.rawValue
        result.message = "MIP for max p stopped (\(r.status.rawValue)): max p lies in [lower, upper] (lower proven, upper the solver's bound)."
    default:
        result.status = "solver_error"; result.upper = nil; result.message = "MIP: \(r.status.rawValue): \(r.message)"
    }
    result.seconds = monotonicSeconds() - started
    return result
}
