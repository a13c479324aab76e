import LipLP
@testable import LipGLPK
import Testing

/// maximize 3x + 2y  s.t. x + y ≤ 4, x + 3y ≤ 7, 0 ≤ x ≤ 3, y ≥ 0.
/// By hand: x = 3, y = 1, objective 11; row 1 active with y₁ = 2, row 2 slack (y₂ = 0);
/// x at its upper bound with d_x = 3 − 2 = 1, d_y = 2 − 2 = 0.
func smallMax() -> LinearProgram {
    var lp = LinearProgram(sense: .maximize, name: "small-max")
    let x = lp.addColumn(objective: 3, lower: 0, upper: 3, name: "x")
    let y = lp.addColumn(objective: 2, name: "y")
    lp.addRow([(x, 1), (y, 1)], lower: -.infinity, upper: 4, name: "sum")
    lp.addRow([(x, 1), (y, 3)], lower: -.infinity, upper: 7, name: "mix")
    return lp
}

/// minimize x + 2y + z + 5  s.t. x + y + z = 6, x − y = 1, x, y free, 1 ≤ z ≤ 9.
/// By hand: x = y + 1, z = 5 − 2y, objective y + 11, z ≤ 9 ⇒ y ≥ −2: y = −2, x = −1, z = 9,
/// objective 9. Duals from d_x = d_y = 0: y₁ = 1.5, y₂ = −0.5; d_z = 1 − 1.5 = −0.5.
func equalityFree() -> LinearProgram {
    var lp = LinearProgram(name: "equality-free")
    let x = lp.addColumn(objective: 1, lower: -.infinity, upper: .infinity, name: "x")
    let y = lp.addColumn(objective: 2, lower: -.infinity, upper: .infinity, name: "y")
    let z = lp.addColumn(objective: 1, lower: 1, upper: 9, name: "z")
    lp.objectiveConstant = 5
    lp.addRow([(x, 1), (y, 1), (z, 1)], lower: 6, upper: 6, name: "total")
    lp.addRow([(x, 1), (y, -1)], lower: 1, upper: 1, name: "diff")
    return lp
}

/// Supplies 20, 30; demands 10, 25, 15; costs [[8, 6, 10], [9, 12, 13]].
/// By hand (MODI): ship 20 from s1 to d2; s2 sends 10, 5, 15. Cost 120 + 90 + 60 + 195 = 465.
/// Potentials u₂ = 0, v = (9, 12, 13), u₁ = −6; non-basic reduced costs 5 and 3 > 0, so the
/// primal optimum is unique. Supply equals demand, so the duals are unique only up to the shift
/// u − t, v + t (t ≥ 0): u₁ − u₂ = −6, v − v₁ = (0, 3, 4) and u₂ + v₁ = 9 hold for every optimum.
func transportation() -> LinearProgram {
    let supply = [20.0, 30], demand = [10.0, 25, 15]
    let cost = [[8.0, 6, 10], [9, 12, 13]]
    var lp = LinearProgram(name: "transport")
    var v = [[Int]]()
    for s in 0..<2 { v.append((0..<3).map { d in lp.addColumn(objective: cost[s][d], name: "x\(s + 1)\(d + 1)") }) }
    for s in 0..<2 { lp.addRow((0..<3).map { (v[s][$0], 1.0) }, lower: -.infinity, upper: supply[s], name: "supply\(s + 1)") }
    for d in 0..<3 { lp.addRow((0..<2).map { (v[$0][d], 1.0) }, lower: demand[d], upper: .infinity, name: "demand\(d + 1)") }
    return lp
}

@Suite struct KnownOptima {
    let solver = GLPKSolver()

    @Test(arguments: allMethods) func smallMaximize(method: LPMethod) throws {
        let lp = smallMax()
        let r = try solver.solve(lp, options: options(method))
        #expect(r.status == .optimal)
        #expect(abs(r.objective - 11) < 1e-6)
        #expect(abs(r.primal[0] - 3) < 1e-6 && abs(r.primal[1] - 1) < 1e-6)
        #expect(abs(r.rowDuals[0] - 2) < 1e-6 && abs(r.rowDuals[1]) < 1e-6)
        #expect(abs(r.reducedCosts[0] - 1) < 1e-6 && abs(r.reducedCosts[1]) < 1e-6)
        #expect(r.solver == "glpk")
        expectKKT(lp, r)
    }

    @Test(arguments: allMethods, [true, false]) func equalityRowsFreeVariables(method: LPMethod, presolve: Bool) throws {
        let lp = equalityFree()
        let r = try solver.solve(lp, options: options(method, presolve: presolve))
        #expect(r.status == .optimal, "\(r.message)")
        #expect(abs(r.objective - 9) < 1e-6)
        for (got, want) in zip(r.primal, [-1.0, -2, 9]) { #expect(abs(got - want) < 1e-6) }
        #expect(abs(r.rowDuals[0] - 1.5) < 1e-6 && abs(r.rowDuals[1] + 0.5) < 1e-6)
        #expect(abs(r.reducedCosts[2] + 0.5) < 1e-6)
        expectKKT(lp, r)
    }

    @Test(arguments: allMethods) func transportationProblem(method: LPMethod) throws {
        let lp = transportation()
        let r = try solver.solve(lp, options: options(method))
        #expect(abs(r.objective - 465) < 1e-6)
        for (got, want) in zip(r.primal, [0.0, 20, 0, 10, 5, 15]) { #expect(abs(got - want) < 1e-5) }
        // y = (u₁, u₂, v₁, v₂, v₃) in GLPK's sign convention (∂objective/∂row bound).
        let y = r.rowDuals
        #expect(abs(y[0] - y[1] + 6) < 1e-5)
        #expect(abs(y[3] - y[2] - 3) < 1e-5 && abs(y[4] - y[2] - 4) < 1e-5)
        #expect(abs(y[1] + y[2] - 9) < 1e-5)
        expectKKT(lp, r)
    }

    @Test func iterationsAndTimeReported() throws {
        let r = try solver.solve(transportation(), options: options(.primalSimplex, presolve: false))
        #expect(r.iterations > 0)
        #expect(r.seconds >= 0 && r.seconds < 5)
        #expect(r.method == .primalSimplex)
    }

    @Test(arguments: allMethods) func emptyRowsAndColumns(method: LPMethod) throws {
        // minimize −x + 2w + 0·v + 1 s.t. x + y ≤ 3, an empty row with 0 ∈ [−1, 1], y ≥ 1;
        // w ∈ [−2, 4] and v ∈ [−5, 5] appear in no row. Optimum: y = 1, x = 2, w = −2, v = 0:
        // −2 − 4 + 1 = −5.
        var lp = LinearProgram(name: "empties")
        let x = lp.addColumn(objective: -1)
        let y = lp.addColumn(objective: 0, lower: 1)
        _ = lp.addColumn(objective: 2, lower: -2, upper: 4)
        _ = lp.addColumn(objective: 0, lower: -5, upper: 5)
        lp.objectiveConstant = 1
        lp.addRow([(x, 1), (y, 1)], lower: -.infinity, upper: 3)
        lp.addRow([], lower: -1, upper: 1)
        let r = try solver.solve(lp, options: options(method))
        #expect(r.status == .optimal, "\(r.message)")
        #expect(abs(r.objective + 5) < 1e-6)
        #expect(abs(r.primal[2] + 2) < 1e-6)   // v has cost 0: any value in [−5, 5] is optimal
        expectKKT(lp, r)
    }

    @Test(arguments: allMethods) func noRowsAtAll(method: LPMethod) throws {
        var lp = LinearProgram(sense: .maximize, name: "bounds-only")
        lp.addColumn(objective: 2, lower: 0, upper: 3)
        lp.addColumn(objective: -1, lower: -4, upper: 1)
        let r = try solver.solve(lp, options: options(method))
        #expect(r.status == .optimal, "\(r.message)")
        #expect(abs(r.objective - 10) < 1e-9)   // 2·3 − (−4)
    }
}
