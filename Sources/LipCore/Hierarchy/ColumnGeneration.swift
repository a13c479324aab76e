import LipControl
import LipLP

/// Options of LiPopt-k by column generation.
public struct ColumnGenerationOptions: Sendable {
    /// The starting family; it must cover every monomial of p (the path family does whenever
    /// k ≥ the degree of p).
    public var initial: ProductFamily = .path
    /// Columns added per round at most (the most negative reduced costs first); nil: chosen
    /// per round from the restricted LP's size, `ColumnGenerationOptions.batch(rows:)`.
    public var columnsPerRound: Int? = nil
    public var maxRounds: Int = 500
    /// A column enters when its reduced cost is below −tolerance·max(1, |λ|).
    public var tolerance: Double = 1e-9
    /// Keep the solver's LP alive between rounds and re-solve from the previous basis, when
    /// the solver can (`IncrementalLPSolver`: GLPK) and the method is a primal simplex
    /// (`.automatic` or `.primalSimplex`); otherwise every round solves the whole restricted
    /// LP from scratch.
    public var warmStart: Bool = true
    public var progress: (@Sendable (ColumnGenerationRound) -> Void)? = nil
    public init() {}

    /// The default batch: max(100, rows / 2) columns per round. Measured on the benchmark LPs
    /// (Hierarchy/README.md, "Column generation"): with warm starts a round's simplex is
    /// cheap and a round's pricing pass costs the same whatever the batch, so large batches
    /// (fewer passes) win; beyond ~rows/2 the restricted LP grows faster than the bound drops.
    public static func batch(rows: Int) -> Int { Swift.max(100, rows / 2) }
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
    /// Seconds since the start of column generation, at the end of this round.
    public var seconds: Double
    /// Whether this round's LP was re-solved from the previous basis (false: solved from scratch).
    public var warm: Bool = false
    /// Simplex iterations of this round's solve.
    public var iterations: Int = 0
    /// Seconds of this round spent in the LP solver and in the pricing pass.
    public var solveSeconds: Double = 0
    public var pricingSeconds: Double = 0
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
    /// Rounds whose LP was re-solved from the previous basis.
    public var warmRounds: Int = 0
    public var result: RelaxationResult {
        var r = bound.result
        r.certified = anytimeBound ?? bound.certifiedBound
        if let c = r.certified, let l = bound.lpValue { r.correction = c - l }
        r.details += [("column_generation", .bool(true)), ("converged", .bool(converged)),
                      ("columns_priced", .int(pricedColumns)), ("columns_used", .int(bound.columns)),
                      ("warm_rounds", .int(warmRounds))]
        return r
    }
}

extension KrivineHierarchy {
    /// LiPopt-k over `options.family` without building the family: start from a small family
    /// that covers p, solve, price the full family in a streaming pass (a product's reduced
    /// cost is −Σ_m [m]h·y_m over its g-monomials, y the row duals; rows not yet present have
    /// y = 0), add the most negative columns with the rows their monomials need (right-hand
    /// side 0: the current point stays feasible), and solve again — from the previous basis
    /// when the solver keeps a live LP (`IncrementalLPSolver`, GLPK), else from scratch. Stops
    /// when no column prices negative (then the LP value equals the full family's), at the
    /// round limit, or at the time limit / an interrupt (checked between rounds, during the
    /// pricing pass and inside the solver); since any feasible point gives a certified bound,
    /// every round reports one, and the smallest so far is the anytime bound.
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
        // Basic solutions price better than interior ones (vertex duals); simplex unless asked.
        let method = options.method == .automatic ? LPMethod.primalSimplex : options.method
        var warm = WarmState(solver: cg.warmStart && method == .primalSimplex ? solver as? any IncrementalLPSolver : nil,
                             problem: problem)
        var rounds: [ColumnGenerationRound] = []
        var best: Double? = nil
        var priced = 0, warmRounds = 0
        var last: LipschitzBound? = nil
        var converged = false
        var stop: StopReason? = nil
        for round in 1...max(1, cg.maxRounds) {
            let roundStart = monotonicSeconds()
            if round > 1, let reason = deadline.stopReason { stop = reason; break }
            var o = options
            o.progress = nil
            let (lp, inverse) = try assemble(problem, products: master, options: o, nonzeroGuess: 0, start: roundStart)
            var lo = LPOptions()
            lo.method = method
            lo.timeLimit = deadline.remaining
            lo.verbosity = options.quiet ? 0 : 2
            let solveStart = monotonicSeconds()
            var result: LPResult
            var rowKeys = inverse.rowKeys
            var solvedWarm = false
            if let answer = try warm.solve(lp: lp, keys: inverse.rowKeys, master: master, options: lo) {
                result = answer.result; rowKeys = answer.rowKeys; solvedWarm = true
            } else {
                result = try solver.solve(lp, options: lo)
                if let note = warm.fallbackNote { result.message = note + result.message; warm.fallbackNote = nil }
            }
            if solvedWarm { warmRounds += 1 }
            let solveSeconds = monotonicSeconds() - solveStart
            var b = inverse.invert(result)
            b.buildSeconds = monotonicSeconds() - t0 - b.solveSeconds - b.certifySeconds
            last = b
            if let c = b.certifiedBound { best = min(best ?? c, c) }
            var info = ColumnGenerationRound(round: round, rows: lp.rowCount, columns: lp.columnCount, lpValue: b.lpValue,
                                             certified: b.certifiedBound, anytimeBound: best, priced: 0, added: 0,
                                             mostNegativeReducedCost: 0, seconds: monotonicSeconds() - t0,
                                             warm: solvedWarm, iterations: result.iterations, solveSeconds: solveSeconds)
            guard result.status == .optimal, result.rowDuals.count == rowKeys.count else {
                rounds.append(info); cg.progress?(info); break
            }
            if let reason = deadline.stopReason { stop = reason; rounds.append(info); cg.progress?(info); break }
            let pricingStart = monotonicSeconds()
            let pricing = try price(options.family, fullInput, rowKeys: rowKeys, duals: result.rowDuals, master: master,
                                    limit: max(1, cg.columnsPerRound ?? ColumnGenerationOptions.batch(rows: lp.rowCount)),
                                    threshold: -cg.tolerance * max(1, abs(b.lpValue ?? 0)), deadline: deadline)
            priced += pricing.priced
            info.priced = pricing.priced; info.added = pricing.columns.count
            info.mostNegativeReducedCost = pricing.mostNegative
            info.pricingSeconds = monotonicSeconds() - pricingStart
            info.seconds = monotonicSeconds() - t0
            rounds.append(info); cg.progress?(info)
            if pricing.stopped { stop = deadline.stopReason ?? .timeLimit; break }
            if pricing.columns.isEmpty { converged = true; break }
            for c in pricing.columns { master.append(vars: c.vars, alpha: c.alpha, beta: c.beta) }
        }
        guard var bound = last else { throw HierarchyError.badInput("column generation ran no round") }
        bound.family = options.family.name
        bound.pattern = options.patternName
        if let stop, !converged, bound.status == .optimal {
            // The last restricted LP was solved, but pricing did not finish: the bound is
            // certified (any feasible point is), not the family's optimum.
            bound.status = stop == .interrupted ? .interrupted : .timeLimit
            bound.solverMessage = "column generation stopped by \(stop == .interrupted ? "an interrupt" : "the time limit") after \(rounds.count) rounds, before pricing found no improving column; the bound is certified for the restricted LP. " + bound.solverMessage
        }
        return ColumnGenerationResult(bound: bound, anytimeBound: best, rounds: rounds, converged: converged,
                                      pricedColumns: priced, warmRounds: warmRounds)
    }

    struct PricedColumn { var vars: [Int32]; var alpha: [UInt8]; var beta: [UInt8]; var reducedCost: Double }

    /// One streaming pass over the full family: the `limit` most negative reduced costs below
    /// `threshold` among products not in the master (ties broken by first appearance). The
    /// deadline and the interrupt flag are checked every 65,536 products; `stopped` says the
    /// pass was cut short (its columns are then not used).
    static func price(_ family: ProductFamily, _ input: FamilyInput, rowKeys: [MonoKey], duals: [Double], master: ProductList,
                      limit: Int, threshold: Double, deadline: Deadline? = nil) throws
        -> (columns: [PricedColumn], priced: Int, mostNegative: Double, stopped: Bool) {
        var dual = [MonoKey: Double](minimumCapacity: rowKeys.count)
        for (i, key) in rowKeys.enumerated() where duals[i] != 0 { dual[key] = duals[i] }
        var heap = CandidateHeap(limit: limit)
        var priced = 0, mostNegative = 0.0
        var seen = Set<ProductKey>()
        var stopped = false
        var subsets = SubsetDuals()
        try family.stream(input) { v, a, b in
            if stopped { return }
            if priced & 0xFFFF == 0xFFFF, let d = deadline, d.stopReason != nil { stopped = true; return }
            priced += 1
            var d = 0.0
            if let (positive, negative) = subsets.signs(a, b) {
                // g^P (1−g)^N = Σ_{T ⊆ N} (−1)^{|T|} g^{P ∪ T}: duals by subset mask.
                subsets.select(v, dual)
                var t: UInt32 = 0
                while true {
                    let y = subsets.dual(positive | t, v, dual)
                    if y != 0 { d -= t.nonzeroBitCount & 1 == 1 ? -y : y }
                    if t == negative { break }
                    t = (t &- negative) & negative
                }
            } else {
                expandProduct(vars: v, alpha: a, beta: b) { key, coef in
                    if let y = dual[key] { d -= coef * y }
                }
            }
            mostNegative = min(mostNegative, d)
            guard d < threshold, heap.accepts(d) else { return }
            let key = productKey(v, a, b)
            if master.contains(key) || !seen.insert(key).inserted { return }
            heap.insert(PricedColumn(vars: Array(v), alpha: Array(a), beta: Array(b), reducedCost: d), order: priced)
        }
        return (stopped ? [] : heap.sorted(), priced, mostNegative, stopped)
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

/// The duals of the g-monomials of one variable set, by subset mask, looked up once per set:
/// families emit the sign choices of a set one after another (2^q products of 3^q terms in all
/// over 2^q distinct monomials), so pricing them costs 2^q dictionary lookups instead of 3^q.
/// Entries are looked up lazily (NaN: not yet), so a set met once costs no more than before.
struct SubsetDuals {
    private var vars: [Int32] = []
    private var table: [Double] = [.nan]

    /// (positive mask, negative mask) of a multilinear product (every α + β = 1), else nil.
    @inline(__always) func signs(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> (UInt32, UInt32)? {
        let n = a.count
        if n > MonoKey.maxDegree { return nil }
        var positive: UInt32 = 0, negative: UInt32 = 0
        for q in 0..<n {
            let x = a[a.startIndex + q], y = b[b.startIndex + q]
            if x == 1 && y == 0 { positive |= 1 << UInt32(q) } else if x == 0 && y == 1 { negative |= 1 << UInt32(q) } else { return nil }
        }
        return (positive, negative)
    }

    /// Makes `v` the current set (clearing the table when it changes).
    @inline(__always) mutating func select(_ v: ArraySlice<Int32>, _ dual: [MonoKey: Double]) {
        if vars.elementsEqual(v) { return }
        vars.removeAll(keepingCapacity: true); vars.append(contentsOf: v)
        let size = 1 << v.count
        if table.count < size { table = [Double](repeating: .nan, count: size) }
        for i in 0..<size { table[i] = .nan }
    }

    /// The dual of the monomial Π_{q ∈ mask} g_{v[q]} (0 when it has no row or a zero dual).
    @inline(__always) mutating func dual(_ mask: UInt32, _ v: ArraySlice<Int32>, _ dual: [MonoKey: Double]) -> Double {
        let cached = table[Int(mask)]
        if !cached.isNaN { return cached }
        var key = MonoKey(), slot = 0
        for q in 0..<v.count where mask & (1 << UInt32(q)) != 0 { key.set(slot: slot, variable: v[v.startIndex + q]); slot += 1 }
        let y = dual[key] ?? 0
        table[Int(mask)] = y
        return y
    }
}
