import LipControl
import LipLP

/// Options of LiPopt-k by column generation.
public struct ColumnGenerationOptions: Sendable {
    /// The starting family; it must cover every monomial of p (the path family does whenever
    /// k ≥ the degree of p).
    public var initial: ProductFamily = .path
    /// Columns added per round at most (the most negative reduced costs first).
    public var columnsPerRound: Int = 2_000
    public var maxRounds: Int = 500
    /// A column enters when its reduced cost is below −tolerance·max(1, |λ|).
    public var tolerance: Double = 1e-9
    public var progress: (@Sendable (ColumnGenerationRound) -> Void)? = nil
    public init() {}
}

/// One round: the restricted LP's size and value, its certified bound, the anytime bound
/// (the smallest certified so far: it never goes up), and what pricing found.
public struct ColumnGenerationRound: Sendable {
    public var round: Int
    public var rows: Int
    public var columns: Int
    public var lpValue: Double?
    public var certified: Double?
    public var anytimeBound: Double?
    public var priced: Int
    public var added: Int
    public var mostNegativeReducedCost: Double
    public var seconds: Double
}

/// The result of column generation: the bound of the last restricted LP (certified like any
/// Krivine LP), the anytime bound, and every round.
public struct ColumnGenerationResult: Sendable {
    public var bound: LipschitzBound
    /// The smallest certified bound of all rounds (a theorem, nonincreasing in the rounds).
    public var anytimeBound: Double?
    public var rounds: [ColumnGenerationRound]
    /// True when pricing found no improving column: the value equals the full family's optimum.
    public var converged: Bool
    public var pricedColumns: Int
    public var result: RelaxationResult {
        var r = bound.result
        r.certified = anytimeBound ?? bound.certifiedBound
        if let c = r.certified, let l = bound.lpValue { r.correction = c - l }
        r.details += [("column_generation", .bool(true)), ("converged", .bool(converged)),
                      ("columns_priced", .int(pricedColumns)), ("columns_used", .int(bound.columns))]
        return r
    }
}

extension KrivineHierarchy {
    /// LiPopt-k over `options.family` without building the family: start from a small family
    /// that covers p, solve, price the full family in a streaming pass (a product's reduced
    /// cost is −Σ_m [m]h·y_m over its g-monomials, y the row duals; rows not yet present have
    /// y = 0), add the most negative columns with the rows their monomials need (right-hand
    /// side 0: the current point stays feasible), and solve again. Stops when no column prices
    /// negative (then the LP value equals the full family's), at the round limit, or at the
    /// time limit / an interrupt; since any feasible point gives a certified bound, every round
    /// reports one, and the smallest so far is the anytime bound.
    public static func solveByColumnGeneration(_ problem: LipschitzProblem, options: KrivineOptions,
                                               generation cg: ColumnGenerationOptions = ColumnGenerationOptions(),
                                               registries: Registries? = nil) throws -> ColumnGenerationResult {
        let solver: any LPSolver
        if let s = options.solver { solver = s } else if let r = registries { solver = try r.lpSolver(options.solverName) } else { throw HierarchyError.noSolver }
        try validate(problem, options)
        let deadline = Deadline(seconds: options.timeLimit)
        let t0 = monotonicSeconds()
        var initial = options
        initial.family = cg.initial
        initial.pattern = cg.initial.usesPattern ? options.pattern : nil
        var master = try cg.initial.build(try familyInput(problem, initial))
        let fullInput = try familyInput(problem, options)
        var rounds: [ColumnGenerationRound] = []
        var best: Double? = nil
        var priced = 0
        var last: LipschitzBound? = nil
        var converged = false
        for round in 1...max(1, cg.maxRounds) {
            let roundStart = monotonicSeconds()
            var o = options
            o.progress = nil
            let (lp, inverse) = try assemble(problem, products: master, options: o, nonzeroGuess: 0, start: roundStart)
            var lo = LPOptions()
            // Basic solutions price better than interior ones (vertex duals); simplex unless asked.
            lo.method = options.method == .automatic ? .primalSimplex : options.method
            lo.timeLimit = deadline.remaining
            lo.verbosity = options.quiet ? 0 : 2
            let result = try solver.solve(lp, options: lo)
            var b = inverse.invert(result)
            b.buildSeconds = monotonicSeconds() - t0 - b.solveSeconds - b.certifySeconds
            last = b
            if let c = b.certifiedBound { best = min(best ?? c, c) }
            var info = ColumnGenerationRound(round: round, rows: lp.rowCount, columns: lp.columnCount, lpValue: b.lpValue,
                                             certified: b.certifiedBound, anytimeBound: best, priced: 0, added: 0,
                                             mostNegativeReducedCost: 0, seconds: monotonicSeconds() - t0)
            guard result.status == .optimal, result.rowDuals.count == lp.rowCount else {
                rounds.append(info); cg.progress?(info); break
            }
            if deadline.stopReason != nil { rounds.append(info); cg.progress?(info); break }
            let pricing = try price(options.family, fullInput, inverse: inverse, duals: result.rowDuals, master: master,
                                    limit: max(1, cg.columnsPerRound),
                                    threshold: -cg.tolerance * max(1, abs(b.lpValue ?? 0)))
            priced += pricing.priced
            info.priced = pricing.priced; info.added = pricing.columns.count
            info.mostNegativeReducedCost = pricing.mostNegative
            info.seconds = monotonicSeconds() - t0
            rounds.append(info); cg.progress?(info)
            if pricing.columns.isEmpty { converged = true; break }
            for c in pricing.columns { master.append(vars: c.vars, alpha: c.alpha, beta: c.beta) }
        }
        guard var bound = last else { throw HierarchyError.badInput("column generation ran no round") }
        bound.family = options.family.name
        bound.pattern = options.patternName
        return ColumnGenerationResult(bound: bound, anytimeBound: best, rounds: rounds, converged: converged, pricedColumns: priced)
    }

    struct PricedColumn { var vars: [Int32]; var alpha: [UInt8]; var beta: [UInt8]; var reducedCost: Double }

    /// One streaming pass over the full family: the `limit` most negative reduced costs below
    /// `threshold` among products not in the master (ties broken by first appearance).
    static func price(_ family: ProductFamily, _ input: FamilyInput, inverse: KrivineInverse, duals: [Double], master: ProductList,
                      limit: Int, threshold: Double) throws -> (columns: [PricedColumn], priced: Int, mostNegative: Double) {
        var dual = [MonoKey: Double](minimumCapacity: inverse.rowKeys.count)
        for (i, key) in inverse.rowKeys.enumerated() where duals[i] != 0 { dual[key] = duals[i] }
        var heap = CandidateHeap(limit: limit)
        var priced = 0, mostNegative = 0.0
        var seen = Set<ProductKey>()
        try family.stream(input) { v, a, b in
            priced += 1
            var d = 0.0
            expandProduct(vars: v, alpha: a, beta: b) { key, coef in
                if let y = dual[key] { d -= coef * y }
            }
            mostNegative = min(mostNegative, d)
            guard d < threshold, heap.accepts(d) else { return }
            let key = productKey(v, a, b)
            if master.contains(key) || !seen.insert(key).inserted { return }
            heap.insert(PricedColumn(vars: Array(v), alpha: Array(a), beta: Array(b), reducedCost: d), order: priced)
        }
        return (heap.sorted(), priced, mostNegative)
    }
}

/// The `limit` smallest reduced costs seen, in a bounded max-heap (deterministic: equal costs
/// keep the earlier product).
struct CandidateHeap {
    let limit: Int
    var items: [(cost: Double, order: Int, column: KrivineHierarchy.PricedColumn)] = []
    init(limit: Int) { self.limit = limit }

    func accepts(_ d: Double) -> Bool { items.count < limit || d < items[0].cost }

    mutating func insert(_ c: KrivineHierarchy.PricedColumn, order: Int) {
        let e = (cost: c.reducedCost, order: order, column: c)
        if items.count < limit { items.append(e); siftUp(items.count - 1) } else { items[0] = e; siftDown(0) }
    }
    private func worse(_ a: Int, _ b: Int) -> Bool {
        items[a].cost != items[b].cost ? items[a].cost > items[b].cost : items[a].order > items[b].order
    }
    private mutating func siftUp(_ i: Int) {
        var i = i
        while i > 0 { let p = (i - 1) / 2; if worse(i, p) { items.swapAt(i, p); i = p } else { return } }
    }
    private mutating func siftDown(_ i: Int) {
        var i = i
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count && worse(l, m) { m = l }
            if r < items.count && worse(r, m) { m = r }
            if m == i { return }
            items.swapAt(i, m); i = m
        }
    }
    /// The candidates, most negative first (then by first appearance).
    func sorted() -> [KrivineHierarchy.PricedColumn] {
        items.sorted { $0.cost != $1.cost ? $0.cost < $1.cost : $0.order < $1.order }.map(\.column)
    }
}

func productKey(_ v: ArraySlice<Int32>, _ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> ProductKey {
    var key = ProductKey(vars: MonoKey(), alpha: 0, beta: 0)
    for n in 0..<v.count {
        key.vars.set(slot: n, variable: v[v.startIndex + n])
        key.alpha |= UInt64(a[a.startIndex + n]) << UInt64(4 * n)
        key.beta |= UInt64(b[b.startIndex + n]) << UInt64(4 * n)
    }
    return key
}

extension ProductList {
    func contains(_ key: ProductKey) -> Bool { seen.contains(key) }
}
