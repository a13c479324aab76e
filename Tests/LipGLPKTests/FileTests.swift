import Foundation
import LipLP
@testable import LipGLPK
import Testing
import LipTestSupport

func temporaryPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liplua-glpk-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

/// Runs glpsol (if installed) and returns the objective it prints ("Objective:  obj = 465 (MINimum)").
func glpsolObjective(_ args: [String]) throws -> Double? {
    let exe = "/usr/bin/glpsol"
    guard FileManager.default.isExecutableFile(atPath: exe) else { return nil }
    let out = temporaryPath("glpsol-\(UUID().uuidString).txt")
    let r = try Subprocess.run(exe, args + ["-o", out], timeout: 120)
    guard !r.timedOut else { Issue.record("glpsol: \(r.summary)"); return nil }
    let text = try String(contentsOfFile: out, encoding: .utf8)
    guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Objective:") }),
          let eq = line.firstIndex(of: "=") else { return nil }
    return Double(line[line.index(after: eq)...].split(separator: " ").first ?? "")
}

@Suite struct Files {
    let solver = GLPKSolver()

    @Test(arguments: GLPKSolver.FileFormat.allCases) func roundTrip(format: GLPKSolver.FileFormat) throws {
        for (lp, want) in [(transportation(), 465.0), (equalityFree(), 9.0), (randomLP(rows: 30, columns: 40, perRow: 5, seed: 3), .nan)] {
            let path = temporaryPath("\(lp.name).\(format.rawValue)")
            try solver.write(lp, to: path, format: format)
            let back = try GLPKSolver.read(from: path, format: format)
            #expect(back.rowCount == lp.rowCount)
            if format == .mps {
                #expect(back.columnCount == lp.columnCount && back.nonzeroCount == lp.nonzeroCount)
            } else {
                // CPLEX LP has no ranged rows: GLPK writes each as an equality with a slack column.
                #expect(back.columnCount >= lp.columnCount)
            }
            let direct = try solver.solve(lp, options: LPOptions())
            let reread = try solver.solve(back, options: LPOptions())
            #expect(reread.status == .optimal)
            // GLPK's CPLEX LP writer records the objective constant only as a comment.
            let lost = format == .cplexLP ? lp.objectiveConstant : 0
            #expect(abs(reread.objective + lost - direct.objective) < 1e-6 * max(1, abs(direct.objective)))
            if !want.isNaN { #expect(abs(direct.objective - want) < 1e-6) }
            if format == .mps, !lp.columnNames.isEmpty { #expect(back.columnNames == lp.columnNames) }
            // An independent reader: the glpsol command-line solver.
            if let g = try glpsolObjective([format == .mps ? "--freemps" : "--lp", path]) {
                #expect(abs(g + lost - direct.objective) < 1e-4 * max(1, abs(direct.objective)), "glpsol \(g) vs \(direct.objective)")
            }
        }
    }

    @Test func maximizationSenseInLPFormat() throws {
        let path = temporaryPath("small-max.lp")
        try solver.write(smallMax(), to: path, format: .cplexLP)
        let back = try GLPKSolver.read(from: path, format: .cplexLP)
        #expect(back.sense == .maximize)
        #expect(abs(try solver.solve(back, options: LPOptions()).objective - 11) < 1e-9)
    }

    @Test func unwritablePathIsAClearError() throws {
        let path = "/nonexistent-dir-liplua/x.mps"
        do {
            try solver.write(smallMax(), to: path, format: .mps)
            Issue.record("expected an error")
        } catch let e as GLPKSolver.FileError {
            #expect(e.description.contains(path) && e.description.contains("writable"))
        }
        // And reading a missing file.
        #expect(throws: GLPKSolver.FileError.self) { try GLPKSolver.read(from: path, format: .mps) }
        // Invalid LPs are refused before writing.
        var bad = smallMax(); bad.rowLower[0] = .nan
        #expect(throws: LPError.self) { try solver.write(bad, to: temporaryPath("bad.mps"), format: .mps) }
    }
}
