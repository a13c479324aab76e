import Foundation
import XCTest
import LipControl
import LipLP
@testable import LipGLPK
import Testing
import LipTestSupport

/// maximize cᵀx  s.t.  A x ≤ b, 0 ≤ x ≤ 1, with A ≥ 0 random (each column's `perColumn` rows
/// drawn uniformly) and b a quarter of the row sums: x = 0 is feasible and the box bounds it.
/// Uniform rows make A·Aᵀ's Cholesky factor nearly dense, so GLPK's interior point spends
/// long stretches inside one factorisation without printing anything.
func packingLP(rows m: Int, columns n: Int, perColumn k: Int, seed: UInt64) -> LinearProgram {
    var g = SplitMix(state: seed)
    var lp = LinearProgram(sense: .maximize, columns: n, name: "packing\(seed)")
    lp.rowLower = Array(repeating: -.infinity, count: m)
    var rowSum = [Double](repeating: 0, count: m)
    var used = [Bool](repeating: false, count: m)
    lp.entryRow.reserveCapacity(n * k); lp.entryColumn.reserveCapacity(n * k); lp.entryValue.reserveCapacity(n * k)
    for j in 0..<n {
        lp.objective[j] = Double.random(in: 0.5...1.5, using: &g)
        lp.columnUpper[j] = 1
        var rows: [Int] = []
        while rows.count < k {
            let i = Int.random(in: 0..<m, using: &g)
            if !used[i] { used[i] = true; rows.append(i) }
        }
        for i in rows { used[i] = false }
        for i in rows.sorted() {
            let a = Double.random(in: 0.1...1.1, using: &g)
            lp.entryRow.append(Int32(i)); lp.entryColumn.append(Int32(j)); lp.entryValue.append(a)
            rowSum[i] += a
        }
    }
    lp.rowUpper = rowSum.map { 0.25 * $0 }
    return lp
}

/// The slow LP of the limit and interrupt tests (3,000 × 30,000, 300,000 nonzeros), built once.
/// Measured with GLPK alone on a same-size LP of this distribution: primal simplex without
/// presolve had not finished after 61 s of CPU (15,754 iterations); interior point's Cholesky
/// factor has 4.7M nonzeros and the whole solve takes many such factorisations, each seconds
/// long without any output.
let slowPackingLP = packingLP(rows: 3000, columns: 30000, perColumn: 10, seed: 3)

/// CPU seconds used by the calling thread.
func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Checks that `x` satisfies the LP's rows and bounds (to `tol`) and returns cᵀx + c₀.
func checkedObjective(_ lp: LinearProgram, _ x: [Double], tol: Double = 1e-7) -> Double? {
    guard x.count == lp.columnCount else { return nil }
    var ax = [Double](repeating: 0, count: lp.rowCount)
    for k in 0..<lp.nonzeroCount { ax[Int(lp.entryRow[k])] += lp.entryValue[k] * x[Int(lp.entryColumn[k])] }
    for i in 0..<lp.rowCount where ax[i] < lp.rowLower[i] - tol || ax[i] > lp.rowUpper[i] + tol { return nil }
    for j in 0..<lp.columnCount where x[j] < lp.columnLower[j] - tol || x[j] > lp.columnUpper[j] + tol { return nil }
    return zip(lp.objective, x).reduce(lp.objectiveConstant) { $0 + $1.0 * $1.1 }
}

final class Reports: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [InteriorProcessReport] = []
    func add(_ r: InteriorProcessReport) { lock.withLock { items.append(r) } }
    var all: [InteriorProcessReport] { lock.withLock { items } }
}

@Suite struct Limits {
    /// Any Double as a time limit: no trap (Int conversions of ms, deadlines), huge values mean
    /// none, NaN/0/negative give time_limit without solving. Oracle: smallMax's optimum 11 by hand.
    @Test(arguments: allMethods) func anyTimeLimitIsSafe(method: LPMethod) throws {
        for t in [Double.infinity, .greatestFiniteMagnitude, 1e300, 9.3e15, 9.2e15, 2.2e9, 86400.0 * 365] {
            let r = try GLPKSolver().solve(smallMax(), options: options(method, timeLimit: t))
            #expect(r.status == .optimal, "time limit \(t): \(r.status) \(r.message)")
            #expect(abs(r.objective - 11) < 1e-6)
        }
        for t: Double in [.nan, 0, -1, -Double.infinity, -0.0] {
            let r = try GLPKSolver().solve(smallMax(), options: options(method, timeLimit: t))
            #expect(r.status == .timeLimit, "time limit \(t): \(r.status)")
            #expect(r.message.contains("positive number of seconds"))
            #expect(r.primal.isEmpty)
        }
    }

    /// The simplex stops at its deadline; without presolve GLPK keeps the current basis, whose
    /// point must be feasible (checked here row by row) with the reported objective. (GLPK's
    /// presolver prints nothing while it works; on this LP it takes ~0.3 s of CPU.)
    @Test(arguments: [(LPMethod.primalSimplex, false), (.dualSimplex, true)])
    func simplexTimeLimit(method: LPMethod, presolve: Bool) throws {
        let lp = slowPackingLP
        // Long enough that validating and copying the LP (slow in a debug build on a loaded
        // machine) end well before the deadline, so GLPK's own time limit is what stops it.
        let limit = 6.0
        let t0 = monotonicSeconds(), c0 = threadCPUSeconds()
        let r = try GLPKSolver().solve(lp, options: options(method, presolve: presolve, timeLimit: limit))
        let wall = monotonicSeconds() - t0, cpu = threadCPUSeconds() - c0
        #expect(r.status == .timeLimit, "\(r.status): \(r.message)")
        // The simplex runs on this thread: on a machine shared with other work its stages take
        // `slowdown` times their CPU time, so the overrun is judged in CPU-equivalent seconds.
        let slowdown = max(1, wall / max(cpu, 1e-3))
        #expect((wall - limit) / slowdown < 2, "returned \(wall - limit) s after the deadline (slowdown \(slowdown))")
        if !r.primal.isEmpty {
            let obj = checkedObjective(lp, r.primal)
            #expect(obj != nil, "the point returned at the time limit is not feasible")
            if let obj { #expect(abs(obj - r.objective) <= 1e-6 * max(1, abs(obj))) }
        }
        if method == .primalSimplex && !presolve {
            // x = 0 is feasible and the initial basis, so primal simplex is in phase 2 at once.
            #expect(!r.primal.isEmpty, "primal simplex without presolve should return its feasible point: \(r.message) after \(wall) s")
        }
    }

    /// The regression test of the interior point's time limit: on this LP (whole solve well over
    /// 10 s) each Cholesky factorisation of A·Aᵀ (L ≈ 4.7M nonzeros) runs for seconds without
    /// GLPK printing anything, which the old check at output lines overran by that much. The
    /// child process is killed at the deadline: return < 2 s after it.
    @Test func interiorTimeLimitHoldsInsideTheFactorisation() throws {
        let lp = slowPackingLP
        var solver = GLPKSolver()
        let reports = Reports()
        solver.interiorProcessReport = { reports.add($0) }
        for limit in [4.0] {
            let t0 = monotonicSeconds()
            let r = try solver.solve(lp, options: options(.interiorPoint, timeLimit: limit))
            let wall = monotonicSeconds() - t0
            #expect(r.status == .timeLimit, "\(r.status): \(r.message)")
            #expect(r.method == .interiorPoint)
            #expect(wall - limit < 2, "returned \(wall - limit) s after the deadline: \(r.message)")
            #expect(r.primal.isEmpty)
        }
        let rs = reports.all
        #expect(!rs.isEmpty && rs.allSatisfy { $0.outcome == "time_limit" })
        for r in rs { #expect((r.stopSeconds ?? 99) < 2, "child reaped \(r.stopSeconds ?? -1) s after the deadline") }
    }

    /// The interior-point child gives the in-process answer: the same GLPK code on the same
    /// data, so the objective agrees to rounding and x, y match; oracle for both: primal
    /// simplex's optimum.
    @Test func childProcessAgreesWithInProcess() throws {
        let lp = randomLP(rows: 150, columns: 300, perRow: 6, seed: 21)
        var inProcess = GLPKSolver.AutomaticRule(); inProcess.interiorInChildProcess = false
        var child = GLPKSolver(); let reports = Reports(); child.interiorProcessReport = { reports.add($0) }
        let a = try child.solve(lp, options: options(.interiorPoint))
        let b = try GLPKSolver(rule: inProcess).solve(lp, options: options(.interiorPoint))
        let s = try GLPKSolver().solve(lp, options: options(.primalSimplex))
        #expect(a.status == .optimal && b.status == .optimal && s.status == .optimal)
        #expect(a.objective == b.objective)
        #expect(a.primal == b.primal && a.rowDuals == b.rowDuals)
        #expect(abs(a.objective - s.objective) <= 1e-6 * max(1, abs(s.objective)))
        #expect(reports.all.count == 1 && reports.all.first?.outcome == "finished")
        #expect((reports.all.first?.forkSeconds ?? 99) < 1)
    }

    /// Paths GLPK would abort on (its 4 kB message buffer) or fail on are refused first.
    @Test func longAndBadPathsAreRefusedBeforeGLPK() throws {
        let long = "/tmp/" + String(repeating: "a", count: 5000) + ".mps"
        for (path, needle) in [(long, "bytes long"), ("/tmp/" + String(repeating: "b", count: 300), "NAME_MAX"),
                               ("", "empty"), ("/tmp", "directory"), ("/nonexistent-liplua-dir/x.lp", "does not exist")] {
            do {
                try GLPKSolver().write(smallMax(), to: path, format: .cplexLP)
                Issue.record("writing '\(path.prefix(40))' should fail")
            } catch let e as GLPKSolver.FileError {
                #expect(e.description.contains(needle), "\(e.description.prefix(300))")
            }
            #expect(throws: GLPKSolver.FileError.self) { _ = try GLPKSolver.read(from: path, format: .mps) }
        }
        // A 2,000-byte path of short components is fine (below the limit, under PATH_MAX).
        var dir = temporaryPath("deep")
        while dir.utf8.count < 1900 { dir += "/" + String(repeating: "d", count: 60) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/m.mps"
        try GLPKSolver().write(smallMax(), to: path, format: .mps)
        let back = try GLPKSolver.read(from: path, format: .mps)
        #expect(back.columnCount == 2 && back.rowCount == 2)
    }

    /// The memory model is the solver's: the protocol default says "unknown", GLPK's grows
    /// with every size and counts the Cholesky factor for interior point.
    @Test func memoryEstimateIsTheSolversOwn() {
        #expect(ScriptedLPSolver(results: []).memoryEstimate(rows: 10, columns: 10, nonzeros: 10, method: .automatic) == nil)
        let g = GLPKSolver()
        let base = g.memoryEstimate(rows: 1000, columns: 10000, nonzeros: 50000, method: .primalSimplex, factorNonzeros: nil)
        #expect(base > 0)
        #expect(g.memoryEstimate(rows: 2000, columns: 10000, nonzeros: 50000, method: .primalSimplex, factorNonzeros: nil) > base)
        #expect(g.memoryEstimate(rows: 1000, columns: 20000, nonzeros: 50000, method: .primalSimplex, factorNonzeros: nil) > base)
        #expect(g.memoryEstimate(rows: 1000, columns: 10000, nonzeros: 90000, method: .primalSimplex, factorNonzeros: nil) > base)
        let ip = g.memoryEstimate(rows: 1000, columns: 10000, nonzeros: 50000, method: .interiorPoint, factorNonzeros: 1_000_000)
        #expect(g.memoryEstimate(rows: 1000, columns: 10000, nonzeros: 50000, method: .interiorPoint, factorNonzeros: 2_000_000) > ip)
        // Columns bounded on both sides become extra rows and columns for interior point
        // (packingLP: every column in [0, 1], every row an inequality); simplex is unchanged.
        let lp = packingLP(rows: 100, columns: 2000, perColumn: 5, seed: 1)
        #expect(g.memoryEstimate(for: lp, method: .interiorPoint)
                > g.memoryEstimate(rows: 100, columns: 2000, nonzeros: 10000, method: .interiorPoint, factorNonzeros: nil))
        #expect(g.memoryEstimate(for: lp, method: .primalSimplex)
                == g.memoryEstimate(rows: 100, columns: 2000, nonzeros: 10000, method: .primalSimplex, factorNonzeros: nil))
    }
}

/// XCTest, not a parallel suite: GLPK's allocation limit belongs to the thread's GLPK
/// environment, and XCTest runs its cases one at a time before the parallel suites.
final class OutOfMemory: XCTestCase {
    /// GLPK's own allocation failure (here its per-thread allocation limit, which the
    /// interior-point child inherits) is reported as out of memory with the LP's sizes — not
    /// as "invalid data reached GLPK" — and the next solve works. Oracle for the latter:
    /// smallMax's optimum 11, by hand.
    func testGLPKAllocationFailureIsOutOfMemory() throws {
        for method in [LPMethod.primalSimplex, .interiorPoint] {
            let lp = packingLP(rows: 300, columns: 3000, perColumn: 10, seed: 8)
            GLPKSolver.setThreadMemoryLimit(megabytes: 1)
            defer { GLPKSolver.setThreadMemoryLimit(megabytes: Int32.max) }
            let r = try GLPKSolver().solve(lp, options: options(method))
            GLPKSolver.setThreadMemoryLimit(megabytes: Int32.max)
            XCTAssertEqual(r.status, .solverError, "\(method)")
            XCTAssertTrue(r.message.hasPrefix("out of memory"), r.message)
            XCTAssertTrue(r.message.contains("300 rows, 3000 columns, 30000 nonzeros"), r.message)
            XCTAssertFalse(r.message.contains("invalid data"))
            let ok = try GLPKSolver().solve(smallMax(), options: options(method))
            XCTAssertTrue(ok.status == .optimal && abs(ok.objective - 11) < 1e-6)
        }
    }
}
