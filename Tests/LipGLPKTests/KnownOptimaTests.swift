import LipLP
@testable import LipGLPK
import Testing
import LipTestSupport

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
        let lp = empties()
        let r = try solver.solve(lp, options: options(method))
        #expect(r.status == .optimal, "\(r.message)")
        #expect(abs(r.objective + 5) < 1e-6)
        #expect(abs(r.primal[2] + 2) < 1e-6)   // v has cost 0: any value in [−5, 5] is optimal
        expectKKT(lp, r)
    }

    @Test(arguments: allMethods) func noRowsAtAll(method: LPMethod) throws {
        let lp = boundsOnly()
        let r = try solver.solve(lp, options: options(method))
        #expect(r.status == .optimal, "\(r.message)")
        #expect(abs(r.objective - 10) < 1e-9)   // 2·3 − (−4)
    }
}
