import Foundation
import LipLP
@testable import LipGLPK
import Testing
import LipTestSupport

final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [LPProgress] = []
    func add(_ p: LPProgress) { lock.withLock { items.append(p) } }
    var all: [LPProgress] { lock.withLock { items } }
}

@Suite struct Statuses {
    let solver = GLPKSolver()

    @Test(arguments: allMethods, [true, false]) func infeasible(method: LPMethod, presolve: Bool) throws {
        let r = try solver.solve(infeasibleLP(), options: options(method, presolve: presolve))
        #expect(r.status == .infeasible, "\(r.message)")
        #expect(r.message.contains("feasible"))
        #expect(r.objective.isNaN && r.primal.isEmpty)
    }

    @Test(arguments: allMethods, [true, false]) func unbounded(method: LPMethod, presolve: Bool) throws {
        let r = try solver.solve(unboundedLP(), options: options(method, presolve: presolve))
        #expect(r.status == .unbounded, "\(r.message)")
        #expect(r.message.contains("unbounded"))
    }

    @Test func interiorFallbackIsExplained() throws {
        let r = try solver.solve(unboundedLP(), options: options(.interiorPoint))
        #expect(r.message.contains("interior point") && r.message.contains("fell back"))
    }

    @Test(arguments: [LPMethod.primalSimplex, .dualSimplex, .interiorPoint], [true, false])
    func timeLimit(method: LPMethod, presolve: Bool) throws {
        let lp = randomLP(rows: 20000, columns: 40000, perRow: 6, seed: 7, banded: true)
        let r = try solver.solve(lp, options: options(method, presolve: presolve, timeLimit: 0.05))
        #expect(r.status == .timeLimit, "\(r.status): \(r.message)")
        #expect(r.message.contains("time limit"))
        // Simplex checks its limit itself; interior point is stopped at its next output line
        // (between ordering, factorisation and iterations), so allow slack for a loaded machine.
        #expect(r.seconds < 10)
    }

    @Test func fatalErrorIsCaughtAndGLPKStillWorks() throws {
        var bad = smallMax()
        bad.entryRow[1] = 9                       // row 10 does not exist
        let r = solver.solveValidated(bad, options: LPOptions())
        #expect(r.status == .solverError)
        #expect(r.message.contains("out of range"), "\(r.message)")
        #expect(r.message.contains("validate()"))
        let ok = try solver.solve(smallMax(), options: LPOptions())
        #expect(ok.status == .optimal && abs(ok.objective - 11) < 1e-9)

        var dup = smallMax()                      // GLPK refuses duplicate (i, j) itself
        dup.entryRow[1] = 0; dup.entryColumn[1] = 0
        let r2 = solver.solveValidated(dup, options: options(.interiorPoint))
        #expect(r2.status == .solverError)
        #expect(r2.message.lowercased().contains("duplicate"), "\(r2.message)")
        let ok2 = try solver.solve(transportation(), options: options(.dualSimplex))
        #expect(ok2.status == .optimal && abs(ok2.objective - 465) < 1e-9)
        // The public entry point refuses the same LP before GLPK sees it.
        #expect(throws: LPError.self) { try solver.solve(dup, options: LPOptions()) }
    }

    @Test func progressIsReported() throws {
        let lp = randomLP(rows: 300, columns: 600, perRow: 8, seed: 11)
        for method in [LPMethod.interiorPoint, .primalSimplex] {
            let rec = Recorder()
            var o = options(method, presolve: false)
            o.progress = { rec.add($0) }
            let r = try solver.solve(lp, options: o)
            #expect(r.status == .optimal)
            let seen = rec.all
            #expect(!seen.isEmpty, "no progress for \(method)")
            #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.iterations <= $1.iterations && $0.seconds <= $1.seconds })
            if let last = seen.last {
                // GLPK's last progress line reports the final objective (interior: to ~1e-6).
                #expect(abs(last.objective - r.objective) <= 1e-4 * max(1, abs(r.objective)), "\(method): \(last.objective) vs \(r.objective)")
            }
        }
    }

    @Test func automaticRuleIsBySize() {
        var rule = GLPKSolver.AutomaticRule()
        #expect(rule.method(for: smallMax()) == .primalSimplex)
        rule.interiorMinColumns = 1; rule.interiorMinNonzeros = 1
        #expect(rule.method(for: smallMax()) == .interiorPoint)
        let r = try? GLPKSolver(rule: rule).solve(smallMax(), options: options(.automatic))
        #expect(r?.method == .interiorPoint && r?.status == .optimal)
    }

    @Test func denseFactorFallsBackToSimplex() throws {
        var rule = GLPKSolver.AutomaticRule()
        rule.interiorMaxFactorNonzeros = 5          // tiny, so the transportation LP trips it
        let r = try GLPKSolver(rule: rule).solve(transportation(), options: options(.interiorPoint))
        #expect(r.status == .optimal && abs(r.objective - 465) < 1e-9)
        #expect(r.method == .primalSimplex)
        #expect(r.message.contains("Cholesky") && r.message.contains("fell back"), "\(r.message)")
        rule.interiorMaxFactorNonzeros = nil
        let r2 = try GLPKSolver(rule: rule).solve(transportation(), options: options(.interiorPoint))
        #expect(r2.method == .interiorPoint && abs(r2.objective - 465) < 1e-6)
    }

    @Test func solvesOnManyThreadsAtOnce() {
        let results = UnsafeMutableBufferPointer<Double>.allocate(capacity: 8)
        defer { results.deallocate() }
        nonisolated(unsafe) let out = results
        DispatchQueue.concurrentPerform(iterations: 8) { k in
            let lp = k % 2 == 0 ? transportation() : smallMax()
            out[k] = (try? GLPKSolver().solve(lp, options: options(k % 3 == 0 ? .interiorPoint : .dualSimplex)).objective) ?? .nan
        }
        for k in 0..<8 { #expect(abs(results[k] - (k % 2 == 0 ? 465 : 11)) < 1e-6) }
    }
}

@Suite struct RandomOracle {
    /// Random feasible, bounded LPs: primal simplex, dual simplex (with and without presolve)
    /// and interior point must agree on the optimal value, and the simplex solutions must
    /// satisfy the KKT conditions.
    @Test(arguments: Array(UInt64(1)...UInt64(12)))
    func methodsAgree(seed: UInt64) throws {
        let m = 10 + Int(seed % 5) * 10, n = 20 + Int(seed % 7) * 8
        let lp = randomLP(rows: m, columns: n, perRow: 5, seed: seed, sense: seed % 2 == 0 ? .maximize : .minimize)
        let solver = GLPKSolver()
        let primal = try solver.solve(lp, options: options(.primalSimplex, presolve: false))
        let dual = try solver.solve(lp, options: options(.dualSimplex, presolve: true))
        let dualNoPre = try solver.solve(lp, options: options(.dualSimplex, presolve: false))
        let ipm = try solver.solve(lp, options: options(.interiorPoint))
        for r in [primal, dual, dualNoPre, ipm] { #expect(r.status == .optimal, "\(r.message)") }
        let ref = primal.objective, scale = max(1, abs(ref))
        #expect(abs(dual.objective - ref) <= 1e-6 * scale)
        #expect(abs(dualNoPre.objective - ref) <= 1e-6 * scale)
        #expect(abs(ipm.objective - ref) <= 1e-6 * scale, "interior \(ipm.objective) vs simplex \(ref)")
        expectKKT(lp, primal)
        expectKKT(lp, dual)
        expectKKT(lp, ipm, tol: 1e-5)
    }
}
