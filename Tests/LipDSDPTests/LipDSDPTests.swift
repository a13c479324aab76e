import CDSDP
import Dispatch
import Foundation
import LipControl
import LipGLPK
import LipLP
import Testing
import LipTestSupport
@testable import LipDSDP
import LipSDP

private func randomMaxCut(order n: Int, density: Double, seed: UInt64) throws -> MaxCutProblem {
    var r = SplitMix(seed)
    var e: [(Int, Int, Double)] = []
    for i in 0..<n { for j in (i + 1)..<n where r.uniform(0, 1) < density { e.append((i, j, r.uniform(-1, 1))) } }
    return try MaxCutProblem(q: SymmetricMatrix(order: n, entries: e))
}

@Suite struct DSDPTests {
    /// A DSDP solve on one thread while another thread forks GLPK interior-point children
    /// (each a fork() of this process) finishes. With OpenBLAS's thread pool in use, a fork
    /// during a threaded BLAS call left that call waiting for stopped workers forever.
    @Test func finishesWhileAnotherThreadForks() throws {
        let p = try randomMaxCut(order: 500, density: 0.05, seed: 11)
        var lp = LinearProgram(sense: .minimize, columns: 0, name: "fork")
        var g = SplitMix(5)
        for _ in 0..<40 { _ = lp.addColumn(objective: g.uniform(0.5, 1), lower: 0, upper: 10) }
        for i in 0..<30 { _ = lp.addRow((0..<8).map { k in ((i + 5 * k) % 40, g.uniform(0.1, 1)) }, lower: 1, upper: .infinity) }
        final class Box: @unchecked Sendable { var result: SDPResult?; var error: (any Error)? }
        let box = Box(), done = DispatchSemaphore(value: 0)
        Thread {
            do { box.result = try DSDPSolver().solve(.maxCut(p), options: SDPOptions()) } catch { box.error = error }
            done.signal()
        }.start()
        var o = LPOptions(); o.method = .interiorPoint
        var forks = 0, finished = false
        let until = Date().addingTimeInterval(120)
        while Date() < until {
            if done.wait(timeout: .now()) == .success { finished = true; break }
            #expect(try GLPKSolver().solve(lp, options: o).status == .optimal)
            forks += 1
        }
        #expect(finished, "DSDP did not finish within 120 s while \(forks) children were forked")
        guard finished else { return }
        #expect(box.error == nil && box.result?.status == .optimal, "\(String(describing: box.error)) \(String(describing: box.result?.message))")
        #expect(forks > 0)
    }

    @Test func rankOneHandCase() throws {
        // Q = ½[[0, αγᵀ], [γαᵀ, 0]]: the SDP value is ‖α‖₁‖γ‖₁ = 6 · 4.5 = 27 (see LipSDPTests).
        let alpha = [1.0, -2, 3], gamma = [2.0, 1, -1, 0.5]
        var e: [(Int, Int, Double)] = []
        for i in 0..<3 { for j in 0..<4 { e.append((i, 3 + j, alpha[i] * gamma[j] / 2)) } }
        let p = try MaxCutProblem(q: SymmetricMatrix(order: 7, entries: e))
        let r = try DSDPSolver().solve(.maxCut(p), options: SDPOptions())
        #expect(r.status == .optimal)
        #expect(Swift.abs(r.dualObjective - 27) < 27e-7)
        #expect(Swift.abs(r.primalObjective - 27) < 27e-6)
        let c = p.certify(dual: r.dual)
        #expect(c.status == .certified)
        #expect((c.bound ?? .nan) >= 27 && (c.bound ?? .nan) <= 27 * (1 + 1e-6))
    }

    /// Random instances; n = 1,000 only in optimised builds (`swift test -c release`) or with
    /// LIPLUA_SDP_LARGE_TESTS=1: in a debug build the low-rank solver needs minutes there
    /// (release: ~2 s; scripts/tools/sdp_bench measures it on every benchmark).
    static var sizes: [(Int, Double, UInt64)] {
        var s: [(Int, Double, UInt64)] = [(40, 0.5, 1), (200, 0.05, 2)]
        #if DEBUG
        if ProcessInfo.processInfo.environment["LIPLUA_SDP_LARGE_TESTS"] != nil { s.append((1000, 0.004, 3)) }
        #else
        s.append((1000, 0.004, 3))
        #endif
        return s
    }

    @Test func agreesWithTheLowRankSolver() throws {
        for (n, density, seed) in Self.sizes {
            let p = try randomMaxCut(order: n, density: density, seed: seed)
            var o = SDPOptions(); o.tolerance = 1e-8
            let d = try DSDPSolver().solve(.maxCut(p), options: o)
            o.tolerance = 5e-7
            let l = try LowRankSolver().solve(.maxCut(p), options: o)
            #expect(d.status == .optimal); #expect(l.status == .optimal)
            let rel = Swift.abs(d.dualObjective - l.dualObjective) / Swift.abs(d.dualObjective)
            #expect(rel <= 1e-6, "n = \(n): DSDP \(d.dualObjective), low rank \(l.dualObjective)")
            // each certificate is a theorem about the same SDP: both bounds ≥ both primal values
            let cd = p.certify(dual: d.dual), cl = p.certify(dual: l.dual)
            #expect(cd.status == .certified && cl.status == .certified)
            #expect((cd.bound ?? .nan) >= l.primalObjective && (cl.bound ?? .nan) >= d.primalObjective - 1e-9 * Swift.abs(d.primalObjective))
            #expect((cd.bound ?? .nan) - d.dualObjective <= 1e-6 * d.dualObjective)
            #expect((cl.bound ?? .nan) - l.dualObjective <= 1e-6 * l.dualObjective)
        }
    }

    @Test func traceBlockProblems() throws {
        var r = SplitMix(11)
        var e: [(Int, Int, Double)] = []
        for t in 1...6 { e.append((0, t, r.uniform(-1, 1))); for u in 7...10 { e.append((t, u, r.uniform(-1, 1))) } }
        let p = try MaxCutProblem(q: SymmetricMatrix(order: 11, entries: e), traceBlock: 1..<7)
        let d = try DSDPSolver().solve(.maxCut(p), options: SDPOptions())
        var o = SDPOptions(); o.tolerance = 1e-8
        let l = try LowRankSolver().solve(.maxCut(p), options: o)
        #expect(d.status == .optimal)
        #expect(Swift.abs(d.dualObjective - l.dualObjective) <= 1e-6 * Swift.abs(d.dualObjective))
        #expect(Set(d.dual[1..<7]).count == 1)         // one λ on the trace block
        #expect((p.certify(dual: d.dual).bound ?? .nan) >= l.primalObjective)
    }

    @Test func generalBlockSDPs() throws {
        // max ⟨C, X⟩, tr X = 1: λ_max([[2, 1], [1, 2]]) = 3
        let C = try SymmetricMatrix(order: 2, entries: [(0, 0, 2), (0, 1, 1), (1, 1, 2)])
        let I2 = try SymmetricMatrix(order: 2, entries: [(0, 0, 1), (1, 1, 1)])
        let eig = BlockSDP(blockSizes: [2], objective: [C], constraints: [SDPConstraint(terms: [BlockMatrix(block: 0, matrix: I2)], lower: 1, upper: 1)],
                           traceBounds: [1])
        let r1 = try DSDPSolver().solve(.block(eig), options: SDPOptions())
        #expect(r1.status == .optimal)
        #expect(Swift.abs(r1.dualObjective - 3) < 1e-6 && Swift.abs(r1.primalObjective - 3) < 1e-5)
        #expect((eig.certify(dual: r1.dual).bound ?? .nan) >= 3)
        // the same as a minimisation: λ_min = 1
        var mn = eig; mn.sense = .minimize
        let r2 = try DSDPSolver().solve(.block(mn), options: SDPOptions())
        #expect(Swift.abs(r2.dualObjective - 1) < 1e-6 && Swift.abs(r2.primalObjective - 1) < 1e-5)
        let c2 = mn.certify(dual: r2.dual)
        #expect((c2.bound ?? .nan) <= 1)
        // two blocks, one row across both, one-sided rows: max X1_11 + 2 X2 s.t. tr X1 + X2 ≤ 3,
        // X2 ≤ 1, X1_22 ≥ 0.5 → X2 = 1, X1 = diag(1.5, 0.5): value 3.5; duals y = (1, 1, −1).
        let C1 = try SymmetricMatrix(order: 2, entries: [(0, 0, 1)])
        let C2 = try SymmetricMatrix(order: 1, entries: [(0, 0, 2)])
        let one = try SymmetricMatrix(order: 1, entries: [(0, 0, 1)])
        let e22 = try SymmetricMatrix(order: 2, entries: [(1, 1, 1)])
        let two = BlockSDP(blockSizes: [2, 1], objective: [C1, C2], constraints: [
            SDPConstraint(terms: [BlockMatrix(block: 0, matrix: I2), BlockMatrix(block: 1, matrix: one)], lower: -.infinity, upper: 3),
            SDPConstraint(terms: [BlockMatrix(block: 1, matrix: one)], lower: -.infinity, upper: 1),
            SDPConstraint(terms: [BlockMatrix(block: 0, matrix: e22)], lower: 0.5, upper: .infinity),
        ], traceBounds: [3, 1])
        let r3 = try DSDPSolver().solve(.block(two), options: SDPOptions())
        #expect(r3.status == .optimal)
        #expect(Swift.abs(r3.dualObjective - 3.5) < 1e-6)
        #expect(Swift.abs(r3.dual[0] - 1) < 1e-5 && Swift.abs(r3.dual[1] - 1) < 1e-5 && Swift.abs(r3.dual[2] + 1) < 1e-5)
        let c3 = two.certify(dual: r3.dual)
        #expect((c3.bound ?? .nan) >= 3.5 && (c3.bound ?? .nan) < 3.5 + 1e-5)
        // a ranged row: 0.2 ≤ X_11 ≤ 0.4 with tr X = 1, max X_11 → 0.4
        let e11 = try SymmetricMatrix(order: 2, entries: [(0, 0, 1)])
        let ranged = BlockSDP(blockSizes: [2], objective: [e11], constraints: [
            SDPConstraint(terms: [BlockMatrix(block: 0, matrix: I2)], lower: 1, upper: 1),
            SDPConstraint(terms: [BlockMatrix(block: 0, matrix: e11)], lower: 0.2, upper: 0.4)], traceBounds: [1])
        let r4 = try DSDPSolver().solve(.block(ranged), options: SDPOptions())
        #expect(Swift.abs(r4.dualObjective - 0.4) < 1e-6)
        #expect((ranged.certify(dual: r4.dual).bound ?? .nan) >= 0.4)
        // infeasible: X_11 = −1 with X ⪰ 0
        let inf = BlockSDP(blockSizes: [2], objective: [e11], constraints: [SDPConstraint(terms: [BlockMatrix(block: 0, matrix: e11)], lower: -1, upper: -1)])
        let r5 = try DSDPSolver().solve(.block(inf), options: SDPOptions())
        #expect(r5.status == .infeasible || r5.status == .numericalError, "\(r5.status): \(r5.message)")
        #expect(r5.status != .optimal)
        // a row without data that 0 violates is reported before DSDP runs
        let empty = BlockSDP(blockSizes: [2], objective: [e11], constraints: [SDPConstraint(terms: [], lower: 1, upper: 2)])
        #expect(try DSDPSolver().solve(.block(empty), options: SDPOptions()).status == .infeasible)
    }

    @Test func timeLimitAndProgress() throws {
        let p = try randomMaxCut(order: 150, density: 0.3, seed: 5)
        // The monitor runs once per iteration; a progress callback that sleeps makes the 0.3 s
        // limit expire after a few iterations, and DSDP then stops with a usable dual.
        final class Count: @unchecked Sendable { var n = 0 }
        let count = Count()
        var o = SDPOptions()
        o.deadline = Deadline(seconds: 0.3)
        o.progress = { _ in count.n += 1; Thread.sleep(forTimeInterval: 0.1) }
        let r = try DSDPSolver().solve(.maxCut(p), options: o)
        #expect(r.status == .timeLimit)
        #expect(r.iterations >= 1 && r.iterations < 15)
        #expect(count.n >= 1)
        // the dual of an unfinished run still certifies (with a larger correction)
        let full = try DSDPSolver().solve(.maxCut(p), options: SDPOptions())
        #expect((p.certify(dual: r.dual).bound ?? .nan) >= full.primalObjective)
        var expired = SDPOptions(); expired.deadline = Deadline(seconds: 0)
        #expect(try DSDPSolver().solve(.maxCut(p), options: expired).status == .timeLimit)
    }

    @Test func repeatedAndConcurrentSolvesAgree() throws {
        let p = try randomMaxCut(order: 60, density: 0.5, seed: 9)
        let ref = try DSDPSolver().solve(.maxCut(p), options: SDPOptions())
        final class Box: @unchecked Sendable { var values = [Double](repeating: .nan, count: 4) }
        let box = Box()
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 4) { k in
            let r = try? DSDPSolver().solve(.maxCut(p), options: SDPOptions())
            lock.lock(); box.values[k] = r?.dualObjective ?? .nan; lock.unlock()
        }
        for v in box.values { #expect(v == ref.dualObjective) }
    }

    @Test func badInputIsRefusedBeforeDSDP() throws {
        #expect(throws: SDPError.self) { try DSDPSolver().solve(.maxCut(try MaxCutProblem(q: .zero(order: 0))), options: SDPOptions()) }
        let bad = BlockSDP(blockSizes: [2], objective: [.zero(order: 3)], constraints: [])
        #expect(throws: SDPError.self) { try DSDPSolver().solve(.block(bad), options: SDPOptions()) }
        var o = SDPOptions(); o.memory = MemoryBudget(bytes: 1000)
        do {
            _ = try DSDPSolver().solve(.maxCut(try randomMaxCut(order: 100, density: 0.1, seed: 1)), options: o)
            Issue.record("no refusal")
        } catch let e as SizeError {
            #expect(e.message.contains("low-rank"))
        }
        var t = SDPOptions(); t.tolerance = -1
        #expect(throws: SDPError.self) { try DSDPSolver().solve(.maxCut(try randomMaxCut(order: 5, density: 1, seed: 1)), options: t) }
    }

    @Test func everyStopReasonHasAStatus() {
        let cases: [(DSDPTerminationReason, DSDPSolutionType, SDPStatus)] = [
            (DSDP_CONVERGED, DSDP_PDFEASIBLE, .optimal),
            (DSDP_CONVERGED, DSDP_UNBOUNDED, .infeasible),
            (DSDP_CONVERGED, DSDP_INFEASIBLE, .unbounded),
            (DSDP_CONVERGED, DSDP_PDUNKNOWN, .numericalError),
            (DSDP_MAX_IT, DSDP_PDFEASIBLE, .iterationLimit),
            (DSDP_SMALL_STEPS, DSDP_PDFEASIBLE, .numericalError),
            (DSDP_INDEFINITE_SCHUR_MATRIX, DSDP_PDFEASIBLE, .numericalError),
            (DSDP_NUMERICAL_ERROR, DSDP_PDFEASIBLE, .numericalError),
            (DSDP_INFEASIBLE_START, DSDP_PDUNKNOWN, .numericalError),
            (DSDP_UPPERBOUND, DSDP_PDFEASIBLE, .notSolved),
            (CONTINUE_ITERATING, DSDP_PDUNKNOWN, .notSolved),
        ]
        for (r, t, s) in cases { #expect(DSDPSolver.status(reason: r, type: t, info: 0, stop: nil).0 == s) }
        #expect(DSDPSolver.status(reason: DSDP_USER_TERMINATION, type: DSDP_PDUNKNOWN, info: 0, stop: .timeLimit).0 == .timeLimit)
        #expect(DSDPSolver.status(reason: DSDP_USER_TERMINATION, type: DSDP_PDUNKNOWN, info: 0, stop: .interrupted).0 == .interrupted)
        #expect(DSDPSolver.status(reason: DSDP_CONVERGED, type: DSDP_PDFEASIBLE, info: 3, stop: nil).0 == .solverError)
    }
}
