import Foundation

/// Projected ascent on the gradient norm φ(x) = ‖∇f(x)‖_* over a box.
///
/// For smooth activations φ is differentiated directly. For activations with kinks (ReLU, leaky
/// ReLU, ELU with α ≠ 1) ∇f is piecewise constant, so the derivative factors are smoothed:
/// σ' is replaced by σ'_τ(z) = s₀ + Σ_k (s_{k+1} − s_k)·sigmoid((z − kink_k)/τ) (the derivative
/// of a softplus-smoothed σ), with τ shrinking during the run, so neurons near their kink pull x
/// towards the side that increases the norm. With t a subgradient of the dual norm at the smoothed
/// gradient g_τ (tᵀg_τ = ‖g_τ‖_*), the ascent direction is
///
///     ∇_x (tᵀ g_τ(x)) = Σ_l J_lᵀ (σ''_τ(z_l) ⊙ α_l ⊙ β_l),
///
/// α_l the forward images of t and β_l the backward vectors (both through the smoothed factors),
/// J_l = ∂z_l/∂x, accumulated by one more backward pass. Steps are sign steps scaled by the box
/// width (projected onto the box), as in ℓ∞ projected gradient ascent. The true ‖∇f(x)‖_* is
/// evaluated at every iterate; the best points are returned for certification.
struct GradientAscent {
    let net: Network
    let norm: WitnessNorm
    let domain: WitnessDomain
    let profiles: [WitnessActivationProfile]

    init(net: Network, norm: WitnessNorm, domain: WitnessDomain, profiles: [WitnessActivationProfile]) {
        self.net = net; self.norm = norm; self.domain = domain; self.profiles = profiles
    }

    /// Pre-activations of the hidden layers (true activations).
    func preActivations(_ x: [Double]) -> [[Double]] {
        var a = x, zs: [[Double]] = []
        for l in 0..<(net.depth - 1) {
            let L = net.layers[l]
            var z = L.matrix.multiply(a)
            if let b = L.bias { for i in z.indices { z[i] += b[i] } }
            zs.append(z)
            let act = L.activation!
            a = z.map { act.value($0) }
        }
        return zs
    }

    /// σ'_τ and σ''_τ of layer l at z (τ ≤ 0: the activation's own σ' and σ'' where smooth).
    @inline(__always) func smoothed(_ l: Int, _ z: Double, _ tau: Double) -> (Double, Double) {
        let p = profiles[l]
        if let s = p.slopes {
            var d1 = s[0], d2 = 0.0
            for (k, kink) in p.kinks.enumerated() {
                let jump = s[k + 1] - s[k]
                let u = (z - kink) / tau
                d1 += jump * sigmoidValue(u)
                d2 += jump * sigmoidDerivative(u) / tau
            }
            return (d1, d2)
        }
        var (d1, d2) = p.smooth!(z)
        // A jump of σ' at a kink (ELU with α ≠ 1): smooth it too.
        for kink in p.kinks {
            let below = p.smooth!(kink.nextDown).d1, above = p.smooth!(kink).d1
            let jump = above - below
            if jump != 0 {
                let u = (z - kink) / tau
                let side = z >= kink ? 1.0 : 0.0
                d1 += jump * (sigmoidValue(u) - side)
                d2 += jump * sigmoidDerivative(u) / tau
            }
        }
        return (d1, d2)
    }

    /// The true ‖∇f(x)‖_* (floating point) given the pre-activations.
    func trueValue(_ zs: [[Double]]) -> Double {
        var delta = net.outputWeights
        var l = net.depth - 1
        while l >= 1 {
            let act = net.layers[l - 1].activation!
            for j in delta.indices { delta[j] *= act.derivative(zs[l - 1][j]) }
            delta = net.layers[l - 1].matrix.transposeMultiply(delta)
            l -= 1
        }
        return norm.dual(delta)
    }

    /// The ascent direction ∇_x(tᵀg_τ(x)) at pre-activations zs; per-layer temperatures tau.
    func direction(_ zs: [[Double]], tau: [Double]) -> [Double] {
        let h = net.depth - 1
        var s1: [[Double]] = [], s2: [[Double]] = []
        for l in 0..<h {
            var a = [Double](repeating: 0, count: zs[l].count), b = a
            for j in zs[l].indices { let (p, q) = smoothed(l, zs[l][j], tau[l]); a[j] = p; b[j] = q }
            s1.append(a); s2.append(b)
        }
        // β_l (smoothed), l = h−1 … 0.
        var beta = [[Double]](repeating: [], count: h)
        var v = net.outputWeights
        var l = h - 1
        while l >= 0 {
            beta[l] = v
            var g = v
            for j in g.indices { g[j] *= s1[l][j] }
            v = net.layers[l].matrix.transposeMultiply(g)
            l -= 1
        }
        let t = norm.subgradient(v)   // v = g_τ
        // α_l (smoothed forward images of t).
        var alpha: [[Double]] = []
        var a = t
        for l in 0..<h {
            let z = net.layers[l].matrix.multiply(a)
            alpha.append(z)
            a = z.indices.map { z[$0] * s1[l][$0] }
        }
        // ∂φ/∂x = Σ_l J_lᵀ u_l with u_l = σ''_τ(z_l) ⊙ α_l ⊙ β_l, summed by Horner's rule from the
        // top hidden layer down.
        var q = [Double](repeating: 0, count: zs[h - 1].count)
        l = h - 1
        while l >= 0 {
            for j in q.indices { q[j] += s2[l][j] * alpha[l][j] * beta[l][j] }
            if l == 0 { break }
            // J_l = W_l diag(s_{l−1}) J_{l−1}, so J_lᵀ q = J_{l−1}ᵀ (s_{l−1} ⊙ W_lᵀ q).
            let back = net.layers[l].matrix.transposeMultiply(q)
            q = back.indices.map { back[$0] * s1[l - 1][$0] }
            l -= 1
        }
        return net.layers[0].matrix.transposeMultiply(q)
    }

    /// One run from x0: `steps` sign steps of size η_k · width (η decays from `stepSize` to
    /// stepSize/20), τ_l decays geometrically from 0.5·scale_l to 0.005·scale_l (scale_l the RMS
    /// of z_l at x0). Returns the best iterates by true value (at most `keep`, best first).
    func run(from x0: [Double], steps: Int, stepSize: Double, keep: Int, shouldStop: () -> Bool) -> [(value: Double, x: [Double])] {
        var x = domain.clamp(x0)
        let width = (0..<x.count).map { domain.upper[$0] - domain.lower[$0] }
        let z0 = preActivations(x)
        let scale = z0.map { z -> Double in
            let r = (z.reduce(0) { $0 + $1 * $1 } / Double(Swift.max(1, z.count))).squareRoot()
            return r > 0 && r.isFinite ? r : 1
        }
        var best: [(value: Double, x: [Double])] = []
        func record(_ v: Double, _ p: [Double]) {
            guard v.isFinite else { return }
            if best.count < keep || v > best[best.count - 1].value {
                if best.contains(where: { $0.value == v }) { return }
                best.append((v, p)); best.sort { $0.value > $1.value }
                if best.count > keep { best.removeLast() }
            }
        }
        var zs = z0
        for k in 0...steps {
            record(trueValue(zs), x)
            if k == steps || shouldStop() { break }
            let frac = Double(k) / Double(Swift.max(1, steps - 1))
            let tauRel = 0.5 * Foundation.pow(0.01, frac)
            let eta = stepSize * (1 - 0.95 * frac)
            let d = direction(zs, tau: scale.map { $0 * tauRel })
            var moved = false
            for i in x.indices where d[i] != 0 && d[i].isFinite {
                let y = Swift.min(Swift.max(x[i] + (d[i] > 0 ? eta : -eta) * width[i], domain.lower[i]), domain.upper[i])
                if y != x[i] { x[i] = y; moved = true }
            }
            if !moved { record(trueValue(zs), x); break }
            zs = preActivations(x)
        }
        return best
    }
}
