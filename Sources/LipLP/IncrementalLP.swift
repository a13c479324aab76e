/// A live LP that grows between solves and is re-solved from its previous basis (warm start),
/// for column generation: rows and columns are only ever appended.
///
/// A session belongs to the thread that created it (GLPK's environment is thread-local) and is
/// not `Sendable`. Outcomes are `LPResult` values like `LPSolver.solve`; `throws` is for invalid
/// input only (non-finite coefficients, indices out of range, duplicate entries in a column).
///
/// The contract that makes a warm start cheap: new columns start nonbasic at their lower bound
/// (0 for Krivine products) and new rows start with their auxiliary variable basic, so when the
/// new rows' bounds contain the current activity (0 for rows only new columns touch) the
/// previous optimal basis stays primal feasible and the primal simplex continues from it.
public protocol IncrementalLPSession: AnyObject {
    var rowCount: Int { get }
    var columnCount: Int { get }
    /// False once the session can no longer be used (a solver fatal error or an interrupt reset
    /// the solver's state); callers then fall back to solving the whole LP again.
    var isUsable: Bool { get }
    /// Appends rows `lower[i] ≤ (A x)_i ≤ upper[i]` with no coefficients yet (columns added later
    /// fill them).
    func addRows(lower: [Double], upper: [Double]) throws(LPError)
    /// Appends columns; `entries[j]` lists (row, value) pairs (0-based rows of the current LP,
    /// including rows just added) of new column j.
    func addColumns(objective: [Double], lower: [Double], upper: [Double],
                    entries: [[(row: Int32, value: Double)]]) throws(LPError)
    /// Solves from the current basis (primal simplex unless `options.method` says otherwise;
    /// `options.presolve` applies to the first solve only: later a presolver would discard the
    /// basis). Returns the point,
    /// row duals and reduced costs of the whole current LP.
    func solve(options: LPOptions) -> LPResult
}

/// A solver that can keep an LP alive across solves.
public protocol IncrementalLPSolver: LPSolver {
    /// Loads `lp` (validated first) into a live session; nothing is solved yet.
    func incrementalSession(_ lp: LinearProgram) throws(LPError) -> any IncrementalLPSession
}
