/// The shape of the dual unit ball B_* of an input norm (docs/METHOD.md §2): what every computation
/// that needs B_* switches on (the polynomial's dual variables, the LP's constraints, the
/// exact maximum, the product bound), never the norm's name.
public enum DualBall: Sendable {
    /// B_* = [−1, 1]^n (ℓ∞ input norm; the dual norm is ℓ1). The main case.
    case box
    /// B_* = {‖t‖_1 ≤ 1} (ℓ1 input norm; dual ℓ∞), written t = u − v, u, v ∈ [0, 1],
    /// g = 1 − Σ(u_i + v_i) ∈ [0, 1].
    case crossPolytope
    /// B_* = {‖t‖_2 ≤ 1} (ℓ2 input norm; dual ℓ2): the box [−1, 1]^n plus g = 1 − Σ t_i².
    case euclideanBall
    /// A user ball: a box containing B_* and constraint polynomials g_j(t) (variables
    /// 0..<n are t_1..t_n) with 0 ≤ g_j ≤ 1 describing B_* together with the box.
    case constraints(box: @Sendable (Int) -> (lower: [Double], upper: [Double]),
                     polynomials: @Sendable (Int) -> [Polynomial])

    /// A short word for reports: "box", "cross-polytope", "ball", "constraints".
    public var shapeName: String {
        switch self {
        case .box: return "box"
        case .crossPolytope: return "cross-polytope"
        case .euclideanBall: return "ball"
        case .constraints: return "constraints"
        }
    }
}

/// An input norm ‖·‖ and what LiPopt needs of it: the dual norm ‖·‖_* and the shape of the
/// dual unit ball B_*, with ‖g‖_* = max_{t ∈ B_*} tᵀ g. Built-ins: `.linf`, `.l1`, `.l2`;
/// user norms (Lua) give a dual-norm function and a `.constraints` ball. A norm is resolved
/// by name through `Registries.norms`; nothing switches on the name.
public struct Norm: Sendable, CustomStringConvertible {
    public let name: String
    public let dualBall: DualBall
    private let dual: @Sendable ([Double]) -> Double

    /// ‖g‖_*, the dual norm of a gradient.
    public func dualNorm(_ g: [Double]) -> Double { dual(g) }

    public var description: String { "Norm(\(name), dual ball: \(dualBall.shapeName))" }

    public init(name: String, dualBall: DualBall, dualNorm: @escaping @Sendable ([Double]) -> Double) {
        self.name = name; self.dualBall = dualBall; self.dual = dualNorm
    }

    public static let linf = Norm(name: "linf", dualBall: .box, dualNorm: { g in g.reduce(0) { $0 + Swift.abs($1) } })
    public static let l1 = Norm(name: "l1", dualBall: .crossPolytope, dualNorm: { g in g.reduce(0) { Swift.max($0, Swift.abs($1)) } })
    public static let l2 = Norm(name: "l2", dualBall: .euclideanBall, dualNorm: { g in l2norm(g) })

    /// A user norm. `dualNorm` is ‖·‖_*; `dualBallConstraints(n)` returns the g_j(t) over
    /// variables 0..<n (0 ≤ g_j ≤ 1 must describe B_* together with the box);
    /// `dualBallBox(n)` a box containing B_* (default [−1, 1]^n, right whenever ‖·‖ ≥ ‖·‖_∞,
    /// i.e. whenever B_* lies in the unit ℓ∞ box).
    public static func custom(name: String, dualNorm: @escaping @Sendable ([Double]) -> Double,
                              dualBallConstraints: @escaping @Sendable (Int) -> [Polynomial],
                              dualBallBox: (@Sendable (Int) -> (lower: [Double], upper: [Double]))? = nil) -> Norm {
        let box = dualBallBox ?? { n in ([Double](repeating: -1, count: n), [Double](repeating: 1, count: n)) }
        return Norm(name: name, dualBall: .constraints(box: box, polynomials: dualBallConstraints), dualNorm: dualNorm)
    }

    /// The built-in norm called `s` (or an alias), nil otherwise. Prefer `Registries.norms`,
    /// which also knows user norms.
    public static func named(_ s: String) -> Norm? { Registries.builtin().norms.lookup(s) }
}

/// ‖x‖₂ with scaling against overflow.
func l2norm(_ g: [Double]) -> Double {
    let m = g.reduce(0) { Swift.max($0, Swift.abs($1)) }
    if m == 0 || !m.isFinite { return m }
    var s = 0.0
    for x in g { let y = x / m; s += y * y }
    return m * s.squareRoot()
}
