/// The polynomial optimisation problem LiPopt relaxes (docs/METHOD.md §2):
///
///     maximise p(t, s)   over   t ∈ B_*,  s_{i,j} ∈ [lo_{i,j}, hi_{i,j}]
///
/// Variables are numbered 0..<variableCount. Every variable has a box [lower, upper]; a
/// dual ball that is not a box (ℓ1, ℓ2, user norms) adds `constraints`: polynomials g with
/// 0 ≤ g ≤ 1 on the feasible set (docs/METHOD.md §3 writes the whole set as {0 ≤ g_j ≤ 1}; the box
/// constraints g = (x − lo)/(hi − lo) are implied by `lower`/`upper` and not listed here).
///
/// Fixed derivatives (lo = hi) are already substituted into `polynomial`; they are not
/// variables. Sparsity information for the patterns of docs/METHOD.md §3 travels with the problem.
public struct LipschitzProblem: Sendable {
    public enum VariableKind: Sendable, Equatable {
        /// A dual-ball variable t_i (for ℓ1: u_i or v_i with t_i = u_i − v_i), input coordinate i.
        case dual(input: Int)
        /// A derivative variable s_{layer, neuron}, layer 1..d-1, neuron 0-based.
        case derivative(layer: Int, neuron: Int)
        /// Anything a user problem adds.
        case other
    }

    public var polynomial: Polynomial
    public var lower: [Double]
    public var upper: [Double]
    public var constraints: [Polynomial]
    public var kinds: [VariableKind]
    /// For every input coordinate v: the derivative variables reachable from v through
    /// nonzero weights (docs/METHOD.md §3, pattern "by input"). Empty when unknown.
    public var inputReach: [[Int]]
    /// For every neuron j of the last hidden layer: the derivative variables (of earlier
    /// layers, and s_{d-1,j} itself if it is a variable) that reach j, and the inputs that
    /// reach it (pattern "by last hidden neuron"). Empty when unknown.
    public var lastHiddenReach: [(neuron: Int, derivatives: [Int], inputs: [Int])]
    /// The input norm: its dual norm and the shape of its dual ball B_*.
    public var norm: Norm
    /// The norm's name, for reports ("linf", "l1", "l2", a user norm's name).
    public var normName: String { norm.name }
    /// True when derivative ranges come from an input box (local), false for global ranges.
    public var isLocal: Bool

    public var variableCount: Int { lower.count }
    public var variableNames: [String] { polynomial.variableNames }

    public init(polynomial: Polynomial, lower: [Double], upper: [Double], constraints: [Polynomial] = [],
                kinds: [VariableKind]? = nil, inputReach: [[Int]] = [],
                lastHiddenReach: [(neuron: Int, derivatives: [Int], inputs: [Int])] = [],
                norm: Norm = .linf, isLocal: Bool = false) {
        self.polynomial = polynomial
        self.lower = lower
        self.upper = upper
        self.constraints = constraints
        self.kinds = kinds ?? Array(repeating: .other, count: lower.count)
        self.inputReach = inputReach
        self.lastHiddenReach = lastHiddenReach
        self.norm = norm
        self.isLocal = isLocal
    }
}
