import LipLP
import Testing

func tiny() -> LinearProgram {
    var lp = LinearProgram(name: "tiny")
    let x = lp.addColumn(objective: 1, name: "x")
    let y = lp.addColumn(objective: 2, name: "y")
    lp.addRow([(x, 1), (y, 1)], lower: 1, upper: .infinity, name: "cover")
    lp.addRow([(x, 1), (y, -1)], lower: -.infinity, upper: 2, name: "gap")
    return lp
}

func message(_ lp: LinearProgram) -> String? {
    do { try lp.validate(); return nil } catch { return error.description }
}

@Suite struct Validation {
    @Test func validLPPasses() throws { try tiny().validate() }

    @Test func nanCoefficientNamesRowAndColumn() throws {
        var lp = tiny(); lp.entryValue[3] = .nan
        let m = try #require(message(lp))
        #expect(m.contains("'gap'") && m.contains("'y'") && m.contains("nan"))
    }

    @Test func infiniteCoefficientAndObjective() throws {
        var lp = tiny(); lp.entryValue[0] = -.infinity
        #expect(try #require(message(lp)).contains("'x'"))
        lp = tiny(); lp.objective[1] = .infinity
        let m = try #require(message(lp))
        #expect(m.contains("objective") && m.contains("'y'"))
        lp = tiny(); lp.objectiveConstant = .nan
        #expect(try #require(message(lp)).contains("objective constant"))
    }

    @Test func nanBoundsAndEmptyIntervals() throws {
        var lp = tiny(); lp.rowUpper[0] = .nan
        var m = try #require(message(lp))
        #expect(m.contains("upper bound of row 'cover'") && m.contains("NaN"))
        lp = tiny(); lp.columnLower[1] = 5; lp.columnUpper[1] = 4
        m = try #require(message(lp))
        #expect(m.contains("column 'y'") && m.contains("5.0") && m.contains("4.0"))
        lp = tiny(); lp.rowLower[1] = 3
        #expect(try #require(message(lp)).contains("row 'gap'"))
        lp = tiny(); lp.columnLower[0] = .infinity; lp.columnUpper[0] = .infinity
        #expect(try #require(message(lp)).contains("column 'x'"))
    }

    @Test func badIndicesAndLengths() throws {
        var lp = tiny(); lp.entryColumn[2] = 7
        var m = try #require(message(lp))
        #expect(m.contains("entry 2") && m.contains("column 7") && m.contains("2 columns"))
        lp = tiny(); lp.entryRow[0] = -1
        #expect(try #require(message(lp)).contains("row -1"))
        lp = tiny(); lp.columnUpper.removeLast()
        m = try #require(message(lp))
        #expect(m.contains("columnUpper") && m.contains("1 elements"))
        lp = tiny(); lp.entryRow.append(0)
        #expect(try #require(message(lp)).contains("entryRow"))
    }

    @Test func duplicateEntriesNamed() throws {
        var lp = tiny()
        lp.entryRow.append(1); lp.entryColumn.append(0); lp.entryValue.append(4)
        let m = try #require(message(lp))
        #expect(m.contains("row 'gap'") && m.contains("column 'x'") && m.contains("entries 2 and 4"))
        // The same column in different rows is fine.
        var ok = tiny(); ok.addRow([(0, 1)], lower: 0, upper: 1)
        try ok.validate()
    }

    @Test func unnamedLabelsUseIndices() throws {
        var lp = LinearProgram(columns: 2)
        lp.addRow([(0, 1), (1, .nan)], lower: 0, upper: 1)
        let m = try #require(message(lp))
        #expect(m.contains("row index 0") && m.contains("column index 1"))
    }

    @Test func memoryEstimateGrowsWithSize() {
        let small = tiny()
        var big = LinearProgram(columns: 1000)
        for i in 0..<1000 { big.addRow([(i, 1)], lower: 0, upper: 1) }
        // 24 B per column + 16 per row + 16 per nonzero, at least.
        #expect(big.memoryEstimate >= 24 * 1000 + 16 * 1000 + 16 * 1000)
        #expect(big.memoryEstimate < 100 * 3000)
        #expect(small.memoryEstimate < big.memoryEstimate)
    }
}

@Suite struct Scripted {
    @Test func queueAnswersInOrderAndRecords() throws {
        let solver = ScriptedLPSolver(results: [LPResult(status: .infeasible), LPResult(status: .optimal, objective: 3)])
        var o = LPOptions(); o.method = .dualSimplex
        let r1 = try solver.solve(tiny(), options: o)
        var second = tiny(); second.name = "second"
        let r2 = try solver.solve(second, options: LPOptions())
        #expect(r1.status == .infeasible && r2.status == .optimal && r2.objective == 3)
        #expect(r1.solver == "scripted")
        #expect(solver.received.map(\.name) == ["tiny", "second"])
        #expect(solver.receivedOptions.first?.method == .dualSimplex)
        #expect(solver.remaining == 0)
        #expect(throws: ScriptedLPSolver.ScriptExhausted.self) { try solver.solve(tiny(), options: LPOptions()) }
        #expect(solver.callCount == 3)
    }

    @Test func validatesByDefaultWithoutConsumingScript() throws {
        let solver = ScriptedLPSolver(results: [LPResult(status: .optimal)])
        var bad = tiny(); bad.entryValue[0] = .nan
        #expect(throws: LPError.self) { try solver.solve(bad, options: LPOptions()) }
        #expect(solver.remaining == 1 && solver.callCount == 1)
        let lax = ScriptedLPSolver(validates: false, results: [LPResult(status: .optimal)])
        #expect(try lax.solve(bad, options: LPOptions()).status == .optimal)
    }

    @Test func closureComputesFromTheLP() throws {
        // Answers "optimal" with objective = number of rows, so callers' plumbing can be checked.
        let solver = ScriptedLPSolver(name: "mock") { lp, _ in
            LPResult(status: .optimal, objective: Double(lp.rowCount), primal: Array(repeating: 0, count: lp.columnCount))
        }
        let r = try solver.solve(tiny(), options: LPOptions())
        #expect(r.objective == 2 && r.primal.count == 2 && r.solver == "mock")
    }
}
