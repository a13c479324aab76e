import LipControl
/// The exact maximum of p over the feasible set of a `LipschitzProblem`, by enumeration
/// (a test oracle for tiny problems, docs/METHOD.md §5).
///
/// p is linear in the dual variables t for fixed s (every monomial has exactly one t), so
/// max_t p(t, s) = max_{t ∈ B_*} tᵀg(s) has a closed form: Σ_i max(g_i lo_i, g_i hi_i) on a
/// box (ℓ∞: ‖g‖_1); max(0, max_k g_k) on the ℓ1 simplex {u, v ≥ 0, Σ(u + v) ≤ 1} (= ‖g_t‖_∞);
/// ‖g‖_2 on the ℓ2 ball. p is multilinear in s, so its maximum over the s-box is attained at
/// a vertex: all 2^m vertices of the m derivative variables are enumerated. For a user
/// (constraints) ball the inner maximum is the norm's own dual norm of g.
/// Refuses when m > `maxEnumerated` (default 24) or the work 2^m · terms exceeds 4·10⁹.
public func exactMaximum(_ problem: LipschitzProblem, maxEnumerated: Int = 24) throws -> (value: Double, argmax: [Double]) {
    guard (0...30).contains(maxEnumerated) else {
        throw ProblemError.input("exact maximum: max_variables must be in 0..30 (2^30 vertices); got \(maxEnumerated)")
    }
    let plan = try DualPlan(problem)
    let m = plan.enumerated.count
    guard m <= maxEnumerated else {
        throw ProblemError.tooLarge("exact maximum: \(m) derivative variables would need 2^\(m) vertices; enumeration is limited to \(maxEnumerated) variables (use the LP hierarchy for larger problems)")
    }
    let work = Double(1 << m) * Double(Swift.max(1, plan.termCount))
    guard work <= 4e9 else {
        throw ProblemError.tooLarge("exact maximum: 2^\(m) vertices × \(plan.termCount) terms is too much work for enumeration (limit 4e9)")
    }
    var x = problem.lower
    var best = -Double.infinity, bestX = x
    for mask in 0..<(1 << m) {
        for (b, v) in plan.enumerated.enumerated() { x[v] = (mask >> b) & 1 == 1 ? problem.upper[v] : problem.lower[v] }
        let (val, t) = plan.maximizeDual(x)
        guard val.isFinite else {
            throw ProblemError.input("exact maximum: the polynomial evaluates to \(val) at a vertex; its coefficients or ranges overflow Double (check the weights)")
        }
        if val > best { best = val; bestX = x; for (k, v) in plan.dualVars.enumerated() { bestX[v] = t[k] } }
        if mask & 0xFFFF == 0xFFFF { try StoppedError.check(.none, "exact maximum") }
    }
    return (best, bestX)
}

/// max over the dual variables of p with the other variables fixed to the values in `point`
/// (entries of dual variables are ignored). Returns the value and the full argmax vector.
public func dualMaximum(_ problem: LipschitzProblem, at point: [Double]) throws -> (value: Double, argmax: [Double]) {
    let plan = try DualPlan(problem)
    guard point.count == problem.variableCount else {
        throw ProblemError.input("dualMaximum: point has \(point.count) entries, the problem has \(problem.variableCount) variables")
    }
    let (v, t) = plan.maximizeDual(point)
    var x = point
    for (k, d) in plan.dualVars.enumerated() { x[d] = t[k] }
    return (v, x)
}

/// The terms of p compiled for repeated evaluation of g(s) = ∂p/∂t.
struct DualPlan {
    enum Shape { case box, simplex, ball, dualNorm(Norm) }
    let dualVars: [Int]
    let enumerated: [Int]
    let shape: Shape
    let lo: [Double], hi: [Double]
    // term k: dual slot dualSlot[k] (−1: no dual variable), coefficient, other variables vars[start[k]..<start[k+1]]
    let dualSlot: [Int], coef: [Double], start: [Int], vars: [Int]
    var termCount: Int { coef.count }

    init(_ problem: LipschitzProblem) throws {
        var slot = [Int](repeating: -1, count: problem.variableCount)
        var dv: [Int] = [], en: [Int] = []
        for (i, k) in problem.kinds.enumerated() {
            if case .dual = k { slot[i] = dv.count; dv.append(i) } else { en.append(i) }
        }
        dualVars = dv; enumerated = en
        lo = dv.map { problem.lower[$0] }; hi = dv.map { problem.upper[$0] }
        switch problem.norm.dualBall {
        case .box: shape = .box
        case .crossPolytope: shape = .simplex
        case .euclideanBall: shape = .ball
        case .constraints: shape = .dualNorm(problem.norm)
        }
        if case .box = shape, !problem.constraints.isEmpty {
            throw ProblemError.unsupported("exact maximum: the problem has \(problem.constraints.count) constraints on a box dual ball; enumeration needs the dual ball's shape")
        }
        var ds: [Int] = [], cs: [Double] = [], st: [Int] = [0], vs: [Int] = []
        for (mono, c) in problem.polynomial.orderedTerms {
            guard mono.isMultilinear else {
                throw ProblemError.unsupported("exact maximum: p is not multilinear (monomial \(mono.format(names: problem.variableNames)))")
            }
            var s = -1
            for v in mono.variables {
                let vi = Int(v)
                if slot[vi] >= 0 {
                    guard s < 0 else {
                        throw ProblemError.unsupported("exact maximum: monomial \(mono.format(names: problem.variableNames)) has two dual variables; p must be linear in t")
                    }
                    s = slot[vi]
                } else { vs.append(vi) }
            }
            ds.append(s); cs.append(c); st.append(vs.count)
        }
        dualSlot = ds; coef = cs; start = st; vars = vs
    }

    /// max over the dual set of p(·, s) with s taken from x; returns (value, t).
    func maximizeDual(_ x: [Double]) -> (Double, [Double]) {
        var g = [Double](repeating: 0, count: dualVars.count)
        var constant = 0.0
        for k in coef.indices {
            var v = coef[k]
            for q in start[k]..<start[k + 1] { v *= x[vars[q]] }
            if dualSlot[k] >= 0 { g[dualSlot[k]] += v } else { constant += v }
        }
        var t = [Double](repeating: 0, count: g.count)
        switch shape {
        case .box:
            var s = constant
            for i in g.indices {
                if g[i] * hi[i] >= g[i] * lo[i] { s += g[i] * hi[i]; t[i] = hi[i] } else { s += g[i] * lo[i]; t[i] = lo[i] }
            }
            return (s, t)
        case .simplex:
            var best = 0.0, at = -1
            for i in g.indices where g[i] > best { best = g[i]; at = i }
            if at >= 0 { t[at] = 1 }
            return (constant + best, t)
        case .ball:
            let n = l2norm(g)
            if n > 0 { for i in g.indices { t[i] = g[i] / n } }
            return (constant + n, t)
        case .dualNorm(let norm):
            // max over B_* of tᵀg is the dual norm of g by definition; the maximiser is not
            // known for a user ball (reported as NaN).
            for i in t.indices { t[i] = .nan }
            return (constant + norm.dualNorm(g), t)
        }
    }
}
