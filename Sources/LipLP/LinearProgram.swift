/// A linear program as a value:
///
///     minimize / maximize   cᵀx + c₀
///     subject to            rowLower ≤ A x ≤ rowUpper,   columnLower ≤ x ≤ columnUpper
///
/// `A` is stored as coordinate triplets (0-based); duplicate (row, column) pairs are an error
/// (see `validate()`). Infinite bounds (`-.infinity` / `.infinity`) mean "free on that side".
/// Solvers load the whole matrix in one call.
public struct LinearProgram: Sendable {
    public enum Sense: String, Sendable { case minimize, maximize }

    public var sense: Sense
    public var objective: [Double]
    public var objectiveConstant: Double
    public var columnLower: [Double]
    public var columnUpper: [Double]
    public var rowLower: [Double]
    public var rowUpper: [Double]
    /// Triplets of the constraint matrix, 0-based.
    public var entryRow: [Int32]
    public var entryColumn: [Int32]
    public var entryValue: [Double]
    /// Optional names (empty, or one per row / column), used in messages and written files.
    public var rowNames: [String]
    public var columnNames: [String]
    public var name: String
    /// Integer columns for mixed-integer solvers (`MIPSolver`): empty (the default: every column
    /// continuous) or one flag per column. An integer column's finite bounds must be integers
    /// (`validate()` checks both). LP solvers ignore the flags and solve the continuous relaxation.
    public var isInteger: [Bool] = []

    public var rowCount: Int { rowLower.count }
    public var columnCount: Int { objective.count }
    public var nonzeroCount: Int { entryValue.count }

    public init(sense: Sense = .minimize, columns: Int = 0, name: String = "lp") {
        self.sense = sense
        self.objective = Array(repeating: 0, count: columns)
        self.objectiveConstant = 0
        self.columnLower = Array(repeating: 0, count: columns)
        self.columnUpper = Array(repeating: .infinity, count: columns)
        self.rowLower = []
        self.rowUpper = []
        self.entryRow = []
        self.entryColumn = []
        self.entryValue = []
        self.rowNames = []
        self.columnNames = []
        self.name = name
    }

    /// Appends a column and returns its index.
    @discardableResult
    public mutating func addColumn(objective c: Double = 0, lower: Double = 0, upper: Double = .infinity, name: String? = nil) -> Int {
        objective.append(c)
        columnLower.append(lower)
        columnUpper.append(upper)
        if let name { while columnNames.count < objective.count - 1 { columnNames.append("x\(columnNames.count + 1)") }; columnNames.append(name) }
        return objective.count - 1
    }

    /// Appends a row `lower ≤ Σ a_j x_j ≤ upper` and returns its index.
    @discardableResult
    public mutating func addRow(_ entries: [(column: Int, value: Double)], lower: Double, upper: Double, name: String? = nil) -> Int {
        let r = rowLower.count
        rowLower.append(lower)
        rowUpper.append(upper)
        for (j, v) in entries {
            entryRow.append(Int32(r)); entryColumn.append(Int32(j)); entryValue.append(v)
        }
        if let name { while rowNames.count < r { rowNames.append("r\(rowNames.count + 1)") }; rowNames.append(name) }
        return r
    }

    public func rowName(_ i: Int) -> String { i < rowNames.count ? rowNames[i] : "row \(i + 1)" }
    public func columnName(_ j: Int) -> String { j < columnNames.count ? columnNames[j] : "column \(j + 1)" }
}

/// How an LP solve ended. Raw solver codes map to one of these plus an explanation.
public enum LPStatus: String, Sendable, CaseIterable {
    case optimal
    case infeasible          // the primal has no feasible point
    case unbounded           // the objective is unbounded in the optimising direction
    case infeasibleOrUnbounded = "infeasible_or_unbounded"
    case timeLimit = "time_limit"
    case iterationLimit = "iteration_limit"
    case numericalError = "numerical_error"
    case solverError = "solver_error"   // an internal failure of the solver (e.g. GLPK fatal error)
    case interrupted                    // stopped by an interrupt request (Ctrl-C); see LipControl.Interrupt
    case notSolved = "not_solved"
}

/// Simplex or interior point; `.automatic` lets the solver choose by size.
public enum LPMethod: String, Sendable, CaseIterable {
    case automatic = "auto"
    case primalSimplex = "primal"
    case dualSimplex = "dual"
    case interiorPoint = "interior"
}

public struct LPOptions: Sendable {
    public var method: LPMethod = .automatic
    /// Seconds; nil for none.
    public var timeLimit: Double? = nil
    /// 0 silent, 1 errors, 2 normal progress, 3 everything.
    public var verbosity: Int = 0
    public var presolve: Bool = true
    /// Called periodically with progress (iteration, objective, elapsed seconds) where the
    /// solver allows it.
    public var progress: (@Sendable (LPProgress) -> Void)? = nil
    public init() {}
}

public struct LPProgress: Sendable {
    public var iterations: Int
    public var objective: Double
    public var seconds: Double
    public init(iterations: Int, objective: Double, seconds: Double) {
        self.iterations = iterations; self.objective = objective; self.seconds = seconds
    }
}

public struct LPResult: Sendable {
    public var status: LPStatus
    /// Objective value including the constant, when a point is available.
    public var objective: Double
    public var primal: [Double]
    /// Row duals (shadow prices), one per row, when available.
    public var rowDuals: [Double]
    /// Reduced costs, one per column, when available.
    public var reducedCosts: [Double]
    public var iterations: Int
    public var seconds: Double
    public var method: LPMethod
    /// Solver name and a human explanation of the status.
    public var solver: String
    public var message: String

    public init(status: LPStatus, objective: Double = .nan, primal: [Double] = [], rowDuals: [Double] = [],
                reducedCosts: [Double] = [], iterations: Int = 0, seconds: Double = 0,
                method: LPMethod = .automatic, solver: String = "", message: String = "") {
        self.status = status; self.objective = objective; self.primal = primal; self.rowDuals = rowDuals
        self.reducedCosts = reducedCosts; self.iterations = iterations; self.seconds = seconds
        self.method = method; self.solver = solver; self.message = message
    }
}

/// A linear programming solver. Outcomes (infeasible, time limit, solver failure) are values
/// with a status; `throws` is reserved for invalid input found by `LinearProgram.validate()`.
public protocol LPSolver: Sendable {
    var name: String { get }
    func solve(_ lp: LinearProgram, options: LPOptions) throws -> LPResult
    /// Peak memory in bytes that solving an LP of this size with `method` adds to the memory
    /// holding the `LinearProgram` value (`.automatic`: the method the solver would pick), or
    /// nil when the solver cannot tell. Callers check it against a `MemoryBudget` before
    /// building an LP. Default: nil.
    func memoryEstimate(rows: Int, columns: Int, nonzeros: Int, method: LPMethod) -> Double?
}

extension LPSolver {
    public func memoryEstimate(rows: Int, columns: Int, nonzeros: Int, method: LPMethod) -> Double? { nil }
}
