extension ProductFamily {
    /// An explicit list of products (plus the constant product 1).
    public static func products(_ specs: [ProductSpec], name: String = "products") -> ProductFamily {
        ProductFamily(
            name: name, usesPattern: false, summary: "an explicit list of products",
            estimate: { _ in
                var e = FamilySize()
                for p in specs { e.columns += 1; e.nonzeros += p.factors.reduce(1.0) { $0 * Double($1.beta + 1) } }
                return e
            },
            build: { _, sink in for spec in specs { try sink.add(spec) } })
    }

    /// What a described family (a Lua `define_family`) asks for: sign-complete sets (all sign
    /// choices over exactly the set), multilinear sets (all subsets of size min(k, |I|)),
    /// explicit products, and optionally the `path` family's products.
    public struct Description: Sendable {
        public var signSets: [[Int]]
        public var multilinearSets: [[Int]]
        public var products: [ProductSpec]
        public var includePath: Bool
        public init(signSets: [[Int]] = [], multilinearSets: [[Int]] = [], products: [ProductSpec] = [], includePath: Bool = false) {
            self.signSets = signSets; self.multilinearSets = multilinearSets; self.products = products; self.includePath = includePath
        }
    }

    /// A family given by a function that describes its products for an input (called once per
    /// estimate and once per build, never per product): the expansion happens in Swift.
    public static func described(name: String, usesPattern: Bool, summary: String = "",
                                 describe: @escaping @Sendable (FamilyInput) throws -> Description) -> ProductFamily {
        ProductFamily(
            name: name, usesPattern: usesPattern, summary: summary,
            estimate: { input in
                let d = try describe(input)
                var e = FamilySize()
                for s in d.signSets { e.addSigns(Set(s).count) }
                for s in d.multilinearSets where !s.isEmpty {
                    let n = Set(s).count, q = Swift.min(input.degree, n)
                    e.addSigns(q, times: binomialInt(n, q))
                }
                for p in d.products { e.columns += 1; e.nonzeros += p.factors.reduce(1.0) { $0 * Double($1.beta + 1) } }
                if d.includePath { e = addingPath(e, input) }
                return e
            },
            build: { input, sink in
                let d = try describe(input)
                if d.includePath { try ProductFamily.path.buildBody(input, &sink) }
                for s in d.signSets { try sink.addAllSigns(s) }
                for s in d.multilinearSets { try sink.addMultilinear(inside: s, size: input.degree) }
                for p in d.products { try sink.add(p) }
            })
    }
}

private func addingPath(_ e: FamilySize, _ input: FamilyInput) -> FamilySize {
    var r = e
    for m in input.problem.polynomial.monomials { r.addSigns(distinctCount(m)) }
    return r
}
