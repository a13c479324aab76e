extension ProductFamily {
    /// `dense`: inside each set of the sparsity pattern, all products with |α| + |β| = k (the
    /// products of degree < k are nonnegative combinations of these, since g + (1 − g) = 1, so
    /// the cone equals that of |α| + |β| ≤ k). With the dense pattern this is the published
    /// code's "full" family. Size C(2m + k − 1, k) per set of m variables.
    public static let dense = ProductFamily(
        name: "dense", usesPattern: true,
        summary: "all products of degree k inside each pattern set (\"full\"); small problems only",
        estimate: { input in
            var e = FamilySize()
            for s in input.sets where !s.isEmpty {
                let c = binomialInt(2 * s.count + input.degree - 1, input.degree)
                e.columns += c; e.nonzeros += c * pow2(input.degree)   // ≤ 2^k terms per product
            }
            return e
        },
        build: { input, sink in
            for s in input.sets where !s.isEmpty { appendDense(&sink, set: s.map { Int32($0) }, degree: input.degree) }
        })
}

/// All (α, β) with |α|+|β| = k over the set: multisets of size k of the letters
/// g_j (2j) and 1−g_j (2j+1).
func appendDense(_ sink: inout ProductSink, set s: [Int32], degree k: Int) {
    let letters = 2 * s.count
    var pick = [Int](repeating: 0, count: k)
    func emit() {
        var a = [UInt8](repeating: 0, count: s.count), b = a
        for l in pick { if l % 2 == 0 { a[l / 2] += 1 } else { b[l / 2] += 1 } }
        var v: [Int32] = [], aa: [UInt8] = [], bb: [UInt8] = []
        for j in 0..<s.count where a[j] + b[j] > 0 { v.append(s[j]); aa.append(a[j]); bb.append(b[j]) }
        sink.emit(v, aa, bb)
    }
    func rec(_ pos: Int, _ from: Int) {
        if pos == k { emit(); return }
        for l in from..<letters { pick[pos] = l; rec(pos + 1, l) }
    }
    if k == 0 { return }
    rec(0, 0)
}
