import Foundation
import LipLP
@testable import LipGLPK
import Testing
import LipTestSupport

/// The live GLPK problem of column generation: after every batch of added rows and columns the
/// warm re-solve must give the optimum of the whole LP solved from scratch (oracle: a cold
/// `GLPKSolver().solve` of the same LP built as a value, and the KKT conditions checked
/// independently of GLPK by `expectKKT`).
@Suite("GLPK incremental session (warm start)")
struct IncrementalTests {
    /// A covering LP min cᵀx, Σ_j a_ij x_j ≥ 1, x ≥ 0, grown in batches: each batch adds
    /// columns touching old rows, and rows touching only the new columns (an upper bound on
    /// their sum, an equality x_a − x_b = 0), so the previous basis stays feasible.
    static func grow(seed: UInt64, batches: Int) throws {
        var g = SplitMix(state: seed)
        let m0 = 12
        var lp = LinearProgram(sense: .minimize, columns: 0, name: "cover\(seed)")
        for _ in 0..<m0 { lp.rowLower.append(1); lp.rowUpper.append(.infinity) }
        // Column 0 covers every row at a high cost: the LP is feasible from the start.
        lp.addColumn(objective: 100)
        for i in 0..<m0 { lp.entryRow.append(Int32(i)); lp.entryColumn.append(0); lp.entryValue.append(1) }
        func randomColumn(rows: Int) -> [(row: Int32, value: Double)] {
            var picked = Set<Int32>()
            while picked.count < 3 { picked.insert(Int32(Int.random(in: 0..<rows, using: &g))) }
            return picked.sorted().map { ($0, Double(Int.random(in: 1...3, using: &g))) }
        }
        for _ in 0..<4 {
            let j = lp.addColumn(objective: Double.random(in: 1...2, using: &g))
            for e in randomColumn(rows: m0) { lp.entryRow.append(e.row); lp.entryColumn.append(Int32(j)); lp.entryValue.append(e.value) }
        }
        let session = try GLPKSolver().incrementalSession(lp)
        var r = session.solve(options: LPOptions())
        let cold0 = try GLPKSolver().solve(lp, options: LPOptions())
        #expect(r.status == .optimal && cold0.status == .optimal)
        #expect(abs(r.objective - cold0.objective) <= 1e-9 * max(1, abs(cold0.objective)))
        expectKKT(lp, r)
        for batch in 0..<batches {
            // New rows: Σ (new columns) ≤ 4 (row a), x_first − x_second = 0 (row b).
            let a = lp.rowCount, b = lp.rowCount + 1
            try session.addRows(lower: [-.infinity, 0], upper: [4, 0])
            lp.rowLower += [-.infinity, 0]; lp.rowUpper += [4, 0]
            var objective: [Double] = [], entries: [[(row: Int32, value: Double)]] = []
            for q in 0..<5 {
                var column = randomColumn(rows: m0)
                column.append((Int32(a), 1))
                if q == 0 { column.append((Int32(b), 1)) }
                if q == 1 { column.append((Int32(b), -1)) }
                // cheaper columns later on, so each batch changes the optimum
                objective.append(Double.random(in: 0.2...1.5, using: &g) / Double(batch + 1))
                entries.append(column)
            }
            try session.addColumns(objective: objective, lower: [Double](repeating: 0, count: 5),
                                   upper: [Double](repeating: .infinity, count: 5), entries: entries)
            for (c, column) in zip(objective, entries) {
                let j = lp.addColumn(objective: c)
                for e in column { lp.entryRow.append(e.row); lp.entryColumn.append(Int32(j)); lp.entryValue.append(e.value) }
            }
            #expect(session.rowCount == lp.rowCount && session.columnCount == lp.columnCount)
            r = session.solve(options: LPOptions())
            let cold = try GLPKSolver().solve(lp, options: LPOptions())
            #expect(cold.status == .optimal)
            #expect(abs(r.objective - cold.objective) <= 1e-9 * max(1, abs(cold.objective)),
                    "seed \(seed) batch \(batch): warm \(r.objective) vs cold \(cold.objective)")
            expectKKT(lp, r)
        }
        // Nothing changed: the basis is optimal already, no iteration.
        let again = session.solve(options: LPOptions())
        #expect(again.status == .optimal && again.iterations == 0)
        #expect(again.objective == r.objective)
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func warmEqualsCold(seed: UInt64) throws {
        try Self.grow(seed: seed, batches: 6)
    }

    @Test func badInputIsRefusedAndTheSessionStaysUsable() throws {
        var lp = LinearProgram(sense: .maximize, columns: 0, name: "box")
        lp.addColumn(objective: 1, upper: 2)
        lp.addRow([(0, 1)], lower: -.infinity, upper: 1)
        let s = try GLPKSolver().incrementalSession(lp)
        #expect(throws: LPError.self) { try s.addColumns(objective: [1], lower: [0], upper: [1], entries: [[(0, .nan)]]) }
        #expect(throws: LPError.self) { try s.addColumns(objective: [1], lower: [0], upper: [1], entries: [[(5, 1)]]) }
        #expect(throws: LPError.self) { try s.addColumns(objective: [1], lower: [0], upper: [1], entries: [[(0, 1), (0, 2)]]) }
        #expect(throws: LPError.self) { try s.addColumns(objective: [1, 2], lower: [0], upper: [1], entries: [[]]) }
        #expect(throws: LPError.self) { try s.addRows(lower: [2], upper: [1]) }
        #expect(throws: LPError.self) { try s.addRows(lower: [.nan], upper: [1]) }
        #expect(s.columnCount == 1 && s.rowCount == 1 && s.isUsable)
        // max x0, x0 ≤ 1 (row 0), x0 ≤ 2: optimum 1.
        var r = s.solve(options: LPOptions())
        #expect(r.status == .optimal && abs(r.objective - 1) < 1e-12)
        try s.addRows(lower: [-.infinity], upper: [1.5])
        try s.addColumns(objective: [1], lower: [0], upper: [1], entries: [[(1, 1)]])
        // Now max x0 + x1 with x1 ≤ 1.5 (new row 1) and x1 ≤ 1 (its bound): x0 = 1, x1 = 1, optimum 2.
        r = s.solve(options: LPOptions())
        #expect(r.status == .optimal && abs(r.objective - 2) < 1e-12, "\(r.message)")
        #expect(r.primal.count == 2 && r.rowDuals.count == 2)
    }

    @Test func anotherThreadIsRefused() throws {
        var lp = LinearProgram(sense: .minimize, columns: 0, name: "t")
        lp.addColumn(objective: 1)
        lp.addRow([(0, 1)], lower: 1, upper: .infinity)
        final class Box: @unchecked Sendable { var session: (any IncrementalLPSession)?; var result: LPResult? }
        let box = Box()
        box.session = try GLPKSolver().incrementalSession(lp)
        let done = DispatchSemaphore(value: 0)
        Thread { box.result = box.session!.solve(options: LPOptions()); done.signal() }.start()
        #expect(done.wait(timeout: .now() + 120) == .success, "the solve on another thread never returned")
        #expect(box.result?.status == .solverError)
        #expect(box.result?.message.contains("another thread") == true)
        // On its own thread it still works.
        let r = box.session!.solve(options: LPOptions())
        #expect(r.status == .optimal && abs(r.objective - 1) < 1e-12)
    }

    /// GLPK's own time limit stops the simplex with its current basis: a `time_limit` result,
    /// and the session stays usable (GLPK's environment is not reset by its own limit).
    @Test func timeLimitKeepsTheSession() throws {
        let lp = randomLP(rows: 300, columns: 3000, perRow: 30, seed: 9)
        let s = try GLPKSolver().incrementalSession(lp)
        // Without presolve: GLPK's own limit stops it (a stop of a presolved first solve
        // comes from the hook and ends the session, like an interrupt).
        var o = LPOptions(); o.timeLimit = 0.001; o.presolve = false
        let r = s.solve(options: o)
        #expect(r.status == .timeLimit || r.status == .optimal)
        #expect(s.isUsable)
        let full = s.solve(options: LPOptions())
        let cold = try GLPKSolver().solve(lp, options: LPOptions())
        #expect(full.status == .optimal && abs(full.objective - cold.objective) <= 1e-9 * max(1, abs(cold.objective)))
    }
}
