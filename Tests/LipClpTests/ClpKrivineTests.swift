import Foundation
import LipLP
import LipGLPK
import LipCore
@testable import LipClp
import Testing
import LipTestSupport

/// Krivine (LiPopt) LPs of small networks solved by Clp and by GLPK: the certified bounds
/// (computed from the primal point only, KrivineInverse.certify) agree to 1e-7, and both are
/// at least the exact maximum found by enumerating the vertices of the box (the oracle).
@Suite(.enabled(if: clpPath != nil, Comment(rawValue: clpMissing)))
struct ClpKrivine {
    struct Case: Sendable, CustomStringConvertible {
        var sizes: [Int]; var sparsity: Int?; var degree: Int; var family: ProductFamily; var bias: Bool; var seed: UInt64
        var description: String { "\(sizes) s=\(sparsity.map(String.init) ?? "-") k=\(degree) \(family.name)\(bias ? " bias" : "")" }
    }
    static let cases: [Case] = [
        Case(sizes: [4, 5, 1], sparsity: nil, degree: 3, family: .byInput, bias: false, seed: 1),
        Case(sizes: [5, 6, 1], sparsity: nil, degree: 2, family: .dense, bias: true, seed: 2),
        Case(sizes: [3, 4, 3, 1], sparsity: nil, degree: 3, family: .byInput, bias: false, seed: 3),
        Case(sizes: [5, 5, 1], sparsity: 3, degree: 4, family: .multilinear, bias: false, seed: 4),
        Case(sizes: [6, 7, 1], sparsity: nil, degree: 3, family: .path, bias: true, seed: 5),
        Case(sizes: [4, 4, 1], sparsity: nil, degree: 2, family: .multilinear, bias: false, seed: 6),
    ]

    @Test(arguments: cases) func certifiedBoundsAgreeWithGLPK(c: Case) throws {
        let net = try Network.random(sizes: c.sizes, sparsity: c.sparsity, bias: c.bias, seed: c.seed)
        let problem = try makeLipschitzProblem(net, norm: .linf)
        let (lp, inverse) = try KrivineHierarchy.apply(problem, options: KrivineOptions(degree: c.degree, family: c.family))
        let exact = try exactMaximum(problem).value
        let glpk = inverse.invert(try GLPKSolver().solve(lp, options: options(.primalSimplex)))
        let ref = try #require(glpk.certifiedBound, "GLPK: \(glpk.solverMessage)")
        #expect(ref >= exact, "GLPK certified \(ref) < exact maximum \(exact)")
        let (solver, dir) = clp("krivine")
        for method in [LPMethod.dualSimplex, .primalSimplex, .interiorPoint] {
            let r = try solver.solve(lp, options: options(method))
            #expect(r.status == .optimal, "\(c) \(method): \(r.message)")
            let b = inverse.invert(r)
            let bound = try #require(b.certifiedBound, "\(c) \(method): no certified bound (\(b.solverMessage))")
            #expect(abs(bound - ref) <= 1e-7 * max(1, abs(ref)), "\(c) \(method): clp \(bound) vs glpk \(ref)")
            #expect(bound >= exact, "\(c) \(method): certified \(bound) < exact maximum \(exact)")
            // The certificate adds almost nothing to λ* when the point is exact to full precision.
            #expect(try #require(b.correction) <= 1e-8 * max(1, abs(bound)), "\(c) \(method): correction \(b.correction ?? .nan)")
            #expect(b.solverName == "clp")
        }
        #expect(contents(dir).isEmpty)
    }

    @Test func solveThroughKrivineOptions() throws {
        // The hierarchy driver with Clp as its solver, as `solver = "clp"` will do from Lua.
        let net = try Network.random(sizes: [5, 5, 1], seed: 9)
        let problem = try makeLipschitzProblem(net, norm: .linf)
        let (s, _) = clp("driver")
        let viaClp = try KrivineHierarchy.solve(problem, options: KrivineOptions(degree: 3, family: .byInput, solver: s))
        let viaGLPK = try KrivineHierarchy.solve(problem, options: KrivineOptions(degree: 3, family: .byInput, solver: GLPKSolver()))
        let a = try #require(viaClp.certifiedBound), b = try #require(viaGLPK.certifiedBound)
        #expect(abs(a - b) <= 1e-7 * max(1, b))
        #expect(a >= (try exactMaximum(problem).value))
    }
}
