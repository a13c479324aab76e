import Foundation
import LipControl
import LipLP
import Testing
import LipTestSupport
@testable import LipSDP

@Suite struct SDPValueTests {
    @Test func statusVocabularyIsTheLPOne() {
        let sdp = Set(SDPStatus.allCases.map(\.rawValue))
        let lp = Set(LPStatus.allCases.map(\.rawValue))
        #expect(sdp == lp)
    }

    @Test func symmetricMatrixStorage() throws {
        // (1,0) and (0,1) are one entry; duplicates add; zero sums vanish.
        let M = try SymmetricMatrix(order: 3, entries: [(1, 0, 2), (0, 1, 0.5), (2, 2, -1), (0, 2, 1), (2, 0, -1)])
        #expect(M.rows == [0, 2]); #expect(M.columns == [1, 2]); #expect(M.values == [2.5, -1])
        #expect(M[1, 0] == 2.5); #expect(M[0, 2] == 0)
        // ⟨M, X⟩ = Σ M_ii X_ii + 2 Σ_{i<j} M_ij X_ij with X = all ones: 2·2.5 − 1 = 4
        #expect(M.dot(dense: [Double](repeating: 1, count: 9)) == 4)
        let D = try SymmetricMatrix(order: 3, dense: M.dense())
        #expect(D == M)
        #expect(throws: SDPError.self) { try SymmetricMatrix(order: 2, entries: [(0, 2, 1)]) }
        #expect(throws: SDPError.self) { try SymmetricMatrix(order: 2, entries: [(0, 1, .nan)]) }
        #expect(throws: SDPError.self) { try SymmetricMatrix(order: 2, dense: [0, 1, 2, 0]) }
        // adjacency rows are sorted and hold both triangles
        let A = try SymmetricMatrix(order: 4, entries: [(0, 3, 1), (1, 3, 2), (0, 1, 3), (2, 3, 4)]).adjacency()
        #expect(Array(A.columns[A.rowStart[3]..<A.rowStart[4]]) == [0, 1, 2])
        #expect(A.multiply([1, 1, 1, 1]) == [4, 5, 4, 7])
    }

    @Test func directedRoundingBracketsExactResults() {
        // 1 + 2⁻⁶⁰ is not representable: up gives the next double, down gives 1.
        #expect(Directed.addUp(1, 0x1p-60) == 1.0.nextUp)
        #expect(Directed.addDown(1, 0x1p-60) == 1)
        #expect(Directed.addUp(1, 0.5) == 1.5)          // exact sums stay
        #expect(Directed.addDown(-1, -0x1p-60) == (-1.0).nextDown)
        // (1 + 2⁻⁵²)² = 1 + 2⁻⁵¹ + 2⁻¹⁰⁴: nearest is 1 + 2⁻⁵¹, up must exceed it.
        let x = 1 + 0x1p-52
        #expect(x * x == 1 + 0x1p-51)
        #expect(Directed.mulUp(x, x) > 1 + 0x1p-51)
        #expect(Directed.mulDown(x, x) <= 1 + 0x1p-51)
        // products that underflow still round up to a positive number
        #expect(Directed.mulUp(0x1p-600, 0x1p-600) > 0)
        #expect(Directed.gamma(10) >= 10 * 0x1p-53)
        // Rounded: (0.1 + 0.2) with its bound contains the exact decimal sum 0.3 only up to
        // representation; the bound must cover the rounding of the addition itself.
        let s = Rounded(0.1) + Rounded(0.2)
        #expect(s.error >= Swift.abs((0.1 + 0.2) - 0.3) - 0.3.ulp)
    }

    @Test func validationNamesTheProblem() {
        let bad = BlockSDP(blockSizes: [2], objective: [.zero(order: 3)], constraints: [])
        #expect(throws: SDPError.self) { try bad.validate() }
        let bad2 = BlockSDP(blockSizes: [2], objective: [.zero(order: 2)],
                            constraints: [SDPConstraint(terms: [BlockMatrix(block: 1, matrix: .zero(order: 2))], lower: 0, upper: 1)])
        do { try bad2.validate(); Issue.record("no error") } catch { #expect("\(error)".contains("block 2")) }
        #expect(throws: SDPError.self) { try MaxCutProblem(q: .zero(order: 3), traceBlock: 2..<5) }
    }
}

@Suite struct CertifierTests {
    /// A = (a − 1)I + 11ᵀ (off-diagonal 1, diagonal a): λ_min = a − 1 exactly (real
    /// arithmetic on the stored doubles), ‖A‖ = a + n − 1.
    func onesPlusDiagonal(n: Int, relativeLambdaMin eps: Double) -> (q: SymmetricMatrix, d: [Double], lambdaMin: Double, norm: Double) {
        let a = (1 + Double(n - 1) * eps) / (1 - eps)
        var e: [(Int, Int, Double)] = []
        for i in 0..<n { for j in (i + 1)..<n { e.append((i, j, -1)) } }   // Q = Diag(d) − A, zero diagonal
        let q = try! SymmetricMatrix(order: n, entries: e)
        return (q, [Double](repeating: a, count: n), a - 1, a + Double(n - 1))
    }

    @Test func acceptsPSDAndRefusesSlightlyIndefinite() {
        let n = 60
        // λ_min = +1e-9‖A‖: PSD with margin — proved without any shift.
        let good = onesPlusDiagonal(n: n, relativeLambdaMin: 1e-9)
        #expect(Swift.abs(good.lambdaMin / good.norm - 1e-9) < 1e-11)
        var block = try! MaxCutProblem(q: good.q).asBlockSDP()
        block.traceBounds = [nil]          // no shift allowed: a pure PSD test
        let y = try! MaxCutProblem(q: good.q).blockDual(good.d)
        let c = block.certify(dual: y)
        #expect(c.status == .certified)
        #expect(c.shifts == [0])
        #expect((c.bound ?? .nan) >= good.d.reduce(0, +))
        // λ_min = −1e-9‖A‖: must not be proved PSD (that would be a false theorem).
        let bad = onesPlusDiagonal(n: n, relativeLambdaMin: -1e-9)
        #expect(Swift.abs(bad.lambdaMin / bad.norm + 1e-9) < 1e-11)
        var block2 = try! MaxCutProblem(q: bad.q).asBlockSDP()
        block2.traceBounds = [nil]
        let c2 = block2.certify(dual: try! MaxCutProblem(q: bad.q).blockDual(bad.d))
        #expect(c2.status == .uncertified)
        #expect(c2.bound == nil)
        // With the shift allowed, μ must be at least the true deficit −λ_min (and not much more).
        let c3 = try! MaxCutProblem(q: bad.q).certify(dual: bad.d)
        #expect(c3.status == .certified)
        let mu = c3.shifts[0]
        #expect(mu >= -bad.lambdaMin)
        #expect(mu <= -bad.lambdaMin * 1.01 + 1e-12)
        #expect((c3.bound ?? .nan) >= bad.d.reduce(0, +) + Double(n) * (-bad.lambdaMin))
    }

    @Test func shiftMatchesJacobiEigenvalueOnRandomMatrices() throws {
        for seed: UInt64 in 1...4 {
            let n = 24
            let q = try randomQ(order: n, density: 0.5, seed: seed)
            var r = SplitMix(seed + 100)
            let d = (0..<n).map { _ in r.uniform(0.5, 2.5) }
            let S = (0..<(n * n)).map { k -> Double in
                let i = k / n, j = k % n
                return (i == j ? d[i] : 0) - q[i, j]
            }
            let lam = jacobiEigenvalues(S, n)[0]
            let c = try MaxCutProblem(q: q).certify(dual: d)
            #expect(c.status == .certified)
            let mu = c.shifts[0]
            // sound: μ ≥ −λ_min (up to the oracle's own accuracy); tight: not much more
            #expect(mu >= -lam - 1e-12)
            #expect(mu <= Swift.max(0, -lam) * 1.01 + 1e-9)
            #expect((c.bound ?? .nan) >= d.reduce(0, +) + Double(n) * Swift.max(0, -lam) - 1e-10)
        }
    }

    @Test func boundIsAtLeastTheBruteForceMaximum() throws {
        for seed: UInt64 in 1...3 {
            let q = try randomQ(order: 12, density: 0.6, seed: seed)
            let exact = bruteForceMaxCut(q)
            var o = SDPOptions(); o.tolerance = 1e-9
            let r = try LowRankSolver().solve(.maxCut(try MaxCutProblem(q: q)), options: o)
            #expect(r.status == .optimal)
            #expect(r.dualObjective >= exact - 1e-9)        // the SDP relaxes the ±1 problem
            let c = try MaxCutProblem(q: q).certify(dual: r.dual)
            #expect(c.status == .certified)
            #expect((c.bound ?? .nan) >= exact)
            #expect((c.bound ?? .nan) - r.dualObjective <= 1e-6 * Swift.abs(r.dualObjective))
        }
    }

    @Test func rankOneCostIsSolvedExactly() throws {
        // Q = ½[[0, αγᵀ], [γαᵀ, 0]]: the SDP equals max (αᵀt)(γᵀv) = ‖α‖₁‖γ‖₁ = 6 · 4.5 = 27.
        let alpha = [1.0, -2, 3], gamma = [2.0, 1, -1, 0.5]
        var e: [(Int, Int, Double)] = []
        for i in 0..<3 { for j in 0..<4 { e.append((i, 3 + j, alpha[i] * gamma[j] / 2)) } }
        let p = try MaxCutProblem(q: SymmetricMatrix(order: 7, entries: e))
        #expect(bruteForceMaxCut(p.q) == 27)
        let r = try LowRankSolver().solve(.maxCut(p), options: SDPOptions())
        #expect(Swift.abs(r.primalObjective - 27) < 1e-7)
        let c = p.certify(dual: r.dual)
        #expect((c.bound ?? .nan) >= 27)
        #expect((c.bound ?? .nan) <= 27 * (1 + 1e-6))
    }

    @Test func traceBlockBoundIsAtLeastTheSphereMaximum() throws {
        // x = (x0, t1..t3, u1, u2); max over x0, u ∈ ±1 and ‖t‖₂ = 1 of xᵀQx = max ‖g(x0, u)‖₂.
        var r = SplitMix(7)
        var e: [(Int, Int, Double)] = []
        for t in 1...3 { e.append((0, t, r.uniform(-1, 1))); for u in 4...5 { e.append((t, u, r.uniform(-1, 1))) } }
        let q = try SymmetricMatrix(order: 6, entries: e)
        let p = try MaxCutProblem(q: q, traceBlock: 1..<4)
        var exact = -Double.infinity
        for m in 0..<8 {
            let x0 = m & 1 == 0 ? 1.0 : -1, u = [m & 2 == 0 ? 1.0 : -1, m & 4 == 0 ? 1.0 : -1]
            let g = (1...3).map { t in 2 * (q[0, t] * x0 + q[t, 4] * u[0] + q[t, 5] * u[1]) }
            exact = Swift.max(exact, (g.map { $0 * $0 }.reduce(0, +)).squareRoot())
        }
        var o = SDPOptions(); o.tolerance = 1e-9
        let res = try LowRankSolver().solve(.maxCut(p), options: o)
        #expect(res.dualObjective >= exact - 1e-9)
        let c = p.certify(dual: res.dual)
        #expect(c.status == .certified)
        #expect((c.bound ?? .nan) >= exact)
    }

    @Test func blockSDPCertificates() throws {
        // max ⟨C, X⟩ s.t. tr X = 1, C = [[2, 1], [1, 2]]: the value is λ_max(C) = 3.
        let C = try SymmetricMatrix(order: 2, entries: [(0, 0, 2), (0, 1, 1), (1, 1, 2)])
        let I = try SymmetricMatrix(order: 2, entries: [(0, 0, 1), (1, 1, 1)])
        var sdp = BlockSDP(blockSizes: [2], objective: [C], constraints: [SDPConstraint(terms: [BlockMatrix(block: 0, matrix: I)], lower: 1, upper: 1)],
                           traceBounds: [1])
        let c1 = sdp.certify(dual: [3])
        #expect(c1.status == .certified)
        #expect((c1.bound ?? .nan) >= 3 && (c1.bound ?? .nan) < 3 + 1e-9)
        // an infeasible dual is repaired by the shift: the bound stays ≥ 3
        let c2 = sdp.certify(dual: [2.9])
        #expect((c2.bound ?? .nan) >= 3)
        // without a trace bound no shift is allowed: 3I − C is singular, only diagonal dominance holds
        sdp.traceBounds = [nil]
        let c3 = sdp.certify(dual: [3])
        #expect(c3.status == .uncertified)
        #expect(c3.method == .diagonalDominance)
        #expect((c3.bound ?? .nan) >= 3)
        #expect(sdp.certify(dual: [2.9]).bound == nil)
        // minimise ⟨C, X⟩ s.t. tr X = 1 is λ_min(C) = 1; the dual of the maximisation form is −1.
        var mn = BlockSDP(sense: .minimize, blockSizes: [2], objective: [C],
                          constraints: [SDPConstraint(terms: [BlockMatrix(block: 0, matrix: I)], lower: 1, upper: 1)], traceBounds: [1])
        let c4 = mn.certify(dual: [-1])
        #expect((c4.bound ?? .nan) <= 1 && (c4.bound ?? .nan) > 1 - 1e-9)
        mn.constraints[0].formationError = 0.25
        #expect((mn.certify(dual: [-1]).bound ?? .nan) <= 0.75)
        // a one-sided row cannot take the wrong sign: y > 0 on a ≥ row is set to 0
        let ge = BlockSDP(blockSizes: [2], objective: [.zero(order: 2)],
                          constraints: [SDPConstraint(terms: [BlockMatrix(block: 0, matrix: I)], lower: 1, upper: .infinity)], traceBounds: [nil])
        let c5 = ge.certify(dual: [5])
        #expect(c5.bound == 0)
    }

    @Test func badDualsAreRefusedWithAReason() throws {
        let p = try MaxCutProblem(q: randomQ(order: 5, density: 1, seed: 1))
        let c = p.certify(dual: [1, 2, .nan, 1, 1])
        #expect(c.status == .uncertified && c.bound == nil && c.message.contains("3"))
        #expect(p.certify(dual: [1, 2]).bound == nil)
        // a budget too small for the dense factor: only the diagonal-dominance bound remains
        var o = CertifierOptions(); o.memory = MemoryBudget(bytes: 8)
        let c2 = p.certify(dual: [Double](repeating: 1, count: 5), options: o)
        #expect(c2.status == .uncertified && c2.method == .diagonalDominance)
        #expect(c2.message.contains("limit"))
        let rowSums = (0..<5).map { i in (0..<5).reduce(0.0) { $0 + Swift.abs(p.q[i, $1]) } }
        #expect((c2.bound ?? .nan) >= rowSums.reduce(0, +))
    }
}

@Suite struct LowRankTests {
    @Test func deterministicAndStoppable() throws {
        let p = try MaxCutProblem(q: randomQ(order: 80, density: 0.2, seed: 3))
        let a = try LowRankSolver().solve(.maxCut(p), options: SDPOptions())
        let b = try LowRankSolver().solve(.maxCut(p), options: SDPOptions())
        #expect(a.dual == b.dual)
        #expect(a.status == .optimal)
        var o = SDPOptions(); o.deadline = Deadline(seconds: 0)
        let t = try LowRankSolver().solve(.maxCut(p), options: o)
        #expect(t.status == .timeLimit)
        #expect(t.dual.count == 80)                    // still a dual to certify
        #expect((p.certify(dual: t.dual).bound ?? .nan) >= a.dualObjective - 1e-6)
        // (Ctrl-C takes the same path: `Deadline.stopReason` reports `.interrupted` first. Tests
        // do not raise the process-wide interrupt flag, since other suites run concurrently.)
        #expect(SDPStatus(StopReason.interrupted) == .interrupted)
        var small = SDPOptions(); small.memory = MemoryBudget(bytes: 100)
        #expect(throws: SizeError.self) { try LowRankSolver().solve(.maxCut(p), options: small) }
        #expect(!LowRankSolver().supports(.block(p.asBlockSDP())))
    }

    @Test func rankGrowsWhenTheFactorStalls() throws {
        // Q = −(J − I)/2 on 7 nodes: xᵀQx = (n − (Σx)²)/2 over x ∈ ±1 is at most 3, while the
        // SDP reaches n/2 = 3.5 with Σ v_i = 0, which needs rank ≥ 2. Started at rank 1 the
        // factor stalls at 3; the solver must raise the rank and certify 3.5.
        var e: [(Int, Int, Double)] = []
        for i in 0..<7 { for j in (i + 1)..<7 { e.append((i, j, -0.5)) } }
        let p = try MaxCutProblem(q: SymmetricMatrix(order: 7, entries: e))
        #expect(bruteForceMaxCut(p.q) == 3)
        let r = try LowRankSolver(startRank: 1).solve(.maxCut(p), options: SDPOptions())
        #expect(r.status == .optimal, "\(r.message)")
        #expect((r.factor?.rank ?? 0) > 1)
        #expect(Swift.abs(r.dualObjective - 3.5) < 1e-5)
        let c = p.certify(dual: r.dual)
        #expect((c.bound ?? .nan) >= 3.5 && (c.bound ?? .nan) <= 3.5 * (1 + 1e-5))
    }
}
