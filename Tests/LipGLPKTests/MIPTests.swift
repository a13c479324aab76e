import Foundation
import LipControl
import LipLP
@testable import LipGLPK
import Testing
import LipTestSupport

/// A random mixed-integer program: maximise cᵀx + d·y, rows aᵢᵀx + eᵢ·y ≤ bᵢ, x binary (and one
/// general integer column in [0, 3]), y ∈ [0, 4] continuous. Feasible (x = 0, y = 0 satisfies
/// every row: bᵢ ≥ 0).
func randomMIP(_ rng: inout SplitMix, binaries n: Int, rows m: Int) -> LinearProgram {
    var lp = LinearProgram(sense: .maximize, name: "random-mip")
    func u(_ a: Double, _ b: Double) -> Double { a + (b - a) * Double(rng.next() >> 11) * 0x1p-53 }
    for j in 0..<n { lp.addColumn(objective: u(-1, 3), lower: 0, upper: 1, name: "x\(j)") }
    lp.addColumn(objective: u(0, 2), lower: 0, upper: 3, name: "k")
    lp.addColumn(objective: u(0, 1), lower: 0, upper: 4, name: "y")
    for i in 0..<m {
        var e: [(column: Int, value: Double)] = []
        for j in 0...(n + 1) { let v = u(-1, 3); if v > 0.3 || j == n + 1 { e.append((j, v)) } }
        lp.addRow(e, lower: -.infinity, upper: u(1, Double(n) / 2), name: "r\(i)")
    }
    lp.isInteger = (0..<(n + 2)).map { $0 <= n }
    return lp
}

/// Brute force: every integer assignment, the continuous y at its best feasible end.
func bruteForce(_ lp: LinearProgram) -> Double? {
    let n = lp.columnCount - 2
    var best: Double? = nil
    var a = [[Double]](repeating: [Double](repeating: 0, count: lp.columnCount), count: lp.rowCount)
    for k in 0..<lp.nonzeroCount { a[Int(lp.entryRow[k])][Int(lp.entryColumn[k])] = lp.entryValue[k] }
    for mask in 0..<(1 << n) {
        for kval in 0...3 {
            var x = (0..<n).map { Double((mask >> $0) & 1) }
            x.append(Double(kval))
            var ylo = lp.columnLower[n + 1], yhi = lp.columnUpper[n + 1]
            for i in 0..<lp.rowCount {
                var s = 0.0
                for j in 0...n { s += a[i][j] * x[j] }
                let e = a[i][n + 1], slack = lp.rowUpper[i] - s
                if e > 0 { yhi = min(yhi, slack / e) } else if e < 0 { ylo = max(ylo, slack / e) } else if slack < 0 { yhi = -1 }
            }
            guard ylo <= yhi + 1e-12 else { continue }
            let y = lp.objective[n + 1] >= 0 ? yhi : ylo
            var v = lp.objective[n + 1] * y
            for j in 0...n { v += lp.objective[j] * x[j] }
            if best.map({ v > $0 }) ?? true { best = v }
        }
    }
    return best
}

@Suite("GLPK branch and cut")
struct MIPTests {
    @Test func randomMIPsMatchBruteForce() throws {
        var rng = SplitMix(state: 11)
        for trial in 0..<25 {
            let lp = randomMIP(&rng, binaries: 4 + trial % 8, rows: 3 + trial % 4)
            let truth = try #require(bruteForce(lp))
            let r = try GLPKSolver().solveMIP(lp, options: MIPOptions())
            #expect(r.status == .optimal, "\(r.message)")
            #expect(abs(r.objective - truth) <= 1e-7 * max(1, abs(truth)), "trial \(trial): GLPK \(r.objective) vs brute force \(truth)")
            #expect(r.bound >= r.objective && r.bound - r.objective <= 1e-8 * (1 + abs(truth)))
            // The incumbent is integral and feasible.
            for j in 0..<lp.columnCount where lp.isInteger[j] { #expect(abs(r.primal[j] - r.primal[j].rounded()) < 1e-7) }
            // Priorities change the tree, not the optimum.
            var o = MIPOptions(); o.branchingPriority = (0..<lp.columnCount).map { lp.columnCount - $0 }
            let p = try GLPKSolver().solveMIP(lp, options: o)
            #expect(abs(p.objective - truth) <= 1e-7 * max(1, abs(truth)))
        }
    }

    @Test func integerInfeasibleButRelaxationFeasible() throws {
        var lp = LinearProgram(sense: .maximize, name: "odd")
        let a = lp.addColumn(objective: 1, lower: 0, upper: 1), b = lp.addColumn(objective: 1, lower: 0, upper: 1)
        lp.addRow([(a, 2), (b, 2)], lower: 1, upper: 1)   // 2a + 2b = 1 has no integer solution
        lp.isInteger = [true, true]
        let r = try GLPKSolver().solveMIP(lp, options: MIPOptions())
        #expect(r.status == .infeasible && !r.hasIncumbent)
        lp.isInteger = []                                   // the LP relaxation is feasible
        let relaxed = try GLPKSolver().solveMIP(lp, options: MIPOptions())
        #expect(relaxed.status == .optimal && abs(relaxed.objective - 0.5) < 1e-12)
    }

    @Test func startPointIsOfferedOnce() throws {
        // A knapsack whose LP relaxation is fractional, so the tree asks for heuristic solutions.
        var rng = SplitMix(state: 5)
        var lp = LinearProgram(sense: .maximize, name: "knapsack")
        var e: [(column: Int, value: Double)] = []
        for j in 0..<14 {
            lp.addColumn(objective: Double(rng.next() % 50 + 10), lower: 0, upper: 1)
            e.append((j, Double(rng.next() % 40 + 5)))
        }
        lp.addRow(e, lower: -.infinity, upper: 123.5)
        lp.isInteger = [Bool](repeating: true, count: 14)
        var truth = -Double.infinity
        for mask in 0..<(1 << 14) {
            var w = 0.0, v = 0.0
            for j in 0..<14 where (mask >> j) & 1 == 1 { w += e[j].value; v += lp.objective[j] }
            if w <= 123.5 { truth = max(truth, v) }
        }
        var o = MIPOptions()
        o.start = [1, 1] + [Double](repeating: 0, count: 12)         // feasible (two items fit)
        #expect(e[0].value + e[1].value <= 123.5)
        let r = try GLPKSolver().solveMIP(lp, options: o)
        #expect(r.startAccepted == true && r.status == .optimal)
        #expect(r.objective == truth)
        o.start![2] = 0.5                                          // not integral: refused
        let r2 = try GLPKSolver().solveMIP(lp, options: o)
        #expect(r2.startAccepted == false && r2.objective == truth)
        // An infeasible start (everything packed) would corrupt the answer: refused.
        o.start = [Double](repeating: 1, count: 14)
        let r3 = try GLPKSolver().solveMIP(lp, options: o)
        #expect(r3.startAccepted == false && r3.objective == truth)
    }

    /// A hard instance (market split: equality knapsacks, no LP guidance) stops at the time limit
    /// with its bound; an interrupt from the progress callback stops it as `interrupted`.
    @Test func timeLimitAndInterrupt() throws {
        var rng = SplitMix(state: 3)
        var lp = LinearProgram(sense: .maximize, name: "market-split")
        let n = 60
        for j in 0..<n { lp.addColumn(objective: Double(rng.next() % 100), lower: 0, upper: 1, name: "x\(j)") }
        for i in 0..<6 {
            var e: [(column: Int, value: Double)] = [], total = 0.0
            for j in 0..<n { let v = Double(rng.next() % 99 + 1); e.append((j, v)); total += v }
            let rhs = (total / 2).rounded(.down)
            lp.addRow(e, lower: -.infinity, upper: rhs, name: "k\(i)")
            lp.addRow(e, lower: rhs - 3, upper: .infinity, name: "l\(i)")
        }
        lp.isInteger = [Bool](repeating: true, count: n)
        var o = MIPOptions(); o.timeLimit = 0.5
        let t0 = monotonicSeconds()
        let r = try GLPKSolver().solveMIP(lp, options: o)
        #expect(monotonicSeconds() - t0 < 5)
        #expect(r.status == .timeLimit, "\(r.status) \(r.message)")
        #expect(!r.bound.isNaN)
        if r.hasIncumbent { #expect(r.bound >= r.objective - 1e-9) }

        // The interrupt poll is injected (the process-wide Ctrl-C flag would stop tests running
        // in parallel).
        final class Counter: @unchecked Sendable { var calls = 0; var stop = false }
        let counter = Counter()
        var o2 = MIPOptions(); o2.timeLimit = 30; o2.progressInterval = 0
        o2.progress = { _ in counter.calls += 1; counter.stop = true }
        o2.interrupted = { counter.stop }
        let r2 = try GLPKSolver().solveMIP(lp, options: o2)
        #expect(r2.status == .interrupted, "\(r2.message)")
        #expect(counter.calls >= 1)
        #expect(r2.seconds < 10)
    }

    @Test func invalidInputThrows() {
        var lp = LinearProgram(sense: .maximize)
        lp.addColumn(objective: 1, lower: 0, upper: 1.5)
        lp.isInteger = [true]
        #expect(throws: LPError.self) { try GLPKSolver().solveMIP(lp, options: MIPOptions()) }
        lp.columnUpper[0] = 1
        var o = MIPOptions(); o.start = [0, 1]
        #expect(throws: MIPOptionsError.self) { try GLPKSolver().solveMIP(lp, options: o) }
    }
}

