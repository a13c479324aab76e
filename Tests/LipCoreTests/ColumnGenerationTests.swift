import Foundation
import Testing
import LipLP
import LipGLPK
@testable import LipCore

/// Column generation against the full LP: the final value equals the full family's optimum,
/// every round's certified bound is a bound (≥ the final one ≥ the exact maximum of p), and the
/// anytime bound never increases.
@Suite("Hierarchy: column generation")
struct ColumnGenerationTests {
    static let cases: [(sizes: [Int], sparsity: Int?, k: Int, family: String, pattern: String?, seed: UInt64)] = [
        ([6, 6, 1], 3, 3, "by_input", nil, 1),
        ([6, 6, 1], nil, 4, "by_input", nil, 2),
        ([5, 4, 3, 1], nil, 3, "by_input", nil, 3),
        ([5, 4, 3, 1], 3, 4, "by_input", nil, 4),
        ([5, 5, 1], nil, 3, "multilinear", "chordal", 5),
        ([4, 3, 1], nil, 3, "dense", "dense", 6),
        ([5, 4, 3, 1], nil, 4, "multilinear", "by_input", 7),
    ]

    @Test(arguments: 0..<cases.count)
    func equalsTheFullLP(index: Int) throws {
        let c = Self.cases[index]
        let reg = Registries.builtin()
        let net = try Network.random(sizes: c.sizes, sparsity: c.sparsity, bias: index % 2 == 0, seed: c.seed)
        let problem = try makeLipschitzProblem(net, norm: .linf)
        var o = KrivineOptions(degree: c.k, family: try reg.families.resolve(c.family), solver: GLPKSolver())
        if let p = c.pattern { o.pattern = try reg.patterns.resolve(p) }
        let full = try KrivineHierarchy.solve(problem, options: o)
        var cg = ColumnGenerationOptions()
        cg.columnsPerRound = 25           // small rounds: several of them even on tiny networks
        let r = try KrivineHierarchy.solveByColumnGeneration(problem, options: o, generation: cg)
        // GLPK keeps its LP alive: every round is a warm re-solve.
        #expect(r.warmRounds == r.rounds.count && r.rounds.allSatisfy(\.warm))
        // The cold path (every round from scratch) reaches the same value.
        var coldOptions = cg
        coldOptions.warmStart = false
        let cold = try KrivineHierarchy.solveByColumnGeneration(problem, options: o, generation: coldOptions)
        #expect(cold.warmRounds == 0 && cold.converged)
        #expect(abs(try #require(cold.bound.lpValue) - (full.lpValue ?? .nan)) <= 1e-7 * max(1, abs(full.lpValue ?? 1)))
        // The default batch (rows/2, at least 100) converges to the same value.
        let big = try KrivineHierarchy.solveByColumnGeneration(problem, options: o)
        #expect(big.converged && big.warmRounds == big.rounds.count)
        #expect(abs(try #require(big.bound.lpValue) - (full.lpValue ?? .nan)) <= 1e-7 * max(1, abs(full.lpValue ?? 1)))
        let fullValue = try #require(full.lpValue)
        let cgValue = try #require(r.bound.lpValue)
        #expect(r.converged)
        #expect(abs(cgValue - fullValue) <= 1e-7 * max(1, abs(fullValue)), "\(c): column generation \(cgValue) vs full LP \(fullValue)")
        let exact = try exactMaximum(problem).value
        let final = try #require(r.anytimeBound)
        #expect(final >= exact * (1 - 1e-9) - 1e-12)
        var previous = Double.infinity
        var previousLP = Double.infinity
        for round in r.rounds {
            let bound = try #require(round.anytimeBound)
            #expect(bound <= previous, "the anytime bound went up at round \(round.round)")
            #expect(try #require(round.certified) >= final * (1 - 1e-12))
            if let v = round.lpValue { #expect(v <= previousLP + 1e-9 * max(1, abs(v))); previousLP = v }
            previous = bound
        }
        #expect(r.rounds.count >= 2 || r.bound.columns <= 26)
        #expect(r.bound.columns <= full.columns)
    }
}

/// The size and memory estimate against the LP that is then built (sizes are upper bounds)
/// and against the solver's model.
@Suite("Hierarchy: size and memory estimate")
struct HierarchyEstimateTests {
    @Test(arguments: [("by_input", 3, [8, 8, 1], 3 as Int?), ("by_input", 4, [6, 6, 1], nil), ("path", 3, [10, 10, 1], nil),
                      ("multilinear", 3, [5, 4, 3, 1], nil), ("dense", 3, [4, 3, 1], nil)])
    func sizesAreUpperBounds(family: String, k: Int, sizes: [Int], sparsity: Int?) throws {
        let reg = Registries.builtin()
        let net = try Network.random(sizes: sizes, sparsity: sparsity, bias: true, seed: 11)
        let problem = try makeLipschitzProblem(net, norm: .linf)
        var o = KrivineOptions(degree: k, family: try reg.families.resolve(family), solver: GLPKSolver())
        if o.family.usesPattern { o.pattern = .dense }
        let e = try KrivineHierarchy.estimate(problem, options: o)
        let (lp, _) = try KrivineHierarchy.apply(problem, options: o)
        #expect(e.columns >= Double(lp.columnCount), "\(e.columns) \(lp.columnCount)")
        #expect(e.nonzeros >= Double(lp.nonzeroCount), "\(e.nonzeros) \(lp.nonzeroCount)")
        #expect(e.rows >= Double(lp.rowCount),
                "\(family): estimate \(e) vs LP \(lp.rowCount) × \(lp.columnCount), \(lp.nonzeroCount)")
        // The peak is the larger of building and LP value + GLPK's own model for these sizes.
        let solver = GLPKSolver().memoryEstimate(rows: Int(e.rows), columns: Int(e.columns), nonzeros: Int(e.nonzeros), method: .automatic)!
        #expect(e.solverModel == "glpk" && e.solverBytes == solver)
        #expect(e.lpBytes == 24 * e.columns + 16 * e.rows + 16 * e.nonzeros)
        #expect(e.memoryBytes == max(100 * e.nonzeros, e.lpBytes + solver))
    }

    @Test func refusalNamesSizesBytesAndColumnGeneration() throws {
        let net = try Network.random(sizes: [10, 10, 1], sparsity: 5, bias: false, seed: 3)
        let problem = try makeLipschitzProblem(net, norm: .linf)
        var o = KrivineOptions(degree: 3, family: .byInput, solver: GLPKSolver())
        let e = try KrivineHierarchy.estimate(problem, options: o)
        o.limits.maxMemoryBytes = e.memoryBytes / 2
        do {
            _ = try KrivineHierarchy.apply(problem, options: o)
            Issue.record("expected a refusal")
        } catch let err as HierarchyError {
            guard case .tooLarge(let s) = err else { Issue.record("wrong error \(err)"); return }
            for part in ["memory", "at peak", "columns", "rows", "nonzeros", "glpk model", "column_generation", "smaller degree", "max_memory"] {
                #expect(s.contains(part), "missing '\(part)' in: \(s)")
            }
        }
        // Column generation builds no full LP, so the budget does not stop it.
        let r = try KrivineHierarchy.solveByColumnGeneration(problem, options: o)
        #expect(r.converged)
    }
}
