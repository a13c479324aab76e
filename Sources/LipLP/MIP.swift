import LipControl

/// Mixed-integer linear programs: a `LinearProgram` whose `isInteger` flags mark integer columns,
/// solved by branch and bound. Same conventions as `LPSolver`: outcomes (infeasible, time limit,
/// interrupted, solver failure) are values with a status; `throws` only for invalid input.
///
/// What a MIP answer is worth: the incumbent (`objective`, `primal`) is a point the solver found
/// feasible within its tolerances (integrality and row feasibility, in floating point); the
/// `bound` is the solver's claim about the best value any feasible point can have (for a
/// maximisation an upper bound), computed from floating-point LP relaxations. Neither is a proof.
/// Callers that need one re-verify the incumbent themselves (see LipCore's certified witnesses).
public struct MIPOptions: Sendable {
    /// Seconds for the whole solve (root LP and branch and bound); nil for none.
    public var timeLimit: Double? = nil
    /// 0 silent, 1 errors, 2 normal progress, 3 everything.
    public var verbosity: Int = 0
    /// Stop when |bound − incumbent| ≤ relativeGap · max(1, |incumbent|); 0 = prove optimality.
    public var relativeGap: Double = 0
    /// Integrality tolerance: a value within this of an integer counts as integral.
    public var integralityTolerance: Double = 1e-7
    /// Relative tolerance used to prune a node whose LP bound is not better than the incumbent
    /// by more than this (GLPK's tol_obj). The reported `bound` of an optimal solve includes it.
    public var objectiveTolerance: Double = 1e-9
    /// A feasible point (one value per column, integer columns integral) offered to the solver as
    /// its first incumbent. Refused (and reported in `startAccepted`) when it is not integral, out
    /// of bounds, or violates a row by more than a relative 1e-9.
    public var start: [Double]? = nil
    /// Branching order: empty (the solver's rule), or one number per column; among the integer
    /// columns with a fractional LP value, the smallest number is branched on first (ties: the
    /// most fractional).
    public var branchingPriority: [Int] = []
    /// Let the solver generate cutting planes (GLPK: Gomory mixed-integer, mixed-integer
    /// rounding, mixed cover and clique cuts).
    public var cuts: Bool = false
    /// Called about every `progressInterval` seconds, and whenever a better incumbent appears.
    public var progress: (@Sendable (MIPProgress) -> Void)? = nil
    public var progressInterval: Double = 1
    /// Polled during the search; true stops it with status `interrupted`. Default: the
    /// process-wide Ctrl-C flag (`Interrupt.isRequested`).
    public var interrupted: @Sendable () -> Bool = { Interrupt.isRequested }
    public init() {}
}

public struct MIPProgress: Sendable {
    /// Branch-and-bound nodes created so far, and those still open.
    public var nodes: Int
    public var openNodes: Int
    /// The best integer-feasible objective so far (nil before the first one).
    public var incumbent: Double?
    /// The solver's best bound on the optimum (nil when unknown).
    public var bound: Double?
    public var seconds: Double
    public init(nodes: Int, openNodes: Int, incumbent: Double?, bound: Double?, seconds: Double) {
        self.nodes = nodes; self.openNodes = openNodes; self.incumbent = incumbent; self.bound = bound; self.seconds = seconds
    }
}

public struct MIPResult: Sendable {
    /// `optimal`: the search finished (incumbent optimal within the tolerances); `infeasible`;
    /// `time_limit` / `interrupted` (the incumbent, if any, and the bound so far are still given);
    /// `unbounded` / `infeasible_or_unbounded` (root relaxation); `numerical_error`,
    /// `solver_error`, `not_solved`.
    public var status: LPStatus
    /// Objective of the incumbent (including the constant); NaN when there is none.
    public var objective: Double
    /// The incumbent, one value per column; empty when there is none.
    public var primal: [Double]
    /// The solver's best bound on the optimum (maximisation: an upper bound; minimisation: a
    /// lower bound), a floating-point claim; NaN when unknown (e.g. stopped before the root LP).
    public var bound: Double
    /// Branch-and-bound nodes created.
    public var nodes: Int
    public var seconds: Double
    /// Whether `MIPOptions.start` was used: true when accepted as an incumbent (or when the solver
    /// already had one at least as good), false when rejected (not integral, out of bounds), nil
    /// when none was given or the search ended before it could be offered.
    public var startAccepted: Bool?
    public var solver: String
    public var message: String

    public var hasIncumbent: Bool { !primal.isEmpty }

    public init(status: LPStatus, objective: Double = .nan, primal: [Double] = [], bound: Double = .nan,
                nodes: Int = 0, seconds: Double = 0, startAccepted: Bool? = nil, solver: String = "", message: String = "") {
        self.status = status; self.objective = objective; self.primal = primal; self.bound = bound
        self.nodes = nodes; self.seconds = seconds; self.startAccepted = startAccepted
        self.solver = solver; self.message = message
    }
}

/// A mixed-integer solver.
public protocol MIPSolver: Sendable {
    var name: String { get }
    func solveMIP(_ lp: LinearProgram, options: MIPOptions) throws -> MIPResult
}

/// Why MIP options do not fit a program.
public struct MIPOptionsError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension MIPOptions {
    /// Checks the options against a program: `start` and `branchingPriority` lengths, finite
    /// non-negative tolerances and time limit.
    public func validate(for lp: LinearProgram) throws {
        if let s = start {
            guard s.count == lp.columnCount else {
                throw MIPOptionsError("MIP '\(lp.name)': start point has \(s.count) values, the program has \(lp.columnCount) columns")
            }
            if let j = s.firstIndex(where: { !$0.isFinite }) {
                throw MIPOptionsError("MIP '\(lp.name)': start value of \(lp.columnLabel(j)) is \(s[j]); give finite values")
            }
        }
        if !branchingPriority.isEmpty && branchingPriority.count != lp.columnCount {
            throw MIPOptionsError("MIP '\(lp.name)': branchingPriority has \(branchingPriority.count) entries, the program has \(lp.columnCount) columns (give one per column or none)")
        }
        for (name, v) in [("relativeGap", relativeGap), ("integralityTolerance", integralityTolerance),
                          ("objectiveTolerance", objectiveTolerance), ("progressInterval", progressInterval)] {
            guard v.isFinite && v >= 0 else { throw MIPOptionsError("MIP options: \(name) is \(v); it must be finite and ≥ 0") }
        }
        if let t = timeLimit, t.isNaN || t < 0 { throw MIPOptionsError("MIP options: timeLimit is \(t); give seconds ≥ 0 or nil") }
    }
}
