import Foundation
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
public struct HierarchySizeLimits: Sendable {
    public var maxRows: Int = 2_000_000
    public var maxColumns: Int = 5_000_000
    public var maxNonzeros: Int = 40_000_000
    public var maxMemoryBytes: Double = 8e9
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
    public var pattern: SparsityPattern = .dense
    public var solver: (any LPSolver)? = nil
    public var method: LPMethod = .automatic
    public var timeLimit: Double? = nil
    public var limits = HierarchySizeLimits()
    public var progress: (@Sendable (HierarchyProgress) -> Void)? = nil
    public var quiet: Bool = true
    /// How many of the largest c_h the result lists.
    public var certificateSize: Int = 10

    public init(degree: Int = 3, family: ProductFamily = .byInput, pattern: SparsityPattern = .dense,
                solver: (any LPSolver)? = nil, method: LPMethod = .automatic, timeLimit: Double? = nil) {
        self.degree = degree; self.family = family; self.pattern = pattern
        self.solver = solver; self.method = method; self.timeLimit = timeLimit
    }
}

/// Sizes before building: exact product count only after deduplication, so these are upper
/// bounds; rows are at most the nonzeros.
public struct HierarchySizeEstimate: Sendable, CustomStringConvertible {
    public var columns: Double
    public var nonzeros: Double
    public var memoryBytes: Double
    public var description: String {
        "about \(fmtCount(columns)) columns, \(fmtCount(nonzeros)) nonzeros, \(fmtBytes(memoryBytes))"
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
/// `certifiedBound` is a theorem: max_K p ≤ certifiedBound (METHOD §4), whatever the LP
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
}

/// What to try instead of an LP that is too large, for the family at hand.
func tooLargeAdvice(_ o: KrivineOptions) -> String {
    switch o.family {
    case .path: return "use a network with fewer paths or an input box (local ranges drop stable neurons)"
    case .dense, .multilinear: return "use a smaller degree, a sparser pattern (by_input, chordal), or the path family"
    default: return "use a smaller degree or the path family (its size grows with the terms of p, not with k)"
    }
}

/// LiPopt-k as a reduction (cvxpy style): `apply` turns a `LipschitzProblem` into the
/// Krivine LP, `invert` turns the solver's answer into a certified `LipschitzBound`.
///
/// The LP (METHOD §3), in the g-basis (box variable x = lo + (hi − lo)·g, g ∈ [0, 1]):
///
///     minimize λ   s.t.   for every g-monomial m:  Σ_h c_h [m]h − [m = 1] λ = −[m]p,   c ≥ 0, λ free
///
/// column 0 is λ, column 1 + h is product h; one row per g-monomial of a product (a
/// hash map assigns rows on first sight, so there are no empty rows), duplicate products are
/// removed. Every feasible λ is an upper bound on max p over the box, hence on L(f).
/// Products have integer coefficients (±1 for multilinear ones), so the matrix is well scaled.
public enum KrivineHierarchy {

    /// Sizes of the LP before it is built (upper bounds), for refusing early.
    public static func estimate(_ problem: LipschitzProblem, options: KrivineOptions) throws -> HierarchySizeEstimate {
        try validate(problem, options)
        let sets = options.family.usesPattern ? try options.pattern.sets(for: problem) : []
        var e = try options.family.estimate(problem: problem, degree: options.degree, sets: sets)
        e.columns += Double(constraintProductCount(problem, options.degree))
        e.nonzeros += Double(constraintProductCount(problem, options.degree)) * 16
        // triplets (4+4+8 bytes) held by the LP value, the solver's copy (~3x), rows/columns.
        let mem = e.nonzeros * 64 + e.columns * 120 + min(e.nonzeros, 1e12) * 40
        return HierarchySizeEstimate(columns: e.columns, nonzeros: e.nonzeros, memoryBytes: mem)
    }

    /// Builds the Krivine LP. Throws before building when the estimate exceeds the limits,
    /// and before solving when a monomial of p is not covered by any product.
    public static func apply(_ problem: LipschitzProblem, options: KrivineOptions) throws -> (LinearProgram, KrivineInverse) {
        let t0 = Date()
        let k = options.degree
        let est = try estimate(problem, options: options)
        let lim = options.limits
        if est.columns > Double(lim.maxColumns) || est.nonzeros > Double(lim.maxNonzeros) || est.memoryBytes > lim.maxMemoryBytes {
            throw HierarchyError.tooLarge(
                "LiPopt-\(k) with family \(options.family.name)\(options.family.usesPattern ? " and pattern " + options.pattern.name : "") would need \(est) (limits: \(fmtCount(Double(lim.maxColumns))) columns, \(fmtCount(Double(lim.maxNonzeros))) nonzeros, \(fmtBytes(lim.maxMemoryBytes))); \(tooLargeAdvice(options)), or raise the limits (max_columns, max_nonzeros, max_memory)")
        }
        let sets = options.family.usesPattern ? try options.pattern.sets(for: problem) : []
        let products = try options.family.build(problem: problem, degree: k, sets: sets)
        options.progress?(.stage("products", seconds: Date().timeIntervalSince(t0)))

        let pg = gBasis(problem)
        let constraintProducts = buildConstraintProducts(problem, degree: k, scale: pg.scale)

        // Assembly: rows on first sight, triplets directly.
        var rowOf = [MonoKey: Int32](minimumCapacity: Int(min(est.nonzeros, 4e7)) / 2 + 16)
        var rowKeys: [MonoKey] = [MonoKey()]
        rowOf[MonoKey()] = 0
        var lp = LinearProgram(sense: .minimize, columns: 0, name: "krivine-\(k)")
        let nCols = 1 + products.count + constraintProducts.count
        lp.objective = [Double](repeating: 0, count: nCols); lp.objective[0] = 1
        lp.columnLower = [Double](repeating: 0, count: nCols); lp.columnLower[0] = -.infinity
        lp.columnUpper = [Double](repeating: .infinity, count: nCols)
        let nnzGuess = Int(min(est.nonzeros, 4e8))
        lp.entryRow.reserveCapacity(nnzGuess); lp.entryColumn.reserveCapacity(nnzGuess); lp.entryValue.reserveCapacity(nnzGuess)
        lp.entryRow.append(0); lp.entryColumn.append(0); lp.entryValue.append(-1)
        @inline(__always) func row(_ key: MonoKey) -> Int32 {
            if let r = rowOf[key] { return r }
            let r = Int32(rowKeys.count); rowOf[key] = r; rowKeys.append(key); return r
        }
        for h in 0..<products.count {
            let col = Int32(1 + h)
            products.expand(h) { key, coef in
                lp.entryRow.append(row(key)); lp.entryColumn.append(col); lp.entryValue.append(coef)
            }
        }
        var columnError = [Double]()
        for (q, cp) in constraintProducts.enumerated() {
            let col = Int32(1 + products.count + q)
            for (key, (coef, _)) in cp.terms {
                lp.entryRow.append(row(key)); lp.entryColumn.append(col); lp.entryValue.append(coef)
            }
            columnError.append(cp.terms.values.reduce(0) { $0 + $1.1 })
        }
        // Right-hand side −[m]p; monomials of p no product reaches make the LP infeasible.
        var rhs = [Double](repeating: 0, count: rowKeys.count)
        var rhsError = [Double](repeating: 0, count: rowKeys.count)
        var uncovered: [MonoKey] = []
        for (key, (c, e)) in pg.terms {
            if let r = rowOf[key] { rhs[Int(r)] = -c; rhsError[Int(r)] = e }
            else if c != 0 { uncovered.append(key) }
        }
        if !uncovered.isEmpty {
            let names = problem.variableNames
            let ms = uncovered.map { Monomial(sorted: $0.variables) }.sorted().map { $0.format(names: names) }
            throw HierarchyError.uncovered(monomials: ms, family: options.family.name,
                                           pattern: options.family.usesPattern ? options.pattern.name : "", degree: k)
        }
        if rowKeys.count > lim.maxRows {
            throw HierarchyError.tooLarge("LiPopt-\(k) with family \(options.family.name) has \(rowKeys.count) rows (limit \(lim.maxRows)); use a smaller degree or a sparser family or pattern")
        }
        lp.rowLower = rhs; lp.rowUpper = rhs
        let build = Date().timeIntervalSince(t0)
        options.progress?(.stage("assembly", seconds: build))
        let inverse = KrivineInverse(lp: lp, rhsError: rhsError, products: products,
                                     constraintProducts: constraintProducts.map(\.label), constraintError: columnError,
                                     problem: problem, scale: pg.scale, degree: k,
                                     family: options.family.name,
                                     pattern: options.family.usesPattern ? options.pattern.name : "",
                                     buildSeconds: build, certificateSize: options.certificateSize)
        return (lp, inverse)
    }

    /// apply, solve with `options.solver`, invert.
    public static func solve(_ problem: LipschitzProblem, options: KrivineOptions) throws -> LipschitzBound {
        guard let solver = options.solver else { throw HierarchyError.noSolver }
        let (lp, inverse) = try apply(problem, options: options)
        var o = LPOptions()
        o.method = automaticMethod(options.method, lp)
        o.timeLimit = options.timeLimit
        o.verbosity = options.quiet ? 0 : 2
        if let p = options.progress { o.progress = { p(.lp($0)) } }
        let t = Date()
        var result = try solver.solve(lp, options: o)
        if result.seconds == 0 { result.seconds = Date().timeIntervalSince(t) }
        return inverse.invert(result)
    }

    /// `.automatic` becomes interior point for Krivine LPs with at least 5,000 columns: on the
    /// paper's (80, 80, 1) s = 10, k = 3 LP (6,277 × 38,498) GLPK's interior point takes ~2.8 s,
    /// its primal simplex ~25 s. (GLPKSolver falls back to simplex if interior point fails.)
    /// Smaller LPs keep `.automatic` (the solver's own choice).
    public static func automaticMethod(_ m: LPMethod, _ lp: LinearProgram) -> LPMethod {
        m == .automatic && lp.columnCount >= 5_000 ? .interiorPoint : m
    }

    static func validate(_ problem: LipschitzProblem, _ options: KrivineOptions) throws {
        let n = problem.variableCount
        guard options.degree >= 1 && options.degree <= MonoKey.maxDegree else {
            throw HierarchyError.badInput("degree must be between 1 and \(MonoKey.maxDegree) (got \(options.degree))")
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
        for (m, _) in problem.polynomial.terms {
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

// MARK: - g-basis

/// p (or a constraint polynomial) rewritten in the g-basis, with a rigorous bound on the
/// rounding error of every coefficient.
struct GBasisPolynomial {
    var terms: [MonoKey: (Double, Double)] = [:]
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
func gSubstitute(_ p: Polynomial, lower: [Double], width: [Double]) -> [MonoKey: (Double, Double)] {
    var out: [MonoKey: (Double, Double)] = [:]
    for (m, c) in p.terms {
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
                let old = out[key] ?? (0, 0)
                let s = old.0 + val
                out[key] = (s, old.1 + 1.01 * ops * unitRoundoff * Swift.abs(val) + unitRoundoff * Swift.abs(s) + Double.leastNonzeroMagnitude * ops)
            }
            var j = 0
            while j < n { q[j] += 1; if q[j] <= highQ(j) { break }; q[j] = lowQ(j); j += 1 }
            if j == n { break }
        }
    }
    return out
}

func gBasis(_ problem: LipschitzProblem) -> GBasisPolynomial {
    let w = boxWidths(problem)
    return GBasisPolynomial(terms: gSubstitute(problem.polynomial, lower: problem.lower, width: w), scale: w)
}

// MARK: - Non-box constraints

/// A product involving a non-box constraint polynomial G (0 ≤ G ≤ 1 on the feasible set),
/// expanded in the g-basis, with per-coefficient error bounds.
struct ConstraintProduct {
    var terms: [MonoKey: (Double, Double)]
    var label: String
}

/// Products G_j, 1 − G_j and, when k ≥ deg G_j + 1, G_j^σ·g_i and G_j^σ·(1 − g_i) for each
/// variable i of G_j. These are enough for the simplex certificates of the ℓ1 dual ball
/// (λ·G + Σ_i u_i(λ − a_i(s)) + …); richer families can come as explicit products later.
func constraintProductCount(_ problem: LipschitzProblem, _ k: Int) -> Int {
    problem.constraints.reduce(0) { acc, g in
        let support = Set(g.terms.keys.flatMap(\.variables)).count
        return acc + 2 + (k >= g.degree + 1 ? 4 * support : 0)
    }
}

func buildConstraintProducts(_ problem: LipschitzProblem, degree k: Int, scale: [Double]) -> [ConstraintProduct] {
    var out: [ConstraintProduct] = []
    let names = problem.variableNames
    for (j, g) in problem.constraints.enumerated() {
        let G = gSubstitute(g, lower: problem.lower, width: scale)
        var oneMinus: [MonoKey: (Double, Double)] = [:]
        for (key, (c, e)) in G { oneMinus[key] = (-c, e) }
        let c0 = oneMinus[MonoKey()] ?? (0, 0)
        let s = 1 + c0.0
        oneMinus[MonoKey()] = (s, c0.1 + unitRoundoff * Swift.abs(s))
        out.append(ConstraintProduct(terms: G, label: "G\(j + 1)"))
        out.append(ConstraintProduct(terms: oneMinus, label: "(1-G\(j + 1))"))
        if k >= g.degree + 1 {
            let support = Array(Set(g.terms.keys.flatMap(\.variables))).sorted()
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
