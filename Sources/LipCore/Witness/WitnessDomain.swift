import Foundation

/// The dual norm a witness measures, named by the input norm (docs/METHOD.md §1: L = sup ‖∇f‖_*):
/// ℓ∞ input → ℓ1 of the gradient, ℓ1 input → ℓ∞, ℓ2 → ℓ2.
public enum WitnessNorm: String, Sendable, CaseIterable {
    case linf, l1, l2

    /// The built-in norms; nil for user norms (no witness: their dual norm has no rigorous
    /// evaluation here).
    public init?(_ norm: Norm) {
        switch norm.dualBall {
        case .box: self = .linf
        case .crossPolytope: self = .l1
        case .euclideanBall: self = .l2
        case .constraints: return nil
        }
    }

    /// ‖g‖_* in floating point (an estimate; `dualLowerBound` is the proof).
    public func dual(_ g: [Double]) -> Double {
        switch self {
        case .linf: return g.reduce(0) { $0 + Swift.abs($1) }
        case .l1: return g.reduce(0) { Swift.max($0, Swift.abs($1)) }
        case .l2: return l2norm(g)
        }
    }

    /// A rigorous lower bound of min ‖g‖_* over the interval vector (each component's mignitude,
    /// combined with downward rounding).
    public func dualLowerBound(_ g: [Interval]) -> Double {
        switch self {
        case .linf:
            var s = 0.0
            for v in g { let m = v.mignitude; if m > 0 { s = (s + m).nextDown } }
            return Swift.max(0, s)
        case .l1:
            return g.reduce(0) { Swift.max($0, $1.mignitude) }
        case .l2:
            var s = 0.0
            for v in g { let m = v.mignitude; if m > 0 { s = (s + (m * m).nextDown).nextDown } }
            return Swift.max(0, s).squareRoot().nextDown.clampedNonNegative
        }
    }

    /// A rigorous upper bound of max ‖g‖_* over the interval vector.
    public func dualUpperBound(_ g: [Interval]) -> Double {
        switch self {
        case .linf:
            var s = 0.0
            for v in g { s = (s + v.magnitude).nextUp }
            return s
        case .l1:
            return g.reduce(0) { Swift.max($0, $1.magnitude) }
        case .l2:
            var s = 0.0
            for v in g { let m = v.magnitude; s = (s + (m * m).nextUp).nextUp }
            return s.squareRoot().nextUp
        }
    }

    /// A subgradient t of ‖·‖_* at g (‖t‖ ≤ 1 in the input norm, tᵀg = ‖g‖_*).
    func subgradient(_ g: [Double]) -> [Double] {
        switch self {
        case .linf: return g.map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
        case .l1:
            var t = [Double](repeating: 0, count: g.count)
            var best = -1.0, at = -1
            for (i, v) in g.enumerated() where Swift.abs(v) > best { best = Swift.abs(v); at = i }
            if at >= 0 && best > 0 { t[at] = g[at] > 0 ? 1 : -1 }
            return t
        case .l2:
            let n = l2norm(g)
            return n > 0 ? g.map { $0 / n } : g.map { _ in 0 }
        }
    }
}

extension Double {
    @inline(__always) var clampedNonNegative: Double { self < 0 ? 0 : self }
}

/// The box in which witnesses must lie: lower ≤ x ≤ upper, coordinatewise, checked exactly.
///
/// - Global: a box the user gives, or the documented default [−5, 5]^n (the box LBS samples
///   for the global constant).
/// - Local: the input box [x₀ − ε, x₀ + ε], clipped to a data domain [a, b] when one is given.
///   Its ends are rounded *inward* (x₀ − ε computed and moved one ulp up, x₀ + ε one ulp down),
///   so every point the check accepts lies in the real box.
public struct WitnessDomain: Sendable, CustomStringConvertible {
    public let lower: [Double]
    public let upper: [Double]
    /// "global" or "local", for reports.
    public let kind: String

    public var dimension: Int { lower.count }

    public static let defaultGlobalHalfWidth = 5.0

    public init(lower: [Double], upper: [Double], kind: String = "global") throws {
        guard lower.count == upper.count, !lower.isEmpty else {
            throw WitnessError.input("domain: \(lower.count) lower and \(upper.count) upper bounds; give one of each per input coordinate")
        }
        for i in lower.indices {
            guard lower[i].isFinite, upper[i].isFinite else {
                throw WitnessError.input("domain coordinate \(i) is [\(lower[i]), \(upper[i])]; bounds must be finite")
            }
            guard lower[i] <= upper[i] else {
                throw WitnessError.input("domain coordinate \(i): lower \(lower[i]) > upper \(upper[i])")
            }
        }
        self.lower = lower; self.upper = upper; self.kind = kind
    }

    /// The global box: `box` if given, else [−5, 5]^n.
    public static func global(inputs n: Int, box: (lower: [Double], upper: [Double])? = nil) throws -> WitnessDomain {
        if let b = box {
            guard b.lower.count == n else { throw WitnessError.input("domain: the box has \(b.lower.count) coordinates, the network takes \(n) inputs") }
            return try WitnessDomain(lower: b.lower, upper: b.upper, kind: "global")
        }
        guard n > 0 else { throw WitnessError.input("domain: the network has no inputs") }
        return try WitnessDomain(lower: [Double](repeating: -defaultGlobalHalfWidth, count: n),
                                 upper: [Double](repeating: defaultGlobalHalfWidth, count: n), kind: "global")
    }

    /// The local box [x₀ − ε, x₀ + ε] ∩ [clip.lower, clip.upper], rounded inward.
    public static func local(center: [Double], radius: Double, clip: (lower: Double, upper: Double)? = nil) throws -> WitnessDomain {
        guard radius.isFinite, radius >= 0 else { throw WitnessError.input("domain: radius \(radius) must be finite and ≥ 0") }
        if let c = clip { guard c.lower.isFinite, c.upper.isFinite, c.lower <= c.upper else {
            throw WitnessError.input("domain: data domain [\(c.lower), \(c.upper)] must be finite with lower ≤ upper") } }
        var lo = [Double](), hi = [Double]()
        lo.reserveCapacity(center.count); hi.reserveCapacity(center.count)
        for (i, x) in center.enumerated() {
            guard x.isFinite else { throw WitnessError.input("domain: centre coordinate \(i) is \(x)") }
            var a = radius == 0 ? x : (x - radius).nextUp
            var b = radius == 0 ? x : (x + radius).nextDown
            if a > x { a = x }   // tiny radius: keep the centre inside
            if b < x { b = x }
            if let c = clip { a = Swift.max(a, c.lower); b = Swift.min(b, c.upper) }
            guard a <= b else {
                throw WitnessError.input("domain: coordinate \(i): the box [\(x) ± \(radius)] does not meet the data domain \(clip.map { "[\($0.lower), \($0.upper)]" } ?? "")")
            }
            lo.append(a); hi.append(b)
        }
        return try WitnessDomain(lower: lo, upper: hi, kind: "local")
    }

    public func contains(_ x: [Double]) -> Bool {
        guard x.count == lower.count else { return false }
        for i in x.indices where !(x[i] >= lower[i] && x[i] <= upper[i]) { return false }
        return true
    }

    /// x moved into the box coordinatewise.
    public func clamp(_ x: [Double]) -> [Double] {
        var y = x
        for i in y.indices { y[i] = Swift.min(Swift.max(y[i].isNaN ? lower[i] : y[i], lower[i]), upper[i]) }
        return y
    }

    public var description: String { "\(kind) box of \(lower.count) coordinates" }
}
