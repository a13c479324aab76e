import Foundation
import LipControl

public struct CertifierOptions: Sendable {
    /// Polled between and inside factorisations; an expired deadline ends the search (the
    /// result is then `uncertified`, with the diagonal-dominance bound when that one holds).
    public var deadline: Deadline = .none
    /// The dense factor needs |R|² + |R|·|I| doubles (see `VerifiedCholesky`); above this
    /// budget the Cholesky proof is skipped.
    public var memory: MemoryBudget = .machineDefault
    /// Factorisations tried with growing shifts before giving up (≥ 1).
    public var maxAttempts: Int = 10
    /// Lanczos steps for the estimate of λ_min that picks the first shift.
    public var lanczosSteps: Int = 200
    public init() {}
}

/// The outcome of certifying a dual point.
///
/// `bound`, whenever it is not nil, is a theorem: an upper bound on the SDP's maximum (a lower
/// bound on a minimum), hence on the quantity the SDP relaxes, with every rounding of the
/// check accounted for. `.certified` means the verified Cholesky proved the shifted dual
/// matrix positive semidefinite; `.uncertified` means it did not (after the retries, or it
/// was too large or stopped), and then `bound` is the (much looser) diagonal-dominance bound
/// when that one could be proved, or nil.
public struct SDPCertificate: Sendable, CustomStringConvertible {
    public enum Status: String, Sendable { case certified, uncertified }
    public enum Method: String, Sendable { case cholesky, diagonalDominance = "diagonal_dominance", none }
    public var status: Status
    public var bound: Double?
    /// The dual objective at the dual as given (nearest rounding): the solver's value.
    public var dualValue: Double
    /// The diagonal shift μ_b ≥ 0 added to each block's dual matrix.
    public var shifts: [Double]
    public var method: Method
    /// Factorisations run.
    public var attempts: Int
    public var seconds: Double
    public var message: String

    /// bound − dualValue (what the proof added to the solver's value), nil without a bound.
    public var correction: Double? { bound.map { $0 - dualValue } }

    public var description: String {
        "SDPCertificate(\(status.rawValue), bound \(bound.map { "\($0)" } ?? "none"), dual value \(dualValue), shift \(shifts), \(method.rawValue), \(attempts) attempts, \(message))"
    }

    static func refused(_ why: String, dualValue: Double = .nan, seconds: Double = 0) -> SDPCertificate {
        SDPCertificate(status: .uncertified, bound: nil, dualValue: dualValue, shifts: [], method: .none, attempts: 0, seconds: seconds, message: why)
    }
}

/// A computed dual matrix Ŝ (sparse: diagonal plus both off-diagonal triangles in CSR) with
/// ρ ≥ ‖S − Ŝ‖₂ for the exact S it stands for.
struct DualMatrix {
    let order: Int
    var diagonal: [Double]
    var rowStart: [Int]
    var columns: [Int32]
    var values: [Double]
    var rho: Double
}

/// Why a shift was (or was not) proved.
struct ShiftProof {
    var mu: Double?
    var method: SDPCertificate.Method
    var attempts: Int
    var message: String
}

/// The shifted Cholesky proof for one dual matrix (see `prove`).
struct ShiftProver {
    let S: DualMatrix
    let plan: CholeskyPlan
    let gammaPrime: Double
    let deadline: Deadline

    init(_ S: DualMatrix, deadline: Deadline) {
        self.S = S
        self.deadline = deadline
        plan = CholeskyPlan(order: S.order, rowStart: S.rowStart, columns: S.columns)
        let g = Directed.gamma(S.order + 1)
        gammaPrime = Directed.divUp(g, Directed.subDown(1, g))
    }

    /// σ(μ) ≥ γ'·tr(B) + 4ηn(2(n+1) + max b_ii) for B_ii ≤ Ŝ_ii + μ.
    func sigma(_ mu: Double) -> Double {
        let n = S.order
        var t = 0.0, mx = 0.0
        for i in 0..<n { let b = Directed.addUp(S.diagonal[i], mu); t = Directed.addUp(t, b); mx = Swift.max(mx, b) }
        let under = Directed.mulUp(Directed.mulUp(Double(4 * n), Directed.addUp(Double(2 * (n + 1)), mx)), Directed.eta)
        return Directed.addUp(Directed.mulUp(gammaPrime, Swift.max(t, 0)), under)
    }

    /// One proof attempt aiming at B ≈ Ŝ + c·I: μ = c + ρ + 2σ(c + ρ) (rounded up), then the
    /// Cholesky of B_ii = ↓(Ŝ_ii + ↓(μ − ↑(ρ + σ(μ)))). Success proves S + μI ⪰ 0.
    /// `c` nil: μ = 0 (no shift allowed).
    func attempt(_ c: Double?, keepFactor: Bool = false) -> (mu: Double, choleskyShift: Double, outcome: CholeskyOutcome) {
        let mu: Double
        if let c {
            let mu0 = Directed.addUp(c, S.rho)
            mu = Directed.addUp(mu0, Directed.mulUp(2, sigma(mu0)))
        } else { mu = 0 }
        let shift = Directed.subDown(mu, Directed.addUp(S.rho, sigma(mu)))
        var B = S.diagonal
        for i in 0..<B.count { B[i] = Directed.addDown(B[i], shift) }
        let out = VerifiedCholesky.run(plan: plan, diagonal: B, rowStart: S.rowStart, columns: S.columns, values: S.values,
                                       deadline: deadline, keepFactor: keepFactor)
        return (mu, shift, out)
    }

    /// Finds μ ≥ 0 with S + μI ⪰ 0 proved (S exact, within ρ of Ŝ). With `allowShift` false
    /// only μ = 0 is tried (no trace bound is known to pay for a shift).
    ///
    /// For a trial μ: σ ≥ γ'·tr(B) + 4ηn(2(n+1) + max b_ii) with γ' = γ_{n+1}/(1 − γ_{n+1}),
    /// B_ii = ↓(Ŝ_ii + ↓(μ − ↑(ρ + σ))), B_ij = Ŝ_ij. If the floating-point Cholesky of B has
    /// all pivots > 0 then λ_min(B) ≥ −σ (see `VerifiedCholesky`), and
    /// S + μI ⪰ Ŝ − ρI + μI ⪰ B + σI ⪰ 0.
    ///
    /// Search: the first trial aims just above the Lanczos estimate of −λ_min(Ŝ) (a Ritz value
    /// is ≥ λ_min, so it can only aim too low); on failure the margin grows ×128 from 2⁻⁴⁰·‖Ŝ‖
    /// until a factorisation succeeds; that factor then gives an accurate λ_min by Lanczos on
    /// B⁻¹ (inverse iteration), and one or two tighter shifts are tried. When no factorisation
    /// succeeds (or the dense part exceeds the memory budget) the diagonal-dominance shift
    /// max_i(Σ_j|Ŝ_ij| − Ŝ_ii) + ρ is returned as `.diagonalDominance` (a proof too, but loose).
    static func prove(_ S: DualMatrix, allowShift: Bool, options: CertifierOptions) -> ShiftProof {
        let n = S.order
        if n == 0 { return ShiftProof(mu: 0, method: .cholesky, attempts: 0, message: "empty block") }
        var normEst = 0.0, gersh = -Double.infinity
        var allFinite = S.rho.isFinite
        for i in 0..<n {
            var r = 0.0
            for p in S.rowStart[i]..<S.rowStart[i + 1] { r = Directed.addUp(r, Swift.abs(S.values[p])) }
            let d = S.diagonal[i]
            if !d.isFinite || !r.isFinite { allFinite = false; break }
            normEst = Swift.max(normEst, Swift.abs(d) + r)
            gersh = Swift.max(gersh, Directed.subUp(r, d))
        }
        guard allFinite else {
            return ShiftProof(mu: nil, method: .none, attempts: 0, message: "the dual matrix has entries that are not finite (overflow or NaN in the dual)")
        }
        // Diagonal dominance: S ⪰ Ŝ − ρI ⪰ −(max_i(Σ_j|Ŝ_ij| − Ŝ_ii) + ρ) I.
        let excess = Directed.addUp(gersh, S.rho)
        let fallback: ShiftProof?
        if allowShift { fallback = ShiftProof(mu: Swift.max(0, excess), method: .diagonalDominance, attempts: 0, message: "") }
        else if excess <= 0 { fallback = ShiftProof(mu: 0, method: .diagonalDominance, attempts: 0, message: "") }
        else { fallback = nil }
        func giveUp(_ why: String, attempts: Int) -> ShiftProof {
            if var f = fallback {
                f.attempts = attempts
                f.message = "\(why); bound by diagonal dominance only (shift \(f.mu ?? 0))"
                return f
            }
            return ShiftProof(mu: nil, method: .none, attempts: attempts, message: "\(why); no proof")
        }

        let prover = ShiftProver(S, deadline: options.deadline)
        do { try options.memory.check(prover.plan.workBytes, what: "the verified Cholesky of a dual matrix of order \(n) (dense part \(prover.plan.rest.count))") }
        catch { return giveUp("\(error)", attempts: 0) }
        var attempts = 0
        let maxAttempts = Swift.max(1, options.maxAttempts)
        func describe(_ o: CholeskyOutcome, _ mu: Double) -> String {
            switch o {
            case .success: return "success"
            case .failed(let row, let value): return "pivot of row \(row + 1) was \(value) at shift \(mu)"
            case .stopped(let s): return "stopped (\(s.rawValue)) during the factorisation"
            }
        }
        guard allowShift else {
            let (mu, _, out) = prover.attempt(nil)
            if case .success = out {
                return ShiftProof(mu: mu, method: .cholesky, attempts: 1, message: "Cholesky of the dual matrix − (ρ + σ)·I succeeded without a shift")
            }
            return giveUp("no proof without a shift (\(describe(out, 0))); the dual matrix is not positive definite with margin and no trace bound is known to pay for a shift", attempts: 1)
        }
        // Lanczos keeps its basis (steps × n doubles): fit it into the memory budget.
        let steps = Swift.max(2, Swift.min(options.lanczosSteps, Int(options.memory.bytes / (16 * Double(n)))))
        let theta = LanczosEstimate.smallestEigenvalue(order: n, diagonal: S.diagonal, rowStart: S.rowStart, columns: S.columns,
                                                      values: S.values, steps: steps,
                                                      shouldStop: { options.deadline.stopReason != nil })
        let base = theta.isFinite ? Swift.max(0, -theta) : normEst
        let scale = Swift.max(normEst, Double.leastNormalMagnitude)
        var margin = scale * 0x1p-40
        var proven: (mu: Double, shift: Double, factor: CholeskyFactor?)? = nil
        var lastFailure = ""
        var first = true
        while attempts < maxAttempts {
            if let s = options.deadline.stopReason { lastFailure = "stopped (\(s.rawValue))"; break }
            let (mu, shift, out) = prover.attempt(Directed.addUp(base, margin), keepFactor: !first)
            attempts += 1
            if case .success(let f) = out { proven = (mu, shift, f); break }
            lastFailure = describe(out, mu)
            if case .stopped = out { break }
            if margin >= scale { break }
            margin = Swift.min(margin * 128, scale)
            first = false
        }
        guard var best = proven else {
            return giveUp("the Cholesky proof failed (\(lastFailure))", attempts: attempts)
        }
        var note = "Cholesky of the shifted dual matrix succeeded (ρ = \(S.rho))"
        // Refine with λ_min(B) from inverse iteration on the successful factor.
        if let F = best.factor, attempts < maxAttempts, options.deadline.stopReason == nil {
            let r = LanczosEstimate.ritzValues(order: n, steps: Swift.min(40, n)) { x, y in
                let v = F.solve(Array(UnsafeBufferPointer(start: x, count: n)))
                for i in 0..<n { y[i] = v[i] }
            }
            if r.max > 0 && r.max.isFinite {
                let lamS = 1 / r.max - best.shift           // estimate of λ_min(Ŝ)
                for m in [0x1p-12, 0x1p-6] where attempts < maxAttempts && options.deadline.stopReason == nil {
                    let c = Directed.addUp(Swift.max(0, -lamS), Swift.max(scale * 0x1p-40, Swift.abs(lamS) * m))
                    let (mu, shift, out) = prover.attempt(c)
                    attempts += 1
                    if case .success = out {
                        if mu < best.mu { best = (mu, shift, nil); note += "; refined by inverse iteration" }
                        break
                    }
                }
            }
        }
        return ShiftProof(mu: best.mu, method: .cholesky, attempts: attempts, message: note)
    }
}

extension MaxCutProblem {
    /// Ŝ = Diag(d̃) − Q (d̃ = d off T, max_{i∈T} d_i on T) with ρ bounding the rounding of
    /// its diagonal (the off-diagonal −Q is exact).
    func dualMatrix(_ d: [Double], adjacency adj: SymmetricAdjacency) -> DualMatrix {
        var lam = -Double.infinity
        if let t = traceBlock { for i in t { lam = Swift.max(lam, d[i]) } }
        var diag = [Double](repeating: 0, count: order)
        var rho = 0.0
        for i in 0..<order {
            let di = (traceBlock?.contains(i) ?? false) ? lam : d[i]
            let qi = adj.diagonal[i]
            let v = di - qi
            diag[i] = v
            if qi != 0 { rho = Swift.max(rho, Directed.roundingError(v)) }
        }
        return DualMatrix(order: order, diagonal: diag, rowStart: adj.rowStart, columns: adj.columns,
                          values: adj.values.map { -$0 }, rho: rho)
    }

    /// Certifies a dual d (length `order`): proves Diag(d̃ + μ) − Q ⪰ 0 for the smallest shift
    /// μ ≥ 0 it can (d̃ = d outside T, λ = max_{i∈T} d_i on T; see `ShiftProver`), and returns
    ///
    ///     bound = ↑( Σ_{i∉T} d_i + λ + μ·(n − |T| + 1) + formationError ),
    ///
    /// an upper bound on max{xᵀQ_exact x : x_i = ±1 (i ∉ T), ‖x_T‖₂ = 1} whenever the caller's
    /// `formationError` bounds |xᵀ(Q_exact − Q)x| over that set (the rounding made when Q was
    /// formed; 0 when Q is exact). Never throws: bad input gives `.uncertified` with a reason.
    public func certify(dual d: [Double], formationError: Double = 0, options: CertifierOptions = CertifierOptions()) -> SDPCertificate {
        let t0 = monotonicSeconds()
        guard d.count == order else {
            return .refused("the dual has \(d.count) entries, the problem has order \(order)")
        }
        if let i = d.firstIndex(where: { !$0.isFinite }) {
            return .refused("dual entry \(i + 1) is \(d[i]); a certificate needs finite duals")
        }
        guard formationError.isFinite, formationError >= 0 else {
            return .refused("formation error \(formationError) must be finite and ≥ 0")
        }
        let dualValue = dualObjective(d)
        let y = blockDual(d)
        let S = dualMatrix(d, adjacency: q.adjacency())
        let proof = ShiftProver.prove(S, allowShift: true, options: options)
        let secs = monotonicSeconds() - t0
        guard let mu = proof.mu else {
            return SDPCertificate(status: .uncertified, bound: nil, dualValue: dualValue, shifts: [], method: .none,
                                  attempts: proof.attempts, seconds: secs, message: proof.message)
        }
        var b = Directed.sumUp(y)
        b = Directed.addUp(b, Directed.mulUp(mu, traceBound))
        b = Directed.addUp(b, formationError)
        return SDPCertificate(status: proof.method == .cholesky ? .certified : .uncertified, bound: b.isFinite ? b : nil,
                              dualValue: dualValue, shifts: [mu], method: proof.method, attempts: proof.attempts,
                              seconds: secs, message: proof.message)
    }
}

/// D Ŝ D for a diagonal D of powers of two (nil: Ŝ itself), with the row sums of the scaled
/// entry errors as ρ. Scaling by powers of two is exact unless a result is subnormal; then η
/// is added to that entry's error.
func scaledDualMatrix(size: Int, diag: [Double], diagErr: [Double], rows: [Int32], cols: [Int32], vals: [Double], errs: [Double],
                      scale: [Double]?) -> DualMatrix {
    func sc(_ v: Double, _ f: Double) -> (Double, Double) {
        let r = v * f
        return (r, (r != 0 && Swift.abs(r) < 0x1p-1022) || (r == 0 && v != 0) ? Directed.eta : 0)
    }
    var d = diag, errRow = [Double](repeating: 0, count: size)
    var v = vals
    for i in 0..<size {
        let f = scale.map { $0[i] * $0[i] } ?? 1
        let (x, e) = sc(diag[i], f)
        d[i] = x
        errRow[i] = Directed.addUp(errRow[i], Directed.addUp(Directed.mulUp(diagErr[i], f), e))
    }
    for k in vals.indices {
        let i = Int(rows[k]), j = Int(cols[k])
        let f = scale.map { $0[i] * $0[j] } ?? 1
        let (x, e) = sc(vals[k], f)
        v[k] = x
        let err = Directed.addUp(Directed.mulUp(errs[k], f), e)
        errRow[i] = Directed.addUp(errRow[i], err); errRow[j] = Directed.addUp(errRow[j], err)
    }
    let adj = SymmetricMatrix(order: size, sortedRows: rows, columns: cols, values: v).adjacency()
    return DualMatrix(order: size, diagonal: d, rowStart: adj.rowStart, columns: adj.columns, values: adj.values, rho: errRow.max() ?? 0)
}

extension BlockSDP {
    /// Certifies a dual y (one multiplier per constraint, of the maximisation form). Signs that
    /// the constraint does not allow (y > 0 on a row without upper bound, y < 0 without lower
    /// bound) are set to 0 first. For each block the dual matrix Ŝ_b = Σ_k y_k A_kb − C_b is
    /// formed with a running bound on its rounding (ρ_b ≥ ‖S_b − Ŝ_b‖₂ by row sums) and
    /// S_b + μ_b W_b ⪰ 0 is proved for a diagonal weight W_b: the identity (cost μ_b·T_b, T_b
    /// the trace bound) or, when per-index bounds X_ii ≤ β_i are given, W = D⁻² with D_ii the
    /// least power of two ≥ √β_i (cost μ_b·Σ β_i/D_ii²); the cheaper proof is kept, and μ_b = 0
    /// when neither bound is known. Then for every feasible X:
    /// ⟨C, X⟩ ≤ Σ_k y_k⟨A_k, X⟩ + Σ_b μ_b⟨W_b, X_b⟩ ≤ Σ_k β_k(y_k) + Σ_b cost_b, so
    ///
    ///     bound = ↑( Σ_k β_k(y_k) + Σ_b cost_b + Σ_k |y_k| e_k + objectiveError + c₀ )
    ///
    /// bounds the maximum (for a minimisation, −bound of the maximisation form bounds the
    /// minimum from below).
    public func certify(dual yIn: [Double], options: CertifierOptions = CertifierOptions()) -> SDPCertificate {
        let t0 = monotonicSeconds()
        do { try validate() } catch { return .refused("\(error)") }
        guard yIn.count == constraints.count else {
            return .refused("the dual has \(yIn.count) entries, the SDP has \(constraints.count) constraints")
        }
        if let i = yIn.firstIndex(where: { !$0.isFinite }) { return .refused("dual entry \(i + 1) is \(yIn[i]); a certificate needs finite duals") }
        let dualValue = dualObjective(yIn)
        let P = maximizationForm
        var y = yIn
        for (k, c) in P.constraints.enumerated() {
            if c.upper == .infinity && y[k] > 0 { y[k] = 0 }
            if c.lower == -.infinity && y[k] < 0 { y[k] = 0 }
        }
        var shifts: [Double] = []
        var attempts = 0
        var method = SDPCertificate.Method.cholesky
        var messages: [String] = []
        var bound = 0.0
        for (b, size) in P.blockSizes.enumerated() {
            // Contributions (key = i·size + j, i ≤ j) in a deterministic order: the cost first,
            // then constraints in order, entries in storage order.
            var keys: [Int] = [], terms: [Rounded] = []
            let C = P.objective[b]
            for e in C.values.indices {
                keys.append(Int(C.rows[e]) * size + Int(C.columns[e])); terms.append(Rounded(-C.values[e]))
            }
            for (k, c) in P.constraints.enumerated() where y[k] != 0 {
                for t in c.terms where t.block == b {
                    let A = t.matrix
                    for e in A.values.indices {
                        keys.append(Int(A.rows[e]) * size + Int(A.columns[e]))
                        terms.append(Rounded(y[k]) * Rounded(A.values[e]))
                    }
                }
            }
            let order = (0..<keys.count).sorted { keys[$0] != keys[$1] ? keys[$0] < keys[$1] : $0 < $1 }
            var uRows: [Int32] = [], uCols: [Int32] = [], uVals: [Double] = [], uErr: [Double] = []
            var diag = [Double](repeating: 0, count: size), diagErr = diag
            var q = 0
            while q < order.count {
                let key = keys[order[q]]
                var acc = terms[order[q]]
                var r = q + 1
                while r < order.count && keys[order[r]] == key { acc = acc + terms[order[r]]; r += 1 }
                let i = key / size, j = key % size
                if i == j { diag[i] = acc.value; diagErr[i] = acc.error }
                else if acc.value != 0 || acc.error != 0 {
                    uRows.append(Int32(i)); uCols.append(Int32(j)); uVals.append(acc.value); uErr.append(acc.error)
                }
                q = r
            }
            // Diagonal scalings to try: none (cost μ·T, T the trace bound or Σβ_i), and, with
            // per-index bounds X_ii ≤ β_i, D_ii = the least power of two ≥ √β_i (exact scaling;
            // prove D Ŝ D + μ'I ⪰ 0, i.e. S + μ' D⁻² ⪰ 0, cost μ'·Σ β_i / D_ii² ≤ μ'·n).
            let betas = P.diagonalBounds[b]
            let traceFromBetas = betas.map { Directed.sumUp($0) }
            let T: Double? = [P.traceBounds[b], traceFromBetas].compactMap { $0 }.min()
            var candidates: [(scale: [Double]?, weights: Double?)] = [(nil, T)]
            if let betas {
                let dd = betas.map { beta -> Double in
                    guard beta > 0, beta.isFinite else { return 1 }
                    var d = 1.0
                    while d * d < beta { d *= 2 }
                    while d > 0x1p-500 && (d / 2) * (d / 2) >= beta { d /= 2 }
                    return d
                }
                var cost = 0.0
                for i in 0..<size { cost = Directed.addUp(cost, Directed.divUp(betas[i], dd[i] * dd[i])) }
                candidates.append((dd, cost))
            }
            var best: (mu: Double, cost: Double, proof: ShiftProof)? = nil
            var lastProof: ShiftProof? = nil
            for (scale, weight) in candidates {
                if scale == nil && weight == nil && candidates.count > 1 { continue }
                let S = scaledDualMatrix(size: size, diag: diag, diagErr: diagErr, rows: uRows, cols: uCols, vals: uVals, errs: uErr, scale: scale)
                let proof = ShiftProver.prove(S, allowShift: weight != nil, options: options)
                attempts += proof.attempts
                lastProof = proof
                guard let mu = proof.mu else { continue }
                let cost = mu > 0 ? Directed.mulUp(mu, weight ?? .infinity) : 0
                if best == nil || (proof.method == .cholesky && best!.proof.method != .cholesky)
                    || (proof.method == best!.proof.method && cost < best!.cost) {
                    best = (mu, cost, proof)
                }
            }
            guard let chosen = best else {
                messages.append(P.blockSizes.count > 1 ? "block \(b + 1): \(lastProof?.message ?? "")" : (lastProof?.message ?? ""))
                return SDPCertificate(status: .uncertified, bound: nil, dualValue: dualValue, shifts: shifts, method: .none,
                                      attempts: attempts, seconds: monotonicSeconds() - t0, message: messages.joined(separator: "; "))
            }
            messages.append(P.blockSizes.count > 1 ? "block \(b + 1): \(chosen.proof.message)" : chosen.proof.message)
            if chosen.proof.method != .cholesky { method = chosen.proof.method }
            shifts.append(chosen.mu)
            bound = Directed.addUp(bound, chosen.cost)
        }
        for (k, c) in P.constraints.enumerated() where y[k] != 0 {
            bound = Directed.addUp(bound, Directed.mulUp(y[k], y[k] > 0 ? c.upper : c.lower))
            if c.formationError > 0 { bound = Directed.addUp(bound, Directed.mulUp(Swift.abs(y[k]), c.formationError)) }
        }
        bound = Directed.addUp(bound, P.objectiveError)
        bound = Directed.addUp(bound, P.objectiveConstant)
        let proven: Double? = bound.isFinite ? (sense == .maximize ? bound : -bound) : nil
        return SDPCertificate(status: method == .cholesky ? .certified : .uncertified, bound: proven, dualValue: dualValue,
                              shifts: shifts, method: method, attempts: attempts, seconds: monotonicSeconds() - t0,
                              message: messages.joined(separator: "; "))
    }
}
