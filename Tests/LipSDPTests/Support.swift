import LipTestSupport
import Foundation
@testable import LipSDP

/// Eigenvalues of a dense symmetric matrix by the cyclic Jacobi method (test oracle,
/// independent of the Cholesky code under test). Accurate to a few ulps of ‖A‖.
func jacobiEigenvalues(_ A0: [Double], _ n: Int) -> [Double] {
    var A = A0
    for _ in 0..<100 {
        var off = 0.0
        for i in 0..<n { for j in 0..<n where i != j { off += A[i * n + j] * A[i * n + j] } }
        if off < 1e-30 { break }
        for p in 0..<n {
            for q in (p + 1)..<n where A[p * n + q] != 0 {
                let app = A[p * n + p], aqq = A[q * n + q], apq = A[p * n + q]
                let theta = (aqq - app) / (2 * apq)
                let t = (theta >= 0 ? 1.0 : -1.0) / (Swift.abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<n {
                    let akp = A[k * n + p], akq = A[k * n + q]
                    A[k * n + p] = c * akp - s * akq
                    A[k * n + q] = s * akp + c * akq
                }
                for k in 0..<n {
                    let apk = A[p * n + k], aqk = A[q * n + k]
                    A[p * n + k] = c * apk - s * aqk
                    A[q * n + k] = s * apk + c * aqk
                }
            }
        }
    }
    return (0..<n).map { A[$0 * n + $0] }.sorted()
}

/// A random symmetric Q with zero diagonal (density in (0, 1]).
func randomQ(order n: Int, density: Double, seed: UInt64) throws -> SymmetricMatrix {
    var r = SplitMix(seed)
    var e: [(Int, Int, Double)] = []
    for i in 0..<n { for j in (i + 1)..<n where r.uniform(0, 1) < density { e.append((i, j, r.uniform(-1, 1))) } }
    return try SymmetricMatrix(order: n, entries: e)
}

/// max xᵀQx over x ∈ {±1}ⁿ by enumeration (oracle; n ≤ 20).
func bruteForceMaxCut(_ Q: SymmetricMatrix) -> Double {
    let n = Q.order
    let D = Q.dense()
    var best = -Double.infinity
    for mask in 0..<(1 << (n - 1)) {   // x_{n−1} = +1 by symmetry
        var x = [Double](repeating: 1, count: n)
        for i in 0..<(n - 1) where (mask >> i) & 1 == 1 { x[i] = -1 }
        var v = 0.0
        for i in 0..<n { var s = 0.0; for j in 0..<n { s += D[i * n + j] * x[j] }; v += x[i] * s }
        best = Swift.max(best, v)
    }
    return best
}
