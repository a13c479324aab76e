/// An input norm ‖·‖ and what LiPopt needs of it (METHOD §2): the dual norm ‖·‖_*, and the
/// set B_* (the unit ball of ‖·‖) with ‖g‖_* = max_{t ∈ B_*} tᵀ g.
///
/// - `.linf` (ℓ∞ input): dual ℓ1, B_* = [−1, 1]^n (a box, the paper's main case).
/// - `.l1` (ℓ1 input): dual ℓ∞, B_* = {‖t‖_1 ≤ 1}, written t = u − v, u, v ∈ [0, 1],
///   g = 1 − Σ(u_i + v_i) ∈ [0, 1].
/// - `.l2`: dual ℓ2, B_* = {‖t‖_2 ≤ 1}: box t ∈ [−1, 1]^n plus g = 1 − Σ t_i² ∈ [0, 1].
/// - `.custom`: a name, the dual norm, the box containing B_* and constraint polynomials
///   g_j(t) with 0 ≤ g_j ≤ 1 on B_* (variables t_1..t_n are indices 0..<n).
public struct Norm: Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable { case linf, l1, l2, custom }
    public let name: String
    public let kind: Kind
    private let dual: @Sendable ([Double]) -> Double
    private let constraintsForSize: (@Sendable (Int) -> [Polynomial])?
    private let boxForSize: (@Sendable (Int) -> (lower: [Double], upper: [Double]))?

    /// ‖g‖_*, the dual norm of a gradient.
    public func dualNorm(_ g: [Double]) -> Double { dual(g) }

    public var description: String { "Norm(\(name))" }

    public static let linf = Norm(name: "linf", kind: .linf, dual: { g in g.reduce(0) { $0 + Swift.abs($1) } }, constraints: nil, box: nil)
    public static let l1 = Norm(name: "l1", kind: .l1, dual: { g in g.reduce(0) { Swift.max($0, Swift.abs($1)) } }, constraints: nil, box: nil)
    public static let l2 = Norm(name: "l2", kind: .l2, dual: { g in l2norm(g) }, constraints: nil, box: nil)

    /// A user norm. `dualNorm` is ‖·‖_*; `dualBallConstraints(n)` returns the g_j(t) over
    /// variables 0..<n (0 ≤ g_j ≤ 1 must describe B_* together with the box);
    /// `dualBallBox(n)` a box containing B_* (default [−1, 1]^n, right whenever ‖·‖ ≤ ‖·‖_1).
    public static func custom(name: String, dualNorm: @escaping @Sendable ([Double]) -> Double,
                              dualBallConstraints: @escaping @Sendable (Int) -> [Polynomial],
                              dualBallBox: (@Sendable (Int) -> (lower: [Double], upper: [Double]))? = nil) -> Norm {
        Norm(name: name, kind: .custom, dual: dualNorm, constraints: dualBallConstraints, box: dualBallBox)
    }

    private init(name: String, kind: Kind, dual: @escaping @Sendable ([Double]) -> Double,
                 constraints: (@Sendable (Int) -> [Polynomial])?, box: (@Sendable (Int) -> (lower: [Double], upper: [Double]))?) {
        self.name = name; self.kind = kind; self.dual = dual; self.constraintsForSize = constraints; self.boxForSize = box
    }

    /// "linf" (also "inf", "l_inf", "max"), "l1", "l2" (also "euclidean"); nil otherwise.
    public static func named(_ s: String) -> Norm? {
        switch s.lowercased() {
        case "linf", "inf", "l_inf", "linfty", "max": return .linf
        case "l1", "l_1": return .l1
        case "l2", "l_2", "euclidean": return .l2
        default: return nil
        }
    }

    /// The user constraint polynomials for n inputs (empty for built-ins).
    public func customConstraints(_ n: Int) -> [Polynomial] { constraintsForSize?(n) ?? [] }
    /// The user box for n inputs (default [−1, 1]^n).
    public func customBox(_ n: Int) -> (lower: [Double], upper: [Double]) {
        boxForSize?(n) ?? ([Double](repeating: -1, count: n), [Double](repeating: 1, count: n))
    }
}

/// ‖x‖₂ with scaling against overflow.
func l2norm(_ g: [Double]) -> Double {
    let m = g.reduce(0) { Swift.max($0, Swift.abs($1)) }
    if m == 0 || !m.isFinite { return m }
    var s = 0.0
    for x in g { let y = x / m; s += y * y }
    return m * s.squareRoot()
}
