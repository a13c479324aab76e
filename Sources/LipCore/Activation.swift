import Foundation

/// An elementwise activation σ together with what LiPopt needs of its derivative σ'
/// (METHOD §2): the global range of σ' over ℝ, and a sound interval map
/// [l, u] ↦ [lo, hi] ⊇ σ'([l, u]) for local (input-box) bounds.
///
/// Soundness: `derivativeBounds` must contain σ'(x) for every x ∈ [l, u] (for a
/// non-differentiable point, every element of the Clarke generalised derivative).
/// The built-ins widen results computed with `exp`/`tanh` outward by a few ulps, so
/// rounding cannot make a bound too tight. An interval with lo == hi marks a neuron whose
/// derivative is constant on the box; the polynomial builder substitutes it.
public struct Activation: Sendable, CustomStringConvertible {
    public let name: String
    private let f: @Sendable (Double) -> Double
    private let df: @Sendable (Double) -> Double
    /// The global range of σ' over ℝ, closed (an open end such as tanh's (0,1] is closed to [0,1]).
    public let derivativeRange: ClosedRange<Double>
    private let bounds: @Sendable (Double, Double) -> (lo: Double, hi: Double)
    /// True for the activations defined in this file; false for `custom`.
    public let isBuiltin: Bool

    /// σ(x).
    public func value(_ x: Double) -> Double { f(x) }
    /// σ'(x). Where σ is not differentiable (ReLU, leaky ReLU, ELU with α ≠ 1 at 0) the
    /// right derivative is returned (1 for ReLU at 0); LiPopt only needs some element of the
    /// Clarke derivative ([0, 1] for ReLU at 0), and every range below contains all of it.
    public func derivative(_ x: Double) -> Double { df(x) }
    /// A sound enclosure [lo, hi] ⊇ σ'([l, u]) (requires l ≤ u). Results are clipped to
    /// `derivativeRange`, which is itself sound.
    public func derivativeBounds(_ l: Double, _ u: Double) -> (lo: Double, hi: Double) {
        if !(l <= u) || l.isNaN || u.isNaN { return (derivativeRange.lowerBound, derivativeRange.upperBound) }
        let r = bounds(l, u)
        let lo = Swift.max(r.lo, derivativeRange.lowerBound), hi = Swift.min(r.hi, derivativeRange.upperBound)
        if !(lo <= hi) { return (derivativeRange.lowerBound, derivativeRange.upperBound) }
        return (lo, hi)
    }

    /// The interval map as supplied, without clipping (for validation).
    public func rawDerivativeBounds(_ l: Double, _ u: Double) -> (lo: Double, hi: Double) { bounds(l, u) }

    public var description: String { "Activation(\(name), σ' ∈ [\(derivativeRange.lowerBound), \(derivativeRange.upperBound)])" }

    private init(name: String, builtin: Bool, value: @escaping @Sendable (Double) -> Double,
                 derivative: @escaping @Sendable (Double) -> Double, range: ClosedRange<Double>,
                 bounds: @escaping @Sendable (Double, Double) -> (lo: Double, hi: Double)) {
        self.name = name; self.isBuiltin = builtin; self.f = value; self.df = derivative
        self.derivativeRange = range; self.bounds = bounds
    }

    /// A user-defined activation (Lua supplies the closures). Call `validateUserActivation`
    /// on it before trusting it; the builder relies on `derivativeBounds` being sound.
    public static func custom(name: String, value: @escaping @Sendable (Double) -> Double,
                              derivative: @escaping @Sendable (Double) -> Double,
                              derivativeRange: ClosedRange<Double>,
                              derivativeBounds: (@Sendable (Double, Double) -> (lo: Double, hi: Double))? = nil) -> Activation {
        let range = derivativeRange
        return Activation(name: name, builtin: false, value: value, derivative: derivative, range: range,
                          bounds: derivativeBounds ?? { _, _ in (range.lowerBound, range.upperBound) })
    }

    // MARK: built-ins

    /// ReLU: σ(x) = max(x, 0); σ' ∈ {0, 1}, range [0, 1]; σ'(0) := 1 (Clarke: [0, 1]).
    /// Interval map: l > 0 → [1, 1]; u < 0 → [0, 0]; otherwise [0, 1].
    public static let relu = Activation(name: "relu", builtin: true, value: { Swift.max($0, 0) },
                                        derivative: { $0 >= 0 ? 1 : 0 }, range: 0...1,
                                        bounds: { l, u in l > 0 ? (1, 1) : (u < 0 ? (0, 0) : (0, 1)) })

    /// Leaky ReLU: σ(x) = x for x ≥ 0, αx otherwise; σ' ∈ {α, 1}; σ'(0) := 1.
    public static func leakyReLU(_ alpha: Double = 0.01) -> Activation {
        let a = alpha, lo = Swift.min(alpha, 1), hi = Swift.max(alpha, 1)
        return Activation(name: "leaky_relu(\(alpha))", builtin: true, value: { $0 >= 0 ? $0 : a * $0 },
                          derivative: { $0 >= 0 ? 1 : a }, range: lo...hi,
                          bounds: { l, u in l > 0 ? (1, 1) : (u < 0 ? (a, a) : (lo, hi)) })
    }

    /// ELU: σ(x) = x for x > 0, α(eˣ − 1) for x ≤ 0; σ'(x) = 1 for x > 0, αeˣ for x < 0;
    /// σ'(0) := 1. Range [0, max(1, α)] (α ≤ 1: (0, 1] closed to [0, 1]). αeˣ is increasing,
    /// so on [l, u]: [αe^l, αe^{min(u,0)}] ∪ {1 if u ≥ 0}, widened outward by 2 ulps.
    public static func elu(alpha: Double = 1) -> Activation {
        let a = alpha
        return Activation(name: alpha == 1 ? "elu" : "elu(\(alpha))", builtin: true,
                          value: { $0 > 0 ? $0 : a * (Foundation.exp($0) - 1) },
                          derivative: { $0 >= 0 ? 1 : a * Foundation.exp($0) },
                          range: Swift.min(0, a)...Swift.max(1, a),
                          bounds: { l, u in
                              if l > 0 { return (1, 1) }
                              let e1 = down(a * Foundation.exp(l)), e2 = up(a * Foundation.exp(Swift.min(u, 0)))
                              var lo = Swift.min(e1, e2), hi = Swift.max(e1, e2)
                              if u >= 0 { lo = Swift.min(lo, 1); hi = Swift.max(hi, 1) }
                              return (lo, hi)
                          })
    }

    /// tanh: σ' = 1 − tanh² = 1/cosh², even and decreasing in |x|; range (0, 1] closed to [0, 1].
    public static let tanh = Activation(name: "tanh", builtin: true, value: { Foundation.tanh($0) },
                                        derivative: { tanhDerivative($0) }, range: 0...1,
                                        bounds: { l, u in evenDecreasingBounds(l, u, tanhDerivative) })

    /// Logistic sigmoid: σ' = σ(1 − σ), even and decreasing in |x|; range (0, 1/4] closed to [0, 1/4].
    public static let sigmoid = Activation(name: "sigmoid", builtin: true, value: { sigmoidValue($0) },
                                           derivative: { sigmoidDerivative($0) }, range: 0...0.25,
                                           bounds: { l, u in evenDecreasingBounds(l, u, sigmoidDerivative) })

    /// Softplus: σ = log(1 + eˣ), σ' = sigmoid, increasing; range (0, 1) closed to [0, 1].
    public static let softplus = Activation(name: "softplus", builtin: true,
                                            value: { $0 > 30 ? $0 : Foundation.log1p(Foundation.exp($0)) },
                                            derivative: { sigmoidValue($0) }, range: 0...1,
                                            bounds: { l, u in (down(sigmoidValue(l)), up(sigmoidValue(u))) })

    /// Identity: σ' ≡ 1, so every neuron is a constant 1 in p.
    public static let identity = Activation(name: "identity", builtin: true, value: { $0 }, derivative: { _ in 1 },
                                            range: 1...1, bounds: { _, _ in (1, 1) })

    /// The built-ins by name: "relu", "leaky_relu" (α = 0.01), "elu", "tanh", "sigmoid",
    /// "softplus", "identity" (also "linear"). Case-insensitive; nil when unknown.
    public static func named(_ name: String) -> Activation? {
        switch name.lowercased() {
        case "relu": return .relu
        case "leaky_relu", "leakyrelu", "lrelu": return .leakyReLU()
        case "elu": return .elu()
        case "tanh": return .tanh
        case "sigmoid", "logistic": return .sigmoid
        case "softplus": return .softplus
        case "identity", "linear", "none": return .identity
        default: return nil
        }
    }

    /// Names accepted by `named`.
    public static let builtinNames = ["relu", "leaky_relu", "elu", "tanh", "sigmoid", "softplus", "identity"]
}

@inline(__always) func sigmoidValue(_ x: Double) -> Double {
    x >= 0 ? 1 / (1 + Foundation.exp(-x)) : { let e = Foundation.exp(x); return e / (1 + e) }()
}
/// σ'(x) = e^{−|x|}/(1 + e^{−|x|})², exactly even in floating point (no cancellation).
@inline(__always) func sigmoidDerivative(_ x: Double) -> Double {
    let e = Foundation.exp(-Swift.abs(x)); let q = 1 + e; return e / (q * q)
}
/// tanh'(x) = 1/cosh²(x), exactly even in floating point.
@inline(__always) func tanhDerivative(_ x: Double) -> Double {
    let c = Foundation.cosh(x); return 1 / (c * c)
}
@inline(__always) func down(_ x: Double) -> Double { x.nextDown.nextDown }
@inline(__always) func up(_ x: Double) -> Double { x.nextUp.nextUp }

/// Bounds of an even function that decreases in |x| on [l, u]: max at the point closest to 0,
/// min at the point farthest from 0. Widened outward by 2 ulps.
func evenDecreasingBounds(_ l: Double, _ u: Double, _ g: (Double) -> Double) -> (lo: Double, hi: Double) {
    let near: Double = (l <= 0 && u >= 0) ? 0 : Swift.min(Swift.abs(l), Swift.abs(u))
    let far = Swift.max(Swift.abs(l), Swift.abs(u))
    return (Swift.max(0, down(g(far))), up(g(near)))
}

/// Why a user-defined activation was rejected.
public struct ActivationValidationError: Error, CustomStringConvertible {
    public let activation: String
    public let message: String
    public var description: String { "activation '\(activation)': \(message)" }
}

/// Checks a (user) activation before it is trusted: the global derivative range is finite
/// with lo ≤ hi; σ and σ' are finite at sample points of [−sampleRadius, sampleRadius];
/// every sampled σ'(x) lies in `derivativeRange`; and for small intervals [x, x + h] the
/// interval map returns finite lo ≤ hi containing σ' at interior points of the interval (at a
/// kink on an end point σ' is a Clarke set, so end points are not sampled), and lies inside the
/// global range. Sampling cannot prove soundness; it catches the usual mistakes (wrong
/// range, swapped bounds, a map that forgets the kink). Throws with the first failure.
public func validateUserActivation(_ act: Activation, samples: Int = 401, sampleRadius: Double = 10) throws {
    func fail(_ m: String) -> ActivationValidationError { ActivationValidationError(activation: act.name, message: m) }
    let r = act.derivativeRange
    guard r.lowerBound.isFinite, r.upperBound.isFinite else {
        throw fail("derivative_range [\(r.lowerBound), \(r.upperBound)] must be finite")
    }
    let tol = 1e-9
    let n = Swift.max(samples, 3)
    var xs: [Double] = (0..<n).map { -sampleRadius + 2 * sampleRadius * Double($0) / Double(n - 1) }
    xs += [0, 1e-9, -1e-9]
    for x in xs {
        let v = act.value(x), d = act.derivative(x)
        guard v.isFinite else { throw fail("f(\(x)) = \(v) is not finite") }
        guard d.isFinite else { throw fail("derivative(\(x)) = \(d) is not finite") }
        guard d >= r.lowerBound - tol && d <= r.upperBound + tol else {
            throw fail("derivative(\(x)) = \(d) lies outside the claimed derivative_range [\(r.lowerBound), \(r.upperBound)]; widen the range")
        }
    }
    for h in [1e-3, 0.1, 1.0] {
        for x in xs {
            let (lo, hi) = act.rawDerivativeBounds(x, x + h)
            guard lo.isFinite, hi.isFinite else { throw fail("derivative_bounds(\(x), \(x + h)) = (\(lo), \(hi)) is not finite") }
            guard lo <= hi else { throw fail("derivative_bounds(\(x), \(x + h)) returned lo = \(lo) > hi = \(hi); return (lo, hi) with lo ≤ hi") }
            guard lo >= r.lowerBound - tol && hi <= r.upperBound + tol else {
                throw fail("derivative_bounds(\(x), \(x + h)) = [\(lo), \(hi)] leaves the derivative_range [\(r.lowerBound), \(r.upperBound)]")
            }
            // Interior points only: at a kink on the interval's end the derivative is a Clarke
            // set, and a map that treats [l, 0] as the left piece is right (ReLU-type maps).
            for p in [x + h * 1e-3, x + h / 2, x + h * (1 - 1e-3)] {
                let d = act.derivative(p)
                guard d >= lo - tol && d <= hi + tol else {
                    throw fail("derivative(\(p)) = \(d) is not inside derivative_bounds(\(x), \(x + h)) = [\(lo), \(hi)]; the interval map must contain σ' on the whole interval")
                }
            }
        }
    }
}
