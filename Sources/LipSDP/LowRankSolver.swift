import Foundation
import LipControl

/// The mixing method (Wang, Chang & Kolter, "The mixing method: low-rank coordinate descent
/// for semidefinite programming with diagonal constraints", 2017) for the MAXCUT-type SDP:
///
///     maximise ⟨Q, V Vᵀ⟩   over V ∈ ℝ^{n×k},  ‖v_i‖ = 1 (i ∉ T),  ‖V_T‖_F = 1
///
/// (X = VVᵀ; with k(k+1)/2 > n every second-order critical point is optimal for generic Q —
/// Barvinok–Pataki rank, Boumal et al.). The default starts at about half that rank and raises
/// it once when the factor stalls at a point the certificate refuses; `options.rank` fixes k. One sweep updates every row in index order:
/// v_i ← g_i / ‖g_i‖ with g_i = Σ_{j≠i} Q_ij v_j, which is the exact maximiser in v_i (the
/// diagonal term Q_ii is constant). A trace block T (the ℓ2 dual ball) must not couple to
/// itself (Q_TT = 0, true for Shor matrices); it is updated as one block, V_T ← G_T/‖G_T‖_F.
///
/// Dual from the factor: at a stationary point (Diag(d) − Q)V = 0 with d_i = ‖g_i‖ + Q_ii
/// and λ = ‖G_T‖_F on T, so the dual value Σd equals the primal value; the dual is feasible
/// exactly when Diag(d) − Q ⪰ 0, i.e. at a global optimum. The solver stops when its
/// primal–dual gap Σd − ⟨Q, VVᵀ⟩ is at most `tolerance`/2·|Σd| *and* one verified Cholesky
/// proves Diag(d) − Q + μ_t I ⪰ 0 with (n − |T| + 1)·μ_t = `tolerance`/2·|Σd| (default
/// tolerance 10⁻⁶): the certificate's correction is then at most about `tolerance`·|Σd|.
///
/// Deterministic: the start is drawn from a fixed generator seeded by `options.seed`, and the
/// sweep order is the index order. Cost per sweep: 2·nnz(Q)·k flops (sparse products).
public struct LowRankSolver: SDPSolver {
    public let name = "lowrank"
    /// Overrides the starting rank (tests of the rank growth); nil: about half of Pataki's.
    let startRank: Int?
    public init() { startRank = nil }
    init(startRank: Int) { self.startRank = startRank }

    public func supports(_ problem: SDPProblem) -> Bool {
        guard case .maxCut(let p) = problem else { return false }
        return Self.traceBlockIsDecoupled(p)
    }

    static func traceBlockIsDecoupled(_ p: MaxCutProblem) -> Bool {
        guard let t = p.traceBlock else { return true }
        for k in p.q.values.indices where t.contains(Int(p.q.rows[k])) && t.contains(Int(p.q.columns[k])) { return false }
        return true
    }

    public func solve(_ problem: SDPProblem, options: SDPOptions) throws -> SDPResult {
        guard case .maxCut(let p) = problem else {
            throw SDPError("the low-rank solver takes MAXCUT-type SDPs (unit diagonal, optional trace block) only; use DSDP for \(problem.description)")
        }
        guard Self.traceBlockIsDecoupled(p) else {
            throw SDPError("the low-rank solver needs Q to vanish on the trace block × trace block (it does for Shor matrices); use DSDP")
        }
        let t0 = monotonicSeconds()
        let n = p.order
        if n == 0 {
            return SDPResult(status: .optimal, primalObjective: 0, dualObjective: 0, dual: [], factor: LowRankFactor(order: 0, rank: 0, values: []),
                             solver: name, message: "empty problem")
        }
        guard options.rank.map({ $0 >= 1 }) ?? true else { throw SDPError("low-rank solver: rank \(options.rank!) must be ≥ 1") }
        // Pataki's rank k(k+1)/2 > n rules out spurious optima for generic Q; we start at about
        // half of it (measured 1.8× faster on the 784-500 Shor SDP) and grow to it when the
        // factor stalls at a point the certificate cannot accept.
        let kMax = Swift.max(1, Swift.min(n, options.rank ?? (Int(Double(2 * n).squareRoot().rounded(.up)) + 1)))
        var k = options.rank != nil ? kMax : Swift.max(1, Swift.min(kMax, startRank ?? (Int((Double(2 * n).squareRoot() / 2).rounded(.up)) + 1)))
        let vBytes = try CheckedSize.product([n, kMax, 8, 3], what: "low-rank factor")
        try options.memory.check(Double(vBytes) + 24 * Double(p.q.entryCount), what: "the low-rank solver (order \(n), rank \(kMax))")
        let tol = options.tolerance ?? 1e-6
        guard tol.isFinite, tol > 0 else { throw SDPError("low-rank solver: tolerance \(tol) must be positive") }
        let maxSweeps = options.maxIterations ?? 100_000
        let A = p.q.adjacency()
        let T = p.traceBlock
        var inT = [Bool](repeating: false, count: n)
        if let T { for i in T { inT[i] = true } }

        // Deterministic start.
        var V = [Double](repeating: 0, count: n * k)
        var rng = SplitMix64(seed: options.seed)
        for i in 0..<n {
            var s = 0.0
            for r in 0..<k { let x = rng.nextSigned(); V[i * k + r] = x; s += x * x }
            if !inT[i] { let inv = 1 / s.squareRoot(); for r in 0..<k { V[i * k + r] *= inv } }
        }
        if let T { normalizeBlock(&V, T, k) }

        var G = [Double](repeating: 0, count: n * k)
        var sweeps = 0
        var sweepTol = 1e-4
        var status = SDPStatus.iterationLimit
        var message = ""
        var lastReport = t0
        var primal = Double.nan, dualValue = Double.nan
        var d = [Double](repeating: 0, count: n)
        let traceBound = p.traceBound

        var f = objective(V, A, k)
        var lastCheck = 0
        var fAtCheck = -Double.infinity
        var escalated = false
        while true {
            if let s = options.deadline.stopReason { status = SDPStatus(s); message = "stopped after \(sweeps) sweeps (\(s.rawValue))"; break }
            if sweeps >= maxSweeps { status = .iterationLimit; message = "\(sweeps) sweeps (the limit)"; break }
            let gain = sweep(&V, &G, A, k, T, inT)
            sweeps += 1
            f += 2 * gain          // exact recomputation at every dual check below
            let now = monotonicSeconds()
            if let cb = options.progress, now - lastReport >= 0.5 {
                lastReport = now
                cb(SDPProgress(iterations: sweeps, objective: f, seconds: now - t0, message: "sweep gain \(2 * gain)"))
            }
            if 2 * gain <= sweepTol * Swift.max(Swift.abs(f), 1e-300) || !gain.isFinite || (lastCheck > 0 && sweeps - lastCheck >= 100) {
                // Dual from the factor and an estimate of the certified gap.
                let (pf, dv, dd) = dualFromFactor(V, A, k, T, inT)
                primal = pf; dualValue = dv; d = dd; f = pf
                lastCheck = sweeps
                let (ok, note) = gapTest(p, dd, pf, dv, A, tol: tol, traceBound: traceBound, options: options)
                if options.verbosity >= 2 {
                    FileHandle.standardError.write("lowrank: sweep \(sweeps) primal \(pf) dual \(dv) \(note)\n".data(using: .utf8)!)
                }
                if ok { status = .optimal; message = "\(note) after \(sweeps) sweeps (rank \(k))"; break }
                if !gain.isFinite { status = .numericalError; message = "the factor became non-finite"; break }
                // Stalled (no progress since the last check) but not certifiable: a spurious
                // stationary point of the smaller rank; grow to Pataki's rank once.
                if !escalated && k < kMax && pf - fAtCheck <= 1e-13 * Swift.max(Swift.abs(pf), 1e-300) {
                    escalated = true
                    V = grow(V, n: n, from: k, to: kMax, inT: inT, T: T, seed: options.seed)
                    k = kMax
                    G = [Double](repeating: 0, count: n * k)
                    f = objective(V, A, k)
                    sweepTol = 1e-4
                    if options.verbosity >= 2 { FileHandle.standardError.write("lowrank: stalled; rank raised to \(k)\n".data(using: .utf8)!) }
                }
                fAtCheck = pf
                sweepTol = Swift.max(sweepTol * 0.1, 1e-16)
            }
        }
        if primal.isNaN || status != .optimal {
            let (pf, dv, dd) = dualFromFactor(V, A, k, T, inT)
            primal = pf; dualValue = dv; d = dd
        }
        if !(primal.isFinite && dualValue.isFinite) { status = .numericalError; message += "; non-finite objective" }
        return SDPResult(status: status, primalObjective: primal, dualObjective: dualValue, dual: d,
                         factor: LowRankFactor(order: n, rank: k, values: V), iterations: sweeps,
                         seconds: monotonicSeconds() - t0, solver: name, message: message)
    }

    // MARK: pieces

    /// V (n × k) padded to n × k2 with small deterministic columns, rows renormalised.
    private func grow(_ V: [Double], n: Int, from k: Int, to k2: Int, inT: [Bool], T: Range<Int>?, seed: UInt64) -> [Double] {
        var W = [Double](repeating: 0, count: n * k2)
        var rng = SplitMix64(seed: seed ^ 0xA5A5_A5A5_A5A5_A5A5)
        for i in 0..<n {
            var s = 0.0
            for r in 0..<k2 {
                let x = r < k ? V[i * k + r] : 1e-3 * rng.nextSigned()
                W[i * k2 + r] = x; s += x * x
            }
            if !inT[i] && s > 0 { let inv = 1 / s.squareRoot(); for r in 0..<k2 { W[i * k2 + r] *= inv } }
        }
        if let T { normalizeBlock(&W, T, k2) }
        return W
    }

    /// The stopping test: the primal–dual gap of the factor is at most tol/2·|Σd| and the
    /// dual matrix Diag(d) − Q + μ_t I is proved positive semidefinite by one verified
    /// Cholesky with μ_t·(n − |T| + 1) = tol/2·|Σd| (so the certificate will succeed with a
    /// correction of at most about tol·|Σd|). A Lanczos estimate first skips hopeless checks
    /// (a Ritz value θ ≥ λ_min, so θ < −μ_t means the Cholesky would fail). When the dense
    /// factor does not fit the memory budget, the Lanczos estimate alone decides.
    private func gapTest(_ p: MaxCutProblem, _ d: [Double], _ primal: Double, _ dual: Double, _ A: SymmetricAdjacency,
                         tol: Double, traceBound: Double, options: SDPOptions) -> (Bool, String) {
        let half = 0.5 * tol * Swift.max(Swift.abs(dual), 1e-300)
        let pdGap = dual - primal
        guard pdGap <= half else { return (false, "primal–dual gap \(pdGap)") }
        let muTarget = half / traceBound
        let S = p.dualMatrix(d, adjacency: A)
        let theta = LanczosEstimate.smallestEigenvalue(order: S.order, diagonal: S.diagonal, rowStart: S.rowStart, columns: S.columns,
                                                      values: S.values, steps: 100)
        if theta < -muTarget { return (false, "λ_min ≤ \(theta) (Lanczos) < −\(muTarget)") }
        let prover = ShiftProver(S, deadline: options.deadline)
        guard (try? options.memory.check(prover.plan.workBytes, what: "")) != nil else {
            return (true, "estimated certified gap ≤ \(pdGap + traceBound * Swift.max(0, -theta)) (Lanczos only: the dense factor exceeds the memory budget)")
        }
        let c = Swift.max(0, 0.8 * muTarget - S.rho)
        let (mu, _, out) = prover.attempt(c)
        if case .success = out {
            return (true, "dual proved feasible with shift \(mu) (certified gap ≤ \(pdGap + traceBound * mu))")
        }
        return (false, "shift \(mu) not enough (Lanczos λ_min ≈ \(theta))")
    }

    private func normalizeBlock(_ V: inout [Double], _ T: Range<Int>, _ k: Int) {
        var s = 0.0
        for i in T { for r in 0..<k { s += V[i * k + r] * V[i * k + r] } }
        let inv = s > 0 ? 1 / s.squareRoot() : 0
        for i in T { for r in 0..<k { V[i * k + r] *= inv } }
    }

    /// g_i = Σ_{j≠i} Q_ij v_j into out (k doubles). Plain `while` loops over pointers: they
    /// vectorise in release builds and stay fast in debug builds (no range iterators).
    @inline(__always) private func rowProduct(_ i: Int, _ v: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>, _ A: SymmetricAdjacency, _ k: Int,
                                              _ cols: UnsafePointer<Int32>, _ vals: UnsafePointer<Double>) {
        out.update(repeating: 0, count: k)
        var p = A.rowStart[i]
        let end = A.rowStart[i + 1]
        while p < end {
            let q = vals[p], src = v + Int(cols[p]) &* k
            var r = 0
            while r < k { out[r] += q * src[r]; r &+= 1 }
            p &+= 1
        }
    }

    /// One sweep; returns Σ (‖g_i‖ − ⟨v_i, g_i⟩) (half the objective gain).
    private func sweep(_ V: inout [Double], _ G: inout [Double], _ A: SymmetricAdjacency, _ k: Int, _ T: Range<Int>?, _ inT: [Bool]) -> Double {
        let n = A.order
        var gain = 0.0
        A.columns.withUnsafeBufferPointer { cp in
            A.values.withUnsafeBufferPointer { vp in
                V.withUnsafeMutableBufferPointer { Vb in
                    G.withUnsafeMutableBufferPointer { Gb in
                        let v = Vb.baseAddress!, g = Gb.baseAddress!
                        var i = 0
                        while i < n {
                            if inT[i], let T {
                                // the whole trace block at once (rows of T do not see each other)
                                var nrm = 0.0, inner = 0.0
                                for t in T {
                                    rowProduct(t, v, g + t * k, A, k, cp.baseAddress!, vp.baseAddress!)
                                    for r in 0..<k { let x = g[t * k + r]; nrm += x * x; inner += x * v[t * k + r] }
                                }
                                nrm = nrm.squareRoot()
                                if nrm > 0 {
                                    gain += nrm - inner
                                    for t in T { for r in 0..<k { v[t * k + r] = g[t * k + r] / nrm } }
                                }
                                i = T.upperBound
                                continue
                            }
                            let gi = g + i * k, vi = v + i * k
                            rowProduct(i, v, gi, A, k, cp.baseAddress!, vp.baseAddress!)
                            var nrm = 0.0, inner = 0.0
                            var r = 0
                            while r < k { nrm += gi[r] * gi[r]; inner += gi[r] * vi[r]; r &+= 1 }
                            nrm = nrm.squareRoot()
                            if nrm > 0 {
                                gain += nrm - inner
                                let inv = 1 / nrm
                                r = 0
                                while r < k { vi[r] = gi[r] * inv; r &+= 1 }
                            }
                            i += 1
                        }
                    }
                }
            }
        }
        return gain
    }

    /// ⟨Q, V Vᵀ⟩ with fresh products.
    private func objective(_ V: [Double], _ A: SymmetricAdjacency, _ k: Int) -> Double {
        var f = 0.0
        var g = [Double](repeating: 0, count: k)
        V.withUnsafeBufferPointer { Vb in
            A.columns.withUnsafeBufferPointer { cp in
                A.values.withUnsafeBufferPointer { vp in
                    g.withUnsafeMutableBufferPointer { gb in
                        for i in 0..<A.order {
                            rowProduct(i, Vb.baseAddress!, gb.baseAddress!, A, k, cp.baseAddress!, vp.baseAddress!)
                            var s = 0.0, vv = 0.0
                            for r in 0..<k { s += gb[r] * Vb[i * k + r]; vv += Vb[i * k + r] * Vb[i * k + r] }
                            f += s + A.diagonal[i] * vv
                        }
                    }
                }
            }
        }
        return f
    }

    /// (primal ⟨Q, VVᵀ⟩, dual value, d) with d_i = ‖g_i‖ + Q_ii off T and λ = ‖G_T‖_F on T.
    private func dualFromFactor(_ V: [Double], _ A: SymmetricAdjacency, _ k: Int, _ T: Range<Int>?, _ inT: [Bool]) -> (Double, Double, [Double]) {
        let n = A.order
        var d = [Double](repeating: 0, count: n)
        var primal = 0.0, dual = 0.0
        var g = [Double](repeating: 0, count: k)
        var tNorm = 0.0
        V.withUnsafeBufferPointer { Vb in
            A.columns.withUnsafeBufferPointer { cp in
                A.values.withUnsafeBufferPointer { vp in
                    g.withUnsafeMutableBufferPointer { gb in
                        for i in 0..<n {
                            rowProduct(i, Vb.baseAddress!, gb.baseAddress!, A, k, cp.baseAddress!, vp.baseAddress!)
                            var s = 0.0, nn = 0.0, vv = 0.0
                            for r in 0..<k { s += gb[r] * Vb[i * k + r]; nn += gb[r] * gb[r]; vv += Vb[i * k + r] * Vb[i * k + r] }
                            primal += s + A.diagonal[i] * vv
                            if inT[i] { tNorm += nn } else { d[i] = nn.squareRoot() + A.diagonal[i]; dual += d[i] }
                        }
                    }
                }
            }
        }
        if let T {
            let lam = tNorm.squareRoot()
            for i in T { d[i] = lam }
            dual += lam
        }
        return (primal, dual, d)
    }
}

/// SplitMix64 (Steele, Lea, Flood): the deterministic generator of the low-rank start.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [−1, 1).
    mutating func nextSigned() -> Double { Double(next() >> 11) * 0x1p-52 - 1 }
}
