import LipControl
import Foundation

/// The product bound UBP (docs/METHOD.md §5). With A_l = D_l W_l (rows of W_l scaled by
/// m_{l,j} = max(|lo_{l,j}|, |hi_{l,j}|), the largest |σ'| of neuron j) the gradient is
/// ∇f = A_1ᵀ ⋯ A_{d−1}ᵀ (cᵀW_d)ᵀ (up to the signs inside D), so
///
///     L ≤ ‖cᵀW_d‖_* · Π_l ‖A_lᵀ‖_{*→*}
///
/// with the operator norms induced by the dual norm, chosen by the shape of the dual ball:
/// box (ℓ∞ input, dual ℓ1): max row ℓ1 norm of A_l; cross-polytope (ℓ1 input, dual ℓ∞): max
/// column ℓ1 norm; Euclidean ball: the spectral norm, bounded from above by
/// `spectralNormUpperBound`. A user ball B_* lies in its box [lo, hi], so
/// ‖g‖_* = max_{t ∈ B_*} tᵀg ≤ r·‖g‖_1 with r = max_i max(|lo_i|, |hi_i|), and the ℓ1 chain
/// (the box case) bounds ‖g‖_1. Global ranges (the activation's range) unless an input box is
/// given (then IBP ranges, the local UBP). Always an upper bound on L(f); a non-finite result
/// (overflowing weights) is an error.
public func productBound(_ net: Network, norm: Norm, inputBox: (lower: [Double], upper: [Double])? = nil,
                         domain: (lower: Double, upper: Double)? = nil) throws -> Double {
    let ranges = try derivativeRanges(net, inputBox: inputBox, domain: domain)
    var factor = 1.0
    var chain = norm
    if case .constraints(let box, _) = norm.dualBall {
        let b = box(net.inputSize)
        guard b.lower.count == net.inputSize, b.upper.count == net.inputSize,
              b.lower.allSatisfy(\.isFinite), b.upper.allSatisfy(\.isFinite) else {
            throw ProblemError.input("productBound: norm '\(norm.name)' has a dual-ball box that is not \(net.inputSize) finite intervals")
        }
        factor = zip(b.lower, b.upper).reduce(0) { Swift.max($0, Swift.max(Swift.abs($1.0), Swift.abs($1.1))) }
        chain = .linf
    }
    var bound = chain.dualNorm(net.outputWeights)
    for l in 1..<net.depth {
        let W = net.layers[l - 1].matrix
        let m = (0..<W.rows).map { Swift.max(Swift.abs(ranges[l - 1].lo[$0]), Swift.abs(ranges[l - 1].hi[$0])) }
        bound *= operatorNorm(W, rowScale: m, dualBall: chain.dualBall)
    }
    bound *= factor
    // Outward margin for the rounding of the sums and products above.
    let result = bound * (1 + Double(net.depth + 4) * 4 * Double.ulpOfOne * Double(Swift.max(1, net.sizes.max()!)))
    guard result.isFinite else {
        throw ProblemError.input("productBound: the product of the layer norms overflows Double (\(result)); the weights are too large")
    }
    return result
}

/// ‖(D W)ᵀ‖ in the operator norm induced by the dual norm of a built-in ball.
func operatorNorm(_ W: SparseMatrix, rowScale m: [Double], dualBall: DualBall) -> Double {
    switch dualBall {
    case .box, .constraints:
        var best = 0.0
        for i in 0..<W.rows {
            var s = 0.0
            for p in W.rowStart[i]..<W.rowStart[i + 1] { s += Swift.abs(W.values[p]) }
            best = Swift.max(best, m[i] * s)
        }
        return best
    case .crossPolytope:
        var col = [Double](repeating: 0, count: W.cols)
        for i in 0..<W.rows { for p in W.rowStart[i]..<W.rowStart[i + 1] { col[W.columns[p]] += m[i] * Swift.abs(W.values[p]) } }
        return col.max() ?? 0
    case .euclideanBall:
        return spectralNormUpperBound(scaledRows(W, m))
    }
}

func scaledRows(_ W: SparseMatrix, _ m: [Double]) -> SparseMatrix {
    let vs = (0..<W.rows).flatMap { i in (W.rowStart[i]..<W.rowStart[i + 1]).map { W.values[$0] * m[i] } }
    return try! SparseMatrix(rows: W.rows, cols: W.cols, rowStart: W.rowStart, columns: W.columns, values: vs)
}

/// A guaranteed upper bound on the spectral norm ‖A‖₂ = √λ_max(B), B = AAᵀ or AᵀA (the
/// smaller). λ_max(B)^{2^q} ≤ ‖B^{2^q}‖_F ≤ √r · λ_max^{2^q} (r = size), so
/// ‖B^{2^q}‖_F^{1/2^q} overestimates λ_max by at most r^{1/2^{q+1}}; q = 7 repeated
/// squarings (normalised to avoid overflow) give a factor ≤ 1.03 for r ≤ 2000. The result is
/// the minimum of that, ‖A‖_F and √(‖A‖₁‖A‖∞), times a 10⁻⁹ rounding margin.
public func spectralNormUpperBound(_ A: SparseMatrix, squarings q: Int = 7) -> Double {
    var rowSum = [Double](repeating: 0, count: A.rows), colSum = [Double](repeating: 0, count: A.cols), fro = 0.0
    for i in 0..<A.rows {
        for p in A.rowStart[i]..<A.rowStart[i + 1] {
            let a = Swift.abs(A.values[p]); rowSum[i] += a; colSum[A.columns[p]] += a; fro += a * a
        }
    }
    var best = Swift.min(fro.squareRoot(), ((rowSum.max() ?? 0) * (colSum.max() ?? 0)).squareRoot())
    if best == 0 { return 0 }
    let r = Swift.min(A.rows, A.cols)
    if r <= 2000 {
        // Gram matrix B (r × r), dense.
        let D = A.dense()
        var B = [Double](repeating: 0, count: r * r)
        if A.rows <= A.cols {
            for i in 0..<A.rows { for j in i..<A.rows {
                var s = 0.0; for k in 0..<A.cols { s += D[i * A.cols + k] * D[j * A.cols + k] }
                B[i * r + j] = s; B[j * r + i] = s } }
        } else {
            for i in 0..<A.cols { for j in i..<A.cols {
                var s = 0.0; for k in 0..<A.rows { s += D[k * A.cols + i] * D[k * A.cols + j] }
                B[i * r + j] = s; B[j * r + i] = s } }
        }
        // log of the scale: B_true^{2^k} = exp(logScale) · B
        var logScale = 0.0, power = 1.0
        for _ in 0..<q {
            let f = frobenius(B); if f == 0 { return 0 }
            for k in B.indices { B[k] /= f }
            logScale += Foundation.log(f)   // now B_true^power = exp(logScale)·B
            var C = [Double](repeating: 0, count: r * r)
            for i in 0..<r { for k in 0..<r { let b = B[i * r + k]; if b == 0 { continue }
                for j in 0..<r { C[i * r + j] += b * B[k * r + j] } } }
            B = C; logScale *= 2; power *= 2
        }
        let f = frobenius(B)
        let lam = Foundation.exp((logScale + Foundation.log(f)) / power)
        best = Swift.min(best, lam.squareRoot())
    }
    return best * (1 + 1e-9)
}

private func frobenius(_ B: [Double]) -> Double {
    let m = B.reduce(0) { Swift.max($0, Swift.abs($1)) }
    if m == 0 { return 0 }
    var s = 0.0; for x in B { let y = x / m; s += y * y }
    return m * s.squareRoot()
}

/// The sampling lower bound LBS (docs/METHOD.md §5): the largest ‖∇f(x)‖_* over `samples` points
/// drawn uniformly from the box (Xoshiro256StarStar(seed:)), exact gradients by
/// backpropagation. A lower bound on the Lipschitz constant over the box.
public func sampledLowerBound(_ net: Network, norm: Norm, samples: Int, box: (lower: [Double], upper: [Double]),
                              seed: UInt64 = 0) throws -> (value: Double, argmax: [Double]) {
    guard samples >= 1, samples <= 100_000_000 else {
        throw ProblemError.input("sampledLowerBound: samples must be in 1..100000000 (got \(samples))")
    }
    guard box.lower.count == net.inputSize, box.upper.count == net.inputSize else {
        throw ProblemError.input("sampledLowerBound: box has \(box.lower.count)/\(box.upper.count) bounds, the network takes \(net.inputSize) inputs")
    }
    for i in 0..<net.inputSize where !(box.lower[i] <= box.upper[i]) || !box.lower[i].isFinite || !box.upper[i].isFinite {
        throw ProblemError.input("sampledLowerBound: box coordinate \(i) is [\(box.lower[i]), \(box.upper[i])]; need finite lower ≤ upper")
    }
    var rng = Xoshiro256StarStar(seed: seed)
    var best = -Double.infinity, arg = box.lower
    var x = box.lower
    for k in 0..<samples {
        for i in x.indices { x[i] = rng.uniform(box.lower[i], box.upper[i]) }
        let v = norm.dualNorm(try net.gradient(x))
        guard v.isFinite else {
            throw ProblemError.input("sampledLowerBound: the gradient's dual norm is \(v) at a sample point; an activation returned a non-finite value or the weights overflow")
        }
        if v > best { best = v; arg = x }
        if k & 255 == 255 { try StoppedError.check(.none, "sampledLowerBound after \(k + 1) samples") }
    }
    return (best, arg)
}
