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
