import LipLP

/// Column generation's warm start: a live LP in the solver (`IncrementalLPSession`) kept in
/// step with the restricted Krivine LP of every round.
///
/// The live LP holds the rows and columns in the order they arrived: the first round's LP as
/// `assemble` built it (λ, the starting products, the constraint products), then per round the
/// new products' columns and the rows of their g-monomials not seen before (right-hand side
/// −[m]p, which is 0 for them: p's monomials are all rows of the first LP). The round's LP as
/// `assemble` builds it (products first, constraint products last) stays the one that is
/// certified; the solver's point is permuted into its column order, and pricing reads the
/// duals through the live LP's own row keys. Both describe the same LP (checked by size every
/// round): the products and their expansions are the same, only the order differs.
///
/// Any failure of the live LP (a solver error, a numerical breakdown of the warm basis, sizes
/// out of step) switches column generation to solving every remaining round from scratch,
/// with a note in the round's message.
struct WarmState {
    let solver: (any IncrementalLPSolver)?
    var session: (any IncrementalLPSession)? = nil
    var rowOf: [MonoKey: Int32] = [:]
    var rowKeys: [MonoKey] = []
    /// Live column of master product h, and of constraint product q.
    var productColumn: [Int32] = []
    var constraintColumn: [Int32] = []
    /// Right-hand side of a row by its g-monomial (−[m]p; rows not listed have 0).
    let rightHandSide: [MonoKey: Double]
    var disabled = false
    /// Why the last round fell back to a cold solve (prefixed to that round's message).
    var fallbackNote: String? = nil

    init(solver: (any IncrementalLPSolver)?, problem: LipschitzProblem) {
        self.solver = solver
        var rhs: [MonoKey: Double] = [:]
        if solver != nil { for (key, c, _) in gBasis(problem).terms { rhs[key] = -c } }
        rightHandSide = rhs
    }

    /// Solves this round's LP `lp` (from `assemble(master)`, row keys `keys`) in the live LP:
    /// nil when there is no live LP (the caller solves `lp` from scratch). The result's point
    /// and reduced costs are in `lp`'s column order; its duals are in the returned row order.
    mutating func solve(lp: LinearProgram, keys: [MonoKey], master: ProductList, options: LPOptions) throws
        -> (result: LPResult, rowKeys: [MonoKey])? {
        guard let solver, !disabled else { return nil }
        let products = master.count
        let constraints = lp.columnCount - 1 - products
        if session == nil {
            session = try solver.incrementalSession(lp)
            rowKeys = keys
            rowOf = [MonoKey: Int32](minimumCapacity: keys.count)
            for (i, k) in keys.enumerated() { rowOf[k] = Int32(i) }
            productColumn = (0..<products).map { Int32(1 + $0) }
            constraintColumn = (0..<constraints).map { Int32(1 + products + $0) }
        } else if let session, productColumn.count < products {
            var newLower: [Double] = []
            var entries: [[(row: Int32, value: Double)]] = []
            var objective: [Double] = [], lower: [Double] = [], upper: [Double] = []
            let firstRow = session.rowCount
            for h in productColumn.count..<products {
                var column: [(row: Int32, value: Double)] = []
                master.expand(h) { key, coef in
                    let r: Int32
                    if let known = rowOf[key] { r = known } else {
                        r = Int32(firstRow + newLower.count)
                        rowOf[key] = r; rowKeys.append(key)
                        newLower.append(rightHandSide[key] ?? 0)
                    }
                    column.append((r, coef))
                }
                entries.append(column)
                objective.append(lp.objective[1 + h]); lower.append(lp.columnLower[1 + h]); upper.append(lp.columnUpper[1 + h])
            }
            try session.addRows(lower: newLower, upper: newLower)
            let firstColumn = session.columnCount
            try session.addColumns(objective: objective, lower: lower, upper: upper, entries: entries)
            for j in 0..<entries.count { productColumn.append(Int32(firstColumn + j)) }
        }
        guard let session else { return nil }
        guard session.rowCount == lp.rowCount, session.columnCount == lp.columnCount,
              constraintColumn.count == constraints, productColumn.count == products else {
            return fallBack("the live LP (\(session.rowCount) × \(session.columnCount)) is out of step with the restricted LP (\(lp.rowCount) × \(lp.columnCount))")
        }
        var r = session.solve(options: options)
        switch r.status {
        case .optimal, .timeLimit, .iterationLimit, .interrupted:
            break
        default:
            // A numerical breakdown or a solver error of the warm basis: the round is solved
            // from scratch instead (an infeasible or unbounded answer cannot be right for a
            // Krivine LP either, so it is checked the same way).
            return fallBack(r.message)
        }
        if r.primal.count == lp.columnCount {
            r.primal = permute(r.primal)
            if r.reducedCosts.count == lp.columnCount { r.reducedCosts = permute(r.reducedCosts) }
        }
        return (r, rowKeys)
    }

    /// Live-LP order → the restricted LP's order (λ, products, constraint products).
    private func permute(_ v: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: v.count)
        out[0] = v[0]
        for (h, j) in productColumn.enumerated() { out[1 + h] = v[Int(j)] }
        let first = 1 + productColumn.count
        for (q, j) in constraintColumn.enumerated() { out[first + q] = v[Int(j)] }
        return out
    }

    private mutating func fallBack(_ why: String) -> (result: LPResult, rowKeys: [MonoKey])? {
        disabled = true
        session = nil
        fallbackNote = "(warm start abandoned: \(why); this and later rounds are solved from scratch) "
        return nil
    }
}
