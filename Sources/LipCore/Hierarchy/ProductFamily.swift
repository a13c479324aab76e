/// One product h = Π_j g_j^{α_j}(1−g_j)^{β_j} of box constraints, given by variable index
/// (0-based) and exponents; g_j = (x_j − lo_j)/(hi_j − lo_j) ∈ [0, 1].
public struct ProductSpec: Hashable, Sendable {
    public struct Factor: Hashable, Sendable {
        public var variable: Int, alpha: Int, beta: Int
        public init(variable: Int, alpha: Int, beta: Int) { self.variable = variable; self.alpha = alpha; self.beta = beta }
    }
    public var factors: [Factor]
    public init(_ factors: [Factor]) { self.factors = factors }
    /// The multilinear product Π_{j∈S} g_j^{a_j}(1−g_j)^{1−a_j} (`positive[j]` is a_j = 1).
    public static func multilinear(_ variables: [Int], positive: [Bool]) -> ProductSpec {
        ProductSpec(zip(variables, positive).map { Factor(variable: $0, alpha: $1 ? 1 : 0, beta: $1 ? 0 : 1) })
    }
}

/// What a product family sees when it builds: the problem, the degree k and, for families
/// that use a sparsity pattern, the pattern's sets (each ascending, without repeats).
public struct FamilyInput: Sendable {
    public let problem: LipschitzProblem
    public let degree: Int
    public let sets: [[Int]]
    public init(problem: LipschitzProblem, degree: Int, sets: [[Int]]) {
        self.problem = problem; self.degree = degree; self.sets = sets
    }
}

/// Upper bounds on a family's size before it is built (products before removing duplicates,
/// g-monomial entries = LP nonzeros).
public struct FamilySize: Sendable {
    public var columns: Double
    public var nonzeros: Double
    public init(columns: Double = 0, nonzeros: Double = 0) { self.columns = columns; self.nonzeros = nonzeros }

    /// Adds `times` sign-complete sets of q variables (2^q products of 3^q terms at most).
    public mutating func addSigns(_ q: Int, times: Double = 1) {
        columns += times * pow2(q); nonzeros += times * pow3(q)
        signRows += times * pow2(q); signNonzeros += times * pow3(q)
    }

    /// Parts added by `addSigns`: a sign-complete set of q variables reaches at most 2^q
    /// g-monomials (the subsets of the set), far fewer than its 3^q nonzeros.
    var signRows: Double = 0
    var signNonzeros: Double = 0
    /// An upper bound on the LP rows (distinct g-monomials): 2^q per sign-complete set, one per
    /// nonzero for everything else (products added by hand, powers).
    var rowBound: Double { signRows + Swift.max(0, nonzeros - signNonzeros) }
}

/// Where a family puts its products. A storing sink keeps them (duplicates removed on
/// insertion; the order of insertion is the LP's column order, deterministic); a streaming sink
/// hands each product to a visitor and keeps nothing (column generation prices an implicit
/// family this way without materialising it).
public struct ProductSink {
    var list = ProductList()
    let variableCount: Int
    /// When set, products go to the visitor (vars ascending and distinct, α, β) instead of the list.
    let visitor: ((ArraySlice<Int32>, ArraySlice<UInt8>, ArraySlice<UInt8>) -> Void)?
    private var signA: [UInt8] = [], signB: [UInt8] = []

    init(variableCount: Int, visitor: ((ArraySlice<Int32>, ArraySlice<UInt8>, ArraySlice<UInt8>) -> Void)? = nil) {
        self.variableCount = variableCount
        self.visitor = visitor
        if visitor == nil { list.append(vars: [], alpha: [], beta: []) }   // the constant product 1
    }

    /// Products in a storing sink (the constant included).
    public var count: Int { list.count }

    /// One product given by parallel arrays (variables ascending and distinct).
    mutating func emit(_ v: [Int32], _ a: [UInt8], _ b: [UInt8]) {
        if let visitor { visitor(v[...], a[...], b[...]) } else { list.append(vars: v, alpha: a, beta: b) }
    }

    /// All 2^|S| sign choices over the ascending set S (variables as Int32).
    mutating func emitAllSigns(_ s: [Int32]) {
        guard visitor != nil else { list.appendAllSigns(s); return }
        let n = s.count
        if signA.count < n { signA = [UInt8](repeating: 0, count: n); signB = signA }
        for mask in 0..<(1 << n) {
            for j in 0..<n { let bit = UInt8((mask >> j) & 1); signA[j] = bit; signB[j] = 1 - bit }
            visitor!(s[...], signA[0..<n], signB[0..<n])
        }
    }

    /// All 2^|S| sign choices Π_{j∈S} g_j^{a_j}(1−g_j)^{1−a_j} over the set S.
    public mutating func addAllSigns(_ set: [Int]) throws {
        let s = try checkedSet(set)
        guard s.count <= MonoKey.maxDegree else {
            throw HierarchyError.badInput("a product set has \(s.count) variables; at most \(MonoKey.maxDegree) are supported")
        }
        emitAllSigns(s.map { Int32($0) })
    }

    /// For every subset S of `set` with |S| = min(size, |set|): all sign choices over S (the
    /// multilinear products of degree `size` inside the set; smaller ones are sums of these).
    public mutating func addMultilinear(inside set: [Int], size: Int) throws {
        let s = try checkedSet(set)
        let v = s.map { Int32($0) }
        var subsets: [[Int32]] = []
        forEachSubset(v, size: Swift.min(size, v.count)) { subsets.append($0) }
        for sub in subsets { emitAllSigns(sub) }
    }

    /// One explicit product g^α (1 − g)^β over its factors (exponents ≥ 0, repeated variables
    /// merged; at most 12 variables with exponents ≤ 15).
    public mutating func add(_ spec: ProductSpec) throws {
        var merged: [Int: (Int, Int)] = [:]
        for f in spec.factors {
            guard f.variable >= 0 && f.variable < variableCount else {
                throw HierarchyError.badInput("product factor names variable \(f.variable + 1), but the problem has \(variableCount) variables")
            }
            guard (0...15).contains(f.alpha), (0...15).contains(f.beta) else {
                throw HierarchyError.badInput("product exponents must be in 0..15 (got α=\(f.alpha), β=\(f.beta) on variable \(f.variable + 1))")
            }
            let old = merged[f.variable] ?? (0, 0)
            merged[f.variable] = (old.0 + f.alpha, old.1 + f.beta)
        }
        let vars = merged.keys.sorted().filter { merged[$0]! != (0, 0) }
        guard vars.count <= MonoKey.maxDegree, vars.allSatisfy({ merged[$0]!.0 + merged[$0]!.1 <= 15 }),
              vars.reduce(0, { $0 + merged[$1]!.0 + merged[$1]!.1 }) <= MonoKey.maxDegree else {
            throw HierarchyError.badInput("a product may have total degree at most \(MonoKey.maxDegree) (exponents ≤ 15 per variable)")
        }
        emit(vars.map { Int32($0) }, vars.map { UInt8(merged[$0]!.0) }, vars.map { UInt8(merged[$0]!.1) })
    }

    private func checkedSet(_ set: [Int]) throws -> [Int] {
        for v in set where v < 0 || v >= variableCount {
            throw HierarchyError.badInput("a product set names variable \(v + 1), but the problem has \(variableCount) variables")
        }
        return Array(Set(set)).sorted()
    }
}

/// Which products h enter the Krivine LP at degree k (docs/METHOD.md §3, the "hierarchy variant").
///
/// Every family gives a sound bound (any feasible λ is ≥ max p); they differ in size and
/// tightness. For nested families the LP value is nonincreasing in k. A family is a value:
/// a name, whether it uses the sparsity pattern, a size estimate and a builder that puts
/// products into a `ProductSink`. Built-ins live one per file in `Families/`; a Lua family
/// (`lip.hierarchy.define_family`) is built with `ProductFamily.described`, which expands sets
/// and explicit products in Swift. Families are registered by name in `Registries.families`.
public struct ProductFamily: Sendable, CustomStringConvertible {
    public let name: String
    /// Whether the family reads the sparsity pattern's sets. A pattern given to a family that
    /// does not use one is an error (it would be silently ignored).
    public let usesPattern: Bool
    public let summary: String
    let estimateBody: @Sendable (FamilyInput) throws -> FamilySize
    let buildBody: @Sendable (FamilyInput, inout ProductSink) throws -> Void

    public init(name: String, usesPattern: Bool, summary: String = "",
                estimate: @escaping @Sendable (FamilyInput) throws -> FamilySize,
                build: @escaping @Sendable (FamilyInput, inout ProductSink) throws -> Void) {
        self.name = name; self.usesPattern = usesPattern; self.summary = summary
        self.estimateBody = estimate; self.buildBody = build
    }

    public var description: String { name }

    /// Size bounds before building (the constant product included).
    public func estimate(_ input: FamilyInput) throws -> FamilySize {
        var e = try estimateBody(input)
        e.columns += 1; e.nonzeros += 1
        return e
    }

    /// Builds the deduplicated product list (the constant product first).
    func build(_ input: FamilyInput) throws -> ProductList {
        var sink = ProductSink(variableCount: input.problem.variableCount)
        try buildBody(input, &sink)
        return sink.list
    }

    /// Streams every product of the family to `visit` without storing any (a product may come
    /// more than once; the constant product is not included).
    func stream(_ input: FamilyInput, _ visit: @escaping (ArraySlice<Int32>, ArraySlice<UInt8>, ArraySlice<UInt8>) -> Void) throws {
        var sink = ProductSink(variableCount: input.problem.variableCount, visitor: visit)
        try buildBody(input, &sink)
    }
}

/// Calls body with every r-subset of `items` (in lexicographic order of positions).
func forEachSubset(_ items: [Int32], size r: Int, _ body: ([Int32]) -> Void) {
    let n = items.count
    if r > n || r < 0 { return }
    if r == 0 { body([]); return }
    var idx = Array(0..<r)
    var cur = idx.map { items[$0] }
    while true {
        body(cur)
        var i = r - 1
        while i >= 0 && idx[i] == n - r + i { i -= 1 }
        if i < 0 { return }
        idx[i] += 1
        for j in (i + 1)..<r { idx[j] = idx[j - 1] + 1 }
        for j in i..<r { cur[j] = items[idx[j]] }
    }
}

@inline(__always) func pow2(_ q: Int) -> Double { Double(1 << Swift.min(q, 62)) }
@inline(__always) func pow3(_ q: Int) -> Double { var r = 1.0; for _ in 0..<q { r *= 3 }; return r }
