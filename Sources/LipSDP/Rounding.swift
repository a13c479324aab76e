/// Directed rounding without touching the FPU mode: every operation is done in the default
/// round-to-nearest and then moved one ulp outward when its exact error could point the wrong
/// way. `nextUp(RN(x)) ≥ x` and `nextDown(RN(x)) ≤ x` hold for every finite x, including
/// results in the subnormal range (there RN(x) may be 0 and nextUp(0) = 2⁻¹⁰⁷⁴ > x).
/// Where the exact error is cheap to get (TwoSum), the result is moved only when needed.
public enum Directed {
    /// u = 2⁻⁵³, the unit roundoff of binary64.
    public static let unitRoundoff = 0x1p-53
    /// η = 2⁻¹⁰⁷⁴, the smallest positive subnormal (the absolute error bound of underflow).
    public static let eta = 0x1p-1074

    /// An upper bound on a + b.
    @inline(__always) public static func addUp(_ a: Double, _ b: Double) -> Double {
        let s = a + b
        guard s.isFinite else { return s }
        // TwoSum: the exact error e = (a + b) − s.
        let bb = s - a, e = (a - (s - bb)) + (b - bb)
        return (e > 0 || !e.isFinite) ? s.nextUp : s
    }
    /// A lower bound on a + b.
    @inline(__always) public static func addDown(_ a: Double, _ b: Double) -> Double {
        let s = a + b
        guard s.isFinite else { return s }
        let bb = s - a, e = (a - (s - bb)) + (b - bb)
        return (e < 0 || !e.isFinite) ? s.nextDown : s
    }
    /// An upper bound on a − b.
    @inline(__always) public static func subUp(_ a: Double, _ b: Double) -> Double { addUp(a, -b) }
    /// A lower bound on a − b.
    @inline(__always) public static func subDown(_ a: Double, _ b: Double) -> Double { addDown(a, -b) }
    /// An upper bound on a · b: exact products (fused residual 0, away from underflow) stay,
    /// others move one ulp up.
    @inline(__always) public static func mulUp(_ a: Double, _ b: Double) -> Double {
        let p = a * b
        guard p.isFinite else { return p }
        if a == 0 || b == 0 { return 0 }
        guard Swift.abs(p) >= 0x1p-900 else { return p.nextUp }
        let r = (-p).addingProduct(a, b)            // a·b − p, exact here
        return r > 0 ? p.nextUp : p
    }
    /// A lower bound on a · b.
    @inline(__always) public static func mulDown(_ a: Double, _ b: Double) -> Double {
        let p = a * b
        guard p.isFinite else { return p }
        if a == 0 || b == 0 { return 0 }
        guard Swift.abs(p) >= 0x1p-900 else { return p.nextDown }
        let r = (-p).addingProduct(a, b)
        return r < 0 ? p.nextDown : p
    }
    /// An upper bound on a / b (b ≠ 0).
    @inline(__always) public static func divUp(_ a: Double, _ b: Double) -> Double {
        let q = a / b
        guard q.isFinite else { return q }
        if a == 0 { return 0 }
        guard Swift.abs(q) >= 0x1p-900, Swift.abs(b) >= 0x1p-900, Swift.abs(a) >= 0x1p-900 else { return q.nextUp }
        let r = a.addingProduct(-q, b)              // a − q·b = b·(a/b − q), exact here
        if r == 0 { return q }
        return (r > 0) == (b > 0) ? q.nextUp : q
    }
    /// An upper bound on Σ xs (left to right, each partial sum rounded up).
    public static func sumUp<S: Sequence>(_ xs: S) -> Double where S.Element == Double {
        var s = 0.0
        for x in xs { s = addUp(s, x) }
        return s
    }
    /// An upper bound on γ_k = k·u / (1 − k·u) (Higham's constant), +∞ when k·u ≥ 1.
    public static func gamma(_ k: Int) -> Double {
        let ku = Double(k) * unitRoundoff          // exact for k < 2⁵³
        guard ku < 0.5 else { return .infinity }
        return divUp(ku, subDown(1, ku))
    }
    /// An upper bound on the rounding error of a computed result r = fl(x) (|x − r| ≤ u|r| + η
    /// for one operation in round-to-nearest, including gradual underflow).
    @inline(__always) public static func roundingError(_ r: Double) -> Double {
        addUp(mulUp(Swift.abs(r), unitRoundoff), eta)
    }
}

/// A computed value with a rigorous bound on its distance to the exact value it stands for:
/// |exact − value| ≤ error. The arithmetic below propagates the bound (running error
/// analysis: each operation adds u·|result| + η for its own rounding, computed upward).
public struct Rounded: Sendable, Equatable {
    public var value: Double
    public var error: Double
    public init(_ value: Double, error: Double = 0) { self.value = value; self.error = error }
    /// An exactly representable value.
    public static func exact(_ v: Double) -> Rounded { Rounded(v) }
    public static let zero = Rounded(0)

    /// |exact| ≤ magnitude.
    public var magnitude: Double { Directed.addUp(Swift.abs(value), error) }

    public static func + (a: Rounded, b: Rounded) -> Rounded {
        let s = a.value + b.value
        // TwoSum: the addition's own error, exactly (no underflow in additions).
        let bb = s - a.value, own = (a.value - (s - bb)) + (b.value - bb)
        let ownBound = (own == 0 && s.isFinite) ? 0 : Directed.roundingError(s)
        let e = Directed.addUp(Directed.addUp(a.error, b.error), ownBound)
        return Rounded(s, error: e)
    }
    public static func - (a: Rounded, b: Rounded) -> Rounded { a + Rounded(-b.value, error: b.error) }
    public static prefix func - (a: Rounded) -> Rounded { Rounded(-a.value, error: a.error) }
    public static func * (a: Rounded, b: Rounded) -> Rounded {
        let p = a.value * b.value
        // exact·exact − p = (a_v b_v − p) + a_v β + b_v α + αβ  with |α| ≤ a.e, |β| ≤ b.e.
        // The product's own error is 0 when the fused residual a_v·b_v − p vanishes and p is
        // far from the underflow range (then the residual is exact).
        let exactProduct = Swift.abs(p) >= 0x1p-900 && p.isFinite && (-p).addingProduct(a.value, b.value) == 0
        var e = exactProduct ? 0 : Directed.roundingError(p)
        if b.error > 0 { e = Directed.addUp(e, Directed.mulUp(Swift.abs(a.value), b.error)) }
        if a.error > 0 { e = Directed.addUp(e, Directed.mulUp(Swift.abs(b.value), a.error)) }
        if a.error > 0 && b.error > 0 { e = Directed.addUp(e, Directed.mulUp(a.error, b.error)) }
        if (a.value == 0 || b.value == 0) && a.error == 0 && b.error == 0 { e = 0 }
        return Rounded(p, error: e)
    }
    /// Multiplication by a power of two that cannot overflow: exact unless the result is
    /// subnormal (then within η).
    public func scaled(byPowerOfTwo s: Double) -> Rounded {
        let v = value * s
        let exact = Swift.abs(v) >= 0x1p-1022 || v == 0 && value == 0
        return Rounded(v, error: Directed.addUp(Directed.mulUp(error, s), exact ? 0 : Directed.eta))
    }
}
