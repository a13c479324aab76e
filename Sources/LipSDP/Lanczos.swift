import Foundation

/// An estimate (not a bound) of the smallest eigenvalue of a sparse symmetric matrix
/// S = Diag(diagonal) + off-diagonal part, by the Lanczos process with full
/// reorthogonalisation (`steps` ≤ order matrix–vector products, deterministic start).
/// The smallest Ritz value θ ≥ λ_min(S); it converges to λ_min from above. The certificate
/// only uses it to choose a shift to try; the proof is the verified Cholesky.
struct LanczosEstimate {
    static func smallestEigenvalue(order n: Int, diagonal: [Double], rowStart: [Int], columns: [Int32], values: [Double],
                                   steps: Int = 200, shouldStop: () -> Bool = { false }) -> Double {
        if n == 0 { return 0 }
        return ritzValues(order: n, steps: steps, shouldStop: shouldStop) { x, y in
            for i in 0..<n {
                var s = diagonal[i] * x[i]
                for p in rowStart[i]..<rowStart[i + 1] { s += values[p] * x[Int(columns[p])] }
                y[i] = s
            }
        }.min
    }

    /// The extreme Ritz values (smallest, largest) of a symmetric operator after `steps`
    /// Lanczos steps with full reorthogonalisation from a fixed pseudo-random start.
    static func ritzValues(order n: Int, steps: Int, shouldStop: () -> Bool = { false },
                           apply: (UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Void) -> (min: Double, max: Double) {
        if n == 0 { return (0, 0) }
        let m = Swift.min(steps, n)
        var Qb = [Double](repeating: 0, count: m * n)
        var alpha = [Double](), beta = [Double]()
        var w = [Double](repeating: 0, count: n)
        // Deterministic start: a fixed pseudo-random vector (a constant vector could be
        // orthogonal to the wanted eigenvector on structured matrices).
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var nrm = 0.0
        for i in 0..<n {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let v = Double(Int64(bitPattern: state >> 11) - (1 << 52)) / Double(1 << 52)
            Qb[i] = v; nrm += v * v
        }
        nrm = nrm.squareRoot()
        for i in 0..<n { Qb[i] /= nrm }
        var k = 0
        Qb.withUnsafeMutableBufferPointer { Q in
            w.withUnsafeMutableBufferPointer { W in
                while k < m {
                    let qk = Q.baseAddress! + k * n
                    apply(UnsafePointer(qk), W.baseAddress!)
                    var a = 0.0
                    for i in 0..<n { a += W[i] * qk[i] }
                    alpha.append(a)
                    // full reorthogonalisation (twice is enough)
                    for _ in 0..<2 {
                        for j in 0...k {
                            let qj = Q.baseAddress! + j * n
                            var c = 0.0
                            for i in 0..<n { c += W[i] * qj[i] }
                            for i in 0..<n { W[i] -= c * qj[i] }
                        }
                    }
                    var b = 0.0
                    for i in 0..<n { b += W[i] * W[i] }
                    b = b.squareRoot()
                    k += 1
                    if k == m || !(b > 1e-300) || shouldStop() { break }
                    if b <= 1e-14 * Swift.max(Swift.abs(a), 1e-300) { break }
                    beta.append(b)
                    let qn = Q.baseAddress! + k * n
                    for i in 0..<n { qn[i] = W[i] / b }
                }
            }
        }
        let negB = beta
        let lo = smallestTridiagonalEigenvalue(alpha, beta)
        let hi = -smallestTridiagonalEigenvalue(alpha.map { -$0 }, negB)
        return (lo, hi)
    }

    /// Smallest eigenvalue of the symmetric tridiagonal matrix (diagonal a, off-diagonal b)
    /// by bisection on Sturm counts.
    static func smallestTridiagonalEigenvalue(_ a: [Double], _ b: [Double]) -> Double {
        let n = a.count
        if n == 0 { return 0 }
        var lo = Double.infinity, hi = -Double.infinity
        for i in 0..<n {
            let r = (i > 0 ? Swift.abs(b[i - 1]) : 0) + (i < n - 1 && i < b.count ? Swift.abs(b[i]) : 0)
            lo = Swift.min(lo, a[i] - r); hi = Swift.max(hi, a[i] + r)
        }
        func countBelow(_ x: Double) -> Int {
            var c = 0, d = 1.0
            for i in 0..<n {
                let bb = i > 0 && i - 1 < b.count ? b[i - 1] * b[i - 1] : 0
                d = a[i] - x - (i > 0 ? bb / d : 0)
                if d == 0 { d = -1e-300 }
                if d < 0 { c += 1 }
            }
            return c
        }
        for _ in 0..<200 {
            let mid = lo + (hi - lo) / 2
            if mid <= lo || mid >= hi { break }
            if countBelow(mid) >= 1 { hi = mid } else { lo = mid }
        }
        return hi
    }
}
