import LipControl
import LipSDP

/// The SDP solver registry's built-ins and the "auto" rule.
///
/// `Registries.sdpSolvers` starts with `"lowrank"` (the mixing method, pure Swift) and `"auto"`.
/// The host registers `"dsdp"` (the liplua executable and the Lua spec runner do, through
/// `LuaVM.registerSDPSolver`), which re-registers `"auto"` so that it can pick DSDP.
public enum SDPSolvers {
    /// Order up to which "auto" uses the interior-point solver (DSDP) on MAXCUT-type problems;
    /// the low-rank solver above. DSDP's time grows like n³ per iteration and its iteration
    /// count depends on the data: on the Shor SDP of order 1,285 of the trained dense 784-500
    /// network (models/) it took 404 iterations, 110 s of CPU, against 1.3 s for the low-rank
    /// solver (certified bounds equal to 2.5·10⁻⁷ relative); on random 784-500 and 784-1024
    /// nets the low-rank solver used 2.5× and 1.6× less CPU. Below ~500 DSDP takes a few
    /// seconds at most and is robust on band-sparse problems, where the mixing method needs
    /// 10⁴ sweeps or more.
    public static let autoThreshold = 500

    /// A registry holding "lowrank" and an "auto" without an interior-point solver.
    public static func builtinRegistry() -> Registry<any SDPSolver> {
        let r = Registry<any SDPSolver>(kind: "SDP solver", hint: "the host registers its solvers (liplua: dsdp, lowrank, auto)")
        try! r.register("lowrank", LowRankSolver(), aliases: ["low_rank", "mixing"])
        try! r.register("auto", AutomaticSDPSolver(interiorPoint: nil, lowRank: LowRankSolver()))
        return r
    }

    /// Registers `solver` (replacing one of the same name) and rebuilds "auto" from the
    /// registered "dsdp" (if any) and "lowrank".
    public static func register(_ solver: any SDPSolver, in registry: Registry<any SDPSolver>) {
        try? registry.register(solver.name, solver, replacing: true)
        let ip = registry.lookup("dsdp")
        let lr = registry.lookup("lowrank") ?? LowRankSolver()
        try? registry.register("auto", AutomaticSDPSolver(interiorPoint: ip, lowRank: lr), replacing: true)
    }
}

/// "auto": the interior-point solver (DSDP) for block SDPs and for MAXCUT-type problems of
/// order ≤ `threshold`, the low-rank solver above (and whenever no interior-point solver is
/// registered and the low-rank one takes the problem). The result's `solver` names the one
/// that ran.
public struct AutomaticSDPSolver: SDPSolver {
    public let name = "auto"
    public let interiorPoint: (any SDPSolver)?
    public let lowRank: any SDPSolver
    public let threshold: Int

    public init(interiorPoint: (any SDPSolver)?, lowRank: any SDPSolver, threshold: Int = SDPSolvers.autoThreshold) {
        self.interiorPoint = interiorPoint; self.lowRank = lowRank; self.threshold = threshold
    }

    public func supports(_ problem: SDPProblem) -> Bool {
        (interiorPoint?.supports(problem) ?? false) || lowRank.supports(problem)
    }

    /// The solver "auto" hands `problem` to (nil: none registered takes it).
    public func choice(for problem: SDPProblem) -> (any SDPSolver)? {
        let lowRankTakes = lowRank.supports(problem)
        if let ip = interiorPoint, ip.supports(problem) {
            if case .maxCut(let p) = problem, p.order > threshold, lowRankTakes { return lowRank }
            return ip
        }
        return lowRankTakes ? lowRank : nil
    }

    public func solve(_ problem: SDPProblem, options: SDPOptions) throws -> SDPResult {
        guard let s = choice(for: problem) else {
            throw SDPError("no registered SDP solver takes \(problem.description): the low-rank solver takes MAXCUT-type problems only, and no interior-point solver (dsdp) is registered")
        }
        return try s.solve(problem, options: options)
    }
}
