import Foundation
import LipLP
import LipGLPK
@testable import LipClp
import Testing
import LipTestSupport

/// `solver = "auto"`: the choice by size and availability, and the fallback to GLPK.
@Suite struct AutomaticSolver {
    @Test func policyChoosesBySizeAndAvailability() {
        var p = AutomaticLPPolicy()
        p.clpMinNonzeros = 5
        let small = smallMax()                      // 4 nonzeros
        let big = transportation()                  // 12 nonzeros
        #expect(p.choose(for: small, requested: .automatic, clpAvailable: true) ==
                .init(useClp: false, method: .automatic, reason: "the built-in solver (4 nonzeros < 5)"))
        #expect(p.choose(for: big, requested: .automatic, clpAvailable: true).useClp)
        #expect(p.choose(for: big, requested: .automatic, clpAvailable: true).method == .interiorPoint)
        #expect(p.choose(for: big, requested: .dualSimplex, clpAvailable: true).method == .dualSimplex)
        let none = p.choose(for: big, requested: .automatic, clpAvailable: false)
        #expect(!none.useClp && none.reason.contains("not installed"))
    }

    @Test func smallLPsStayWithGLPK() throws {
        let auto = AutomaticLPSolver(builtIn: GLPKSolver())
        let r = try auto.solve(transportation(), options: LPOptions())
        #expect(r.status == .optimal && abs(r.objective - 465) < 1e-9)
        #expect(r.solver == "glpk" && r.message.hasPrefix("auto: the built-in solver (12 nonzeros < 50000)"), "\(r.message)")
        #expect(auto.name == "auto")
    }

    @Test(.enabled(if: clpPath != nil, Comment(rawValue: clpMissing)))
    func largeLPsGoToClp() throws {
        var policy = AutomaticLPPolicy(); policy.clpMinNonzeros = 10
        var clp = ClpSolver(); clp.temporaryDirectory = scratchDirectory("auto")
        let auto = AutomaticLPSolver(builtIn: GLPKSolver(), clp: clp, policy: policy)
        let r = try auto.solve(transportation(), options: LPOptions())
        #expect(r.status == .optimal && abs(r.objective - 465) < 1e-7)
        #expect(r.solver == "clp" && r.method == .interiorPoint && r.message.hasPrefix("auto: clp (12 nonzeros ≥ 10)"), "\(r.message)")
        #expect(r.message.contains("barrier (no crossover)"))
        expectKKT(transportation(), r)
    }

    @Test func missingClpMeansGLPK() throws {
        var policy = AutomaticLPPolicy(); policy.clpMinNonzeros = 1
        let auto = AutomaticLPSolver(builtIn: GLPKSolver(), clp: ClpSolver(executable: "/nonexistent/clp"), policy: policy)
        let r = try auto.solve(smallMax(), options: LPOptions())
        #expect(r.status == .optimal && r.objective == 11 && r.solver == "glpk")
        #expect(r.message.contains("clp is not installed"))
    }

    @Test func aFailingClpFallsBackToGLPK() throws {
        let fake = try FakeClp("autocrash", "kill -SEGV $$")
        var policy = AutomaticLPPolicy(); policy.clpMinNonzeros = 1
        let (c0, work) = fake.solver()
        var clp = c0
        clp.killGrace = 1; clp.killGraceFraction = 0
        let auto = AutomaticLPSolver(builtIn: GLPKSolver(), clp: clp, policy: policy)
        var o = LPOptions(); o.timeLimit = 30
        let r = try auto.solve(transportation(), options: o)
        #expect(r.status == .optimal && abs(r.objective - 465) < 1e-9 && r.solver == "glpk")
        #expect(r.message.contains("failed (solver_error") && r.message.contains("SIGSEGV") && r.message.contains("solved with glpk instead"), "\(r.message)")
        fake.expectCleanedUp(work)
        // Without the fallback the failure is the answer.
        var strict = auto; strict.policy.fallBack = false
        let r2 = try strict.solve(transportation(), options: o)
        #expect(r2.status == .solverError && r2.solver == "clp")
    }
}
