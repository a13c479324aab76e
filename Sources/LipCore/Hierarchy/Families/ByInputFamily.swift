extension ProductFamily {
    /// `by_input`: exactly the published LiPopt "multi layers" family: the constant; for each
    /// input v and each (k−1)-subset S of the derivative variables reachable from v, every sign
    /// choice over {t_v} ∪ S; and, on the graph joining derivative variables reachable from a
    /// common input (vertices in first-seen order, inputs ascending), for each vertex u every
    /// sign choice over {u} ∪ S with S a (k−1)-subset of u's neighbours not yet visited. Where an
    /// input's reach set has fewer than k−1 variables, S is all of it (a product of lower
    /// degree; the published family has none there, and its LP cannot cover that input's
    /// monomials). It needs the problem's structure (built from a network) and does not
    /// use a pattern.
    public static let byInput = ProductFamily(
        name: "by_input", usesPattern: false,
        summary: "the published LiPopt family: products along the inputs' reach sets (default)",
        estimate: { input in
            let k = input.degree
            let st = try ByInputStructure(input.problem)
            var e = FamilySize()
            for (duals, reach) in st.inputs where !reach.isEmpty {
                let m = min(k - 1, reach.count)
                e.addSigns(m + 1, times: Double(duals.count) * binomialInt(reach.count, m))
            }
            var removed = Set<Int32>()
            for u in st.order {
                let n = (st.adjacency[u] ?? []).subtracting(removed).count
                e.addSigns(k, times: binomialInt(n, k - 1))
                removed.insert(u)
            }
            return e
        },
        build: { input, sink in
            try ByInputStructure(input.problem).forEachSet(degree: input.degree) { sink.emitAllSigns($0) }
        })
}

/// The structure behind the by_input family: the reach sets of the inputs (ascending) and the
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
        for (duals, reach) in inputs where !reach.isEmpty {
            forEachSubset(reach, size: min(k - 1, reach.count)) { s in
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
