import Foundation
import LipControl
import LipLP

/// Which backend `solver = "auto"` uses for an LP: Clp (out of process) when it is installed
/// and the LP is large enough for Clp's speed to outweigh the cost of handing it over through
/// files, the built-in solver (GLPK) otherwise. The thresholds come from the measurements in
/// Sources/LipClp/README.md; change the fields to change the rule.
public struct AutomaticLPPolicy: Sendable {
    /// Clp is used for LPs with at least this many nonzeros. Measured on Krivine LPs: from
    /// 60,000 nonzeros Clp's barrier needs half of GLPK's interior-point CPU time or less (1/6 at
    /// 610,000); below ~15,000 both take < 0.1 s and the hand-over (process start, files) costs
    /// more than it saves.
    public var clpMinNonzeros: Int = 50_000
    /// The Clp method when the caller asked for `.automatic`.
    public var clpMethod: LPMethod = .interiorPoint
    /// Barrier crossover for the Clp runs chosen here. Off: on the (80,80,1) s=20 LiPopt-3 LP it
    /// was 15% faster and its point certified to 1.5e-10 above λ*, where the crossover's vertex
    /// (primal infeasible within Clp's 1e-7 tolerance) needed 1.6e-7.
    public var clpCrossover: Bool = false
    /// When Clp fails (`solver_error`, `not_solved`, `numerical_error` without a point), solve
    /// again with the built-in solver in the time that is left.
    public var fallBack: Bool = true
    public init() {}

    public struct Choice: Sendable, Equatable {
        public var useClp: Bool
        public var method: LPMethod
        public var reason: String
    }

    /// The backend and method for `lp`. `requested` is the caller's method: an explicit method
    /// is kept on whichever backend is chosen.
    public func choose(for lp: LinearProgram, requested: LPMethod, clpAvailable: Bool) -> Choice {
        let big = lp.nonzeroCount >= clpMinNonzeros
        if big && clpAvailable {
            let m = requested == .automatic ? clpMethod : requested
            return Choice(useClp: true, method: m,
                          reason: "clp (\(lp.nonzeroCount) nonzeros ≥ \(clpMinNonzeros))")
        }
        let why = !big ? "\(lp.nonzeroCount) nonzeros < \(clpMinNonzeros)" : "clp is not installed"
        return Choice(useClp: false, method: requested, reason: "the built-in solver (\(why))")
    }
}

/// `solver = "auto"`: an `LPSolver` that hands each LP to the built-in solver or to Clp as
/// `AutomaticLPPolicy` says, and falls back to the built-in solver when Clp fails. The result's
/// `solver` names the backend that produced it; `message` starts with the choice.
///
///     vm.registerSolver(AutomaticLPSolver(builtIn: GLPKSolver()))
public struct AutomaticLPSolver: LPSolver {
    public let name = "auto"
    public var builtIn: any LPSolver
    public var clp: ClpSolver?
    public var policy: AutomaticLPPolicy

    public init(builtIn: any LPSolver, clp: ClpSolver? = ClpSolver(), policy: AutomaticLPPolicy = AutomaticLPPolicy()) {
        self.builtIn = builtIn; self.clp = clp; self.policy = policy
    }

    public func solve(_ lp: LinearProgram, options: LPOptions) throws -> LPResult {
        try lp.validate()
        let t0 = monotonicSeconds()
        let choice = policy.choose(for: lp, requested: options.method, clpAvailable: clp?.isAvailable ?? false)
        guard choice.useClp, let clp else {
            var r = try builtIn.solve(lp, options: options)
            r.message = "auto: \(choice.reason). " + r.message
            return r
        }
        var o = options
        o.method = choice.method
        var chosen = clp
        chosen.crossover = policy.clpCrossover
        var r = try chosen.solve(lp, options: o)
        let failed = r.status == .solverError || r.status == .notSolved || (r.status == .numericalError && r.primal.isEmpty)
        if failed && policy.fallBack {
            var rest = options
            if let limit = options.timeLimit {
                let left = limit - (monotonicSeconds() - t0)
                if left <= 0 {
                    r.message = "auto: \(choice.reason) failed and no time is left for the built-in solver. " + r.message
                    return r
                }
                rest.timeLimit = left
            }
            var second = try builtIn.solve(lp, options: rest)
            second.message = "auto: \(choice.reason) failed (\(r.status.rawValue): \(r.message)); solved with \(builtIn.name) instead. " + second.message
            second.seconds = monotonicSeconds() - t0
            return second
        }
        r.message = "auto: \(choice.reason). " + r.message
        return r
    }
}
