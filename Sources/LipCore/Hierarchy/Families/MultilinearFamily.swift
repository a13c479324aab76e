extension ProductFamily {
    /// `multilinear`: inside each pattern set I, all products Π_{j∈S} g_j^{a_j}(1−g_j)^{1−a_j}
    /// with |S| = min(k, |I|), every sign choice (smaller S are sums of these). With the dense
    /// pattern and k = number of variables this is the Bernstein basis: θ_k = max p.
    public static let multilinear = ProductFamily(
        name: "multilinear", usesPattern: true,
        summary: "every variable at most once, inside each pattern set",
        estimate: { input in
            var e = FamilySize()
            for s in input.sets where !s.isEmpty {
                let q = Swift.min(input.degree, s.count)
                e.addSigns(q, times: binomialInt(s.count, q))
            }
            return e
        },
        build: { input, sink in
            for s in input.sets where !s.isEmpty { try sink.addMultilinear(inside: s, size: input.degree) }
        })

    /// `multilinear` inside the given sets (variable indices, 0-based) instead of a pattern's.
    public static func sets(_ sets: [[Int]], name: String = "sets") -> ProductFamily {
        ProductFamily(
            name: name, usesPattern: false, summary: "multilinear products inside the given sets",
            estimate: { input in
                var e = FamilySize()
                for s in sets where !s.isEmpty {
                    let n = Set(s).count, q = Swift.min(input.degree, n)
                    e.addSigns(q, times: binomialInt(n, q))
                }
                return e
            },
            build: { input, sink in
                for s in sets { try sink.addMultilinear(inside: s, size: input.degree) }
            })
    }
}
