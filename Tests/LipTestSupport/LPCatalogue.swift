import LipLP
import Testing

// The LP catalogue shared by the GLPK and Clp tests: small LPs with hand-computed optima,
// seeded random LPs that are feasible and bounded, and an independent check of the optimality
// conditions. Both solvers are checked against the same hand values.

/// LP options for `method` (presolve on unless asked otherwise).
public func options(_ method: LPMethod, presolve: Bool = true, timeLimit: Double? = nil) -> LPOptions {
    var o = LPOptions()
    o.method = method; o.presolve = presolve; o.timeLimit = timeLimit
    return o
}

/// maximize 3x + 2y  s.t. x + y ≤ 4, x + 3y ≤ 7, 0 ≤ x ≤ 3, y ≥ 0. By hand: x = 3, y = 1,
/// objective 11, y₁ = 2, y₂ = 0, d_x = 1, d_y = 0.
public func smallMax() -> LinearProgram {
    var lp = LinearProgram(sense: .maximize, name: "small-max")
    let x = lp.addColumn(objective: 3, lower: 0, upper: 3, name: "x")
    let y = lp.addColumn(objective: 2, name: "y")
    lp.addRow([(x, 1), (y, 1)], lower: -.infinity, upper: 4, name: "sum")
    lp.addRow([(x, 1), (y, 3)], lower: -.infinity, upper: 7, name: "mix")
    return lp
}

/// minimize x + 2y + z + 5  s.t. x + y + z = 6, x − y = 1, x, y free, 1 ≤ z ≤ 9. By hand:
/// y = −2, x = −1, z = 9, objective 9; y₁ = 1.5, y₂ = −0.5, d_z = −0.5.
public func equalityFree() -> LinearProgram {
    var lp = LinearProgram(name: "equality-free")
    let x = lp.addColumn(objective: 1, lower: -.infinity, upper: .infinity, name: "x")
    let y = lp.addColumn(objective: 2, lower: -.infinity, upper: .infinity, name: "y")
    let z = lp.addColumn(objective: 1, lower: 1, upper: 9, name: "z")
    lp.objectiveConstant = 5
    lp.addRow([(x, 1), (y, 1), (z, 1)], lower: 6, upper: 6, name: "total")
    lp.addRow([(x, 1), (y, -1)], lower: 1, upper: 1, name: "diff")
    return lp
}

/// Supplies 20, 30; demands 10, 25, 15; costs [[8, 6, 10], [9, 12, 13]]. By hand (MODI): 465,
/// shipping (0, 20, 0, 10, 5, 15), unique.
public func transportation() -> LinearProgram {
    let supply = [20.0, 30], demand = [10.0, 25, 15]
    let cost = [[8.0, 6, 10], [9, 12, 13]]
    var lp = LinearProgram(name: "transport")
    var v = [[Int]]()
    for s in 0..<2 { v.append((0..<3).map { d in lp.addColumn(objective: cost[s][d], name: "x\(s + 1)\(d + 1)") }) }
    for s in 0..<2 { lp.addRow((0..<3).map { (v[s][$0], 1.0) }, lower: -.infinity, upper: supply[s], name: "supply\(s + 1)") }
    for d in 0..<3 { lp.addRow((0..<2).map { (v[$0][d], 1.0) }, lower: demand[d], upper: .infinity, name: "demand\(d + 1)") }
    return lp
}

/// minimize −x + 2w + 1 with an empty row and columns in no row; optimum −5 at y = 1, x = 2, w = −2.
public func empties() -> LinearProgram {
    var lp = LinearProgram(name: "empties")
    let x = lp.addColumn(objective: -1)
    let y = lp.addColumn(objective: 0, lower: 1)
    _ = lp.addColumn(objective: 2, lower: -2, upper: 4)
    _ = lp.addColumn(objective: 0, lower: -5, upper: 5)
    lp.objectiveConstant = 1
    lp.addRow([(x, 1), (y, 1)], lower: -.infinity, upper: 3)
    lp.addRow([], lower: -1, upper: 1)
    return lp
}

/// maximize 2a − b over a box, no rows: 2·3 − (−4) = 10.
public func boundsOnly() -> LinearProgram {
    var lp = LinearProgram(sense: .maximize, name: "bounds-only")
    lp.addColumn(objective: 2, lower: 0, upper: 3)
    lp.addColumn(objective: -1, lower: -4, upper: 1)
    return lp
}

/// x + y ≥ 5 with x, y ∈ [0, 1]: no feasible point.
public func infeasibleLP() -> LinearProgram {
    var lp = LinearProgram(name: "infeasible")
    let x = lp.addColumn(objective: 1, lower: 0, upper: 1), y = lp.addColumn(objective: 1, lower: 0, upper: 1)
    lp.addRow([(x, 1), (y, 1)], lower: 5, upper: .infinity, name: "need5")
    lp.addRow([(x, 1), (y, -1)], lower: -1, upper: 1, name: "balance")
    return lp
}

/// maximize x + y with x − y ≤ 1, x + 2y ≥ 1, x, y ≥ 0: the ray (1, 1) improves forever.
public func unboundedLP() -> LinearProgram {
    var lp = LinearProgram(sense: .maximize, name: "unbounded")
    let x = lp.addColumn(objective: 1), y = lp.addColumn(objective: 1)
    lp.addRow([(x, 1), (y, -1)], lower: -.infinity, upper: 1)
    lp.addRow([(x, 1), (y, 2)], lower: 1, upper: .infinity)
    return lp
}

/// The catalogue with the hand-computed optima.
public func catalogue() -> [(LinearProgram, Double)] {
    [(smallMax(), 11), (equalityFree(), 9), (transportation(), 465), (empties(), -5), (boundsOnly(), 10)]
}

/// A random sparse LP that is feasible (a random x₀ satisfies it) and bounded (every column
/// has a finite box). With `banded`, row i draws its columns from a window around i·n/m (a
/// sparse Cholesky factor, so interior-point iterations stay cheap on large instances).
public func randomLP(rows m: Int, columns n: Int, perRow: Int, seed: UInt64, sense: LinearProgram.Sense = .minimize,
              banded: Bool = false) -> LinearProgram {
    var g = SplitMix(state: seed)
    var lp = LinearProgram(sense: sense, columns: 0, name: "random\(seed)")
    var x0: [Double] = []
    for _ in 0..<n {
        let lo = Double.random(in: -1...0, using: &g), up = Double.random(in: 0.5...2, using: &g)
        lp.addColumn(objective: Double.random(in: -1...1, using: &g), lower: lo, upper: up)
        x0.append(Double.random(in: lo...up, using: &g))
    }
    lp.objectiveConstant = Double.random(in: -3...3, using: &g)
    for _ in 0..<m {
        var cols = Set<Int>()
        let base = lp.rowCount * n / max(m, 1)
        while cols.count < min(perRow, n) {
            cols.insert(banded ? (base + Int.random(in: 0..<(2 * perRow), using: &g)) % n : Int.random(in: 0..<n, using: &g))
        }
        let entries = cols.sorted().map { (column: $0, value: Double.random(in: -2...2, using: &g)) }
        let ax = entries.reduce(0) { $0 + $1.value * x0[$1.column] }
        switch Int.random(in: 0..<4, using: &g) {
        case 0: lp.addRow(entries, lower: ax, upper: ax)
        case 1: lp.addRow(entries, lower: -.infinity, upper: ax + Double.random(in: 0...0.5, using: &g))
        case 2: lp.addRow(entries, lower: ax - Double.random(in: 0...0.5, using: &g), upper: .infinity)
        default: lp.addRow(entries, lower: ax - Double.random(in: 0...0.3, using: &g), upper: ax + Double.random(in: 0...0.3, using: &g))
        }
    }
    return lp
}

/// Checks the optimality conditions of `r` for `lp` independently of the solver: primal
/// feasibility, d = c − Aᵀy, sign conditions of y and d away from active bounds (by sense),
/// and strong duality cᵀx + c₀ = Σ y_i b_i + Σ d_j ℓ_j + c₀ with b_i, ℓ_j the bounds the signs
/// of y_i, d_j select.
public func expectKKT(_ lp: LinearProgram, _ r: LPResult, tol: Double = 1e-6, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status == .optimal, "\(r.message)", sourceLocation: sourceLocation)
    guard r.primal.count == lp.columnCount, r.rowDuals.count == lp.rowCount, r.reducedCosts.count == lp.columnCount else {
        Issue.record("missing solution arrays", sourceLocation: sourceLocation); return
    }
    let x = r.primal, y = r.rowDuals
    var ax = [Double](repeating: 0, count: lp.rowCount)
    var d = lp.objective
    for k in 0..<lp.nonzeroCount {
        let i = Int(lp.entryRow[k]), j = Int(lp.entryColumn[k]), a = lp.entryValue[k]
        ax[i] += a * x[j]; d[j] -= a * y[i]
    }
    let sign: Double = lp.sense == .minimize ? 1 : -1
    func scale(_ v: Double) -> Double { v.isFinite ? max(1, abs(v)) : 1 }
    for j in 0..<lp.columnCount {
        #expect(x[j] >= lp.columnLower[j] - tol * scale(lp.columnLower[j]) && x[j] <= lp.columnUpper[j] + tol * scale(lp.columnUpper[j]),
                "column \(j) = \(x[j]) outside bounds", sourceLocation: sourceLocation)
        #expect(abs(d[j] - r.reducedCosts[j]) <= tol * scale(d[j]), "reduced cost \(j): \(r.reducedCosts[j]) vs c - Aᵀy = \(d[j])", sourceLocation: sourceLocation)
        let s = sign * d[j]
        let atLower = abs(x[j] - lp.columnLower[j]) <= 1e-5 * scale(lp.columnLower[j])
        let atUpper = abs(x[j] - lp.columnUpper[j]) <= 1e-5 * scale(lp.columnUpper[j])
        if !atLower { #expect(s <= tol * 10, "column \(j): d = \(d[j]) but x = \(x[j]) is not at its lower bound", sourceLocation: sourceLocation) }
        if !atUpper { #expect(s >= -tol * 10, "column \(j): d = \(d[j]) but x = \(x[j]) is not at its upper bound", sourceLocation: sourceLocation) }
    }
    var dualObjective = lp.objectiveConstant
    for i in 0..<lp.rowCount {
        #expect(ax[i] >= lp.rowLower[i] - tol * scale(lp.rowLower[i]) && ax[i] <= lp.rowUpper[i] + tol * scale(lp.rowUpper[i]),
                "row \(i): \(ax[i]) outside [\(lp.rowLower[i]), \(lp.rowUpper[i])]", sourceLocation: sourceLocation)
        let s = sign * y[i]
        let atLower = abs(ax[i] - lp.rowLower[i]) <= 1e-5 * scale(lp.rowLower[i])
        let atUpper = abs(ax[i] - lp.rowUpper[i]) <= 1e-5 * scale(lp.rowUpper[i])
        if !atLower { #expect(s <= tol * 10, "row \(i): y = \(y[i]) but row not at lower bound", sourceLocation: sourceLocation) }
        if !atUpper { #expect(s >= -tol * 10, "row \(i): y = \(y[i]) but row not at upper bound", sourceLocation: sourceLocation) }
        let b = s > 0 ? lp.rowLower[i] : lp.rowUpper[i]
        if b.isFinite { dualObjective += y[i] * b }
        else { #expect(abs(y[i]) <= tol, "row \(i): y = \(y[i]) pushes against an infinite bound", sourceLocation: sourceLocation) }
    }
    for j in 0..<lp.columnCount {
        let b = sign * d[j] > 0 ? lp.columnLower[j] : lp.columnUpper[j]
        if b.isFinite { dualObjective += d[j] * b }
        else { #expect(abs(d[j]) <= tol, "column \(j): d = \(d[j]) pushes against an infinite bound", sourceLocation: sourceLocation) }
    }
    var primalObjective = lp.objectiveConstant
    for j in 0..<lp.columnCount { primalObjective += lp.objective[j] * x[j] }
    #expect(abs(primalObjective - r.objective) <= tol * scale(primalObjective), "objective \(r.objective) vs cᵀx + c₀ = \(primalObjective)", sourceLocation: sourceLocation)
    #expect(abs(primalObjective - dualObjective) <= 10 * tol * scale(primalObjective), "duality gap: primal \(primalObjective) dual \(dualObjective)", sourceLocation: sourceLocation)
}
