/// A sparsity pattern: sets I_1..I_q of variables (METHOD §3). Product families that respect
/// a pattern use only products whose variables lie inside one set.
///
/// - `dense`: one set with every variable.
/// - `byInput`: for each input coordinate v, I_v = {dual variables of v} ∪ the derivative
///   variables reachable from v (`LipschitzProblem.inputReach`).
/// - `byLastHidden`: for each neuron j of the last hidden layer, I_j = {s_{d−1,j}} ∪ everything
///   that reaches j (`LipschitzProblem.lastHiddenReach`).
/// - `chordal`: the maximal cliques of a chordal extension (min-degree elimination) of the
///   correlative-sparsity graph of p (variables joined when they share a monomial); these
///   sets satisfy the running intersection property.
/// - `sets`: user sets of variable indices.
public enum SparsityPattern: Sendable, CustomStringConvertible {
    case dense
    case byInput
    case byLastHidden
    case chordal
    case sets([[Int]], name: String = "user")

    public var name: String {
        switch self {
        case .dense: return "dense"
        case .byInput: return "by_input"
        case .byLastHidden: return "by_last_hidden"
        case .chordal: return "chordal"
        case .sets(_, let name): return name
        }
    }
    public var description: String { name }

    /// The pattern named `dense`, `by_input`, `by_last_hidden` or `chordal`.
    public static func named(_ s: String) throws -> SparsityPattern {
        switch s {
        case "dense": return .dense
        case "by_input", "byInput", "input": return .byInput
        case "by_last_hidden", "byLastHidden", "last_hidden": return .byLastHidden
        case "chordal": return .chordal
        default:
            throw HierarchyError.unknownName(kind: "sparsity pattern", name: s,
                                             known: ["dense", "by_input", "by_last_hidden", "chordal"])
        }
    }

    /// The sets of this pattern for `problem`, each ascending and without repeats.
    public func sets(for problem: LipschitzProblem) throws -> [[Int]] {
        let n = problem.variableCount
        switch self {
        case .dense:
            return [Array(0..<n)]
        case .byInput:
            let byInput = dualVariablesByInput(problem)
            if problem.inputReach.isEmpty || byInput.isEmpty {
                throw HierarchyError.missingStructure(
                    "the by_input pattern needs the problem's dual variables and inputReach (built from a network); use the chordal or dense pattern, or give sets")
            }
            var out: [[Int]] = []
            for (v, reach) in problem.inputReach.enumerated() {
                let duals = byInput[v] ?? []
                if duals.isEmpty { continue }
                out.append(Array(Set(duals + reach)).sorted())
            }
            return out
        case .byLastHidden:
            if problem.lastHiddenReach.isEmpty {
                throw HierarchyError.missingStructure(
                    "the by_last_hidden pattern needs lastHiddenReach (built from a network); use the chordal or by_input pattern")
            }
            let byInput = dualVariablesByInput(problem)
            return problem.lastHiddenReach.map { entry in
                var s = Set(entry.derivatives)
                for i in entry.inputs { for t in byInput[i] ?? [] { s.insert(t) } }
                return s.sorted()
            }
        case .chordal:
            return chordalCliques(problem.polynomial, variableCount: n)
        case .sets(let sets, _):
            for s in sets { for v in s where v < 0 || v >= n {
                throw HierarchyError.badInput("sparsity set contains variable index \(v), but the problem has \(n) variables (0-based)")
            } }
            return sets.map { Array(Set($0)).sorted() }
        }
    }
}

/// Dual-ball variables grouped by input coordinate (ℓ1 gives two per coordinate: u_i, v_i).
func dualVariablesByInput(_ problem: LipschitzProblem) -> [Int: [Int]] {
    var out: [Int: [Int]] = [:]
    for (i, k) in problem.kinds.enumerated() {
        if case .dual(let input) = k { out[input, default: []].append(i) }
    }
    return out
}

/// Maximal cliques of a chordal extension of the correlative-sparsity graph of p, by
/// minimum-degree elimination (ties: smallest index). Each eliminated vertex with its current
/// neighbours is a clique of the filled graph; the maximal ones are returned. Variables that
/// occur in no monomial form singleton sets.
func chordalCliques(_ p: Polynomial, variableCount n: Int) -> [[Int]] {
    var adj = [Set<Int>](repeating: [], count: n)
    for m in p.terms.keys {
        let vs = Array(Set(m.variables.map { Int($0) }))
        for a in vs { for b in vs where a != b { adj[a].insert(b) } }
    }
    var alive = Set(0..<n)
    var candidates: [[Int]] = []
    while !alive.isEmpty {
        var best = -1, bestDeg = Int.max
        for v in alive { let d = adj[v].count; if d < bestDeg || (d == bestDeg && v < best) { best = v; bestDeg = d } }
        let nb = Array(adj[best])
        for a in nb { for b in nb where a != b { adj[a].insert(b) } }
        for a in nb { adj[a].remove(best) }
        candidates.append(([best] + nb).sorted())
        alive.remove(best)
    }
    // Keep maximal sets only.
    let bySize = candidates.sorted { $0.count > $1.count }
    var kept: [[Int]] = []
    var keptSets: [Set<Int>] = []
    for c in bySize {
        let s = Set(c)
        if keptSets.contains(where: { s.isSubset(of: $0) }) { continue }
        kept.append(c); keptSets.append(s)
    }
    return kept.sorted { $0.lexicographicallyPrecedes($1) }
}
