import LipControl
import LipSDP

/// The dual ball B_* of the input norm, as the SDP sees it: `.box` is [−1, 1]^{n_0} (ℓ∞
/// input norm), `.ball` the Euclidean unit ball (ℓ2 input norm; a trace constraint on the
/// t-block). A small enum of its own so the SDP does not depend on how norms are modelled.
public enum DualBallShape: String, Sendable, CaseIterable {
    case box, ball
}

/// What an index of a Shor SDP stands for.
public enum ShorVariable: Sendable, Equatable {
    /// x₀ = ±1, the homogenising variable.
    case homogenizing
    /// t_i, the dual-ball variable of input coordinate i (0-based).
    case dual(input: Int)
    /// A derivative variable of hidden neuron (layer 1..d−1, neuron 0-based): u_j (MAXCUT form,
    /// s_j = m_j + h_j u_j) or z_{l,j} (chained form, z = s·v).
    case derivative(layer: Int, neuron: Int)
}

/// A Shor SDP relaxation of max p(t, s) (the norm-gradient polynomial) for one network,
/// ready for a solver, plus what is needed to turn a solver's dual into a theorem.
///
/// Soundness chain: L(f) ≤ max_{t∈B_*, s∈[lo,hi]} p(t, s) (derivative ranges are sound) ≤
/// SDP maximum + formation rounding ≤ `certify(...).certified` (verified Cholesky, directed
/// rounding; see `MaxCutProblem.certify` and `BlockSDP.certify`).
public struct ShorProblem: Sendable {
    public enum Formulation: String, Sendable, CaseIterable {
        /// One hidden layer (or none): p = x₀tᵀa + tᵀBu over x ∈ {±1}ⁿ, the MAXCUT-type SDP.
        case maxCut = "maxcut"
        /// Any depth ≥ 2: z_{l} = s_l ⊙ (W_{l+1}ᵀ z_{l+1}) with one quadratic constraint
        /// (z − lo·v)(z − hi·v) ≤ 0 per free hidden neuron; a general SDP (DSDP).
        case chained
    }
    public let formulation: Formulation
    public let shape: DualBallShape
    /// The SDP handed to a solver (`.maxCut` for the MAXCUT form, `.block` for the chained one).
    public let sdp: SDPProblem
    /// MAXCUT form: a bound on |p(t, s) − xᵀQx| over the feasible set (rounding made while
    /// forming Q from the weights). The chained form carries its rounding inside the block SDP
    /// (objective and constraint errors), so this is 0 there.
    public let formationError: Double
    /// Role of each SDP index.
    public let variables: [ShorVariable]
    /// True when the derivative ranges came from an input box.
    public let isLocal: Bool
    /// Free (relaxed) hidden neurons, fixed ones (lo = hi, folded into the data), dropped ones
    /// (zero derivative or zero output weight), per hidden layer.
    public let neuronCounts: [(free: Int, fixed: Int, dropped: Int)]

    /// Order of the (largest) SDP block.
    public var order: Int { variables.count }
    /// Number of SDP constraints.
    public var constraintCount: Int {
        switch sdp { case .maxCut(let p): return p.constraintCount; case .block(let b): return b.constraints.count }
    }

    /// Certifies a dual: for the MAXCUT form d (length `order`), for the chained form y (one
    /// per constraint). `certified` (when present) is an upper bound on max p, hence on the
    /// Lipschitz constant (on the box for local ranges); `solverValue` is the dual objective
    /// as the solver gave it; `correction` = certified − solverValue.
    public func certify(dual: [Double], options: CertifierOptions = CertifierOptions()) -> ShorCertificate {
        let c: SDPCertificate
        switch sdp {
        case .maxCut(let p): c = p.certify(dual: dual, formationError: formationError, options: options)
        case .block(let b): c = b.certify(dual: dual, options: options)
        }
        return ShorCertificate(certificate: c)
    }

    /// `certify(dual: result.dual)`.
    public func certify(_ result: SDPResult, options: CertifierOptions = CertifierOptions()) -> ShorCertificate {
        certify(dual: result.dual, options: options)
    }
}

/// A certified Shor bound.
public struct ShorCertificate: Sendable, CustomStringConvertible {
    public let certificate: SDPCertificate
    /// A theorem: L(f) ≤ certified (nil when nothing could be proved).
    public var certified: Double? { certificate.bound }
    /// The solver's dual objective (not a theorem).
    public var solverValue: Double { certificate.dualValue }
    /// certified − solverValue.
    public var correction: Double? { certificate.correction }
    /// `.certified` when the Cholesky proof succeeded (see `SDPCertificate`).
    public var status: SDPCertificate.Status { certificate.status }
    public var description: String {
        "ShorCertificate(\(status.rawValue), certified \(certified.map { "\($0)" } ?? "none"), solver value \(solverValue), correction \(correction.map { "\($0)" } ?? "none"))"
    }
}

/// Builds Shor SDP relaxations of the norm-gradient polynomial (see `Sources/LipCore/SDP/README.md`).
public enum ShorSDP {
    /// The relaxation of max_{t ∈ B_*, s ∈ [lo, hi]} p(t, s) for `network`, with derivative
    /// ranges from `derivativeRanges(network, inputBox:, domain:)` (global without a box).
    /// `formulation` nil: MAXCUT form for depth ≤ 2, chained form for depth ≥ 3. The chained
    /// form also works at depth 2 (and then has the same optimal value as the MAXCUT form).
    /// Throws `ProblemError` for bad input and for problems above `memory`.
    public static func build(network net: Network, shape: DualBallShape,
                             inputBox: (lower: [Double], upper: [Double])? = nil,
                             domain: (lower: Double, upper: Double)? = nil,
                             formulation: ShorProblem.Formulation? = nil,
                             memory: MemoryBudget = .machineDefault) throws -> ShorProblem {
        let ranges = try derivativeRanges(net, inputBox: inputBox, domain: domain)
        let f = formulation ?? (net.depth <= 2 ? .maxCut : .chained)
        switch f {
        case .maxCut:
            guard net.depth <= 2 else {
                throw ProblemError.unsupported("the MAXCUT form of the Shor SDP needs at most one hidden layer (the network has \(net.depth - 1)); use the chained form")
            }
            return try buildMaxCut(net, shape: shape, ranges: ranges, isLocal: inputBox != nil, memory: memory)
        case .chained:
            guard net.depth >= 2 else {
                throw ProblemError.unsupported("the chained form needs at least one hidden layer; a network without hidden layers has the MAXCUT form")
            }
            return try buildChained(net, shape: shape, ranges: ranges, isLocal: inputBox != nil, memory: memory)
        }
    }

    // MARK: shared pieces

    /// w = W_dᵀc with a running error bound per entry (rows of W_d in order).
    static func outputWeights(_ net: Network) -> [Rounded] {
        let W = net.layers[net.depth - 1].matrix
        var w = [Rounded](repeating: .zero, count: W.cols)
        for k in 0..<W.rows where net.c[k] != 0 {
            let ck = Rounded(net.c[k])
            for p in W.rowStart[k]..<W.rowStart[k + 1] { w[W.columns[p]] = w[W.columns[p]] + ck * Rounded(W.values[p]) }
        }
        return w
    }

    /// Midpoint and half-width with [m − h, m + h] ⊇ [lo, hi] exactly.
    static func midHalf(_ lo: Double, _ hi: Double) -> (m: Double, h: Double) {
        let m = 0.5 * lo + 0.5 * hi
        let h = Swift.max(Directed.subUp(hi, m), Directed.subUp(m, lo), 0)
        return (m, h)
    }

    /// Sums Rounded contributions per (i ≤ j) key in insertion order; returns sorted upper
    /// entries and their errors.
    static func merge(_ keys: [Int], _ terms: [Rounded], order n: Int) -> (rows: [Int32], cols: [Int32], vals: [Rounded]) {
        let idx = (0..<keys.count).sorted { keys[$0] != keys[$1] ? keys[$0] < keys[$1] : $0 < $1 }
        var r: [Int32] = [], c: [Int32] = [], v: [Rounded] = []
        var q = 0
        while q < idx.count {
            let key = keys[idx[q]]
            var acc = terms[idx[q]]
            var e = q + 1
            while e < idx.count && keys[idx[e]] == key { acc = acc + terms[idx[e]]; e += 1 }
            r.append(Int32(key / n)); c.append(Int32(key % n)); v.append(acc)
            q = e
        }
        return (r, c, v)
    }

    static func key(_ a: Int, _ b: Int, _ n: Int) -> Int { Swift.min(a, b) * n + Swift.max(a, b) }

    // MARK: MAXCUT form (depth ≤ 2)

    /// p(t, s) = Σ_i t_i Σ_j M_ij s_j, M = W_1ᵀ diag(w) (depth 2; depth 1: p = tᵀw).
    /// Fixed neurons (lo = hi) go into a = Σ_j M_ij s_j; free ones are s_j = m_j + h_j u_j.
    /// With x = (x₀, t, u):  p = x₀ tᵀa + tᵀBu = xᵀQx,  Q_{x₀,t_i} = a_i/2, Q_{t_i,u_j} = B_ij/2.
    /// Every entry is computed with a running error bound; formationError = Σ 2·err(Q̂_e)
    /// over all entries (|x| ≤ 1 on the box and on the ball).
    static func buildMaxCut(_ net: Network, shape: DualBallShape, ranges: [(lo: [Double], hi: [Double])],
                            isLocal: Bool, memory: MemoryBudget) throws -> ShorProblem {
        let n0 = net.inputSize
        let w = outputWeights(net)
        var a = [Rounded](repeating: .zero, count: n0)
        var bKeys: [(input: Int, free: Int)] = []
        var bVals: [Rounded] = []
        var freeNeurons: [Int] = []
        var counts: [(free: Int, fixed: Int, dropped: Int)] = []
        if net.depth == 1 {
            a = w
        } else {
            let W1 = net.layers[0].matrix
            let (lo, hi) = ranges[0]
            var fixed = 0, dropped = 0
            var freeIndex = [Int](repeating: -1, count: W1.rows)
            var mid = [Double](repeating: 0, count: W1.rows), half = mid
            for j in 0..<W1.rows {
                if (w[j].value == 0 && w[j].error == 0) || (lo[j] == 0 && hi[j] == 0) { dropped += 1; continue }
                if lo[j] == hi[j] { fixed += 1; mid[j] = lo[j]; continue }
                let (m, h) = midHalf(lo[j], hi[j])
                mid[j] = m; half[j] = h
                freeIndex[j] = freeNeurons.count; freeNeurons.append(j)
            }
            counts = [(freeNeurons.count, fixed, dropped)]
            let est = Double(W1.nonzeroCount) * 48
            try memory.check(est, what: "the Shor SDP data (\(W1.nonzeroCount) weights)")
            for j in 0..<W1.rows where !((w[j].value == 0 && w[j].error == 0) || (lo[j] == 0 && hi[j] == 0)) {
                for p in W1.rowStart[j]..<W1.rowStart[j + 1] {
                    let i = W1.columns[p]
                    let M = Rounded(W1.values[p]) * w[j]
                    if mid[j] != 0 { a[i] = a[i] + M * Rounded(mid[j]) }
                    if freeIndex[j] >= 0 { bKeys.append((i, freeIndex[j])); bVals.append(M * Rounded(half[j])) }
                }
            }
        }
        // Inputs that appear (a nonzero value somewhere in their row).
        var used = [Bool](repeating: false, count: n0)
        for i in 0..<n0 where a[i].value != 0 { used[i] = true }
        for (k, key) in bKeys.enumerated() where bVals[k].value != 0 { used[key.input] = true }
        let kept = (0..<n0).filter { used[$0] }
        var tIndex = [Int](repeating: -1, count: n0)
        for (k, i) in kept.enumerated() { tIndex[i] = 1 + k }
        let nt = kept.count, nu = freeNeurons.count
        let n = 1 + nt + nu
        var entries: [(Int, Int, Double)] = []
        entries.reserveCapacity(nt + bVals.count)
        var err = 0.0
        for i in 0..<n0 {
            let q = a[i].scaled(byPowerOfTwo: 0.5)
            err = Directed.addUp(err, Directed.mulUp(2, q.error))
            if q.value != 0 { entries.append((0, tIndex[i], q.value)) }
        }
        for (k, key) in bKeys.enumerated() {
            let q = bVals[k].scaled(byPowerOfTwo: 0.5)
            err = Directed.addUp(err, Directed.mulUp(2, q.error))
            if q.value != 0 { entries.append((tIndex[key.input], 1 + nt + key.free, q.value)) }
        }
        let Q: SymmetricMatrix
        do { Q = try SymmetricMatrix(order: n, entries: entries) }
        catch { throw ProblemError.input("Shor SDP: \(error)") }
        let trace: Range<Int>? = shape == .ball && nt > 0 ? 1..<(1 + nt) : nil
        let problem: MaxCutProblem
        do { problem = try MaxCutProblem(q: Q, traceBlock: trace) }
        catch { throw ProblemError.input("Shor SDP: \(error)") }
        var vars: [ShorVariable] = [.homogenizing]
        vars += kept.map { .dual(input: $0) }
        vars += freeNeurons.map { .derivative(layer: 1, neuron: $0) }
        return ShorProblem(formulation: .maxCut, shape: shape, sdp: .maxCut(problem), formationError: err,
                           variables: vars, isLocal: isLocal, neuronCounts: counts)
    }

    // MARK: chained form (depth ≥ 2)

    /// A sparse linear form Σ_a c_a x_a over SDP variables, with rounding bounds per coefficient.
    typealias Form = [(variable: Int, coef: Rounded)]

    static func addForms(_ f: Form, _ g: Form) -> Form {
        var out: Form = []
        out.reserveCapacity(f.count + g.count)
        var i = 0, j = 0
        while i < f.count || j < g.count {
            if j == g.count || (i < f.count && f[i].variable < g[j].variable) { out.append(f[i]); i += 1 }
            else if i == f.count || g[j].variable < f[i].variable { out.append(g[j]); j += 1 }
            else { out.append((f[i].variable, f[i].coef + g[j].coef)); i += 1; j += 1 }
        }
        return out
    }

    static func scaleForm(_ f: Form, _ s: Rounded) -> Form { f.map { ($0.variable, s * $0.coef) } }

    /// Variables: x₀ (index 0), t (1..n₀), then one z per free hidden neuron (last hidden
    /// layer first). For layer l: v_l = W_{l+1}ᵀ z_{l+1} (v_{d−1} = w x₀); z_{l,j} = s_{l,j} v_{l,j}
    /// is a variable when lo < hi, the form lo·v when lo = hi ≠ 0, absent when 0.
    /// p = Σ_i t_i (W_1ᵀ z_1)_i. Constraints of the relaxation:
    ///   X_00 = 1;  X_{t_i t_i} = 1 (box) or Σ X_tt = 1 (ball);
    ///   ⟨C_z, X⟩ ≤ 0 with xᵀC_z x = (z − lo·v)(z − hi·v)  (z between lo·v and hi·v);
    ///   X_zz ≤ Z_z²  with |z| ≤ Z_z = max(|lo|,|hi|)·Σ_a |v_a| Z_a (a valid bound, rounded up).
    /// Any feasible (t, s) gives a feasible x with x₀ = 1 and xᵀQx = p(t, s). Rounding in the
    /// data: the objective and each constraint carry Σ_entries (1 or 2)·err·Z_a·Z_b.
    static func buildChained(_ net: Network, shape: DualBallShape, ranges: [(lo: [Double], hi: [Double])],
                             isLocal: Bool, memory: MemoryBudget) throws -> ShorProblem {
        let d = net.depth, n0 = net.inputSize
        var nvar = 1 + n0
        var bound: [Double] = [1] + [Double](repeating: 1, count: n0)   // Z per variable
        var roles: [ShorVariable] = [.homogenizing] + (0..<n0).map { .dual(input: $0) }
        struct Neuron { var z: Form; var variable: Int; var lo: Double; var hi: Double; var v: Form }
        var counts: [(free: Int, fixed: Int, dropped: Int)] = Array(repeating: (0, 0, 0), count: d - 1)
        var freeNeurons: [Neuron] = []
        // forms of v for the last hidden layer
        let w = outputWeights(net)
        var vForms: [Form] = w.map { ($0.value == 0 && $0.error == 0) ? [] : [(0, $0)] }
        var zForms: [Form] = []
        var totalEntries = 0.0
        for l in stride(from: d - 1, through: 1, by: -1) {
            let (lo, hi) = ranges[l - 1]
            zForms = []
            for j in 0..<vForms.count {
                let v = vForms[j]
                if v.isEmpty || (lo[j] == 0 && hi[j] == 0) { counts[l - 1].dropped += 1; zForms.append([]); continue }
                if lo[j] == hi[j] { counts[l - 1].fixed += 1; zForms.append(scaleForm(v, Rounded(lo[j]))); continue }
                counts[l - 1].free += 1
                let idx = nvar; nvar += 1
                // Z = max(|lo|,|hi|)·Σ |v_a| Z_a, rounded up
                var s = 0.0
                for (a, c) in v { s = Directed.addUp(s, Directed.mulUp(c.magnitude, bound[a])) }
                bound.append(Directed.mulUp(Swift.max(Swift.abs(lo[j]), Swift.abs(hi[j])), s))
                roles.append(.derivative(layer: l, neuron: j))
                freeNeurons.append(Neuron(z: [(idx, .exact(1))], variable: idx, lo: lo[j], hi: hi[j], v: v))
                zForms.append([(idx, .exact(1))])
                totalEntries += Double(v.count) * (lo[j] * hi[j] == 0 ? 1 : Double(v.count))
            }
            try memory.check(totalEntries * 40, what: "the chained Shor SDP data")
            if l > 1 {
                // v_{l−1} = W_lᵀ z_l : column access through the rows of W_l
                let W = net.layers[l - 1].matrix
                var next = [Form](repeating: [], count: W.cols)
                for k in 0..<W.rows where !zForms[k].isEmpty {
                    for p in W.rowStart[k]..<W.rowStart[k + 1] {
                        next[W.columns[p]] = addForms(next[W.columns[p]], scaleForm(zForms[k], Rounded(W.values[p])))
                    }
                }
                vForms = next
            }
        }
        // Objective p = Σ_i t_i Σ_j W1[j, i] z_{1,j}: Q_{t_i, a} += W1[j,i]·z_a / 2.
        let W1 = net.layers[0].matrix
        var okeys: [Int] = [], oterms: [Rounded] = []
        let N = nvar
        for j in 0..<W1.rows where !zForms[j].isEmpty {
            for p in W1.rowStart[j]..<W1.rowStart[j + 1] {
                let t = 1 + W1.columns[p]
                for (a, c) in zForms[j] {
                    okeys.append(key(t, a, N)); oterms.append(Rounded(W1.values[p]) * c)
                }
            }
        }
        let om = merge(okeys, oterms, order: N)
        // Compact: drop t's that appear nowhere.
        var usedT = [Bool](repeating: false, count: n0)
        for k in om.vals.indices where om.vals[k].value != 0 || om.vals[k].error != 0 {
            for x in [Int(om.rows[k]), Int(om.cols[k])] where x >= 1 && x <= n0 { usedT[x - 1] = true }
        }
        var newIndex = [Int](repeating: -1, count: N)
        var compactRoles: [ShorVariable] = [], compactBound: [Double] = []
        for v in 0..<N where !(v >= 1 && v <= n0 && !usedT[v - 1]) {
            newIndex[v] = compactRoles.count; compactRoles.append(roles[v]); compactBound.append(bound[v])
        }
        let n = compactRoles.count
        var objErr = 0.0
        var qEntries: [(Int, Int, Double)] = []
        for k in om.vals.indices {
            let r = newIndex[Int(om.rows[k])], c = newIndex[Int(om.cols[k])]
            let q = om.vals[k].scaled(byPowerOfTwo: 0.5)
            if q.error > 0 && r >= 0 && c >= 0 {
                objErr = Directed.addUp(objErr, Directed.mulUp(Directed.mulUp(2, q.error), Directed.mulUp(compactBound[r], compactBound[c])))
            }
            if q.value != 0 { qEntries.append((r, c, q.value)) }
        }
        func diagMatrix(_ idx: [Int]) -> SymmetricMatrix {
            try! SymmetricMatrix(order: n, entries: idx.map { ($0, $0, 1.0) })
        }
        var cons: [SDPConstraint] = []
        cons.append(SDPConstraint(terms: [BlockMatrix(block: 0, matrix: diagMatrix([0]))], lower: 1, upper: 1, name: "x0"))
        let tVars = (0..<n).filter { if case .dual = compactRoles[$0] { return true } else { return false } }
        switch shape {
        case .box:
            for t in tVars {
                guard case .dual(let i) = compactRoles[t] else { continue }
                cons.append(SDPConstraint(terms: [BlockMatrix(block: 0, matrix: diagMatrix([t]))], lower: 1, upper: 1, name: "t\(i + 1)"))
            }
        case .ball:
            if !tVars.isEmpty {
                cons.append(SDPConstraint(terms: [BlockMatrix(block: 0, matrix: diagMatrix(tVars))], lower: 1, upper: 1, name: "trace_t"))
            }
        }
        for nr in freeNeurons {
            let z = newIndex[nr.variable]
            guard case .derivative(let l, let j) = compactRoles[z] else { continue }
            // (z − lo v)(z − hi v) = z² − (lo+hi) z v + lo·hi v²
            var keys: [Int] = [key(z, z, n)], terms: [Rounded] = [.exact(1)]
            let halfSum = (Rounded(nr.lo) + Rounded(nr.hi)).scaled(byPowerOfTwo: 0.5)
            for (a, c) in nr.v { keys.append(key(z, newIndex[a], n)); terms.append(-(halfSum * c)) }
            let lohi = Rounded(nr.lo) * Rounded(nr.hi)
            if lohi.value != 0 || lohi.error != 0 {
                for x in 0..<nr.v.count {
                    for y in x..<nr.v.count {
                        keys.append(key(newIndex[nr.v[x].variable], newIndex[nr.v[y].variable], n))
                        terms.append(lohi * nr.v[x].coef * nr.v[y].coef)
                    }
                }
            }
            let m = merge(keys, terms, order: n)
            var e = 0.0
            var ent: [(Int, Int, Double)] = []
            for k in m.vals.indices {
                let r = Int(m.rows[k]), c = Int(m.cols[k])
                if m.vals[k].error > 0 {
                    e = Directed.addUp(e, Directed.mulUp(Directed.mulUp(r == c ? 1 : 2, m.vals[k].error), Directed.mulUp(compactBound[r], compactBound[c])))
                }
                if m.vals[k].value != 0 { ent.append((r, c, m.vals[k].value)) }
            }
            let C = try SymmetricMatrix(order: n, entries: ent)
            cons.append(SDPConstraint(terms: [BlockMatrix(block: 0, matrix: C)], lower: -.infinity, upper: 0, formationError: e, name: "s\(l)_\(j + 1)"))
            cons.append(SDPConstraint(terms: [BlockMatrix(block: 0, matrix: diagMatrix([z]))], lower: -.infinity,
                                      upper: Directed.mulUp(compactBound[z], compactBound[z]), name: "bound_s\(l)_\(j + 1)"))
        }
        var traceBound = 1.0
        traceBound = Directed.addUp(traceBound, shape == .box ? Double(tVars.count) : (tVars.isEmpty ? 0 : 1))
        for v in 0..<n { if case .derivative = compactRoles[v] { traceBound = Directed.addUp(traceBound, Directed.mulUp(compactBound[v], compactBound[v])) } }
        let Q: SymmetricMatrix
        do { Q = try SymmetricMatrix(order: n, entries: qEntries) } catch { throw ProblemError.input("chained Shor SDP: \(error)") }
        // X_ii ≤ β_i: 1 for x₀ and t, Z² for z (lets the certificate shift each index by its scale)
        let betas = compactBound.map { Directed.mulUp($0, $0) }
        let block = BlockSDP(sense: .maximize, blockSizes: [n], objective: [Q], constraints: cons,
                             traceBounds: [traceBound], diagonalBounds: [betas], objectiveError: objErr, name: "shor-chained")
        return ShorProblem(formulation: .chained, shape: shape, sdp: .block(block), formationError: 0,
                           variables: compactRoles, isLocal: isLocal, neuronCounts: counts)
    }
}
