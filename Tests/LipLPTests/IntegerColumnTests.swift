import LipLP
import Testing

@Suite struct IntegerColumns {
    @Test func emptyMeansContinuousAndFlagsAreChecked() throws {
        var lp = tiny()
        try lp.validate()                       // isInteger empty: all continuous
        lp.isInteger = [true]
        #expect(try #require(message(lp)).contains("isInteger has 1 elements but objective has 2"))
        lp.isInteger = [true, false]
        try lp.validate()                       // x ∈ [0, ∞): integral (or infinite) bounds
        lp.columnUpper[0] = 2.5
        let m = try #require(message(lp))
        #expect(m.contains("integer column 'x'") && m.contains("2.5"))
        lp.columnUpper[0] = 3; lp.columnLower[0] = -.infinity
        try lp.validate()
        lp.isInteger = [false, false]; lp.columnUpper[0] = 2.5
        try lp.validate()                       // continuous columns may have any bounds
    }

    @Test func mipOptionsAreChecked() throws {
        let lp = tiny()
        var o = MIPOptions()
        try o.validate(for: lp)
        o.start = [1]
        #expect(throws: MIPOptionsError.self) { try o.validate(for: lp) }
        o.start = [1, .nan]
        #expect(throws: MIPOptionsError.self) { try o.validate(for: lp) }
        o.start = nil; o.branchingPriority = [1, 2, 3]
        #expect(throws: MIPOptionsError.self) { try o.validate(for: lp) }
        o.branchingPriority = []; o.relativeGap = -1
        #expect(throws: MIPOptionsError.self) { try o.validate(for: lp) }
    }
}
