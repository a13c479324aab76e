import Foundation

/// What a certified witness needs to know about an activation σ beyond `Activation` itself:
///
/// - `kinks`: the points where σ may fail to be differentiable (sorted). Away from them σ is
///   differentiable; a witness requires every pre-activation to lie at least a stated margin away
///   from each kink (so f is differentiable at the witness and, for piecewise-linear σ, the
///   activation pattern is fixed on a neighbourhood).
/// - `slopes` (piecewise-linear σ only): σ' on each piece, `kinks.count + 1` values, left to
///   right. Then σ' is locally constant away from the kinks, which the pattern search and the
///   MIP use.
/// - `valueEnclosure(l, u)` ⊇ σ([l, u]) and `derivativeEnclosure(l, u)` ⊇ σ'([l, u]) for
///   intervals that contain no kink, both rigorous (results of `exp`, `tanh`, … are widened by
///   2⁻⁴⁰ relative plus 2⁻¹⁰²² absolute, far more than the few-ulp error bounds of the C
///   library; piecewise-linear pieces are evaluated with directed rounding).
/// - `smoothDerivative`/`smoothSecond`: σ' and σ'' used by the ascent search (for
///   piecewise-linear σ a smoothed version with temperature τ is used instead).
///
/// Built-in activations get a profile from `WitnessActivationProfile.builtin(_:)`. A user
/// activation has none unless its author declares one with `custom(...)` (kinks and sound interval
/// maps); without a profile no witness is certified for a network that uses it (counted as
/// `unsupported_activation`).
///
/// For the integrator (Activation.swift is being redesigned): the fields this needs on
/// `Activation` are `kinks: [Double]?` (nil = unknown: refuse witnesses), `pieceSlopes:
/// [Double]?` (non-nil exactly for piecewise-linear σ, `kinks.count + 1` values), a rigorous
/// value map `valueBounds(l, u) ⊇ σ([l, u])`, and `derivativeBounds` as today but widened enough
/// to be rigorous (2 ulps is not, for 1/cosh²). Until then `builtin(_:)` recognises the built-ins
/// by name.
public struct WitnessActivationProfile: Sendable {
    public let name: String
    public let kinks: [Double]
    public let slopes: [Double]?
    let value: @Sendable (Double, Double) -> (lo: Double, hi: Double)
    let derivative: @Sendable (Double, Double) -> (lo: Double, hi: Double)
    /// σ'(z) and σ''(z) for smooth σ (nil for piecewise-linear σ).
    let smooth: (@Sendable (Double) -> (d1: Double, d2: Double))?

    public var isPiecewiseLinear: Bool { slopes != nil }

    /// ⊇ σ([l, u]).
    public func valueEnclosure(_ l: Double, _ u: Double) -> (lo: Double, hi: Double) { value(l, u) }
    /// ⊇ σ'([l, u]) when [l, u] contains no kink.
    public func derivativeEnclosure(_ l: Double, _ u: Double) -> (lo: Double, hi: Double) { derivative(l, u) }

    /// The piece of z (0 ..< kinks.count + 1): the number of kinks ≤ z.
    public func piece(of z: Double) -> Int {
        var k = 0
        while k < kinks.count && z >= kinks[k] { k += 1 }
        return k
    }

    /// A profile for a user activation: its kinks, slopes (piecewise linear) and rigorous maps.
    /// The maps are trusted as given (like the user's `derivative_bounds` in LiPopt).
    public static func custom(name: String, kinks: [Double], slopes: [Double]? = nil,
                              value: @escaping @Sendable (Double, Double) -> (lo: Double, hi: Double),
                              derivative: @escaping @Sendable (Double, Double) -> (lo: Double, hi: Double),
                              smooth: (@Sendable (Double) -> (d1: Double, d2: Double))? = nil) throws -> WitnessActivationProfile {
        guard kinks.allSatisfy(\.isFinite), zip(kinks, kinks.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw WitnessError.input("activation profile '\(name)': kinks must be finite and strictly increasing")
        }
        if let s = slopes {
            guard s.count == kinks.count + 1, s.allSatisfy(\.isFinite) else {
                throw WitnessError.input("activation profile '\(name)': a piecewise-linear profile needs \(kinks.count + 1) finite slopes (one per piece), got \(s.count)")
            }
        }
        return WitnessActivationProfile(name: name, kinks: kinks, slopes: slopes, value: value, derivative: derivative, smooth: smooth)
    }

    /// The profile of a built-in activation (recognised by name), nil for user activations.
    public static func builtin(_ act: Activation) -> WitnessActivationProfile? {
        guard act.isBuiltin else { return nil }
        let name = act.name
        if name == "relu" { return leaky(name: name, alpha: 0) }
        if name == "identity" {
            return WitnessActivationProfile(name: name, kinks: [], slopes: [1], value: { l, u in (l, u) },
                                            derivative: { _, _ in (1, 1) }, smooth: nil)
        }
        if name.hasPrefix("leaky_relu") {
            // σ'(z) for z < 0 is α exactly (the closure returns α).
            let alpha = act.derivative(-1)
            guard alpha.isFinite else { return nil }
            return alpha == 1 ? WitnessActivationProfile(name: name, kinks: [], slopes: [1], value: { l, u in (l, u) },
                                                         derivative: { _, _ in (1, 1) }, smooth: nil)
                : leaky(name: name, alpha: alpha)
        }
        if name == "elu" || name.hasPrefix("elu(") {
            // σ(z) = α(eᶻ − 1) for z ≤ 0, so σ(−10³⁰⁰) = −α exactly.
            let alpha = -act.value(-1e300)
            guard alpha.isFinite, alpha >= 0 else { return nil }
            return elu(name: name, alpha: alpha)
        }
        switch name {
        case "tanh":
            return WitnessActivationProfile(name: name, kinks: [], slopes: nil,
                value: { l, u in (libmDown(Foundation.tanh(l)), libmUp(Foundation.tanh(u))) },
                derivative: { l, u in evenDecreasingEnclosure(l, u, tanhDerivative) },
                smooth: { z in let t = Foundation.tanh(z); let d = 1 - t * t; return (tanhDerivative(z), -2 * t * d) })
        case "sigmoid":
            return WitnessActivationProfile(name: name, kinks: [], slopes: nil,
                value: { l, u in (libmDown(sigmoidValue(l)), libmUp(sigmoidValue(u))) },
                derivative: { l, u in evenDecreasingEnclosure(l, u, sigmoidDerivative) },
                smooth: { z in let s = sigmoidValue(z); let d = sigmoidDerivative(z); return (d, d * (1 - 2 * s)) })
        case "softplus":
            return WitnessActivationProfile(name: name, kinks: [], slopes: nil,
                value: { l, u in (libmDown(softplusValue(l)), libmUp(softplusValue(u))) },
                derivative: { l, u in (libmDown(sigmoidValue(l)), libmUp(sigmoidValue(u))) },
                smooth: { z in (sigmoidValue(z), sigmoidDerivative(z)) })
        default:
            return nil
        }
    }

    /// ReLU (α = 0) and leaky ReLU: σ(z) = z for z ≥ 0, αz below; kink 0; slopes (α, 1).
    static func leaky(name: String, alpha a: Double) -> WitnessActivationProfile {
        WitnessActivationProfile(name: name, kinks: [0], slopes: [a, 1],
            value: { l, u in
                if l >= 0 { return (l, u) }
                if a == 0 { return (0, Swift.max(0, u)) }
                // αz on the negative side, directed rounding; the hull with [0, u⁺] otherwise.
                let p = [a * l, a * Swift.min(u, 0)]
                var lo = Swift.min(p[0], p[1]).nextDown, hi = Swift.max(p[0], p[1]).nextUp
                if u > 0 { lo = Swift.min(lo, 0); hi = Swift.max(hi, u) }
                return (lo, hi)
            },
            derivative: { l, u in
                if l > 0 { return (1, 1) }
                if u < 0 { return (a, a) }
                return (Swift.min(a, 1), Swift.max(a, 1))
            }, smooth: nil)
    }

    /// ELU(α), α ≥ 0: σ(z) = z for z > 0, α(eᶻ − 1) below; σ' = 1 and αeᶻ. Differentiable at 0
    /// only when α = 1 (then no kink).
    static func elu(name: String, alpha a: Double) -> WitnessActivationProfile {
        WitnessActivationProfile(name: name, kinks: a == 1 ? [] : [0], slopes: nil,
            value: { l, u in
                let lo = l > 0 ? l : libmDown(a * Foundation.expm1(l))
                let hi = u > 0 ? u : libmUp(a * Foundation.expm1(u))
                return (lo, hi)
            },
            derivative: { l, u in
                if l > 0 { return (1, 1) }
                var lo = libmDown(a * Foundation.exp(l)), hi = libmUp(a * Foundation.exp(Swift.min(u, 0)))
                if u >= 0 { lo = Swift.min(lo, 1); hi = Swift.max(hi, 1) }
                return (Swift.max(0, lo), hi)
            },
            smooth: { z in z > 0 ? (1, 0) : { let e = a * Foundation.exp(z); return (e, e) }() })
    }
}

/// Errors from the witness and exact-value code (bad input only; outcomes are values).
public enum WitnessError: Error, CustomStringConvertible, Equatable {
    case input(String)
    case unsupported(String)
    case tooLarge(String)
    public var description: String {
        switch self { case .input(let m), .unsupported(let m), .tooLarge(let m): return m }
    }
}

// MARK: rigorous widening of library results

/// Lower end of an enclosure of a C-library result v: v − (2⁻⁴⁰|v| + 2⁻¹⁰²²), rounded down.
@inline(__always) func libmDown(_ v: Double) -> Double {
    if v.isNaN { return v }
    if v == .infinity { return .greatestFiniteMagnitude }
    return (v - (Swift.abs(v) * 0x1p-40 + 0x1p-1022)).nextDown
}
/// Upper end: v + (2⁻⁴⁰|v| + 2⁻¹⁰²²), rounded up.
@inline(__always) func libmUp(_ v: Double) -> Double {
    if v.isNaN { return v }
    if v == -.infinity { return -.greatestFiniteMagnitude }
    return (v + (Swift.abs(v) * 0x1p-40 + 0x1p-1022)).nextUp
}

/// softplus(z) = log(1 + eᶻ) without overflow: z + log1p(e⁻ᶻ) for z > 0.
@inline(__always) func softplusValue(_ z: Double) -> Double {
    z > 0 ? z + Foundation.log1p(Foundation.exp(-z)) : Foundation.log1p(Foundation.exp(z))
}

/// Enclosure of an even function decreasing in |z| on [l, u], widened for library error.
func evenDecreasingEnclosure(_ l: Double, _ u: Double, _ g: (Double) -> Double) -> (lo: Double, hi: Double) {
    let near: Double = (l <= 0 && u >= 0) ? 0 : Swift.min(Swift.abs(l), Swift.abs(u))
    let far = Swift.max(Swift.abs(l), Swift.abs(u))
    return (Swift.max(0, libmDown(g(far))), libmUp(g(near)))
}

// MARK: interval arithmetic with directed rounding (round-to-nearest result ± one ulp)

/// A closed interval [lo, hi] of reals. Arithmetic rounds outward by one ulp after each
/// operation: in round-to-nearest the exact result of one operation lies within half an ulp of
/// the computed one, so [r.nextDown, r.nextUp] contains it.
public struct Interval: Sendable, Equatable, CustomStringConvertible {
    public var lo: Double
    public var hi: Double
    @inline(__always) public init(_ lo: Double, _ hi: Double) { self.lo = lo; self.hi = hi }
    @inline(__always) public init(_ v: Double) { lo = v; hi = v }
    public static let zero = Interval(0, 0)
    public var description: String { "[\(lo), \(hi)]" }
    public var isFinite: Bool { lo.isFinite && hi.isFinite && lo <= hi }
    /// The smallest |v| over the interval (0 if it contains 0).
    @inline(__always) public var mignitude: Double { lo > 0 ? lo : (hi < 0 ? -hi : 0) }
    /// The largest |v| over the interval.
    @inline(__always) public var magnitude: Double { Swift.max(Swift.abs(lo), Swift.abs(hi)) }
    @inline(__always) public var mid: Double { lo / 2 + hi / 2 }

    @inline(__always) public static func + (a: Interval, b: Interval) -> Interval {
        Interval((a.lo + b.lo).nextDown, (a.hi + b.hi).nextUp)
    }
    /// An exact scalar times an interval.
    @inline(__always) public static func * (w: Double, a: Interval) -> Interval {
        if w == 0 { return .zero }
        let p = w * a.lo, q = w * a.hi
        return w > 0 ? Interval(p.nextDown, q.nextUp) : Interval(q.nextDown, p.nextUp)
    }
    @inline(__always) public static func * (a: Interval, b: Interval) -> Interval {
        if a.lo == a.hi { return a.lo * b }
        if b.lo == b.hi { return b.lo * a }
        let p1 = a.lo * b.lo, p2 = a.lo * b.hi, p3 = a.hi * b.lo, p4 = a.hi * b.hi
        return Interval(Swift.min(Swift.min(p1, p2), Swift.min(p3, p4)).nextDown,
                        Swift.max(Swift.max(p1, p2), Swift.max(p3, p4)).nextUp)
    }
    /// The hull of two intervals.
    @inline(__always) public func hull(_ b: Interval) -> Interval { Interval(Swift.min(lo, b.lo), Swift.max(hi, b.hi)) }
}
