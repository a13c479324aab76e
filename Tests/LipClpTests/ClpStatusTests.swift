import Foundation
import LipLP
import LipGLPK
@testable import LipClp
import Testing
import LipTestSupport

/// Statuses from the real `clp`: infeasible, unbounded, time limit, interrupt, refused input.
@Suite(.enabled(if: clpPath != nil, Comment(rawValue: clpMissing)))
struct ClpStatuses {
    /// A random LP that Clp needs well over a second for (built once).
    static let slow = randomLP(rows: 12_000, columns: 24_000, perRow: 6, seed: 7, banded: true)

    @Test(arguments: clpMethods, [true, false]) func infeasible(method: LPMethod, presolve: Bool) throws {
        let (solver, dir) = clp("inf")
        let r = try solver.solve(infeasibleLP(), options: options(method, presolve: presolve))
        #expect(r.status == .infeasible, "\(r.message)")
        #expect(r.message.contains("infeasible"))
        #expect(r.objective.isNaN && r.primal.isEmpty)
        #expect(contents(dir).isEmpty)
    }

    @Test(arguments: clpMethods, [true, false]) func unbounded(method: LPMethod, presolve: Bool) throws {
        let (solver, _) = clp("unb")
        let r = try solver.solve(unboundedLP(), options: options(method, presolve: presolve))
        #expect(r.status == .unbounded, "\(r.message)")
        #expect(r.message.contains("unbounded"))
        if method == .interiorPoint { #expect(r.message.contains("re-solved with the dual simplex")) }
        // The point reported with `unbounded` is primal feasible (GLPK reports one too).
        #expect(ClpSolver.violation(unboundedLP(), r.primal) <= 1e-6)
    }

    @Test(arguments: [LPMethod.dualSimplex, .primalSimplex, .interiorPoint])
    func timeLimit(method: LPMethod) throws {
        let lp = Self.slow
        let (solver, dir) = clp("tl")
        let r = try solver.solve(lp, options: options(method, timeLimit: 0.2))
        #expect(r.status == .timeLimit, "\(r.status): \(r.message)")
        #expect(r.message.contains("time limit"))
        // clp stops itself (or is killed 2 s after the limit); the rest is writing and reading
        // files, slow in a debug build on a loaded machine.
        #expect(r.seconds < 30, "took \(r.seconds) s")
        // A point that came back is the right length and finite (the certificate may use it).
        #expect(r.primal.isEmpty || (r.primal.count == lp.columnCount && r.primal.allSatisfy(\.isFinite)))
        #expect(contents(dir).isEmpty)
    }

    @Test func interruptKillsClp() throws {
        let lp = Self.slow
        let (s0, dir) = clp("int")
        var solver = s0
        let flag = Flag()
        solver.interruptRequested = { flag.isSet }
        // Interrupt as soon as clp is iterating (its first progress line).
        var o = options(.dualSimplex)
        o.progress = { _ in flag.set() }
        let t0 = Date()
        let r = try solver.solve(lp, options: o)
        #expect(r.status == .interrupted, "\(r.status): \(r.message)")
        #expect(r.message.contains("interrupted"))
        #expect(Date().timeIntervalSince(t0) < 30)
        #expect(contents(dir).isEmpty, "left behind: \(contents(dir))")
        // A pending request: clp is not even started.
        let r2 = try solver.solve(smallMax(), options: options(.dualSimplex))
        #expect(r2.status == .interrupted && r2.message.contains("not started") && r2.message.contains("interrupt"))
    }

    @Test func hugeFiniteBoundsAreRefused() throws {
        var lp = smallMax()
        lp.columnUpper[1] = 1e30
        let (solver, _) = clp("huge")
        let r = try solver.solve(lp, options: options(.dualSimplex))
        #expect(r.status == .notSolved)
        #expect(r.message.contains("1e+25") && r.message.contains("'y'"), "\(r.message)")
        // GLPK solves the same LP (the bound is finite but inactive).
        #expect(try GLPKSolver().solve(lp, options: options(.dualSimplex)).objective == 11)
    }

    @Test func invalidLPThrowsBeforeClpRuns() throws {
        var lp = smallMax(); lp.rowLower[0] = .nan
        let (solver, dir) = clp("invalid")
        #expect(throws: LPError.self) { try solver.solve(lp, options: LPOptions()) }
        #expect(contents(dir).isEmpty)
    }
}
