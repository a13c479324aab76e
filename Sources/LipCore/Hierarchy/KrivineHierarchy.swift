import Foundation
import LipControl
import LipLP

/// Errors of the hierarchy. Solver outcomes (infeasible, time limit) are not errors: they
/// come back as a `LipschitzBound` with a status.
public enum HierarchyError: Error, CustomStringConvertible, Equatable {
    case badInput(String)
    case unknownName(kind: String, name: String, known: [String])
    case missingStructure(String)
    case uncovered(monomials: [String], family: String, pattern: String, degree: Int)
    case tooLarge(String)
    case noSolver

    public var description: String {
        switch self {
        case .badInput(let s): return "Krivine hierarchy: \(s)"
        case .unknownName(let kind, let name, let known):
            return "unknown \(kind) '\(name)'; known: \(known.joined(separator: ", "))"
        case .missingStructure(let s): return "Krivine hierarchy: \(s)"
        case .uncovered(let ms, let family, let pattern, let k):
            let list = ms.prefix(5).joined(separator: ", ") + (ms.count > 5 ? " and \(ms.count - 5) more" : "")
            let patternText = pattern.isEmpty ? "" : " with pattern \(pattern)"
            return "\(list) \(ms.count == 1 ? "is" : "are") not covered by any product of the family \(family)\(patternText) at degree \(k), so the LP would be infeasible; raise the degree (k ≥ the degree of p), or use a family or pattern whose sets contain every monomial of p (e.g. path, or multilinear with the chordal pattern)"
        case .tooLarge(let s): return s
        case .noSolver: return "Krivine hierarchy: no LP solver given; pass one in the options (e.g. GLPKSolver())"
        }
    }
}

/// Refusal thresholds, checked before building (estimates) and after assembly (exact sizes).
/// The memory limit defaults to a third of this machine's memory.
public struct HierarchySizeLimits: Sendable {
    public var maxRows: Int = 2_000_000
    public var maxColumns: Int = 5_000_000
    public var maxNonzeros: Int = 40_000_000
    public var maxMemoryBytes: Double = MemoryBudget.machineDefault.bytes
    public init() {}
    public static var unlimited: HierarchySizeLimits {
        var l = HierarchySizeLimits(); l.maxRows = .max; l.maxColumns = .max; l.maxNonzeros = .max; l.maxMemoryBytes = .infinity; return l
    }
}

/// A stage report, for progress displays.
public enum HierarchyProgress: Sendable {
    case stage(String, seconds: Double)
    case lp(LPProgress)
}

/// Options of LiPopt-k.
public struct KrivineOptions: Sendable {
    public var degree: Int = 3
    public var family: ProductFamily = .byInput
    /// The sparsity pattern, for families that use one (default: dense). Giving a pattern to a
    /// family that does not use one is an error.
    public var pattern: SparsityPattern? = nil
    /// A solver to use instead of the registries' (Swift callers and tests).
    public var solver: (any LPSolver)? = nil
    /// The registered solver to use (nil: the registries' default).
    public var solverName: String? = nil
    public var method: LPMethod = .automatic
    public var timeLimit: Double? = nil
    public var limits = HierarchySizeLimits()
    public var progress: (@Sendable (HierarchyProgress) -> Void)? = nil
    public var quiet: Bool = true
    /// How many of the largest c_h the result lists.
    public var certificateSize: Int = 10

    public init(degree: Int = 3, family: ProductFamily = .byInput, pattern: SparsityPattern? = nil,
                solver: (any LPSolver)? = nil, method: LPMethod = .automatic, timeLimit: Double? = nil) {
        self.degree = degree; self.family = family; self.pattern = pattern
        self.solver = solver; self.method = method; self.timeLimit = timeLimit
    }

    /// The pattern's name for reports ("" when the family uses none).
    var patternName: String { family.usesPattern ? (pattern ?? .dense).name : "" }
}

/// Sizes before building: exact product count only after deduplication, so these are upper
/// bounds; rows are at most the nonzeros (2^q per sign-complete set of q variables).
///
/// `memoryBytes` is the estimated peak of the whole run, max(building, LP value + solver):
/// building holds the product list, the row dictionary and the growing triplet arrays
/// (`buildBytesPerNonzero`, measured 77–100 B per nonzero on the benchmark LPs); then the
/// `LinearProgram` value (24 B per column, 16 per row, 16 per nonzero) stays while the solver
/// works, which adds what the solver's own model says (`LPSolver.memoryEstimate`; GLPK's is
/// fitted to measured peaks, see Sources/LipGLPK/README.md), or `genericSolverBytes` when
/// no solver is known or it cannot tell.
public struct HierarchySizeEstimate: Sendable, CustomStringConvertible {
    public var columns: Double
    public var nonzeros: Double
    public var memoryBytes: Double
    /// Upper bound on the rows.
    public var rows: Double = 0
    /// Peak while building the LP.
    public var buildBytes: Double = 0
    /// The `LinearProgram` value.
    public var lpBytes: Double = 0
    /// What the solver adds while solving, and whose model gave it ("generic" when none).
    public var solverBytes: Double = 0
    public var solverModel: String = "generic"
    public var description: String {
        "about \(fmtCount(columns)) columns, at most \(fmtCount(rows)) rows, \(fmtCount(nonzeros)) nonzeros, \(fmtBytes(memoryBytes)) at peak"
    }
    /// How the peak was reckoned (for refusals).
    public var memoryBreakdown: String {
        "building \(fmtBytes(buildBytes)); LP \(fmtBytes(lpBytes)) + solver \(fmtBytes(solverBytes)) (\(solverModel) model)"
    }
}

/// One entry of the certificate: a product and its multiplier c_h.
public struct CertificateTerm: Sendable, CustomStringConvertible {
    public var coefficient: Double
    public var product: String
    public var description: String { "\(coefficient) * \(product)" }
}

/// The result of LiPopt-k on a problem.
///
/// `certifiedBound` is a theorem: max_K p ≤ certifiedBound (docs/METHOD.md §4), whatever the LP
/// solver's accuracy; it is present whenever the solver returned a point (optimal, or a
/// time/iteration limit with a point: any λ and c give a valid bound after the residual
/// correction, only a looser one). `lpValue` is the solver's λ*.
public struct LipschitzBound: Sendable, CustomStringConvertible {
    public var status: LPStatus
    public var certifiedBound: Double?
    public var lpValue: Double?
    /// certifiedBound − lpValue: the residual correction (≥ 0 up to the λ* term).
    public var correction: Double?
    public var degree: Int
    public var family: String
    public var pattern: String
    public var rows: Int
    public var columns: Int
    public var nonzeros: Int
    public var buildSeconds: Double
    public var solveSeconds: Double
    public var certifySeconds: Double
    public var solverName: String
    public var solverMessage: String
    /// The largest multipliers c_h with their products, in the user's variable names.
    public var certificate: [CertificateTerm]

    public var totalSeconds: Double { buildSeconds + solveSeconds + certifySeconds }

    public var description: String {
        let c = certifiedBound.map { "\($0)" } ?? "none"
        let l = lpValue.map { "\($0)" } ?? "none"
        return "LiPopt-\(degree) [\(family)\(pattern.isEmpty ? "" : "/" + pattern)] \(status.rawValue): certified \(c), LP \(l); LP \(rows) x \(columns) (\(nonzeros) nonzeros); build \(fmt(buildSeconds)) s, solve \(fmt(solveSeconds)) s"
    }

    /// The shared shape of every relaxation's result.
    public var result: RelaxationResult {
        var r = RelaxationResult(relaxation: KrivineRelaxation.name, method: "LiPopt-\(degree)", status: status.rawValue,
                                 certified: certifiedBound, solverValue: lpValue, correction: correction,
                                 solver: solverName, message: solverMessage)
        r.sizes = [("rows", rows), ("columns", columns), ("nonzeros", nonzeros)]
        r.timings = [("build", buildSeconds), ("solve", solveSeconds), ("certify", certifySeconds)]
        r.details = [("degree", .int(degree)), ("family", .string(family)), ("pattern", .string(pattern)),
                     ("certificate", .list(certificate.map { .record([("coefficient", .double($0.coefficient)), ("product", .string($0.product))]) }))]
        return r
    }
}

/// LiPopt-k as a reduction (cvxpy style): `apply` turns a `LipschitzProblem` into the
/// Krivine LP, `invert` turns the solver's answer into a certified `LipschitzBound`.
///
/// The LP (docs/METHOD.md §3), in the g-basis (box variable x = lo + (hi − lo)·g, g ∈ [0, 1]):
///
///     minimize λ   s.t.   for every g-monomial m:  Σ_h c_h [m]h − [m = 1] λ = −[m]p,   c ≥ 0, λ free
///
/// column 0 is λ, column 1 + h is product h; one row per g-monomial of a product (rows are
/// numbered on first sight while the products are expanded in their deterministic order, so
/// there are no empty rows and two runs give the same LP), duplicate products are removed.
/// Every feasible λ is an upper bound on max p over the box, hence on L(f). Products have
/// integer coefficients (±1 for multilinear ones), so the matrix is well scaled.
public enum KrivineHierarchy {

    /// Sizes of the LP before it is built (upper bounds), for refusing early, and the
    /// estimated peak memory (see `HierarchySizeEstimate`). The solver is `options.solver`
    /// (its `memoryEstimate` for `options.method`), else `genericSolverBytes`.
    public static func estimate(_ problem: LipschitzProblem, options: KrivineOptions) throws -> HierarchySizeEstimate {
        try validate(problem, options)
        let f = try options.family.estimate(try familyInput(problem, options))
        var e = HierarchySizeEstimate(columns: f.columns, nonzeros: f.nonzeros, memoryBytes: 0)
        let extra = Double(constraintProductCount(problem, options.degree))
        // λ (one column, one nonzero in the constant row) and the non-box constraint products.
        e.columns += 1 + extra
        e.nonzeros += 1 + extra * 16
        // Rows: 2^q per sign-complete set, one per other nonzero, and never more than the
        // monomials of degree ≤ k in the problem's variables, C(n + k, k).
        let monomials = binomialInt(problem.variableCount + options.degree, options.degree)
        e.rows = Swift.min(f.rowBound + extra * 16, e.nonzeros, monomials.isFinite ? monomials : .infinity)
        e.buildBytes = buildBytesPerNonzero * e.nonzeros
        e.lpBytes = 24 * e.columns + 16 * e.rows + 16 * e.nonzeros
        let rows = clampedCount(e.rows), columns = clampedCount(e.columns), nonzeros = clampedCount(e.nonzeros)
        if let solver = options.solver,
           let bytes = solver.memoryEstimate(rows: rows, columns: columns, nonzeros: nonzeros, method: options.method) {
            e.solverBytes = bytes; e.solverModel = solver.name
        } else {
            e.solverBytes = genericSolverBytes(rows: e.rows, columns: e.columns, nonzeros: e.nonzeros)
        }
        e.memoryBytes = Swift.max(e.buildBytes, e.lpBytes + e.solverBytes)
        return e
    }

    /// Peak bytes per nonzero while assembling a Krivine LP (measured: 100, 88 and 77 B on the
    /// (80,80,1) s=10, s=20 k=3 and (40,40,1) s=21 k=4 by_input LPs; the largest is used).
    public static let buildBytesPerNonzero: Double = 100

    /// The solver's part when no solver model is available: an in-process simplex like GLPK's
    /// (1 MB + 190 B per nonzero + 350 B per row or column; GLPK's interior point measures
    /// within 10% of this on Krivine LPs).
    public static func genericSolverBytes(rows: Double, columns: Double, nonzeros: Double) -> Double {
        1e6 + 190 * nonzeros + 350 * (rows + columns)
    }

    private static func clampedCount(_ x: Double) -> Int { x.isFinite && x < 1e15 ? Int(x) : Int(1e15) }

    static func familyInput(_ problem: LipschitzProblem, _ options: KrivineOptions) throws -> FamilyInput {
        let sets = options.family.usesPattern ? try (options.pattern ?? .dense).sets(for: problem) : []
        return FamilyInput(problem: problem, degree: options.degree, sets: sets)
    }

    /// Builds the Krivine LP. Throws before building when the estimate exceeds the limits,
    /// and before solving when a monomial of p is not covered by any product.
    public static func apply(_ problem: LipschitzProblem, options: KrivineOptions) throws -> (LinearProgram, KrivineInverse) {
        let t0 = monotonicSeconds()
        let est = try estimate(problem, options: options)
        try checkEstimate(est, options)
        let products = try options.family.build(try familyInput(problem, options))
        try StoppedError.check(.none, "LiPopt-\(options.degree)")
        options.progress?(.stage("products", seconds: monotonicSeconds() - t0))
        return try assemble(problem, products: products, options: options, nonzeroGuess: est.nonzeros, start: t0)
    }

    /// The LP of a given product list (the constant product first), plus the non-box constraint
    /// products; rows on first sight, right-hand side −[m]p, uncovered monomials refused.
    static func assemble(_ problem: LipschitzProblem, products: ProductList, options: KrivineOptions,
                         nonzeroGuess: Double, start t0: Double) throws -> (LinearProgram, KrivineInverse) {
        let pg = gBasis(problem)
        let constraintProducts = buildConstraintProducts(problem, degree: options.degree, scale: pg.scale)
        var asm = LPAssembly(columns: 1 + products.count + constraintProducts.count, nonzeroGuess: nonzeroGuess,
                             name: "krivine-\(options.degree)")
        for h in 0..<products.count {
            let col = Int32(1 + h)
            products.expand(h) { key, coef in asm.add(key, col, coef) }
        }
        var columnError = [Double]()
        for (q, cp) in constraintProducts.enumerated() {
            let col = Int32(1 + products.count + q)
            for (key, coef, _) in cp.terms { asm.add(key, col, coef) }
            columnError.append(cp.terms.reduce(0) { $0 + $1.2 })
        }
        let rhsError = try asm.setRightHandSide(pg, problem: problem, options: options)
        if asm.rowKeys.count > options.limits.maxRows {
            throw HierarchyError.tooLarge("LiPopt-\(options.degree) with family \(options.family.name) has \(asm.rowKeys.count) rows (limit \(options.limits.maxRows)); use a smaller degree or a sparser family or pattern")
        }
        let build = monotonicSeconds() - t0
        options.progress?(.stage("assembly", seconds: build))
        let inverse = KrivineInverse(lp: asm.lp, rhsError: rhsError, products: products,
                                     constraintProducts: constraintProducts.map(\.label), constraintError: columnError,
                                     problem: problem, scale: pg.scale, degree: options.degree,
                                     family: options.family.name, pattern: options.patternName,
                                     buildSeconds: build, certificateSize: options.certificateSize,
                                     rowKeys: asm.rowKeys)
        return (asm.lp, inverse)
    }

    static func checkEstimate(_ est: HierarchySizeEstimate, _ options: KrivineOptions) throws {
        let lim = options.limits
        let pattern = options.family.usesPattern ? " and pattern " + options.patternName : ""
        let advice = options.family.usesPattern
            ? "use a smaller degree, a sparser pattern (by_input, chordal), or the path family"
            : "use a smaller degree or the path family (its size grows with the terms of p, not with k), or an input box (local ranges drop stable neurons)"
        let what = "LiPopt-\(options.degree) with family \(options.family.name)\(pattern)"
        if est.memoryBytes > lim.maxMemoryBytes || !est.memoryBytes.isFinite {
            throw HierarchyError.tooLarge(
                "\(what) would need about \(fmtBytes(est.memoryBytes)) of memory at peak (\(est.memoryBreakdown)) for an LP of about \(fmtCount(est.columns)) columns, at most \(fmtCount(est.rows)) rows and \(fmtCount(est.nonzeros)) nonzeros, but the memory budget is \(fmtBytes(lim.maxMemoryBytes)); use column_generation = true (it builds only the columns the optimum needs), \(advice), or raise max_memory")
        }
        if est.columns > Double(lim.maxColumns) || est.nonzeros > Double(lim.maxNonzeros) {
            throw HierarchyError.tooLarge(
                "\(what) would need \(est) (limits: \(fmtCount(Double(lim.maxColumns))) columns, \(fmtCount(Double(lim.maxNonzeros))) nonzeros, \(fmtBytes(lim.maxMemoryBytes))); use column_generation = true, \(advice), or raise the limits (max_columns, max_nonzeros, max_memory)")
        }
    }

    /// apply, solve with `options.solver` (or the registries' solver), invert.
    public static func solve(_ problem: LipschitzProblem, options: KrivineOptions,
                             registries: Registries? = nil) throws -> LipschitzBound {
        let solver: any LPSolver
        if let s = options.solver { solver = s }
        else if let r = registries { solver = try r.lpSolver(options.solverName) }
        else { throw HierarchyError.noSolver }
        let (lp, inverse) = try apply(problem, options: options)
        var o = LPOptions()
        o.method = options.method
        o.timeLimit = options.timeLimit
        o.verbosity = options.quiet ? 0 : 2
        if let p = options.progress { o.progress = { p(.lp($0)) } }
        let t = monotonicSeconds()
        var result = try solver.solve(lp, options: o)
        if result.seconds == 0 { result.seconds = monotonicSeconds() - t }
        return inverse.invert(result)
    }

    static func validate(_ problem: LipschitzProblem, _ options: KrivineOptions) throws {
        let n = problem.variableCount
        guard options.degree >= 1 && options.degree <= MonoKey.maxDegree else {
            throw HierarchyError.badInput("degree must be between 1 and \(MonoKey.maxDegree) (got \(options.degree))")
        }
        if options.pattern != nil && !options.family.usesPattern {
            throw HierarchyError.badInput("the product family \(options.family.name) does not use a sparsity pattern, so the pattern \(options.pattern!.name) would be ignored; use products = \"multilinear\" or \"dense\" with a pattern, or drop the sparsity option")
        }
        guard problem.upper.count == n, problem.kinds.count == n else {
            throw HierarchyError.badInput("the problem has \(n) lower bounds but \(problem.upper.count) upper bounds and \(problem.kinds.count) variable kinds")
        }
        guard n <= MonoKey.maxVariable else {
            throw HierarchyError.badInput("the problem has \(n) variables; the LP assembler supports at most \(MonoKey.maxVariable)")
        }
        for i in 0..<n {
            guard problem.lower[i].isFinite, problem.upper[i].isFinite, problem.lower[i] <= problem.upper[i] else {
                throw HierarchyError.badInput("variable \(name(problem, i)) has box [\(problem.lower[i]), \(problem.upper[i])]; every variable needs a finite box with lower ≤ upper")
            }
        }
        for (m, c) in problem.polynomial.orderedTerms {
            guard c.isFinite else { throw HierarchyError.badInput("p has the coefficient \(c) on \(m.format(names: problem.variableNames)); coefficients must be finite") }
            guard m.degree <= MonoKey.maxDegree else { throw HierarchyError.badInput("p has a monomial of degree \(m.degree) (at most \(MonoKey.maxDegree) supported)") }
            for v in m.variables where Int(v) >= n || v < 0 {
                throw HierarchyError.badInput("p uses variable index \(v) but the problem has \(n) variables")
            }
        }
    }

    static func name(_ problem: LipschitzProblem, _ i: Int) -> String {
        i < problem.variableNames.count ? problem.variableNames[i] : "x\(i + 1)"
    }
}

/// The Krivine LP under construction: rows numbered on first sight of their g-monomial,
/// triplets appended directly.
struct LPAssembly {
    var lp: LinearProgram
    var rowOf: [MonoKey: Int32]
    var rowKeys: [MonoKey] = [MonoKey()]

    init(columns nCols: Int, nonzeroGuess: Double, name: String) {
        rowOf = [MonoKey: Int32](minimumCapacity: Int(Swift.min(nonzeroGuess, 4e7)) / 2 + 16)
        rowOf[MonoKey()] = 0
        lp = LinearProgram(sense: .minimize, columns: 0, name: name)
        lp.objective = [Double](repeating: 0, count: nCols); lp.objective[0] = 1
        lp.columnLower = [Double](repeating: 0, count: nCols); lp.columnLower[0] = -.infinity
        lp.columnUpper = [Double](repeating: .infinity, count: nCols)
        let nnz = Int(Swift.min(nonzeroGuess, 4e8))
        lp.entryRow.reserveCapacity(nnz); lp.entryColumn.reserveCapacity(nnz); lp.entryValue.reserveCapacity(nnz)
        lp.entryRow.append(0); lp.entryColumn.append(0); lp.entryValue.append(-1)
    }

    @inline(__always) mutating func row(_ key: MonoKey) -> Int32 {
        if let r = rowOf[key] { return r }
        let r = Int32(rowKeys.count); rowOf[key] = r; rowKeys.append(key); return r
    }

    @inline(__always) mutating func add(_ key: MonoKey, _ column: Int32, _ value: Double) {
        let r = row(key)
        lp.entryRow.append(r); lp.entryColumn.append(column); lp.entryValue.append(value)
    }

    /// Right-hand side −[m]p; a monomial of p that no product reaches makes the LP infeasible
    /// and is reported before solving. Returns the rounding-error bound of every row.
    mutating func setRightHandSide(_ pg: GBasisPolynomial, problem: LipschitzProblem, options: KrivineOptions) throws -> [Double] {
        var rhs = [Double](repeating: 0, count: rowKeys.count)
        var rhsError = [Double](repeating: 0, count: rowKeys.count)
        var uncovered: [MonoKey] = []
        for (key, c, e) in pg.terms {
            if let r = rowOf[key] { rhs[Int(r)] = -c; rhsError[Int(r)] = e }
            else if c != 0 { uncovered.append(key) }
        }
        if !uncovered.isEmpty {
            let names = problem.variableNames
            let ms = uncovered.map { Monomial(sorted: $0.variables) }.sorted().map { $0.format(names: names) }
            throw HierarchyError.uncovered(monomials: ms, family: options.family.name,
                                           pattern: options.patternName, degree: options.degree)
        }
        lp.rowLower = rhs; lp.rowUpper = rhs
        return rhsError
    }
}

// MARK: - g-basis

/// p (or a constraint polynomial) rewritten in the g-basis, with a rigorous bound on the
/// rounding error of every coefficient.
struct GBasisPolynomial {
    /// (g-monomial, coefficient, error bound), in deterministic order.
    var terms: [(MonoKey, Double, Double)] = []
    /// The widths w_i ≥ hi_i − lo_i used in x = lo + w·g (rounded up when hi − lo is inexact,
    /// so the g-box covers the x-box).
    var scale: [Double] = []
}

let unitRoundoff = Double.ulpOfOne / 2

/// Widths w_i = hi_i − lo_i, rounded up when the subtraction is inexact.
func boxWidths(_ problem: LipschitzProblem) -> [Double] {
    (0..<problem.variableCount).map { i in
        let a = problem.upper[i], b = -problem.lower[i]
        let s = a + b
        let bb = s - a, err = (a - (s - bb)) + (b - bb)   // TwoSum: s + err = hi − lo exactly
        return err > 0 ? s.nextUp : s
    }
}

/// Substitutes x_i = lo_i + w_i g_i into `p`:  (lo + w g)^e = Σ_q C(e,q) lo^{e−q} w^q g^q,
/// tensorised over the variables of each term. Each contribution is a product of at most
/// `ops` roundings, so its error is ≤ ops·u·|value| (·1.01 for the γ denominators); each
/// accumulation adds ≤ u·|sum|.
func gSubstitute(_ p: Polynomial, lower: [Double], width: [Double]) -> [(MonoKey, Double, Double)] {
    var out: [MonoKey: (Double, Double)] = [:]
    var order: [MonoKey] = []
    for (m, c) in p.orderedTerms {
        // (variable, exponent) groups
        var vars: [Int32] = [], exps: [Int] = []
        for v in m.variables { if vars.last == v { exps[exps.count - 1] += 1 } else { vars.append(v); exps.append(1) } }
        let n = vars.count
        var q = [Int](repeating: 0, count: n)
        // Only q with a nonzero factor: lo = 0 forces q = e, w = 0 forces q = 0.
        func lowQ(_ j: Int) -> Int { lower[Int(vars[j])] == 0 ? exps[j] : 0 }
        func highQ(_ j: Int) -> Int { width[Int(vars[j])] == 0 ? 0 : exps[j] }
        for j in 0..<n { q[j] = lowQ(j) }
        if (0..<n).contains(where: { lowQ($0) > highQ($0) }) { continue }  // lo = 0 and w = 0: x ≡ 0
        let ops = Double(m.degree * 2 + 2 * n + 1)
        while true {
            var val = c
            var key = MonoKey(), slot = 0
            for j in 0..<n {
                let i = Int(vars[j]), e = exps[j], qq = q[j]
                var f = binomial(e, qq)
                for _ in 0..<(e - qq) { f *= lower[i] }
                for _ in 0..<qq { f *= width[i] }
                val *= f
                for _ in 0..<qq { key.set(slot: slot, variable: vars[j]); slot += 1 }
            }
            if val != 0 {
                if out[key] == nil { order.append(key) }
                let old = out[key] ?? (0, 0)
                let s = old.0 + val
                out[key] = (s, old.1 + 1.01 * ops * unitRoundoff * Swift.abs(val) + unitRoundoff * Swift.abs(s) + Double.leastNonzeroMagnitude * ops)
            }
            var j = 0
            while j < n { q[j] += 1; if q[j] <= highQ(j) { break }; q[j] = lowQ(j); j += 1 }
            if j == n { break }
        }
    }
    return order.map { ($0, out[$0]!.0, out[$0]!.1) }
}

func gBasis(_ problem: LipschitzProblem) -> GBasisPolynomial {
    let w = boxWidths(problem)
    return GBasisPolynomial(terms: gSubstitute(problem.polynomial, lower: problem.lower, width: w), scale: w)
}

// MARK: - Non-box constraints

/// A product involving a non-box constraint polynomial G (0 ≤ G ≤ 1 on the feasible set),
/// expanded in the g-basis, with per-coefficient error bounds.
struct ConstraintProduct {
    /// (g-monomial, coefficient, error bound), sorted by monomial (deterministic rows).
    var terms: [(MonoKey, Double, Double)]
    var label: String
    init(terms: [MonoKey: (Double, Double)], label: String) {
        self.terms = terms.keys.sorted().map { ($0, terms[$0]!.0, terms[$0]!.1) }
        self.label = label
    }
}

/// Products G_j, 1 − G_j and, when k ≥ deg G_j + 1, G_j^σ·g_i and G_j^σ·(1 − g_i) for each
/// variable i of G_j. These are enough for the simplex certificates of the ℓ1 dual ball
/// (λ·G + Σ_i u_i(λ − a_i(s)) + …); richer families can come as explicit products later.
func constraintProductCount(_ problem: LipschitzProblem, _ k: Int) -> Int {
    problem.constraints.reduce(0) { acc, g in
        let support = Set(g.monomials.flatMap(\.variables)).count
        return acc + 2 + (k >= g.degree + 1 ? 4 * support : 0)
    }
}

func buildConstraintProducts(_ problem: LipschitzProblem, degree k: Int, scale: [Double]) -> [ConstraintProduct] {
    var out: [ConstraintProduct] = []
    let names = problem.variableNames
    for (j, g) in problem.constraints.enumerated() {
        var G: [MonoKey: (Double, Double)] = [:]
        for (key, c, e) in gSubstitute(g, lower: problem.lower, width: scale) { G[key] = (c, e) }
        var oneMinus: [MonoKey: (Double, Double)] = [:]
        for (key, (c, e)) in G { oneMinus[key] = (-c, e) }
        let c0 = oneMinus[MonoKey()] ?? (0, 0)
        let s = 1 + c0.0
        oneMinus[MonoKey()] = (s, c0.1 + unitRoundoff * Swift.abs(s))
        out.append(ConstraintProduct(terms: G, label: "G\(j + 1)"))
        out.append(ConstraintProduct(terms: oneMinus, label: "(1-G\(j + 1))"))
        if k >= g.degree + 1 {
            let support = Array(Set(g.monomials.flatMap(\.variables))).sorted()
            for (base, label) in [(G, "G\(j + 1)"), (oneMinus, "(1-G\(j + 1))")] {
                for v in support {
                    let gv = MonoKey([v])
                    // base·g_v and base·(1 − g_v) = base − base·g_v; products of integers and
                    // coefficients: errors carry over, one extra rounding per subtraction.
                    var times: [MonoKey: (Double, Double)] = [:]
                    for (key, ce) in base { times[mulKey(key, gv)] = ce }
                    var minus = base
                    for (key, (c, e)) in times {
                        let old = minus[key] ?? (0, 0)
                        let s = old.0 - c
                        minus[key] = (s, old.1 + e + unitRoundoff * Swift.abs(s))
                    }
                    let vn = Int(v) < names.count ? names[Int(v)] : "x\(v + 1)"
                    out.append(ConstraintProduct(terms: times, label: "\(label)*g(\(vn))"))
                    out.append(ConstraintProduct(terms: minus, label: "\(label)*(1-g(\(vn)))"))
                }
            }
        }
    }
    return out
}

func mulKey(_ a: MonoKey, _ b: MonoKey) -> MonoKey {
    MonoKey((a.variables + b.variables).sorted())
}

// MARK: - formatting

func fmt(_ x: Double) -> String { String(format: "%.3f", x) }
func fmtCount(_ x: Double) -> String {
    if x >= 1e9 { return String(format: "%.2fG", x / 1e9) }
    if x >= 1e6 { return String(format: "%.2fM", x / 1e6) }
    if x >= 1e4 { return String(format: "%.1fk", x / 1e3) }
    return String(format: "%.0f", x)
}
func fmtBytes(_ x: Double) -> String {
    if x >= 1e9 { return String(format: "%.1f GB", x / 1e9) }
    return String(format: "%.0f MB", x / 1e6)
}
