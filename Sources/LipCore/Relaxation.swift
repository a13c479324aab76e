import LipLP

/// A value inside a relaxation's result details (pushed to Lua as numbers, strings, lists and
/// records, in the order given).
public indirect enum ResultValue: Sendable {
    case int(Int)
    case double(Double)
    case string(String)
    case bool(Bool)
    case list([ResultValue])
    case record([(String, ResultValue)])
}

/// The one result shape every relaxation returns (LP, SDP, MIP, user relaxations in Lua):
///
/// - `certified`: the theorem, max p ≤ certified (so L(f) ≤ certified), proved after the solve
///   with rounding accounted for; nil when nothing could be proved (then `status` says why and
///   reports print `uncertified`, never a number);
/// - `solverValue`: what the solver reported (an estimate, not a theorem);
/// - `correction`: certified − solverValue;
/// - `sizes` (rows/columns/nonzeros, or the SDP's order), `timings` (build/solve/certify),
///   `status` (the solver's outcome: optimal, time_limit, infeasible, ...), the solver's name and
///   message, and `details` specific to the relaxation (degree, family, certificate, ...).
public struct RelaxationResult: Sendable {
    public var relaxation: String
    /// A short label for tables: "LiPopt-3", "SDP (Shor)".
    public var method: String
    public var status: String
    public var certified: Double?
    public var solverValue: Double?
    public var correction: Double?
    public var sizes: [(String, Int)] = []
    public var timings: [(String, Double)] = []
    public var solver: String
    public var message: String
    public var details: [(String, ResultValue)] = []

    public init(relaxation: String, method: String, status: String, certified: Double?, solverValue: Double?,
                correction: Double?, solver: String, message: String) {
        self.relaxation = relaxation; self.method = method; self.status = status; self.certified = certified
        self.solverValue = solverValue; self.correction = correction; self.solver = solver; self.message = message
    }

    public var totalSeconds: Double { timings.reduce(0) { $0 + $1.1 } }
}

/// A relaxation of max p (the seam every bound goes through): it turns a Lipschitz problem
/// into a solver problem, solves it with a registered solver, and turns the answer into a
/// certified `RelaxationResult`. A relaxation value carries its own options. Built-ins: the
/// Krivine LP (`KrivineRelaxation`, name "lp"); more register in `Registries.relaxations`.
/// (In Lua the same sequence — apply, solve, invert — is written in stdlib/lip/*.lua over
/// natives, so a researcher can vary any step without recompiling.)
public protocol Relaxation: Sendable {
    var name: String { get }
    var summary: String { get }
    func solve(_ problem: LipschitzProblem, registries: Registries) throws -> RelaxationResult
}

/// LiPopt-k (the Krivine LP hierarchy) as a `Relaxation`.
public struct KrivineRelaxation: Relaxation {
    public static let name = "lp"
    public var name: String { Self.name }
    public var summary: String { "LiPopt-k: the Krivine LP hierarchy over a product family" }
    public var options: KrivineOptions
    public init(options: KrivineOptions = KrivineOptions()) { self.options = options }

    public func solve(_ problem: LipschitzProblem, registries: Registries) throws -> RelaxationResult {
        try KrivineHierarchy.solve(problem, options: options, registries: registries).result
    }
}
