extension SparsityPattern {
    /// `chordal`: the maximal cliques of a chordal extension (min-degree elimination) of the
    /// correlative-sparsity graph of p (variables joined when they share a monomial); these
    /// sets satisfy the running intersection property.
    public static let chordal = SparsityPattern(
        name: "chordal", summary: "maximal cliques of a chordal extension of p's sparsity graph") { problem in
        chordalCliques(problem.polynomial, variableCount: problem.variableCount)
    }
}

/// Maximal cliques of a chordal extension of the correlative-sparsity graph of p, by
/// minimum-degree elimination (ties: smallest index). Each eliminated vertex with its current
/// neighbours is a clique of the filled graph; the maximal ones are returned. Variables that
/// occur in no monomial form singleton sets.
func chordalCliques(_ p: Polynomial, variableCount n: Int) -> [[Int]] {
    var adj = [Set<Int>](repeating: [], count: n)
    for m in p.monomials {
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
