import Foundation
import LipControl

/// The floating-point Cholesky factorisation used as a proof of positive definiteness.
///
/// Algorithm (a standard Cholesky, so the classical rounding analysis applies): every entry of
/// the factor is computed as  l_jj = √(b_jj − Σ_k l_jk²)  and  l_ij = (b_ij − Σ_k l_ik l_jk) / l_jj
/// (a true division, no reciprocal), where each sum is evaluated in *some* order with
/// intermediate roundings (blocked partial sums, SIMD lanes, a sum subtracted at once). Higham
/// (Accuracy and Stability, Lemma 8.4 and Theorem 10.3) shows that for any such order the
/// computed factor R̂ satisfies R̂ᵀR̂ = B + ΔB with |ΔB| ≤ γ_{n+1}|R̂ᵀ||R̂| whenever the
/// factorisation runs to completion (all pivots > 0). With ‖r_j‖² ≤ b_jj / (1 − γ_{n+1}) this
/// gives ‖ΔB‖₂ ≤ γ_{n+1}/(1 − γ_{n+1}) · tr(B), hence λ_min(B) ≥ −γ_{n+1}/(1 − γ_{n+1})·tr(B).
/// Rump ("Verification of positive definiteness", BIT 2006) proves the same conclusion with
/// the smaller constant ½γ_{n+1}·tr(B) and adds 4ηn(2(n+1) + max b_ii) for underflow; the
/// caller uses the larger of the two trace constants plus Rump's underflow term, so the proof
/// holds by either argument.
///
/// Ordering: a symmetric permutation does not change positive definiteness. The rows of a
/// greedy maximal independent set I of the sparsity graph (no off-diagonal entry inside I,
/// chosen by increasing degree, then index) come first: their part of the factor is diagonal
/// (the products skipped there are exact zeros), the panel below is b_ri / l_ii, and the rest R
/// is updated with the panel's Gram matrix and factored densely (right-looking, blocks of
/// 64 columns). For the bipartite Shor matrices this leaves a dense part of order
/// min(n_0, #hidden) + 1 instead of n.
struct CholeskyPlan: Sendable {
    let order: Int
    /// Independent rows first, then the rest (original indices, each part ascending).
    let independent: [Int]
    let rest: [Int]

    init(order n: Int, rowStart: [Int], columns: [Int32]) {
        order = n
        var deg = [Int](repeating: 0, count: n)
        for i in 0..<n { deg[i] = rowStart[i + 1] - rowStart[i] }
        let byDegree = (0..<n).sorted { deg[$0] != deg[$1] ? deg[$0] < deg[$1] : $0 < $1 }
        var state = [UInt8](repeating: 0, count: n)   // 0 free, 1 chosen, 2 blocked
        for v in byDegree where state[v] == 0 {
            state[v] = 1
            for p in rowStart[v]..<rowStart[v + 1] { let u = Int(columns[p]); if state[u] == 0 { state[u] = 2 } }
        }
        independent = (0..<n).filter { state[$0] == 1 }
        rest = (0..<n).filter { state[$0] != 1 }
    }

    /// Bytes of the dense work arrays: |R|² + |R|·|I| doubles.
    var workBytes: Double { 8 * (Double(rest.count) * Double(rest.count) + Double(rest.count) * Double(independent.count)) }
}

enum CholeskyOutcome {
    case success(CholeskyFactor?)
    /// The pivot of row `row` (original index) was `value` ≤ 0 (or not a number).
    case failed(row: Int, value: Double)
    case stopped(StopReason)
}

/// The computed factor in the plan's order, kept only to *estimate* eigenvalues (inverse
/// iteration); the proof never uses it beyond the pivot signs.
struct CholeskyFactor {
    let plan: CholeskyPlan
    let lI: [Double]          // √b_ii of the independent rows
    let panel: [Double]       // nr × ni
    let dense: [Double]       // nr × nr, lower triangle = L_R
    /// x = B⁻¹ b (original indices), by the triangular solves L y = b, Lᵀ x = y.
    func solve(_ b: [Double]) -> [Double] {
        let I = plan.independent, R = plan.rest
        let ni = I.count, nr = R.count
        var yI = [Double](repeating: 0, count: ni), yR = [Double](repeating: 0, count: nr)
        for k in 0..<ni { yI[k] = b[I[k]] / lI[k] }
        for r in 0..<nr {
            var s = b[R[r]]
            for k in 0..<ni { s -= panel[r * ni + k] * yI[k] }
            for c in 0..<r { s -= dense[r * nr + c] * yR[c] }
            yR[r] = s / dense[r * nr + r]
        }
        var xR = [Double](repeating: 0, count: nr)
        var r = nr - 1
        while r >= 0 {
            var s = yR[r]
            for c in (r + 1)..<nr { s -= dense[c * nr + r] * xR[c] }
            xR[r] = s / dense[r * nr + r]
            r -= 1
        }
        var x = [Double](repeating: 0, count: plan.order)
        for k in 0..<ni {
            var s = yI[k]
            for r in 0..<nr { s -= panel[r * ni + k] * xR[r] }
            x[I[k]] = s / lI[k]
        }
        for r in 0..<nr { x[R[r]] = xR[r] }
        return x
    }
}

enum VerifiedCholesky {
    /// Runs the floating-point Cholesky of B (B_ii = `diagonal[i]`, off-diagonal entries from
    /// the CSR arrays, both triangles present and equal) in the order of `plan`, and reports
    /// whether every pivot was > 0. Polls `deadline` once per column block.
    static func run(plan: CholeskyPlan, diagonal: [Double], rowStart: [Int], columns: [Int32], values: [Double],
                    deadline: Deadline, keepFactor: Bool = false) -> CholeskyOutcome {
        let n = plan.order
        let I = plan.independent, R = plan.rest
        let ni = I.count, nr = R.count
        var pos = [Int](repeating: -1, count: n)       // index inside I (for I rows) or R
        for (k, v) in I.enumerated() { pos[v] = k }
        for (k, v) in R.enumerated() { pos[v] = k }
        // 1. Independent rows: l_ii = √b_ii.
        var lI = [Double](repeating: 0, count: ni)
        for (k, v) in I.enumerated() {
            let p = diagonal[v]
            guard p > 0, p.isFinite else { return .failed(row: v, value: p) }
            lI[k] = p.squareRoot()
        }
        if nr == 0 { return .success(keepFactor ? CholeskyFactor(plan: plan, lI: lI, panel: [], dense: []) : nil) }
        // 2. Dense part D (nr × nr, row-major, lower triangle used) with the original entries,
        //    and the panel P (nr × ni) = b_ri / l_ii.
        var D = [Double](repeating: 0, count: nr * nr)
        var P = [Double](repeating: 0, count: nr * ni)
        var rowNonzero = [Int](repeating: 0, count: nr)
        var isI = [Bool](repeating: false, count: n)
        for v in I { isI[v] = true }
        for (r, v) in R.enumerated() {
            D[r * nr + r] = diagonal[v]
            for p in rowStart[v]..<rowStart[v + 1] {
                let u = Int(columns[p])
                if isI[u] { P[r * ni + pos[u]] = values[p] / lI[pos[u]]; rowNonzero[r] += 1 }
                else if pos[u] < r { D[r * nr + pos[u]] = values[p] }
            }
        }
        if let s = deadline.stopReason { return .stopped(s) }
        // 3. D −= P Pᵀ (lower triangle). Dense rows: contiguous dot products; sparse rows: scatter.
        let nnzP = rowNonzero.reduce(0, +)
        if ni > 0 && nnzP > 0 {
            if Double(nnzP) > 0.3 * Double(nr) * Double(ni) {
                D.withUnsafeMutableBufferPointer { Dp in
                    P.withUnsafeBufferPointer { Pp in
                        let base = Pp.baseAddress!
                        for r in 0..<nr {
                            let pr = base + r * ni
                            var s = 0
                            while s + 1 <= r {
                                let (a, b) = dot2(pr, base + s * ni, base + (s + 1) * ni, ni)
                                Dp[r * nr + s] -= a; Dp[r * nr + s + 1] -= b
                                s += 2
                            }
                            if s <= r { Dp[r * nr + s] -= dot1(pr, base + s * ni, ni) }
                        }
                    }
                }
            } else {
                // sparse rows of P
                var idx = [[Int32]](repeating: [], count: nr), val = [[Double]](repeating: [], count: nr)
                for r in 0..<nr {
                    for k in 0..<ni where P[r * ni + k] != 0 { idx[r].append(Int32(k)); val[r].append(P[r * ni + k]) }
                }
                var w = [Double](repeating: 0, count: ni)
                for r in 0..<nr {
                    for (q, k) in idx[r].enumerated() { w[Int(k)] = val[r][q] }
                    for s in 0...r where !idx[s].isEmpty {
                        var acc = 0.0
                        for (q, k) in idx[s].enumerated() { acc += val[s][q] * w[Int(k)] }
                        D[r * nr + s] -= acc
                    }
                    for k in idx[r] { w[Int(k)] = 0 }
                }
            }
        }
        if !keepFactor { P = [] }
        // 4. Dense right-looking blocked Cholesky of D.
        let out = denseCholesky(&D, nr, rowOf: { R[$0] }, deadline: deadline)
        if case .success = out, keepFactor { return .success(CholeskyFactor(plan: plan, lI: lI, panel: P, dense: D)) }
        return out
    }

    /// In-place Cholesky of the lower triangle of the row-major m × m matrix A.
    static func denseCholesky(_ A: inout [Double], _ m: Int, rowOf: (Int) -> Int, deadline: Deadline) -> CholeskyOutcome {
        let nb = 64
        return A.withUnsafeMutableBufferPointer { Ab -> CholeskyOutcome in
            let a = Ab.baseAddress!
            var k0 = 0
            while k0 < m {
                let k1 = Swift.min(k0 + nb, m)
                // (a) diagonal block
                for j in k0..<k1 {
                    let rj = a + j * m
                    var p = rj[j]
                    for k in k0..<j { p -= rj[k] * rj[k] }
                    guard p > 0, p.isFinite else { return .failed(row: rowOf(j), value: p) }
                    let ljj = p.squareRoot()
                    rj[j] = ljj
                    for i in (j + 1)..<k1 {
                        let ri = a + i * m
                        var s = ri[j]
                        for k in k0..<j { s -= ri[k] * rj[k] }
                        ri[j] = s / ljj
                    }
                }
                // (b) panel rows below the block
                if k1 < m {
                    for i in k1..<m {
                        let ri = a + i * m
                        for j in k0..<k1 {
                            let rj = a + j * m
                            var s = ri[j]
                            for k in k0..<j { s -= ri[k] * rj[k] }
                            ri[j] = s / rj[j]
                        }
                    }
                    // (c) trailing update A[i][j] −= Σ_{k∈[k0,k1)} L[i][k] L[j][k], j ≤ i
                    let len = k1 - k0
                    var i = k1
                    while i < m {
                        let ri = a + i * m + k0
                        if i + 1 < m {
                            let ri1 = a + (i + 1) * m + k0
                            var j = k1
                            while j + 1 <= i {
                                let (x00, x01, x10, x11) = dot2x2(ri, ri1, a + j * m + k0, a + (j + 1) * m + k0, len)
                                a[i * m + j] -= x00; a[i * m + j + 1] -= x01
                                a[(i + 1) * m + j] -= x10; a[(i + 1) * m + j + 1] -= x11
                                j += 2
                            }
                            // j == i (i − k1 even) or j == i + 1
                            if j == i {
                                let (x00, _, x10, x11) = dot2x2(ri, ri1, a + i * m + k0, a + (i + 1) * m + k0, len)
                                a[i * m + i] -= x00
                                a[(i + 1) * m + i] -= x10; a[(i + 1) * m + i + 1] -= x11
                            } else {
                                a[(i + 1) * m + i + 1] -= dot1(ri1, ri1, len)
                            }
                            i += 2
                        } else {
                            var j = k1
                            while j + 1 <= i {
                                let (x, y) = dot2(ri, a + j * m + k0, a + (j + 1) * m + k0, len)
                                a[i * m + j] -= x; a[i * m + j + 1] -= y
                                j += 2
                            }
                            if j <= i { a[i * m + j] -= dot1(ri, a + j * m + k0, len) }
                            i += 1
                        }
                    }
                }
                if let s = deadline.stopReason { return .stopped(s) }
                k0 = k1
            }
            return .success(nil)
        }
    }

    // MARK: kernels (SIMD2 lanes; any summation order is covered by the analysis)

    @inline(__always) static func load2(_ p: UnsafePointer<Double>) -> SIMD2<Double> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD2<Double>.self)
    }

    @inline(__always) static func dot1(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ n: Int) -> Double {
        var s0 = SIMD2<Double>(), s1 = SIMD2<Double>()
        var k = 0
        while k + 4 <= n {
            s0 += load2(x + k) * load2(y + k)
            s1 += load2(x + k + 2) * load2(y + k + 2)
            k += 4
        }
        var t = (s0 + s1).sum()
        while k < n { t += x[k] * y[k]; k += 1 }
        return t
    }

    @inline(__always) static func dot1(_ x: UnsafeMutablePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int) -> Double {
        dot1(UnsafePointer(x), UnsafePointer(y), n)
    }

    /// (x·y, x·z)
    @inline(__always) static func dot2(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ z: UnsafePointer<Double>, _ n: Int) -> (Double, Double) {
        var a = SIMD2<Double>(), b = SIMD2<Double>()
        var k = 0
        while k + 2 <= n {
            let xv = load2(x + k)
            a += xv * load2(y + k); b += xv * load2(z + k)
            k += 2
        }
        var s = a.sum(), t = b.sum()
        while k < n { s += x[k] * y[k]; t += x[k] * z[k]; k += 1 }
        return (s, t)
    }

    @inline(__always) static func dot2(_ x: UnsafeMutablePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ z: UnsafeMutablePointer<Double>, _ n: Int) -> (Double, Double) {
        dot2(UnsafePointer(x), UnsafePointer(y), UnsafePointer(z), n)
    }

    /// (x0·y0, x0·y1, x1·y0, x1·y1)
    @inline(__always) static func dot2x2(_ x0: UnsafeMutablePointer<Double>, _ x1: UnsafeMutablePointer<Double>,
                                         _ y0: UnsafeMutablePointer<Double>, _ y1: UnsafeMutablePointer<Double>,
                                         _ n: Int) -> (Double, Double, Double, Double) {
        var a = SIMD2<Double>(), b = SIMD2<Double>(), c = SIMD2<Double>(), d = SIMD2<Double>()
        var k = 0
        while k + 2 <= n {
            let u0 = load2(x0 + k), u1 = load2(x1 + k), v0 = load2(y0 + k), v1 = load2(y1 + k)
            a += u0 * v0; b += u0 * v1; c += u1 * v0; d += u1 * v1
            k += 2
        }
        var s00 = a.sum(), s01 = b.sum(), s10 = c.sum(), s11 = d.sum()
        while k < n {
            s00 += x0[k] * y0[k]; s01 += x0[k] * y1[k]; s10 += x1[k] * y0[k]; s11 += x1[k] * y1[k]
            k += 1
        }
        return (s00, s01, s10, s11)
    }
}
