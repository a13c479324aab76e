import Foundation
import LipControl
import LipLP

/// An activation pattern: for every hidden layer, the piece of every neuron's activation
/// (ReLU: 0 inactive, 1 active).
public typealias ActivationPattern = [[UInt8]]

/// A network whose hidden activations are all piecewise linear, seen through its activation
/// patterns: with the pattern fixed, every pre-activation is an affine function of x,
/// z_l(x) = A_l x + c_l, and the gradient is constant, g = A_lᵀ S_l β_l for any l (S_l the slopes
/// of the pattern, β_l the backward vector W_{l+1}ᵀ S_{l+1} ⋯ W_dᵀc). The pattern search and the
/// exact methods work here; numbers are floating point (heuristics), every reported value is
/// re-certified by `WitnessCertifier`.
struct PatternNetwork {
    let net: Network
    let domain: WitnessDomain
    let norm: WitnessNorm
    /// Per hidden layer: kinks, slopes per piece, intercepts per piece (σ(z) = s_p z + e_p).
    let kinks: [[Double]]
    let slopes: [[Double]]
    let intercepts: [[Double]]
    /// IBP enclosures of the pre-activations of every hidden layer over the domain.
    let ibp: [(l: [Double], u: [Double])]
    /// Per hidden layer, per neuron: the pieces IBP allows (lowest, highest).
    let allowed: [[(lo: UInt8, hi: UInt8)]]

    var hiddenLayers: Int { net.depth - 1 }
    var inputSize: Int { net.inputSize }

    init(certifier: WitnessCertifier) throws {
        let (ks, ss, es) = try PatternNetwork.pieces(certifier)
        let b = try certifier.network.intervalBounds(lower: certifier.domain.lower, upper: certifier.domain.upper)
        let box = Array(b.dropLast())
        var al: [[(lo: UInt8, hi: UInt8)]] = []
        for l in 0..<ks.count {
            var row: [(lo: UInt8, hi: UInt8)] = []
            for j in 0..<box[l].l.count {
                var lo = 0, hi = 0
                for kink in ks[l] { if box[l].l[j] >= kink { lo += 1 }; if box[l].u[j] >= kink { hi += 1 } }
                row.append((UInt8(lo), UInt8(hi)))
            }
            al.append(row)
        }
        self.init(net: certifier.network, domain: certifier.domain, norm: certifier.norm, kinks: ks, slopes: ss,
                  intercepts: es, ibp: box, allowed: al)
    }

    /// The patterns of the polynomial p (no realisability): every piece in `pieces` allowed.
    init(polynomialOf certifier: WitnessCertifier, pieces: [[(lo: UInt8, hi: UInt8)]]) throws {
        let (ks, ss, es) = try PatternNetwork.pieces(certifier)
        self.init(net: certifier.network, domain: certifier.domain, norm: certifier.norm, kinks: ks, slopes: ss,
                  intercepts: es, ibp: [], allowed: pieces)
    }

    private init(net: Network, domain: WitnessDomain, norm: WitnessNorm, kinks: [[Double]], slopes: [[Double]],
                 intercepts: [[Double]], ibp: [(l: [Double], u: [Double])], allowed: [[(lo: UInt8, hi: UInt8)]]) {
        self.net = net; self.domain = domain; self.norm = norm; self.kinks = kinks; self.slopes = slopes
        self.intercepts = intercepts; self.ibp = ibp; self.allowed = allowed
    }

    private static func pieces(_ certifier: WitnessCertifier) throws -> ([[Double]], [[Double]], [[Double]]) {
        guard certifier.isPiecewiseLinear else {
            throw WitnessError.unsupported("pattern methods need piecewise-linear activations (ReLU, leaky ReLU, identity, or user activations with declared kinks and slopes)")
        }
        guard certifier.network.depth >= 2 else { throw WitnessError.input("pattern methods need a hidden layer") }
        var ks: [[Double]] = [], ss: [[Double]] = [], es: [[Double]] = []
        for (k, p) in certifier.profiles.enumerated() {
            let prof = p!, act = certifier.network.layers[k].activation!
            ks.append(prof.kinks); ss.append(prof.slopes!)
            var e: [Double] = []
            for piece in 0...prof.kinks.count {
                // A point of the piece: its left kink, or its right kink for the first piece.
                let z0 = piece > 0 ? prof.kinks[piece - 1] : (prof.kinks.first ?? 0)
                e.append(act.value(z0) - prof.slopes![piece] * z0)
            }
            es.append(e)
        }
        return (ks, ss, es)
    }

    func piece(_ l: Int, _ z: Double) -> UInt8 {
        var k = 0
        for kink in kinks[l] where z >= kink { k += 1 }
        return UInt8(k)
    }

    /// Pre-activations of the hidden layers at x and the pattern (floating point).
    func forward(_ x: [Double]) -> (z: [[Double]], pattern: ActivationPattern) {
        var a = x, zs: [[Double]] = [], pat: ActivationPattern = []
        for l in 0..<hiddenLayers {
            let L = net.layers[l]
            var z = L.matrix.multiply(a)
            if let b = L.bias { for i in z.indices { z[i] += b[i] } }
            var p = [UInt8](repeating: 0, count: z.count)
            var next = z
            for i in z.indices { let q = piece(l, z[i]); p[i] = q; next[i] = slopes[l][Int(q)] * z[i] + intercepts[l][Int(q)] }
            zs.append(z); pat.append(p); a = next
        }
        return (zs, pat)
    }

    /// β_l for every hidden layer l (index l−1): β_{d−1} = cᵀW_d, β_l = W_{l+1}ᵀ S_{l+1} β_{l+1}.
    func backward(_ pattern: ActivationPattern) -> [[Double]] {
        var out = [[Double]](repeating: [], count: hiddenLayers)
        var beta = net.outputWeights
        var l = hiddenLayers - 1
        while l >= 0 {
            out[l] = beta
            if l == 0 { break }
            var g = beta
            for j in g.indices { g[j] *= slopes[l][Int(pattern[l][j])] }
            beta = net.layers[l].matrix.transposeMultiply(g)
            l -= 1
        }
        return out
    }

    /// ∇f on the region of the pattern: W_1ᵀ S_1 β_1.
    func gradient(_ pattern: ActivationPattern) -> [Double] {
        if hiddenLayers == 0 { return net.outputWeights }
        let beta = backward(pattern)
        var g = beta[0]
        for j in g.indices { g[j] *= slopes[0][Int(pattern[0][j])] }
        return net.layers[0].matrix.transposeMultiply(g)
    }

    func value(_ pattern: ActivationPattern) -> Double { norm.dual(gradient(pattern)) }

    /// α_l = A_l t for every hidden layer (the forward images of t, no biases).
    func forwardDirections(_ pattern: ActivationPattern, _ t: [Double]) -> [[Double]] {
        var out: [[Double]] = []
        var a = t
        for l in 0..<hiddenLayers {
            var z = net.layers[l].matrix.multiply(a)
            out.append(z)
            for i in z.indices { z[i] *= slopes[l][Int(pattern[l][i])] }
            a = z
        }
        return out
    }

    /// The affine maps z_l = A_l x + c_l of the pattern (dense rows, row-major n_l × n_0).
    func affineMaps(_ pattern: ActivationPattern) -> [(A: [Double], c: [Double])] {
        let n0 = inputSize
        var out: [(A: [Double], c: [Double])] = []
        let W1 = net.layers[0].matrix
        var A = W1.dense()
        var c = net.layers[0].bias ?? [Double](repeating: 0, count: W1.rows)
        out.append((A, c))
        for l in 1..<max(1, hiddenLayers) {
            let W = net.layers[l].matrix
            var nA = [Double](repeating: 0, count: W.rows * n0)
            var nc = net.layers[l].bias ?? [Double](repeating: 0, count: W.rows)
            for i in 0..<W.rows {
                for p in W.rowStart[i]..<W.rowStart[i + 1] {
                    let k = W.columns[p], piece = Int(pattern[l - 1][k])
                    let s = W.values[p] * slopes[l - 1][piece]
                    nc[i] += W.values[p] * (slopes[l - 1][piece] * c[k] + intercepts[l - 1][piece])
                    if s == 0 { continue }
                    let src = k * n0, dst = i * n0
                    for q in 0..<n0 { nA[dst + q] += s * A[src + q] }
                }
            }
            A = nA; c = nc
            out.append((A, c))
        }
        return out
    }

    /// Whether IBP allows every neuron's piece in the pattern.
    func ibpAllows(_ pattern: ActivationPattern) -> Bool {
        for l in pattern.indices { for j in pattern[l].indices {
            let p = pattern[l][j], a = allowed[l][j]
            if p < a.lo || p > a.hi { return false }
        } }
        return true
    }

    var unstableCount: Int { allowed.reduce(0) { $0 + $1.reduce(0) { $0 + ($1.lo != $1.hi ? 1 : 0) } } }

    /// Neurons whose piece is not fixed by IBP.
    var unstable: [(layer: Int, neuron: Int)] {
        var out: [(Int, Int)] = []
        for l in allowed.indices { for j in allowed[l].indices where allowed[l][j].lo != allowed[l][j].hi { out.append((l, j)) } }
        return out
    }

    /// The margin LP of a pattern: maximise m subject to x in the domain and every pre-activation
    /// at least m inside its piece (z_j(x) − kink ≥ m below, kink − z_j(x) ≥ m above), m ≤ cap.
    /// Neurons whose IBP interval keeps them ≥ cap inside their piece need no row. Returns nil
    /// when IBP already excludes the pattern.
    func marginLP(_ pattern: ActivationPattern, maps: [(A: [Double], c: [Double])], cap: Double) -> LinearProgram? {
        guard ibpAllows(pattern) else { return nil }
        let n0 = inputSize
        var lp = LinearProgram(sense: .maximize, columns: 0, name: "pattern-margin")
        for i in 0..<n0 { lp.addColumn(objective: 0, lower: domain.lower[i], upper: domain.upper[i]) }
        let mcol = lp.addColumn(objective: 1, lower: -.infinity, upper: cap)
        var entries: [(column: Int, value: Double)] = []
        for l in 0..<hiddenLayers {
            let (A, c) = maps[l]
            for j in pattern[l].indices {
                let p = Int(pattern[l][j])
                let below = p > 0 ? kinks[l][p - 1] : nil
                let above = p < kinks[l].count ? kinks[l][p] : nil
                let needBelow = below.map { ibp[l].l[j] - $0 < cap } ?? false
                let needAbove = above.map { $0 - ibp[l].u[j] < cap } ?? false
                if !needBelow && !needAbove { continue }
                entries.removeAll(keepingCapacity: true)
                let row = j * n0
                for q in 0..<n0 where A[row + q] != 0 { entries.append((q, A[row + q])) }
                if let k = below, needBelow {
                    // A x + c − m ≥ k
                    lp.addRow(entries + [(mcol, -1)], lower: k - c[j], upper: .infinity)
                }
                if let k = above, needAbove {
                    // A x + c + m ≤ k
                    lp.addRow(entries + [(mcol, 1)], lower: -.infinity, upper: k - c[j])
                }
            }
        }
        return lp
    }

    /// The constraints of a pattern's region at margin m: rows (layer, neuron, sign, bound) meaning
    /// sign · (z_j(x) − bound) ≥ m. Neurons that IBP keeps ≥ m inside their piece need none.
    func regionRows(_ pattern: ActivationPattern, margin m: [Double]) -> [(layer: Int, neuron: Int, sign: Double, bound: Double)] {
        var rows: [(layer: Int, neuron: Int, sign: Double, bound: Double)] = []
        for l in 0..<hiddenLayers {
            for j in pattern[l].indices {
                let p = Int(pattern[l][j])
                if p > 0 {
                    let k = kinks[l][p - 1]
                    if ibp.isEmpty || ibp[l].l[j] - k < m[l] { rows.append((l, j, 1, k)) }
                }
                if p < kinks[l].count {
                    let k = kinks[l][p]
                    if ibp.isEmpty || k - ibp[l].u[j] < m[l] { rows.append((l, j, -1, k)) }
                }
            }
        }
        return rows
    }

    /// A point of the pattern's region with every pre-activation at least m_l inside its piece,
    /// found by cyclic projections onto the violated half-spaces (clamped to the box), starting from
    /// x0; nil if `sweeps` sweeps do not get there. Returns the best-effort point as well (the one
    /// with the fewest violated constraints) for callers that take whatever pattern it has.
    func project(_ pattern: ActivationPattern, maps: [(A: [Double], c: [Double])], from x0: [Double],
                 margin m: [Double], sweeps: Int) -> (point: [Double]?, bestEffort: [Double]) {
        let n0 = inputSize
        let rows = regionRows(pattern, margin: m)
        var x = domain.clamp(x0)
        var norms = [Double](repeating: 0, count: rows.count)
        for (r, row) in rows.enumerated() {
            let A = maps[row.layer].A, base = row.neuron * n0
            var s = 0.0
            for q in 0..<n0 { let a = A[base + q]; s += a * a }
            norms[r] = s
        }
        var best = x, bestViolated = Int.max
        for _ in 0...sweeps {
            var violated: [Int] = []
            for (r, row) in rows.enumerated() {
                let A = maps[row.layer].A, base = row.neuron * n0
                var z = maps[row.layer].c[row.neuron]
                for q in 0..<n0 { z += A[base + q] * x[q] }
                if row.sign * (z - row.bound) < m[row.layer] { violated.append(r) }
            }
            if violated.count < bestViolated { bestViolated = violated.count; best = x }
            if violated.isEmpty { return (x, x) }
            for r in violated {
                let row = rows[r]
                guard norms[r] > 0 else { continue }
                let A = maps[row.layer].A, base = row.neuron * n0
                var z = maps[row.layer].c[row.neuron]
                for q in 0..<n0 { z += A[base + q] * x[q] }
                let need = 2 * m[row.layer] - row.sign * (z - row.bound)
                if need <= 0 { continue }
                let step = row.sign * need / norms[r]
                for q in 0..<n0 {
                    let a = A[base + q]
                    if a != 0 { x[q] = Swift.min(Swift.max(x[q] + step * a, domain.lower[q]), domain.upper[q]) }
                }
            }
        }
        return (nil, best)
    }

    /// The hinge LP towards a target pattern: maximise Σ_j w_j y_j with y_j ≤ (distance of
    /// z_j(x) inside its target piece), y_j ≤ cap, over x in the domain (the affine maps of the
    /// target pattern). Its solution realises the target where it can and gives way where the
    /// weights are small.
    func hingeLP(_ target: ActivationPattern, weights: [[Double]], maps: [(A: [Double], c: [Double])], cap: Double, floor: Double) -> LinearProgram {
        let n0 = inputSize
        var lp = LinearProgram(sense: .maximize, columns: 0, name: "pattern-hinge")
        for i in 0..<n0 { lp.addColumn(objective: 0, lower: domain.lower[i], upper: domain.upper[i]) }
        var entries: [(column: Int, value: Double)] = []
        for l in 0..<hiddenLayers {
            let (A, c) = maps[l]
            for j in target[l].indices {
                let a = allowed[l][j]
                if a.lo == a.hi { continue }   // stable: nothing to gain
                let w = weights[l][j]
                guard w > 0 else { continue }
                let p = Int(target[l][j])
                let y = lp.addColumn(objective: w, lower: floor, upper: cap)
                entries.removeAll(keepingCapacity: true)
                let row = j * n0
                for q in 0..<n0 where A[row + q] != 0 { entries.append((q, A[row + q])) }
                if p > 0 {   // y ≤ A x + c − k  ⇔  A x − y ≥ k − c
                    lp.addRow(entries + [(y, -1)], lower: kinks[l][p - 1] - c[j], upper: .infinity)
                }
                if p < kinks[l].count {   // y ≤ k − A x − c  ⇔  A x + y ≤ k − c
                    lp.addRow(entries + [(y, 1)], lower: -.infinity, upper: kinks[l][p] - c[j])
                }
            }
        }
        return lp
    }

    /// One round of alternating maximisation of p(t, s) from a pattern: t ← subgradient of the
    /// dual norm at g(s); then, layer by layer, s_{l,j} ← the IBP-allowed piece maximising
    /// slope · α_{l,j} β_{l,j} (α the forward image of t, β the backward vector). Returns the new
    /// pattern and the per-neuron weights |α β · (slope gain)| used by the hinge LP.
    func alternate(_ pattern: ActivationPattern) -> (pattern: ActivationPattern, weights: [[Double]]) {
        var s = pattern
        let t = norm.subgradient(gradient(s))
        var weights = [[Double]](repeating: [], count: hiddenLayers)
        for l in 0..<hiddenLayers {
            let alpha = forwardDirections(s, t)[l]
            let beta = backward(s)[l]
            var w = [Double](repeating: 0, count: alpha.count)
            for j in alpha.indices {
                let a = allowed[l][j]
                let coef = alpha[j] * beta[j]
                var best = s[l][j], bestV = slopes[l][Int(best)] * coef
                if a.lo < a.hi {
                    for p in a.lo...a.hi { let v = slopes[l][Int(p)] * coef; if v > bestV { bestV = v; best = p } }
                }
                s[l][j] = best
                w[j] = Swift.abs(coef) * (slopes[l].max()! - slopes[l].min()!)
            }
            weights[l] = w
        }
        return (s, weights)
    }
}

extension PatternNetwork {
    /// Alternating maximisation until the pattern stops changing (at most `rounds` rounds).
    func alternateToFixpoint(_ pattern: ActivationPattern, rounds: Int = 50) -> ActivationPattern {
        var s = pattern
        for _ in 0..<rounds {
            let (n, _) = alternate(s)
            if n == s { break }
            s = n
        }
        return s
    }

    /// The best allowed piece of neuron (l, j) for the coefficient α·β, and its contribution.
    @inline(__always) func bestPiece(_ l: Int, _ j: Int, _ coef: Double) -> (piece: UInt8, value: Double) {
        let a = allowed[l][j]
        var best = a.lo, bv = slopes[l][Int(a.lo)] * coef
        if a.hi > a.lo { for p in (a.lo + 1)...a.hi { let v = slopes[l][Int(p)] * coef; if v > bv { bv = v; best = p } } }
        return (best, bv)
    }

    /// Local search over the vertices t of the dual ball with the first hidden layer's pieces
    /// optimal for t and the deeper layers fixed: h(t) = Σ_j max_p slope_p α_j β_j, α = W_1 t,
    /// β = β_1 of the pattern. ℓ∞ input: single sign flips of t, first improvement, until none
    /// improves; ℓ1 input: the best of the 2n vertices ±e_k. ℓ2: unchanged. Returns the pattern
    /// with the first layer set optimally for the final t (value ≥ h(t)).
    func tSearch(_ pattern: ActivationPattern, passes: Int = 20) -> ActivationPattern {
        guard hiddenLayers >= 1, norm != .l2 else { return pattern }
        let W = net.layers[0].matrix
        let n1 = W.rows, n0 = W.cols
        let beta = backward(pattern)[0]
        // Columns of W (CSC).
        var colStart = [Int](repeating: 0, count: n0 + 1)
        for q in W.columns { colStart[q + 1] += 1 }
        for i in 0..<n0 { colStart[i + 1] += colStart[i] }
        var next = colStart, rowOf = [Int](repeating: 0, count: W.nonzeroCount), valOf = [Double](repeating: 0, count: W.nonzeroCount)
        for j in 0..<n1 { for p in W.rowStart[j]..<W.rowStart[j + 1] {
            let i = W.columns[p]; rowOf[next[i]] = j; valOf[next[i]] = W.values[p]; next[i] += 1 } }
        var out = pattern
        if norm == .l1 {
            var bestV = -Double.infinity, bestK = 0, bestSign = 1.0
            for i in 0..<n0 { for sgn in [1.0, -1.0] {
                var v = 0.0
                for p in colStart[i]..<colStart[i + 1] { let j = rowOf[p]; v += bestPiece(0, j, sgn * valOf[p] * beta[j]).value - bestPiece(0, j, 0).value }
                if v > bestV { bestV = v; bestK = i; bestSign = sgn }
            } }
            var alpha = [Double](repeating: 0, count: n1)
            for p in colStart[bestK]..<colStart[bestK + 1] { alpha[rowOf[p]] = bestSign * valOf[p] }
            for j in 0..<n1 { out[0][j] = bestPiece(0, j, alpha[j] * beta[j]).piece }
            return out
        }
        var t = norm.subgradient(gradient(pattern)).map { $0 >= 0 ? 1.0 : -1.0 }
        var alpha = W.multiply(t)
        for _ in 0..<passes {
            var improved = false
            for i in 0..<n0 {
                var delta = 0.0
                let d = -2 * t[i]
                for p in colStart[i]..<colStart[i + 1] {
                    let j = rowOf[p]
                    delta += bestPiece(0, j, (alpha[j] + d * valOf[p]) * beta[j]).value - bestPiece(0, j, alpha[j] * beta[j]).value
                }
                if delta > 1e-12 * (1 + Swift.abs(delta)) {
                    t[i] = -t[i]
                    for p in colStart[i]..<colStart[i + 1] { alpha[rowOf[p]] += d * valOf[p] }
                    improved = true
                }
            }
            if !improved { break }
        }
        for j in 0..<n1 { out[0][j] = bestPiece(0, j, alpha[j] * beta[j]).piece }
        return out
    }

    /// Single-neuron changes (IBP-allowed) that increase ‖g‖_*, best first, applied greedily
    /// without realisability until none helps (at most `maxFlips`).
    func flipClimb(_ pattern: ActivationPattern, maxFlips: Int) -> ActivationPattern {
        var s = pattern
        let n0 = inputSize
        let unstableNeurons = unstable
        var flips = 0
        while flips < maxFlips {
            let g = gradient(s)
            let base = norm.dual(g)
            let maps = affineMaps(s)
            let beta = backward(s)
            var best: (l: Int, j: Int, p: UInt8, gain: Double)? = nil
            var h = g
            for (l, j) in unstableNeurons {
                let cur = Int(s[l][j]), a = allowed[l][j]
                for np in [cur - 1, cur + 1] where np >= Int(a.lo) && np <= Int(a.hi) {
                    let ds = (slopes[l][np] - slopes[l][cur]) * beta[l][j]
                    if ds == 0 { continue }
                    let row = j * n0
                    for q in 0..<n0 { h[q] = g[q] + ds * maps[l].A[row + q] }
                    let gain = norm.dual(h) - base
                    if gain > 1e-12 * (1 + base), gain > (best?.gain ?? 0) { best = (l, j, UInt8(np), gain) }
                }
            }
            guard let b = best else { break }
            s[b.l][b.j] = b.p
            flips += 1
        }
        return s
    }

    /// Alternation, t-search and single flips, repeated while the value grows: a local maximum of
    /// p over the IBP-allowed patterns, realisable or not.
    func polish(_ pattern: ActivationPattern, maxFlips: Int = 200) -> ActivationPattern {
        var s = pattern
        var v = value(s)
        for _ in 0..<20 {
            var n = alternateToFixpoint(s)
            n = tSearch(n)
            n = alternateToFixpoint(n)
            n = flipClimb(n, maxFlips: maxFlips)
            let nv = value(n)
            if nv <= v * (1 + 1e-12) { break }
            s = n; v = nv
        }
        return s
    }
}

/// Solves margin LPs and turns their points into certified witnesses.
struct PatternRealiser {
    let model: PatternNetwork
    let certifier: WitnessCertifier
    let solver: LPSolver
    /// The largest margin the LP asks for (z units).
    let cap: Double
    var lpSolves = 0
    var lpSeconds = 0.0

    enum Outcome {
        case witness(CertifiedWitness)
        case rejected(WitnessRejection)
    }

    /// Finds the interior point of the pattern's region with the largest margin (up to `cap`) and
    /// certifies it.
    mutating func realise(_ pattern: ActivationPattern, deadline: Deadline, source: WitnessSource) -> Outcome {
        guard let lp = model.marginLP(pattern, maps: model.affineMaps(pattern), cap: cap) else { return .rejected(.patternNotRealisable) }
        guard let r = solve(lp, deadline: deadline) else { return .rejected(.lpFailed) }
        if r.status == .infeasible { return .rejected(.patternNotRealisable) }
        guard r.status == .optimal, r.primal.count == lp.columnCount else { return .rejected(.lpFailed) }
        let m = r.primal[model.inputSize]
        guard m > 0 else { return .rejected(.patternNotRealisable) }
        let x = model.domain.clamp(Array(r.primal[0..<model.inputSize]))
        switch certifier.check(x, source: source) {
        case .success(let w):
            // The certified pattern is the point's own: it must be the one asked for (an LP point
            // with a margin below the solver's tolerance can land in a neighbouring region).
            return w.pattern == pattern ? .witness(w) : .rejected(.patternNotRealisable)
        case .failure(let why): return .rejected(why)
        }
    }

    /// The hinge LP towards `target`; returns the point (not certified).
    mutating func hinge(_ target: ActivationPattern, weights: [[Double]], deadline: Deadline) -> [Double]? {
        let lp = model.hingeLP(target, weights: weights, maps: model.affineMaps(target), cap: cap, floor: -1e6)
        guard let r = solve(lp, deadline: deadline), r.status == .optimal, r.primal.count == lp.columnCount else { return nil }
        return model.domain.clamp(Array(r.primal[0..<model.inputSize]))
    }

    mutating func solve(_ lp: LinearProgram, deadline: Deadline) -> LPResult? {
        if deadline.expired { return nil }
        var o = LPOptions()
        o.method = .dualSimplex
        o.timeLimit = deadline.remaining
        let t0 = monotonicSeconds()
        defer { lpSolves += 1; lpSeconds += monotonicSeconds() - t0 }
        return try? solver.solve(lp, options: o)
    }
}
