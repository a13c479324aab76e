import Foundation
import LipLP
@testable import LipGLPK
import Testing
import LipTestSupport

/// LipLP's own free-MPS writer (`LinearProgram.writeMPS`), read back by GLPK's reader: the
/// LP GLPK sees must be the written LP exactly (bit for bit, sense and constant per the chosen
/// conventions), and GLPK must find the same optimum on both.
@Suite struct MPSWriterReadBack {
    /// Every LP of the catalogue plus random ones with all row kinds and boxes.
    static func catalogue() -> [LinearProgram] {
        var lps = [smallMax(), equalityFree(), transportation(), infeasibleLP(), unboundedLP()]
        var empties = LinearProgram(name: "empties")
        let x = empties.addColumn(objective: -1), y = empties.addColumn(objective: 0, lower: 1)
        _ = empties.addColumn(objective: 2, lower: -2, upper: 4)
        _ = empties.addColumn(objective: 0, lower: -5, upper: 5)
        empties.objectiveConstant = 1
        empties.addRow([(x, 1), (y, 1)], lower: -.infinity, upper: 3)
        empties.addRow([], lower: -1, upper: 1)
        lps.append(empties)
        for seed in UInt64(1)...6 {
            var lp = randomLP(rows: 25 + Int(seed) * 5, columns: 40, perRow: 5, seed: seed, sense: seed % 2 == 0 ? .maximize : .minimize)
            // A free column and one bounded above only, so FR and MI appear too.
            lp.columnLower[0] = -.infinity; lp.columnUpper[0] = .infinity
            lp.columnLower[1] = -.infinity
            lps.append(lp)
        }
        return lps
    }

    /// The LP GLPK read equals `lp` exactly: the same rows, columns, bounds and entries; the
    /// objective negated when the writer negated a maximisation; a row written with a slack
    /// column s (`slackRows`) reads as aᵀx − s = 0 with s carrying the row's bounds.
    func expectSame(_ back: LinearProgram, _ lp: LinearProgram, negated: Bool, constant: Double, slackRows: [Int] = [],
                    sourceLocation: SourceLocation = #_sourceLocation) {
        let n = lp.columnCount
        #expect(back.rowCount == lp.rowCount && back.columnCount == n + slackRows.count, sourceLocation: sourceLocation)
        guard back.rowCount == lp.rowCount, back.columnCount == n + slackRows.count else { return }
        let s: Double = negated ? -1 : 1
        #expect(back.sense == (negated ? .minimize : lp.sense), sourceLocation: sourceLocation)
        #expect(back.objectiveConstant == constant, "constant \(back.objectiveConstant) vs \(constant)", sourceLocation: sourceLocation)
        var want = lp
        for (k, i) in slackRows.enumerated() {
            let j = want.addColumn(objective: 0, lower: lp.rowLower[i], upper: lp.rowUpper[i])
            want.entryRow.append(Int32(i)); want.entryColumn.append(Int32(j)); want.entryValue.append(-1)
            want.rowLower[i] = 0; want.rowUpper[i] = 0
            #expect(j == n + k)
        }
        for j in 0..<want.columnCount {
            let c = j < n ? s * want.objective[j] : 0
            #expect(back.objective[j] == c || (back.objective[j] == 0 && c == 0), sourceLocation: sourceLocation)
            #expect(back.columnLower[j] == want.columnLower[j] && back.columnUpper[j] == want.columnUpper[j],
                    "column \(j): [\(back.columnLower[j]), \(back.columnUpper[j])] vs [\(want.columnLower[j]), \(want.columnUpper[j])]", sourceLocation: sourceLocation)
        }
        for i in 0..<want.rowCount {
            #expect(back.rowLower[i] == want.rowLower[i] && back.rowUpper[i] == want.rowUpper[i],
                    "row \(i): [\(back.rowLower[i]), \(back.rowUpper[i])] vs [\(want.rowLower[i]), \(want.rowUpper[i])]", sourceLocation: sourceLocation)
        }
        func entries(_ p: LinearProgram) -> [[Double]] {
            var key: [(Int32, Int32, Double)] = []
            for k in 0..<p.nonzeroCount where p.entryValue[k] != 0 { key.append((p.entryRow[k], p.entryColumn[k], p.entryValue[k])) }
            key.sort { ($0.0, $0.1) < ($1.0, $1.1) }
            return key.map { [Double($0.0), Double($0.1), $0.2] }
        }
        #expect(entries(back) == entries(want), sourceLocation: sourceLocation)
    }

    @Test func glpkReadsExactlyWhatWasWritten() throws {
        for lp in Self.catalogue() {
            for names in [MPSWriteOptions.Names.sanitized, .generated] {
                let path = temporaryPath("rb-\(lp.name)-\(names == .generated ? "g" : "s").mps")
                let summary = try lp.writeMPS(to: path, options: MPSWriteOptions(names: names, constant: .glpkRHS))
                let back = try GLPKSolver.read(from: path, format: .mps)
                let negated = lp.sense == .maximize
                #expect(summary.negatedObjective == negated)
                expectSame(back, lp, negated: negated, constant: negated ? -lp.objectiveConstant : lp.objectiveConstant,
                           slackRows: summary.slackRows)
                if names == .sanitized, !lp.columnNames.isEmpty { #expect(Array(back.columnNames.prefix(lp.columnCount)) == lp.columnNames) }
                // The same optimum (sign flipped for a negated maximisation), or the same status.
                let direct = try GLPKSolver().solve(lp, options: options(.dualSimplex))
                let reread = try GLPKSolver().solve(back, options: options(.dualSimplex))
                let bothUnbounded = direct.status == .unbounded && reread.status == .unbounded
                #expect(reread.status == direct.status || bothUnbounded, "\(lp.name): \(direct.status) vs \(reread.status)")
                if direct.status == .optimal {
                    let want = negated ? -direct.objective : direct.objective
                    #expect(abs(reread.objective - want) <= 1e-9 * max(1, abs(want)), "\(lp.name): \(reread.objective) vs \(want)")
                }
            }
        }
    }

    @Test func knownOptimaThroughTheFile() throws {
        // The hand-computed optima of the catalogue, solved from the written file.
        for (lp, want) in [(smallMax(), 11.0), (equalityFree(), 9.0), (transportation(), 465.0)] {
            let path = temporaryPath("known-\(lp.name).mps")
            try lp.writeMPS(to: path, options: MPSWriteOptions(constant: .glpkRHS))
            let r = try GLPKSolver().solve(try GLPKSolver.read(from: path, format: .mps), options: options(.primalSimplex))
            #expect(r.status == .optimal)
            #expect(abs((lp.sense == .maximize ? -r.objective : r.objective) - want) < 1e-9)
        }
    }

    @Test func constantConventionsAsGLPKReadsThem() throws {
        // GLPK takes the objective row's RHS as +c0; the common convention (Clp, CPLEX, HiGHS) is −c0.
        let lp = equalityFree()   // c0 = 5
        for (convention, seen) in [(MPSWriteOptions.Constant.glpkRHS, 5.0), (.negatedRHS, -5.0), (.omit, 0.0)] {
            let path = temporaryPath("c0.mps")
            try lp.writeMPS(to: path, options: MPSWriteOptions(constant: convention))
            #expect(try GLPKSolver.read(from: path, format: .mps).objectiveConstant == seen)
        }
        // GLPK rejects an OBJSENSE section (which is why the writer negates by default).
        let path = temporaryPath("objsense.mps")
        try smallMax().writeMPS(to: path, options: MPSWriteOptions(maximization: .objsenseSection))
        #expect(throws: GLPKSolver.FileError.self) { try GLPKSolver.read(from: path, format: .mps) }
    }

    @Test func awkwardNumbersSurviveExactly() throws {
        // Decimal fractions, long mantissas, huge and tiny magnitudes (GLPK zeroes |v| < 1e-12,
        // so stay above that), ranges whose width is not exact in binary.
        var lp = LinearProgram(name: "awkward")
        let vals: [Double] = [0.1, 1.0 / 3, 2.0 / 3, 0.30000000000000004, 123456.789e10, 9.87654321e-11, -7.000000000000001, 1e22, 4.9406564584124654e-5]
        for (j, v) in vals.enumerated() { lp.addColumn(objective: v, lower: -abs(v) * 3, upper: abs(v) + 0.7, name: "c\(j)") }
        for (i, v) in vals.enumerated() {
            lp.addRow([(i, v), ((i + 1) % vals.count, -v / 7)], lower: -abs(v) - 0.1, upper: abs(v) * 3 + 0.2, name: "r\(i)")
        }
        let path = temporaryPath("awkward.mps")
        let summary = try lp.writeMPS(to: path)
        let back = try GLPKSolver.read(from: path, format: .mps)
        expectSame(back, lp, negated: false, constant: 0, slackRows: summary.slackRows)
    }

    @Test func rangesWithoutAnExactMPSValueGetASlackColumn() throws {
        // [-0.24629569134682724, 0.17726107169562494]: neither lo + R == up nor up − R == lo for
        // any double R (the sums land on every other representable number).
        var lp = LinearProgram(sense: .maximize, name: "slack")
        let x = lp.addColumn(objective: 1, lower: -1, upper: 1, name: "x")
        let y = lp.addColumn(objective: 2, lower: -1, upper: 1, name: "y")
        lp.addRow([(x, 1), (y, 1)], lower: -0.24629569134682724, upper: 0.17726107169562494, name: "band")
        lp.addRow([(x, 1), (y, -1)], lower: -0.5, upper: 0.5, name: "tilt")
        #expect(throws: MPSWriteError.self) {
            var o = MPSWriteOptions(); o.inexactRanges = .fail
            try lp.writeMPS(to: temporaryPath("slack-fail.mps"), options: o)
        }
        let path = temporaryPath("slack.mps")
        let summary = try lp.writeMPS(to: path, options: MPSWriteOptions(constant: .glpkRHS))
        #expect(summary.slackRows == [0])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains(" ~S1 band -1\n") && text.contains(" E band\n") && text.contains(" L tilt\n") || text.contains(" G tilt\n"))
        let back = try GLPKSolver.read(from: path, format: .mps)
        expectSame(back, lp, negated: true, constant: 0, slackRows: [0])
        // By hand: maximise x + 2y with x + y ≤ 0.17726107169562494, x − y ∈ [−0.5, 0.5]: y = (u + 0.5)/2,
        // x = (u − 0.5)/2 at u = 0.17726…: objective (3u + 0.5)/2.
        let u = 0.17726107169562494
        let r = try GLPKSolver().solve(back, options: options(.dualSimplex))
        #expect(abs(-r.objective - (3 * u + 0.5) / 2) < 1e-12)
    }
}
