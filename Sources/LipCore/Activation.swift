import Foundation

/// An elementwise activation σ together with what LiPopt needs of it (docs/METHOD.md §2):
/// the global range of σ' over ℝ, a sound interval map
/// [l, u] ↦ [lo, hi] ⊇ σ'([l, u]) for local (input-box) bounds, and a sound interval map of σ
/// itself for interval bound propagation (no monotonicity is assumed anywhere).
///
/// Soundness: `derivativeBounds` must contain σ'(x) for every x ∈ [l, u] (for a
/// non-differentiable point, every element of the Clarke generalised derivative), and
/// `valueBounds` must contain σ([l, u]). The built-ins compute both from the pieces of σ with
/// results widened outward by a few ulps, so rounding cannot make a bound too tight. An
/// interval with lo == hi marks a neuron whose derivative is constant on the box; the
/// polynomial builder substitutes it.
public struct Activation: Sendable, CustomStringConvertible {
    /// The full name, parameters included ("relu", "leaky_relu(0.1)", "elu(0.5)", a user name);
    /// `Registries.activation(name)` resolves it back to the same activation.
    public let name: String
    private let f: @Sendable (Double) -> Double
    private let df: @Sendable (Double) -> Double
    /// The global range of σ' over ℝ, closed (an open end such as tanh's (0,1] is closed to [0,1]).
    public let derivativeRange: ClosedRange<Double>
    private let bounds: @Sendable (Double, Double) -> (lo: Double, hi: Double)
    private let valueMap: (@Sendable (Double, Double) -> (lo: Double, hi: Double))?
    /// Points where σ is not differentiable (ReLU: [0]); σ' is continuous elsewhere. Empty for
    /// smooth activations. Witness checks keep pre-activations away from these.
    public let kinks: [Double]
    /// True when σ' is constant between kinks (ReLU, leaky ReLU, identity).
    public let isPiecewiseLinear: Bool
    /// True for the activations defined in this file; false for `custom`.
    public let isBuiltin: Bool

    /// σ(x).
    public func value(_ x: Double) -> Double { f(x) }
    /// σ'(x). Where σ is not differentiable (ReLU, leaky ReLU, ELU with α ≠ 1 at 0) the
    /// right derivative is returned (1 for ReLU at 0); LiPopt only needs some element of the
    /// Clarke derivative ([0, 1] for ReLU at 0), and every range below contains all of it.
    public func derivative(_ x: Double) -> Double { df(x) }
    /// A sound enclosure [lo, hi] ⊇ σ'([l, u]) (requires l ≤ u). Results are clipped to
    /// `derivativeRange`, which is itself sound. NaN input or a broken map gives the global range.
    public func derivativeBounds(_ l: Double, _ u: Double) -> (lo: Double, hi: Double) {
        if !(l <= u) || l.isNaN || u.isNaN { return (derivativeRange.lowerBound, derivativeRange.upperBound) }
        let r = bounds(l, u)
        let lo = Swift.max(r.lo, derivativeRange.lowerBound), hi = Swift.min(r.hi, derivativeRange.upperBound)
        if !(lo <= hi) { return (derivativeRange.lowerBound, derivativeRange.upperBound) }
        return (lo, hi)
    }

    /// The interval map of σ' as supplied, without clipping (for validation).
    public func rawDerivativeBounds(_ l: Double, _ u: Double) -> (lo: Double, hi: Double) { bounds(l, u) }

    /// A sound enclosure [lo, hi] ⊇ σ([l, u]) (requires finite l ≤ u). Built-ins use their
    /// pieces; any other activation uses the mean value theorem on its derivative map,
    /// σ(x) ∈ σ(l) + [min(0, a(u − l)), max(0, b(u − l))] with [a, b] = derivativeBounds(l, u),
    /// intersected with σ(u) − [max(0, b(u − l)) ..] from the right end, widened for rounding.
    /// Non-finite results come back as they are, so callers can refuse them.
    public func valueBounds(_ l: Double, _ u: Double) -> (lo: Double, hi: Double) {
        if let v = valueMap { return v(l, u) }
        let (a, b) = derivativeBounds(l, u)
        let fl = f(l), fu = f(u)
        guard fl.isFinite, fu.isFinite else { return (.nan, .nan) }
        let w = up(u - l)
        // From the left end: σ(x) = σ(l) + σ'(ξ)(x − l), x − l ∈ [0, w].
        let lo1 = fl + Swift.min(0, a * w), hi1 = fl + Swift.max(0, b * w)
        // From the right end: σ(x) = σ(u) − σ'(ξ)(u − x), u − x ∈ [0, w].
        let lo2 = fu - Swift.max(0, b * w), hi2 = fu - Swift.min(0, a * w)
        let lo = Swift.max(lo1, lo2), hi = Swift.min(hi1, hi2)
        let slack = 4 * Double.ulpOfOne * (Swift.abs(fl) + Swift.abs(fu) + Swift.max(Swift.abs(a), Swift.abs(b)) * w)
            + 1e-12 * Swift.max(1, Swift.abs(fl), Swift.abs(fu))
        return (down(lo - slack), up(hi + slack))
    }

    public var description: String { "Activation(\(name), σ' ∈ [\(derivativeRange.lowerBound), \(derivativeRange.upperBound)])" }

    private init(name: String, builtin: Bool, value: @escaping @Sendable (Double) -> Double,
                 derivative: @escaping @Sendable (Double) -> Double, range: ClosedRange<Double>,
                 bounds: @escaping @Sendable (Double, Double) -> (lo: Double, hi: Double),
                 values: (@Sendable (Double, Double) -> (lo: Double, hi: Double))?,
                 kinks: [Double], piecewiseLinear: Bool) {
        self.name = name; self.isBuiltin = builtin; self.f = value; self.df = derivative
        self.derivativeRange = range; self.bounds = bounds; self.valueMap = values
        self.kinks = kinks; self.isPiecewiseLinear = piecewiseLinear
    }

    /// A user-defined activation (Lua supplies the closures). Call `validateUserActivation`
    /// on it before trusting it; the builder relies on `derivativeBounds` being sound.
    /// Without `valueBounds`, interval propagation uses the mean value theorem on the
    /// derivative map (sound whenever that map is), never monotonicity.
    public static func custom(name: String, value: @escaping @Sendable (Double) -> Double,
                              derivative: @escaping @Sendable (Double) -> Double,
                              derivativeRange: ClosedRange<Double>,
                              derivativeBounds: (@Sendable (Double, Double) -> (lo: Double, hi: Double))? = nil,
                              valueBounds: (@Sendable (Double, Double) -> (lo: Double, hi: Double))? = nil,
                              kinks: [Double] = [], piecewiseLinear: Bool = false) -> Activation {
        let range = derivativeRange
        return Activation(name: name, builtin: false, value: value, derivative: derivative, range: range,
                          bounds: derivativeBounds ?? { _, _ in (range.lowerBound, range.upperBound) },
                          values: valueBounds, kinks: kinks.sorted(), piecewiseLinear: piecewiseLinear)
    }

    // MARK: built-ins

    /// ReLU: σ(x) = max(x, 0); σ' ∈ {0, 1}, range [0, 1]; σ'(0) := 1 (Clarke: [0, 1]).
    /// Interval map: l > 0 → [1, 1]; u < 0 → [0, 0]; otherwise [0, 1].
    public static let relu = leakyReLU(0, name: "relu")

    /// Leaky ReLU: σ(x) = x for x ≥ 0, αx otherwise, for any finite α (also α < 0 or α > 1,
    /// where σ is not monotone or not a contraction); σ' ∈ {α, 1}; σ'(0) := 1.
    public static func leakyReLU(_ alpha: Double = 0.01) -> Activation {
        leakyReLU(alpha, name: "leaky_relu(\(alpha))")
    }

    private static func leakyReLU(_ alpha: Double, name: String) -> Activation {
        precondition(alpha.isFinite, "leaky ReLU needs a finite alpha")
        let a = alpha, lo = Swift.min(alpha, 1), hi = Swift.max(alpha, 1)
        return Activation(name: name, builtin: true, value: { $0 >= 0 ? $0 : a * $0 },
                          derivative: { $0 >= 0 ? 1 : a }, range: lo...hi,
                          bounds: { l, u in l > 0 ? (1, 1) : (u < 0 ? (a, a) : (lo, hi)) },
                          values: { l, u in
                              // pieces: αx on [l, min(u, 0)], x on [max(l, 0), u]
                              var rlo = Double.infinity, rhi = -Double.infinity
                              if l < 0 {
                                  let e = Swift.min(u, 0)
                                  let p = a * l, q = a * e
                                  rlo = Swift.min(rlo, down(Swift.min(p, q))); rhi = Swift.max(rhi, up(Swift.max(p, q)))
                              }
                              if u >= 0 { rlo = Swift.min(rlo, Swift.max(l, 0)); rhi = Swift.max(rhi, u) }
                              return (rlo, rhi)
                          }, kinks: [0], piecewiseLinear: true)
    }

    /// ELU: σ(x) = x for x > 0, α(eˣ − 1) for x ≤ 0, any finite α; σ'(x) = 1 for x > 0, αeˣ for
    /// x < 0; σ'(0) := 1 (Clarke at 0: between α and 1). Range [min(0, α), max(1, α)].
    /// αeˣ is monotone on (−∞, 0], so on [l, u] the derivative lies between αe^l and
    /// αe^{min(u,0)} (and 1 when u ≥ 0), each end rounded outward.
    public static func elu(alpha: Double = 1) -> Activation {
        precondition(alpha.isFinite, "ELU needs a finite alpha")
        let a = alpha
        return Activation(name: alpha == 1 ? "elu" : "elu(\(alpha))", builtin: true,
                          value: { $0 > 0 ? $0 : a * Foundation.expm1($0) },
                          derivative: { $0 >= 0 ? 1 : a * Foundation.exp($0) },
                          range: Swift.min(0, a)...Swift.max(1, a),
                          bounds: { l, u in
                              if l > 0 { return (1, 1) }
                              let p = a * Foundation.exp(l), q = a * Foundation.exp(Swift.min(u, 0))
                              var lo = down(Swift.min(p, q)), hi = up(Swift.max(p, q))
                              if u >= 0 { lo = Swift.min(lo, 1); hi = Swift.max(hi, 1) }
                              return (lo, hi)
                          },
                          values: { l, u in
                              var rlo = Double.infinity, rhi = -Double.infinity
                              if l <= 0 {
                                  let p = a * Foundation.expm1(l), q = a * Foundation.expm1(Swift.min(u, 0))
                                  rlo = down(Swift.min(p, q)); rhi = up(Swift.max(p, q))
                              }
                              if u > 0 { rlo = Swift.min(rlo, Swift.max(l, 0)); rhi = Swift.max(rhi, u) }
                              return (rlo, rhi)
                          }, kinks: alpha == 1 ? [] : [0], piecewiseLinear: false)
    }

    /// tanh: σ' = 1 − tanh² = 1/cosh², even and decreasing in |x|; range (0, 1] closed to [0, 1].
    public static let tanh = Activation(name: "tanh", builtin: true, value: { Foundation.tanh($0) },
                                        derivative: { tanhDerivative($0) }, range: 0...1,
                                        bounds: { l, u in evenDecreasingBounds(l, u, tanhDerivative) },
                                        values: { l, u in (Swift.max(-1, down(Foundation.tanh(l))), Swift.min(1, up(Foundation.tanh(u)))) },
                                        kinks: [], piecewiseLinear: false)

    /// Logistic sigmoid: σ' = σ(1 − σ), even and decreasing in |x|; range (0, 1/4] closed to [0, 1/4].
    public static let sigmoid = Activation(name: "sigmoid", builtin: true, value: { sigmoidValue($0) },
                                           derivative: { sigmoidDerivative($0) }, range: 0...0.25,
                                           bounds: { l, u in evenDecreasingBounds(l, u, sigmoidDerivative) },
                                           values: { l, u in (Swift.max(0, down(sigmoidValue(l))), Swift.min(1, up(sigmoidValue(u)))) },
                                           kinks: [], piecewiseLinear: false)

    /// Softplus: σ = log(1 + eˣ), σ' = sigmoid, increasing; range (0, 1) closed to [0, 1].
    public static let softplus = Activation(name: "softplus", builtin: true,
                                            value: { softplusValue($0) },
                                            derivative: { sigmoidValue($0) }, range: 0...1,
                                            bounds: { l, u in (Swift.max(0, down(sigmoidValue(l))), Swift.min(1, up(sigmoidValue(u)))) },
                                            values: { l, u in (Swift.max(0, down(softplusValue(l))), up(softplusValue(u))) },
                                            kinks: [], piecewiseLinear: false)

    /// Identity: σ' ≡ 1, so every neuron is a constant 1 in p.
    public static let identity = Activation(name: "identity", builtin: true, value: { $0 }, derivative: { _ in 1 },
                                            range: 1...1, bounds: { _, _ in (1, 1) }, values: { l, u in (l, u) },
                                            kinks: [], piecewiseLinear: true)

    /// The built-ins by name (aliases included), with default parameters; nil when unknown.
    /// Prefer `Registries.activation(_:)`, which also knows user activations and parameters.
    public static func named(_ name: String) -> Activation? {
        try? Registries.builtin().activation(name)
    }

    /// Names of the built-in activations.
    public static var builtinNames: [String] { ActivationMaker.builtins.map(\.name) }
}

/// How a registered activation is made: its name, parameter names and defaults, and a
/// constructor that validates the parameters (a leaky ReLU slope must be finite, ...).
/// Built-ins and Lua-defined activations are both makers; a user activation has no
/// parameters and returns itself.
public struct ActivationMaker: Sendable {
    public var name: String
    public var aliases: [String]
    public var parameterNames: [String]
    public var defaults: [Double]
    public var summary: String
    let body: @Sendable ([Double]) throws -> Activation

    public init(name: String, aliases: [String] = [], parameterNames: [String] = [], defaults: [Double] = [],
                summary: String = "", make: @escaping @Sendable ([Double]) throws -> Activation) {
        self.name = name; self.aliases = aliases; self.parameterNames = parameterNames
        self.defaults = defaults; self.summary = summary; self.body = make
    }

    /// A maker for a fixed activation (a user definition).
    public static func fixed(_ a: Activation, summary: String = "") -> ActivationMaker {
        ActivationMaker(name: a.name, summary: summary) { _ in a }
    }

    /// The activation with `parameters` (missing ones take their defaults).
    public func make(_ parameters: [Double]) throws -> Activation {
        guard parameters.count <= parameterNames.count else {
            throw ActivationValidationError(activation: name, message: "takes \(parameterNames.isEmpty ? "no parameters" : "parameters (\(parameterNames.joined(separator: ", ")))"), got \(parameters.count)")
        }
        for (k, p) in parameters.enumerated() where !p.isFinite {
            throw ActivationValidationError(activation: name, message: "parameter \(parameterNames[k]) = \(p) must be a finite number")
        }
        return try body(parameters + defaults.dropFirst(parameters.count))
    }

    static let builtins: [ActivationMaker] = [
        ActivationMaker(name: "relu", summary: "max(x, 0); σ' in [0, 1]") { _ in .relu },
        ActivationMaker(name: "leaky_relu", aliases: ["leakyrelu", "lrelu"], parameterNames: ["alpha"], defaults: [0.01],
                        summary: "x >= 0 ? x : alpha·x (any finite alpha); σ' in [min(alpha,1), max(alpha,1)]") { p in .leakyReLU(p[0]) },
        ActivationMaker(name: "elu", parameterNames: ["alpha"], defaults: [1],
                        summary: "x > 0 ? x : alpha·(e^x - 1) (any finite alpha); σ' in [min(0,alpha), max(1,alpha)]") { p in .elu(alpha: p[0]) },
        ActivationMaker(name: "tanh", summary: "σ' in (0, 1]") { _ in .tanh },
        ActivationMaker(name: "sigmoid", aliases: ["logistic"], summary: "1/(1 + e^-x); σ' in (0, 1/4]") { _ in .sigmoid },
        ActivationMaker(name: "softplus", summary: "log(1 + e^x); σ' in (0, 1)") { _ in .softplus },
        ActivationMaker(name: "identity", aliases: ["linear", "none"], summary: "x; σ' = 1") { _ in .identity },
    ]
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
            let (vlo, vhi) = act.valueBounds(x, x + h)
            guard vlo.isFinite, vhi.isFinite, vlo <= vhi else {
                throw fail("the value interval of f on [\(x), \(x + h)] is [\(vlo), \(vhi)]; f must be finite and its derivative_bounds sound")
            }
            for p in [x, x + h * 1e-3, x + h / 2, x + h * (1 - 1e-3), x + h] {
                let v = act.value(p)
                guard v >= vlo - tol && v <= vhi + tol else {
                    throw fail("f(\(p)) = \(v) is not inside the value interval [\(vlo), \(vhi)] of [\(x), \(x + h)]; check derivative_bounds (or value_bounds)")
                }
            }
        }
    }
}
