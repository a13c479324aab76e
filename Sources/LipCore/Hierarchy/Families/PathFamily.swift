extension ProductFamily {
    /// `path`: for every term of p, every sign choice over the term's variables (its
    /// sub-products are sums of these), plus the constant. Its size grows with the number of
    /// terms of p, not with k; it needs k ≥ the degree of p.
    public static let path = ProductFamily(
        name: "path", usesPattern: false,
        summary: "sign products over each term's variables; size grows with the terms of p, not with k",
        estimate: { input in
            var e = FamilySize()
            for m in input.problem.polynomial.monomials { e.addSigns(distinctCount(m)) }
            return e
        },
        build: { input, sink in
            for m in input.problem.polynomial.monomials {
                let t = distinctVariables(m)
                if t.count <= input.degree { sink.emitAllSigns(t) }
            }
        })
}

/// The distinct variables of a monomial, ascending.
func distinctVariables(_ m: Monomial) -> [Int32] {
    var out: [Int32] = []
    for v in m.variables where out.last != v { out.append(v) }
    return out
}

func distinctCount(_ m: Monomial) -> Int {
    var n = 0, last: Int32 = -1
    for v in m.variables where v != last { n += 1; last = v }
    return n
}
