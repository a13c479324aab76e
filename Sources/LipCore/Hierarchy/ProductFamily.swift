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

/// Which products h enter the Krivine LP at degree k (METHOD §3, "hierarchy variant").
///
/// Every family gives a sound bound (any feasible λ is ≥ max p); they differ in size and
/// tightness. For nested families the LP value is nonincreasing.
/// - `dense`: inside each set of the sparsity pattern, all products with |α|+|β| = k
///   (the products of degree < k are nonnegative combinations of these, since
///   g + (1−g) = 1, so the cone equals that of |α|+|β| ≤ k). With the dense pattern this is
///   the published code's "full" family. Size C(2m+k, k) per set of m variables.
/// - `multilinear`: inside each set I, all products Π_{j∈S} g_j^{a_j}(1−g_j)^{1−a_j} with
///   |S| = min(k, |I|), every sign choice (smaller S are sums of these). With the dense
///   pattern and k = number of variables this is the Bernstein basis: θ_k = max p.
/// - `byInput`: exactly the published LiPopt "multi layers" family: the constant; for each
///   input v and each (k−1)-subset S of the derivative variables reachable from v, every
///   sign choice over {t_v} ∪ S; and, on the graph joining derivative variables reachable
///   from a common input (vertices in first-seen order, inputs ascending), for each vertex u
///   every sign choice over {u} ∪ S with S a (k−1)-subset of u's neighbours not yet
///   visited. The pattern option is ignored.
/// - `path`: for every term of p, every sign choice over the term's variables (its
///   sub-products are sums of these), plus the constant. Size grows with the number of
///   terms, not with k; needs k ≥ the degree of p. The pattern option is ignored.
/// - `sets`: `multilinear` inside the given sets (ignores the pattern option).
/// - `products`: an explicit list (plus the constant product 1).
/// - `pathPlus`: `path` plus the products a closure returns for each term of p.
public enum ProductFamily: Sendable, CustomStringConvertible {
    case dense
    case multilinear
    case byInput
    case path
    case sets([[Int]], name: String = "sets")
    case products([ProductSpec], name: String = "products")
    case pathPlus(name: String, extra: @Sendable (Monomial) -> [ProductSpec])

    public var name: String {
        switch self {
        case .dense: return "dense"
        case .multilinear: return "multilinear"
        case .byInput: return "by_input"
        case .path: return "path"
        case .sets(_, let n), .products(_, let n), .pathPlus(let n, _): return n
        }
    }
    public var description: String { name }

    /// Whether the sparsity pattern option is used by this family.
    public var usesPattern: Bool {
        switch self { case .dense, .multilinear: return true; default: return false }
    }

    /// The family named `dense` (alias `full`), `multilinear`, `by_input` or `path`.
    public static func named(_ s: String) throws -> ProductFamily {
        switch s {
        case "dense", "full": return .dense
        case "multilinear": return .multilinear
        case "by_input", "byInput", "published", "multi_layers": return .byInput
        case "path": return .path
        default:
            throw HierarchyError.unknownName(kind: "product family", name: s,
                                             known: ["dense", "multilinear", "by_input", "path"])
        }
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

/// The structure behind the byInput family: the reach sets of the inputs (ascending) and the
/// visiting order and adjacency of the derivative-variable graph.
struct ByInputStructure {
    var inputs: [(duals: [Int32], reach: [Int32])] = []
    var order: [Int32] = []
    var adjacency: [Int32: Set<Int32>] = [:]

    init(_ problem: LipschitzProblem) throws {
        let duals = dualVariablesByInput(problem)
        if problem.inputReach.isEmpty || duals.isEmpty {
            throw HierarchyError.missingStructure(
                "the by_input family needs the problem's dual variables and inputReach (built from a network); use multilinear with the chordal pattern, or path")
        }
        var seen = Set<Int32>()
        for v in duals.keys.sorted() {
            let reach = (v < problem.inputReach.count ? problem.inputReach[v] : []).map { Int32($0) }.sorted()
            inputs.append((duals[v]!.map { Int32($0) }.sorted(), reach))
            if reach.count >= 2 {
                for a in reach where !seen.contains(a) { seen.insert(a); order.append(a) }
                for a in reach { for b in reach where a != b { adjacency[a, default: []].insert(b) } }
            }
        }
    }

    /// Calls body with each variable set whose all sign choices the family contains
    /// (the constant product is added separately).
    func forEachSet(degree k: Int, _ body: ([Int32]) -> Void) {
        for (duals, reach) in inputs {
            forEachSubset(reach, size: k - 1) { s in
                for t in duals { body(([t] + s).sorted()) }
            }
        }
        var removed = Set<Int32>()
        for u in order {
            let nb = (adjacency[u] ?? []).subtracting(removed).sorted()
            if nb.count >= k - 1 {
                forEachSubset(nb, size: k - 1) { s in body(([u] + s).sorted()) }
            }
            removed.insert(u)
        }
    }
}

/// Size of a family before it is built: product count (before removing duplicates) and
/// g-monomial entries (nonzeros), both upper bounds.
struct FamilyEstimate { var columns: Double = 0; var nonzeros: Double = 0 }

extension ProductFamily {
    func estimate(problem: LipschitzProblem, degree k: Int, sets: [[Int]]) throws -> FamilyEstimate {
        var e = FamilyEstimate(columns: 1, nonzeros: 1)
        func addSigns(_ q: Int, times: Double = 1) {
            e.columns += times * pow2(q); e.nonzeros += times * pow3(q)
        }
        switch self {
        case .dense:
            for s in sets where !s.isEmpty {
                let c = binomialInt(2 * s.count + k - 1, k)
                e.columns += c; e.nonzeros += c * pow2(k)  // ≤ 2^k terms per product
            }
        case .multilinear:
            for s in sets where !s.isEmpty {
                let q = min(k, s.count)
                addSigns(q, times: binomialInt(s.count, q))
            }
        case .sets(let sets, _):
            for s in sets where !s.isEmpty {
                let q = min(k, Set(s).count)
                addSigns(q, times: binomialInt(Set(s).count, q))
            }
        case .byInput:
            let st = try ByInputStructure(problem)
            for (duals, reach) in st.inputs { addSigns(k, times: Double(duals.count) * binomialInt(reach.count, k - 1)) }
            var removed = Set<Int32>()
            for u in st.order {
                let n = (st.adjacency[u] ?? []).subtracting(removed).count
                addSigns(k, times: binomialInt(n, k - 1))
                removed.insert(u)
            }
        case .path, .pathPlus:
            for m in problem.polynomial.terms.keys { addSigns(Set(m.variables).count) }
            if case .pathPlus = self { e.columns *= 2; e.nonzeros *= 2 }   // a guess: the closure is opaque
        case .products(let list, _):
            for p in list { e.columns += 1; e.nonzeros += p.factors.reduce(1.0) { $0 * Double($1.beta + 1) } }
        }
        return e
    }

    /// Builds the (deduplicated) product list.
    func build(problem: LipschitzProblem, degree k: Int, sets: [[Int]]) throws -> ProductList {
        var list = ProductList()
        list.append(vars: [], alpha: [], beta: [])                // the constant 1
        switch self {
        case .dense:
            for s in sets where !s.isEmpty { appendDense(&list, set: s.map { Int32($0) }, degree: k) }
        case .multilinear:
            for s in sets where !s.isEmpty {
                let v = s.map { Int32($0) }
                forEachSubset(v, size: min(k, v.count)) { list.appendAllSigns($0) }
            }
        case .sets(let sets, _):
            let n = problem.variableCount
            for s in sets {
                for v in s where v < 0 || v >= n {
                    throw HierarchyError.badInput("product set contains variable index \(v), but the problem has \(n) variables (0-based)")
                }
                let v = Array(Set(s)).sorted().map { Int32($0) }
                forEachSubset(v, size: min(k, v.count)) { list.appendAllSigns($0) }
            }
        case .byInput:
            try ByInputStructure(problem).forEachSet(degree: k) { list.appendAllSigns($0) }
        case .path:
            for m in problem.polynomial.terms.keys {
                let t = Array(Set(m.variables)).sorted()
                if t.count <= k { list.appendAllSigns(t) }
            }
        case .pathPlus(_, let extra):
            for m in problem.polynomial.terms.keys {
                let t = Array(Set(m.variables)).sorted()
                if t.count <= k { list.appendAllSigns(t) }
                for spec in extra(m) { try append(spec, to: &list, problem: problem) }
            }
        case .products(let specs, _):
            for spec in specs { try append(spec, to: &list, problem: problem) }
        }
        return list
    }

    private func append(_ spec: ProductSpec, to list: inout ProductList, problem: LipschitzProblem) throws {
        var merged: [Int: (Int, Int)] = [:]
        for f in spec.factors {
            guard f.variable >= 0 && f.variable < problem.variableCount else {
                throw HierarchyError.badInput("product factor names variable index \(f.variable), but the problem has \(problem.variableCount) variables (0-based)")
            }
            guard f.alpha >= 0 && f.beta >= 0 else {
                throw HierarchyError.badInput("product exponents must be ≥ 0 (got α=\(f.alpha), β=\(f.beta) on variable \(f.variable))")
            }
            let old = merged[f.variable] ?? (0, 0)
            merged[f.variable] = (old.0 + f.alpha, old.1 + f.beta)
        }
        let vars = merged.keys.sorted().filter { merged[$0]! != (0, 0) }
        guard vars.count <= MonoKey.maxDegree, vars.allSatisfy({ merged[$0]!.0 + merged[$0]!.1 <= 15 }) else {
            throw HierarchyError.badInput("a product may have at most \(MonoKey.maxDegree) factors with exponents ≤ 15")
        }
        list.append(vars: vars.map { Int32($0) }, alpha: vars.map { UInt8(merged[$0]!.0) }, beta: vars.map { UInt8(merged[$0]!.1) })
    }
}

/// All (α, β) with |α|+|β| = k over the set: multisets of size k of the letters
/// g_j (2j) and 1−g_j (2j+1).
func appendDense(_ list: inout ProductList, set s: [Int32], degree k: Int) {
    let letters = 2 * s.count
    var pick = [Int](repeating: 0, count: k)
    func emit() {
        var a = [UInt8](repeating: 0, count: s.count), b = a
        for l in pick { if l % 2 == 0 { a[l / 2] += 1 } else { b[l / 2] += 1 } }
        var v: [Int32] = [], aa: [UInt8] = [], bb: [UInt8] = []
        for j in 0..<s.count where a[j] + b[j] > 0 { v.append(s[j]); aa.append(a[j]); bb.append(b[j]) }
        list.append(vars: v, alpha: aa, beta: bb)
    }
    func rec(_ pos: Int, _ from: Int) {
        if pos == k { emit(); return }
        for l in from..<letters { pick[pos] = l; rec(pos + 1, l) }
    }
    if k == 0 { return }
    rec(0, 0)
}

@inline(__always) func pow2(_ q: Int) -> Double { Double(1 << q) }
@inline(__always) func pow3(_ q: Int) -> Double { var r = 1.0; for _ in 0..<q { r *= 3 }; return r }
