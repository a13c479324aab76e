import LipLP
@testable import LipGLPK
import Testing

let allMethods: [LPMethod] = [.primalSimplex, .dualSimplex, .interiorPoint, .automatic]

func options(_ method: LPMethod, presolve: Bool = true, timeLimit: Double? = nil) -> LPOptions {
    var o = LPOptions()
    o.method = method; o.presolve = presolve; o.timeLimit = timeLimit
    return o
}

/// Checks the optimality conditions of `r` for `lp` independently of the solver:
/// primal feasibility, d = c − Aᵀy, sign conditions of y and d away from active bounds (by
/// sense), and strong duality cᵀx + c₀ = Σ y_i b_i + Σ d_j ℓ_j + c₀ with b_i, ℓ_j the bounds the
/// signs of y_i, d_j select.
func expectKKT(_ lp: LinearProgram, _ r: LPResult, tol: Double = 1e-6, sourceLocation: SourceLocation = #_sourceLocation) {
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

/// A deterministic generator (SplitMix64) so random tests are reproducible.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}

/// A random sparse LP that is feasible (a random x₀ satisfies it) and bounded (every column
/// has a finite box).
/// With `banded`, row i draws its columns from a window around i·n/m (a sparse Cholesky factor,
/// so interior-point iterations stay cheap on large instances).
func randomLP(rows m: Int, columns n: Int, perRow: Int, seed: UInt64, sense: LinearProgram.Sense = .minimize,
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
