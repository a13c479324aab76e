import Foundation
import LipLP
import LipGLPK
@testable import LipClp
import Testing
import LipTestSupport

/// Clp against GLPK (the oracle solver) and the hand-computed optima, on the LP test catalogue.
@Suite(.enabled(if: clpPath != nil, Comment(rawValue: clpMissing)))
struct ClpCatalogue {
    @Test(arguments: clpMethods, [true, false]) func handOptimaAndGLPK(method: LPMethod, presolve: Bool) throws {
        let (solver, dir) = clp("cat")
        for (lp, want) in catalogue() {
            let r = try solver.solve(lp, options: options(method, presolve: presolve))
            let g = try GLPKSolver().solve(lp, options: options(.primalSimplex, presolve: false))
            #expect(r.status == .optimal, "\(lp.name) \(method): \(r.message)")
            #expect(abs(r.objective - want) <= 1e-7 * max(1, abs(want)), "\(lp.name) \(method): \(r.objective) vs \(want)")
            #expect(abs(r.objective - g.objective) <= 1e-7 * max(1, abs(g.objective)), "\(lp.name): clp \(r.objective) vs glpk \(g.objective)")
            #expect(r.solver == "clp")
            expectKKT(lp, r)
        }
        #expect(contents(dir).isEmpty, "left behind: \(contents(dir))")
    }

    @Test(arguments: clpMethods) func handDualsAndPoints(method: LPMethod) throws {
        let (solver, _) = clp("duals")
        // smallMax: a maximisation, so the duals come back through the negated file.
        let a = try solver.solve(smallMax(), options: options(method))
        #expect(abs(a.primal[0] - 3) < 1e-7 && abs(a.primal[1] - 1) < 1e-7)
        #expect(abs(a.rowDuals[0] - 2) < 1e-7 && abs(a.rowDuals[1]) < 1e-7)
        #expect(abs(a.reducedCosts[0] - 1) < 1e-7 && abs(a.reducedCosts[1]) < 1e-7)
        // equalityFree: free columns, equalities and the constant 5.
        let b = try solver.solve(equalityFree(), options: options(method))
        for (got, want) in zip(b.primal, [-1.0, -2, 9]) { #expect(abs(got - want) < 1e-7) }
        #expect(abs(b.rowDuals[0] - 1.5) < 1e-7 && abs(b.rowDuals[1] + 0.5) < 1e-7)
        #expect(abs(b.reducedCosts[2] + 0.5) < 1e-7)
        // transportation: the unique primal optimum; duals unique up to the shift u − t, v + t.
        let c = try solver.solve(transportation(), options: options(method))
        for (got, want) in zip(c.primal, [0.0, 20, 0, 10, 5, 15]) { #expect(abs(got - want) < 1e-6) }
        let y = c.rowDuals
        #expect(abs(y[0] - y[1] + 6) < 1e-6 && abs(y[3] - y[2] - 3) < 1e-6 && abs(y[4] - y[2] - 4) < 1e-6 && abs(y[1] + y[2] - 9) < 1e-6)
        #expect(c.method == (method == .automatic ? .dualSimplex : method))
    }

    /// Random feasible bounded LPs: Clp's methods and GLPK agree to 1e-7, and Clp's answers
    /// satisfy the KKT conditions.
    @Test(arguments: Array(UInt64(1)...UInt64(12)))
    func randomLPsAgreeWithGLPK(seed: UInt64) throws {
        let m = 10 + Int(seed % 5) * 10, n = 20 + Int(seed % 7) * 8
        let lp = randomLP(rows: m, columns: n, perRow: 5, seed: seed, sense: seed % 2 == 0 ? .maximize : .minimize)
        let ref = try GLPKSolver().solve(lp, options: options(.primalSimplex, presolve: false))
        #expect(ref.status == .optimal)
        let (solver, _) = clp("rand")
        for method in [LPMethod.dualSimplex, .primalSimplex, .interiorPoint] {
            for presolve in [true, false] {
                let r = try solver.solve(lp, options: options(method, presolve: presolve))
                #expect(abs(r.objective - ref.objective) <= 1e-7 * max(1, abs(ref.objective)), "\(method) presolve \(presolve): \(r.objective) vs glpk \(ref.objective)")
                expectKKT(lp, r)
            }
        }
    }

    /// The MPS hand-over is bit-exact: Clp reads FREEIEEE numbers, so the rows x_i = v_i give
    /// back exactly v_i (Clp's decimal reader is off by 1–2 ulps on about a sixth of such values).
    @Test func dataReachesClpBitExactly() throws {
        var g = SplitMix(state: 99)
        var lp = LinearProgram(name: "exact")
        var want: [Double] = [0.1, 1.0 / 3, 0.30000000000000004, 2.718281828459045, -123456.78901234567]
        while want.count < 400 {
            // Clp treats |x| below its primal tolerance (1e-7) as satisfied at 0, so stay above.
            let v = Double.random(in: -1...1, using: &g) * pow(10, Double(Int.random(in: -3...8, using: &g)))
            if abs(v) >= 1e-4 { want.append(v) }
        }
        for (i, v) in want.enumerated() {
            let x = lp.addColumn(objective: 0, lower: -.infinity, upper: .infinity)
            lp.addRow([(x, 1)], lower: v, upper: v, name: "r\(i)")
        }
        let (solver, _) = clp("exact")
        for presolve in [true, false] {
            let r = try solver.solve(lp, options: options(.dualSimplex, presolve: presolve))
            #expect(r.status == .optimal, "\(r.message)")
            let wrong = zip(r.primal, want).filter { $0.0.bitPattern != $0.1.bitPattern }
            #expect(wrong.isEmpty, "presolve \(presolve): \(wrong.count) values differ, e.g. \(wrong.prefix(3))")
        }
    }

    @Test func progressIsReported() throws {
        let lp = randomLP(rows: 300, columns: 600, perRow: 8, seed: 11)
        let (solver, _) = clp("progress")
        for method in [LPMethod.dualSimplex, .interiorPoint] {
            let rec = Recorder()
            var o = options(method, presolve: false)
            o.progress = { rec.add($0) }
            let r = try solver.solve(lp, options: o)
            #expect(r.status == .optimal)
            let seen = rec.all
            #expect(!seen.isEmpty, "no progress for \(method)")
            #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.seconds <= $1.seconds })
            #expect(seen.allSatisfy { $0.objective.isFinite && $0.iterations >= 0 })
            #expect(r.iterations > 0)
        }
    }

    @Test func automaticRuleIsBySize() throws {
        var rule = ClpSolver.AutomaticRule()
        #expect(rule.method(for: smallMax()) == .dualSimplex)
        rule.barrierMinNonzeros = 1
        #expect(rule.method(for: smallMax()) == .interiorPoint)
        var s = ClpSolver(rule: rule)
        s.temporaryDirectory = scratchDirectory("rule")
        let r = try s.solve(smallMax(), options: options(.automatic))
        #expect(r.method == .interiorPoint && r.status == .optimal && abs(r.objective - 11) < 1e-7)
        #expect(r.message.contains("barrier with crossover"), "\(r.message)")
        s.crossover = false
        let r2 = try s.solve(transportation(), options: options(.interiorPoint))
        #expect(r2.status == .optimal && abs(r2.objective - 465) < 1e-6 && r2.message.contains("no crossover"))
    }

    @Test func solvesOnManyThreadsAtOnce() throws {
        let (solver, dir) = clp("threads")
        let out = UnsafeMutableBufferPointer<Double>.allocate(capacity: 6)
        defer { out.deallocate() }
        nonisolated(unsafe) let results = out
        DispatchQueue.concurrentPerform(iterations: 6) { k in
            let lp = k % 2 == 0 ? transportation() : smallMax()
            results[k] = (try? solver.solve(lp, options: options(k % 3 == 0 ? .interiorPoint : .dualSimplex)).objective) ?? .nan
        }
        for k in 0..<6 { #expect(abs(results[k] - (k % 2 == 0 ? 465 : 11)) < 1e-7) }
        #expect(contents(dir).isEmpty)
    }
}
