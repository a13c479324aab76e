import LipControl

/// How an SDP solve ended. The raw values are the status vocabulary every liplua solver uses
/// (the same strings as `LPStatus`).
public enum SDPStatus: String, Sendable, CaseIterable {
    case optimal
    case infeasible
    case unbounded
    case infeasibleOrUnbounded = "infeasible_or_unbounded"
    case timeLimit = "time_limit"
    case iterationLimit = "iteration_limit"
    case numericalError = "numerical_error"
    case solverError = "solver_error"
    case interrupted
    case notSolved = "not_solved"

    /// time_limit / interrupted from a `StopReason`.
    public init(_ reason: StopReason) {
        switch reason { case .interrupted: self = .interrupted; case .timeLimit: self = .timeLimit }
    }
}

/// One progress report: iteration, the solver's current (dual) objective, seconds so far.
public struct SDPProgress: Sendable {
    public var iterations: Int
    public var objective: Double
    public var seconds: Double
    public var message: String
    public init(iterations: Int, objective: Double, seconds: Double, message: String = "") {
        self.iterations = iterations; self.objective = objective; self.seconds = seconds; self.message = message
    }
}

public struct SDPOptions: Sendable {
    /// Wall-clock limit (and Ctrl-C, through `Interrupt`); polled once per iteration.
    public var deadline: Deadline = .none
    /// Called about once per iteration (DSDP) or every few sweeps (low rank).
    public var progress: (@Sendable (SDPProgress) -> Void)? = nil
    /// 0 silent, 1 errors, 2 progress lines on stderr, 3 everything the solver prints.
    public var verbosity: Int = 0
    /// Target relative gap between the solver's primal and dual values (DSDP's gap tolerance;
    /// the low-rank solver's estimated certified gap). nil: the solver's default.
    public var tolerance: Double? = nil
    /// Iteration cap (DSDP iterations, low-rank sweeps); nil: the solver's default.
    public var maxIterations: Int? = nil
    /// Memory one solve may claim (checked before allocating).
    public var memory: MemoryBudget = .machineDefault
    /// Return the primal matrix X (dense; order² doubles per block) when the solver has it.
    public var wantPrimalMatrix: Bool = false
    /// Low-rank solver: the factor's rank (nil: ⌈√(2n)⌉ + 1) and the seed of its start.
    public var rank: Int? = nil
    public var seed: UInt64 = 0
    public init() {}
}

/// A low-rank primal point X = V Vᵀ (V row-major, order × rank).
public struct LowRankFactor: Sendable {
    public var order: Int
    public var rank: Int
    public var values: [Double]
    public init(order: Int, rank: Int, values: [Double]) { self.order = order; self.rank = rank; self.values = values }
    /// Row i of V.
    public func row(_ i: Int) -> ArraySlice<Double> { values[(i * rank)..<((i + 1) * rank)] }
}

/// The outcome of one SDP solve. The values are the solver's, up to its tolerances; only
/// the certificate (`MaxCutProblem.certify`, `BlockSDP.certify`) turns a dual into a theorem.
public struct SDPResult: Sendable {
    public var status: SDPStatus
    /// The primal objective ⟨C, X⟩ + c₀ at the solver's primal point (NaN when none).
    public var primalObjective: Double
    /// The dual objective at `dual` (Σd for MAXCUT; see `BlockSDP.dualObjective`).
    public var dualObjective: Double
    /// MAXCUT: d (length order). Block SDP: y, one per constraint (maximisation form).
    public var dual: [Double]
    /// Dense X per block (row-major), when asked for and available.
    public var primalMatrices: [[Double]]?
    /// The low-rank factor, for low-rank solvers.
    public var factor: LowRankFactor?
    public var iterations: Int
    public var seconds: Double
    public var solver: String
    public var message: String

    public init(status: SDPStatus, primalObjective: Double = .nan, dualObjective: Double = .nan, dual: [Double] = [],
                primalMatrices: [[Double]]? = nil, factor: LowRankFactor? = nil, iterations: Int = 0, seconds: Double = 0,
                solver: String = "", message: String = "") {
        self.status = status; self.primalObjective = primalObjective; self.dualObjective = dualObjective; self.dual = dual
        self.primalMatrices = primalMatrices; self.factor = factor; self.iterations = iterations; self.seconds = seconds
        self.solver = solver; self.message = message
    }
}

/// An SDP solver. Outcomes (time limit, numerical trouble, infeasibility) are values with a
/// status; `throws` is reserved for invalid input and for problems the solver does not take
/// (`supports` says which).
public protocol SDPSolver: Sendable {
    var name: String { get }
    func supports(_ problem: SDPProblem) -> Bool
    func solve(_ problem: SDPProblem, options: SDPOptions) throws -> SDPResult
}
