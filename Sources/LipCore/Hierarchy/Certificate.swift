import Foundation
import LipLP

/// The inverse of the Krivine reduction: turns an `LPResult` into a `LipschitzBound` with a
/// certified bound.
///
/// Soundness (docs/METHOD.md §4). Let λ be the solver's λ*, c = max(c*, 0) and
/// r = λ − p − Σ_h c_h h in the g-basis. On the box, every g-monomial m lies in [0, 1]
/// and every product h is ≥ 0, so
///
///     p = λ − Σ c_h h − r ≤ λ − Σ_m r_m m ≤ λ − r_1 + Σ_{m ≠ 1} max(0, −r_m).
///
/// This holds for any λ and any c ≥ 0, so the number is a theorem whether or not the LP was
/// solved to optimality; the LP's quality only decides how tight it is.
///
/// Rounding. −r_m = (A x)_m − b_m with x = (λ, c). The row sums are computed in double with
/// the standard bound |fl(Σ a_i x_i) − Σ a_i x_i| ≤ γ_{n+1} Σ |a_i x_i| (γ_n = n·u/(1 − n·u),
/// u = 2⁻⁵³; the factor 1.01 covers the denominator and the rounding of Σ|a_i x_i| itself),
/// plus the error bound of the g-basis coefficient b_m from the substitution, plus
/// n·(smallest subnormal) for underflow. Each max(0, ·) is taken of the upper bound of −r_m,
/// and the final sum of nonnegative terms gets its own γ bound and is rounded up by one ulp.
/// So rounding can only make the reported number larger. (The entries a_i are integers,
/// exact in double; products with non-box constraints carry an error bound per column,
/// added as Σ c_h·err_h.)
public struct KrivineInverse: Sendable {
    public let lp: LinearProgram
    let rhsError: [Double]
    let products: ProductList
    let constraintProducts: [String]
    let constraintError: [Double]
    let variableNames: [String]
    let lower: [Double]
    let upper: [Double]
    let scale: [Double]
    public let degree: Int
    public let family: String
    public let pattern: String
    public let buildSeconds: Double
    let certificateSize: Int
    /// The g-monomial of every LP row (row i is rowKeys[i]).
    let rowKeys: [MonoKey]

    init(lp: LinearProgram, rhsError: [Double], products: ProductList, constraintProducts: [String],
         constraintError: [Double], problem: LipschitzProblem, scale: [Double], degree: Int, family: String,
         pattern: String, buildSeconds: Double, certificateSize: Int, rowKeys: [MonoKey]) {
        self.lp = lp; self.rhsError = rhsError; self.products = products
        self.constraintProducts = constraintProducts; self.constraintError = constraintError
        self.variableNames = problem.variableNames; self.lower = problem.lower; self.upper = problem.upper
        self.scale = scale; self.degree = degree; self.family = family; self.pattern = pattern
        self.buildSeconds = buildSeconds; self.certificateSize = certificateSize; self.rowKeys = rowKeys
    }

    /// The certified bound for a point (λ, c) of the LP: λ* = x[0], c = x[1...].
    /// Returns nil when the point has the wrong length or non-finite entries.
    public func certify(_ x: [Double]) -> (bound: Double, lambda: Double)? {
        let nCols = lp.columnCount, nRows = lp.rowCount
        guard x.count == nCols, x.allSatisfy({ $0.isFinite }) else { return nil }
        var v = x
        for j in 1..<nCols where v[j] < 0 { v[j] = 0 }
        var sum = [Double](repeating: 0, count: nRows)
        var abs = [Double](repeating: 0, count: nRows)
        var cnt = [Int32](repeating: 0, count: nRows)
        lp.entryRow.withUnsafeBufferPointer { er in
            lp.entryColumn.withUnsafeBufferPointer { ec in
                lp.entryValue.withUnsafeBufferPointer { ev in
                    for t in 0..<ev.count {
                        let r = Int(er[t])
                        let term = ev[t] * v[Int(ec[t])]
                        sum[r] += term
                        abs[r] += Swift.abs(term)
                        cnt[r] += 1
                    }
                }
            }
        }
        let u = unitRoundoff, tiny = Double.leastNonzeroMagnitude
        var total = v[0], totalAbs = Swift.abs(v[0]), nTerms = 1.0
        for r in 0..<nRows {
            let b = lp.rowLower[r]
            let n = Double(cnt[r]) + 2
            let d = sum[r] - b
            let err = 1.01 * n * u * (abs[r] + Swift.abs(b) + Swift.abs(d)) + rhsError[r] + n * tiny
            let up = d + err          // ≥ the exact −r_m (+ one more rounding, in err's slack)
            let upRounded = up + 2 * u * Swift.abs(up)
            let contrib = r == 0 ? upRounded : max(0, upRounded)
            if contrib != 0 { total += contrib; totalAbs += Swift.abs(contrib); nTerms += 1 }
        }
        // Columns with inexact (non-box constraint) products.
        let first = 1 + products.count
        for (q, e) in constraintError.enumerated() where e > 0 {
            let c = v[first + q] * e * (1 + 4 * u)
            total += c; totalAbs += c; nTerms += 1
        }
        let bound = (total + 1.01 * (nTerms + 1) * u * totalAbs + tiny).nextUp
        return (bound, x[0])
    }

    /// The solver's answer as a `LipschitzBound`.
    public func invert(_ result: LPResult, certifySeconds: Double? = nil) -> LipschitzBound {
        let t0 = Date()
        var b = LipschitzBound(status: result.status, certifiedBound: nil, lpValue: nil, correction: nil,
                               degree: degree, family: family, pattern: pattern,
                               rows: lp.rowCount, columns: lp.columnCount, nonzeros: lp.nonzeroCount,
                               buildSeconds: buildSeconds, solveSeconds: result.seconds, certifySeconds: 0,
                               solverName: result.solver, solverMessage: result.message, certificate: [])
        let hasPoint: Bool
        switch result.status {
        case .optimal, .timeLimit, .iterationLimit, .numericalError: hasPoint = result.primal.count == lp.columnCount
        default: hasPoint = false
        }
        if hasPoint, let c = certify(result.primal) {
            b.certifiedBound = c.bound
            b.lpValue = c.lambda
            b.correction = c.bound - c.lambda
            b.certificate = topTerms(result.primal)
        }
        b.certifySeconds = certifySeconds ?? Date().timeIntervalSince(t0)
        return b
    }

    func topTerms(_ x: [Double]) -> [CertificateTerm] {
        var idx = (1..<x.count).filter { x[$0] > 0 }
        idx.sort { x[$0] > x[$1] }
        return idx.prefix(certificateSize).map { CertificateTerm(coefficient: x[$0], product: describeColumn($0)) }
    }

    /// The product of LP column j (1-based over products; 0 is λ), in the user's variables:
    /// g = (x − lo)/(hi − lo) is printed as `x` when the box is [0, 1], else `(x+1)/2` style.
    public func describeColumn(_ j: Int) -> String {
        if j == 0 { return "lambda" }
        let h = j - 1
        if h >= products.count { return constraintProducts[h - products.count] }
        let r = products.factors(h)
        if r.isEmpty { return "1" }
        var parts: [String] = []
        for f in r {
            let v = Int(products.vars[f])
            let name = v < variableNames.count ? variableNames[v] : "x\(v + 1)"
            let lo = lower[v], hi = upper[v], w = scale[v]
            let g: String, omg: String
            if lo == 0 && w == 1 { g = name; omg = "(1-\(name))" }
            else {
                g = "(\(name)\(lo <= 0 ? "+" : "-")\(num(Swift.abs(lo))))/\(num(w))"
                omg = "(\(num(hi))-\(name))/\(num(w))"
            }
            let a = Int(products.alpha[f]), bb = Int(products.beta[f])
            if a > 0 { parts.append(a == 1 ? g : "\(g)^\(a)") }
            if bb > 0 { parts.append(bb == 1 ? omg : "\(omg)^\(bb)") }
        }
        return parts.joined(separator: "*")
    }

    private func num(_ x: Double) -> String {
        x == x.rounded() && Swift.abs(x) < 1e15 ? String(Int(x)) : "\(x)"
    }
}
