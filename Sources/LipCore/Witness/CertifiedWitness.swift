import Foundation

/// How a witness was found.
public enum WitnessSource: String, Sendable, CaseIterable {
    /// The best of LBS's random points.
    case sampled
    /// Projected gradient ascent on ‖∇f‖_* (smoothed for piecewise-linear activations).
    case ascent
    /// Alternating maximisation over activation patterns, LP-checked, and neighbour moves.
    case patterns
    /// A point the user supplied.
    case userPoint = "user_point"
    /// An activation pattern the user supplied (realised by the margin LP).
    case userPattern = "user_pattern"
    /// The incumbent of the exact MIP (its pattern realised by the margin LP).
    case mip
    /// Enumeration of all activation patterns (tiny networks).
    case enumeration
}

/// Why a candidate was not certified. Dropped candidates are counted, never reported.
public enum WitnessRejection: String, Error, Sendable, CaseIterable {
    /// The point has the wrong number of coordinates.
    case wrongSize = "wrong_size"
    /// NaN or ±∞ in the point or anywhere in the evaluation.
    case nonFinite = "non_finite"
    /// The point is outside the domain box.
    case outsideDomain = "outside_domain"
    /// Some pre-activation is closer than the required margin to a kink of its activation.
    case marginTooSmall = "margin_too_small"
    /// A hidden layer's activation has no witness profile (user activation without declared kinks).
    case unsupportedActivation = "unsupported_activation"
    /// A candidate activation pattern has no interior point in the domain (margin LP ≤ 0).
    case patternNotRealisable = "pattern_not_realisable"
    /// The margin LP for a pattern did not solve (time limit, numerical trouble).
    case lpFailed = "lp_failed"
}

/// Counts of dropped candidates, by reason (fixed order: `WitnessRejection.allCases`).
public struct WitnessDrops: Sendable, Equatable, CustomStringConvertible {
    public private(set) var counts: [Int] = Array(repeating: 0, count: WitnessRejection.allCases.count)
    public init() {}
    public subscript(_ r: WitnessRejection) -> Int { counts[WitnessRejection.allCases.firstIndex(of: r)!] }
    public mutating func add(_ r: WitnessRejection, _ k: Int = 1) { counts[WitnessRejection.allCases.firstIndex(of: r)!] += k }
    public mutating func add(_ other: WitnessDrops) { for i in counts.indices { counts[i] += other.counts[i] } }
    public var total: Int { counts.reduce(0, +) }
    /// (reason, count) for the nonzero counts, in the fixed order.
    public var nonzero: [(reason: WitnessRejection, count: Int)] {
        WitnessRejection.allCases.enumerated().compactMap { i, r in counts[i] > 0 ? (r, counts[i]) : nil }
    }
    public var description: String {
        nonzero.isEmpty ? "none" : nonzero.map { "\($0.reason.rawValue) \($0.count)" }.joined(separator: ", ")
    }
}

/// A point x of the domain where f is differentiable, with a proven lower bound of ‖∇f(x)‖_*.
/// Hence L(f) on the domain ≥ `lower` (a theorem, rounding included).
public struct CertifiedWitness: Sendable {
    /// x (inside the domain, checked exactly).
    public let point: [Double]
    /// Proven: lower ≤ ‖∇f(x)‖_*.
    public let lower: Double
    /// Proven: ‖∇f(x)‖_* ≤ upper (the width of the enclosure shows the rounding).
    public let upper: Double
    /// ‖∇f(x)‖_* in floating point (midpoints of the gradient enclosure).
    public let estimate: Double
    /// Per hidden layer, the piece of every neuron's activation (ReLU: 0 inactive, 1 active;
    /// activations without kinks: 0).
    public let pattern: [[UInt8]]
    /// Proven lower bound on the distance of every pre-activation to its activation's nearest
    /// kink (+∞ when no activation has kinks).
    public let smallestMargin: Double
    /// ∇f(x) (midpoints of the enclosure).
    public let gradient: [Double]
    public var source: WitnessSource
}

/// Checks candidate points: x in the domain; every pre-activation enclosed with directed
/// rounding and at least `margin` away from every kink (so f is differentiable at x and, for
/// piecewise-linear activations, the pattern is constant near x); σ' enclosed rigorously; ∇f(x)
/// enclosed by an interval backward pass; `lower` = a rigorous lower bound of the dual norm of
/// the enclosure. Anything that fails is a `WitnessRejection`.
public struct WitnessCertifier: Sendable {
    public let network: Network
    public let norm: WitnessNorm
    public let domain: WitnessDomain
    /// The required distance of every pre-activation from every kink (> 0 also guards the
    /// rounding of the LP points; default 1e-9).
    public let margin: Double
    /// One profile per hidden layer (nil: unsupported).
    public let profiles: [WitnessActivationProfile?]
    /// cᵀW_d enclosed.
    let outputWeights: [Interval]

    public static let defaultMargin = 1e-9

    public init(network: Network, norm: WitnessNorm, domain: WitnessDomain, margin: Double = WitnessCertifier.defaultMargin,
                profiles: [WitnessActivationProfile?]? = nil) throws {
        guard domain.dimension == network.inputSize else {
            throw WitnessError.input("witness: the domain has \(domain.dimension) coordinates, the network takes \(network.inputSize) inputs")
        }
        guard margin.isFinite, margin >= 0 else { throw WitnessError.input("witness: margin \(margin) must be finite and ≥ 0") }
        let hidden = network.depth - 1
        if let p = profiles {
            guard p.count == hidden else { throw WitnessError.input("witness: \(p.count) activation profiles given, the network has \(hidden) hidden layers") }
            self.profiles = p
        } else {
            self.profiles = network.layers.dropLast().map { WitnessActivationProfile.builtin($0.activation!) }
        }
        self.network = network; self.norm = norm; self.domain = domain; self.margin = margin
        // cᵀW_d with directed rounding.
        let W = network.layers[network.depth - 1].matrix
        var v = [Interval](repeating: .zero, count: W.cols)
        for i in 0..<W.rows where network.c[i] != 0 {
            for p in W.rowStart[i]..<W.rowStart[i + 1] {
                v[W.columns[p]] = v[W.columns[p]] + network.c[i] * Interval(W.values[p])
            }
        }
        outputWeights = v
    }

    /// True when every hidden activation has a profile.
    public var isSupported: Bool { profiles.allSatisfy { $0 != nil } }
    /// True when every hidden activation is piecewise linear (pattern search and MIP apply).
    public var isPiecewiseLinear: Bool { profiles.allSatisfy { $0?.isPiecewiseLinear == true } }

    /// An enclosure of W_1ᵀ D_1 W_2ᵀ ⋯ D_{d−1} W_dᵀ c for enclosures D_l of the derivative factors
    /// (one per hidden neuron): the backward pass δ_{d−1} = cᵀW_d, δ_{l−1} = W_lᵀ (D_l ⊙ δ_l) in
    /// interval arithmetic.
    public func gradientEnclosure(_ derivs: [[Interval]]) -> [Interval] {
        var delta = outputWeights
        var l = network.depth - 1
        while l >= 1 {
            let M = network.layers[l - 1].matrix
            var prev = [Interval](repeating: .zero, count: M.cols)
            let s = derivs[l - 1]
            for j in 0..<M.rows {
                let g = s[j] * delta[j]
                if g.lo == 0 && g.hi == 0 { continue }
                for p in M.rowStart[j]..<M.rowStart[j + 1] { prev[M.columns[p]] = prev[M.columns[p]] + M.values[p] * g }
            }
            delta = prev
            l -= 1
        }
        return delta
    }

    /// Certifies x, or says why not.
    public func check(_ x: [Double], source: WitnessSource) -> Result<CertifiedWitness, WitnessRejection> {
        guard x.count == network.inputSize else { return .failure(.wrongSize) }
        for v in x where !v.isFinite { return .failure(.nonFinite) }
        guard domain.contains(x) else { return .failure(.outsideDomain) }
        guard isSupported else { return .failure(.unsupportedActivation) }
        let d = network.depth
        var a = x.map { Interval($0) }
        var derivs: [[Interval]] = []
        var pattern: [[UInt8]] = []
        var smallest = Double.infinity
        for k in 0..<d - 1 {
            let L = network.layers[k], M = L.matrix
            let prof = profiles[k]!
            var da = [Interval](repeating: .zero, count: M.rows)
            var pa = [UInt8](repeating: 0, count: M.rows)
            var next = [Interval](repeating: .zero, count: M.rows)
            for i in 0..<M.rows {
                var z = Interval(L.bias?[i] ?? 0)
                for p in M.rowStart[i]..<M.rowStart[i + 1] { z = z + M.values[p] * a[M.columns[p]] }
                guard z.isFinite else { return .failure(.nonFinite) }
                // Distance to the kinks.
                var piece = 0
                for kink in prof.kinks {
                    if z.lo > kink {
                        let dist = (z.lo - kink).nextDown
                        guard dist >= margin && dist > 0 else { return .failure(.marginTooSmall) }
                        smallest = Swift.min(smallest, dist); piece += 1
                    } else if z.hi < kink {
                        let dist = (kink - z.hi).nextDown
                        guard dist >= margin && dist > 0 else { return .failure(.marginTooSmall) }
                        smallest = Swift.min(smallest, dist)
                    } else {
                        return .failure(.marginTooSmall)
                    }
                }
                pa[i] = UInt8(clamping: piece)
                let dv = prof.derivativeEnclosure(z.lo, z.hi)
                let vv = prof.valueEnclosure(z.lo, z.hi)
                let di = Interval(dv.lo, dv.hi), vi = Interval(vv.lo, vv.hi)
                guard di.isFinite, vi.isFinite else { return .failure(.nonFinite) }
                da[i] = di; next[i] = vi
            }
            derivs.append(da); pattern.append(pa); a = next
        }
        let delta = gradientEnclosure(derivs)
        for v in delta where !v.isFinite { return .failure(.nonFinite) }
        let lower = norm.dualLowerBound(delta), upper = norm.dualUpperBound(delta)
        guard lower.isFinite, upper.isFinite else { return .failure(.nonFinite) }
        let g = delta.map(\.mid)
        return .success(CertifiedWitness(point: x, lower: lower, upper: upper, estimate: norm.dual(g), pattern: pattern,
                                         smallestMargin: smallest, gradient: g, source: source))
    }
}

/// Certifies one candidate point (a convenience around `WitnessCertifier`).
public func certifyWitness(_ net: Network, norm: WitnessNorm, domain: WitnessDomain, point: [Double],
                           margin: Double = WitnessCertifier.defaultMargin,
                           profiles: [WitnessActivationProfile?]? = nil) throws -> Result<CertifiedWitness, WitnessRejection> {
    try WitnessCertifier(network: net, norm: norm, domain: domain, margin: margin, profiles: profiles).check(point, source: .userPoint)
}
