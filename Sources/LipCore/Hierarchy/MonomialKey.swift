// Packed monomial and product keys for the LP assembler (hot path: no arrays, no allocation).

/// A monomial over at most 12 variables (with repetition) of index < 2^21 − 1, packed into
/// four 64-bit words: slot n holds (variable + 1) in 21 bits, slots ascending, 0 = empty.
/// Two monomials are equal iff their keys are equal, because the variables are sorted.
struct MonoKey: Hashable, Comparable, Sendable {
    static func < (a: MonoKey, b: MonoKey) -> Bool {
        (a.w0, a.w1, a.w2, a.w3) < (b.w0, b.w1, b.w2, b.w3)
    }

    var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0
    static let maxDegree = 12
    static let maxVariable = (1 << 21) - 2

    /// Appends a variable in slot `n` (the caller keeps the slots ascending).
    @inline(__always)
    mutating func set(slot n: Int, variable v: Int32) {
        let val = UInt64(UInt32(v) + 1) << UInt64((n % 3) * 21)
        switch n / 3 {
        case 0: w0 |= val
        case 1: w1 |= val
        case 2: w2 |= val
        default: w3 |= val
        }
    }

    init() {}

    init(_ vars: [Int32]) {
        for (n, v) in vars.enumerated() { set(slot: n, variable: v) }
    }

    /// The variables, ascending, repeated once per power.
    var variables: [Int32] {
        var out: [Int32] = []
        for w in [w0, w1, w2, w3] {
            for s in 0..<3 {
                let v = (w >> UInt64(s * 21)) & 0x1F_FFFF
                if v == 0 { return out }
                out.append(Int32(v - 1))
            }
        }
        return out
    }

    var isOne: Bool { w0 == 0 }
}

/// A product Π_j g_j^{α_j}(1−g_j)^{β_j}: its variables (ascending, distinct) and exponents
/// packed four bits per factor.
struct ProductKey: Hashable, Sendable {
    var vars: MonoKey
    var alpha: UInt64
    var beta: UInt64
}

/// A flat list of products (no per-product arrays), deduplicated on insertion.
struct ProductList: Sendable {
    var start: [Int32] = [0]
    var vars: [Int32] = []
    var alpha: [UInt8] = []
    var beta: [UInt8] = []
    var seen: Set<ProductKey> = []
    var duplicates = 0

    var count: Int { start.count - 1 }

    func factors(_ h: Int) -> Range<Int> { Int(start[h])..<Int(start[h + 1]) }

    /// Adds a product given by parallel arrays (vars ascending and distinct). Returns false
    /// (and stores nothing) when the same product is already present.
    @discardableResult
    mutating func append(vars v: [Int32], alpha a: [UInt8], beta b: [UInt8]) -> Bool {
        var key = ProductKey(vars: MonoKey(), alpha: 0, beta: 0)
        for n in 0..<v.count {
            key.vars.set(slot: n, variable: v[n])
            key.alpha |= UInt64(a[n]) << UInt64(4 * n)
            key.beta |= UInt64(b[n]) << UInt64(4 * n)
        }
        if !seen.insert(key).inserted { duplicates += 1; return false }
        vars.append(contentsOf: v); alpha.append(contentsOf: a); beta.append(contentsOf: b)
        start.append(Int32(vars.count))
        return true
    }

    /// Adds all 2^|S| sign choices Π_{j∈S} g_j^{a_j}(1−g_j)^{1−a_j} over the ascending set S.
    mutating func appendAllSigns(_ s: [Int32]) {
        let n = s.count
        var a = [UInt8](repeating: 0, count: n), b = [UInt8](repeating: 0, count: n)
        for mask in 0..<(1 << n) {
            for j in 0..<n { let bit = UInt8((mask >> j) & 1); a[j] = bit; b[j] = 1 - bit }
            append(vars: s, alpha: a, beta: b)
        }
    }

    /// Number of g-monomial terms of product h when expanded: Π_j (β_j + 1).
    func termCount(_ h: Int) -> Int {
        var t = 1
        for f in factors(h) { t *= Int(beta[f]) + 1 }
        return t
    }

    func degree(_ h: Int) -> Int {
        var d = 0
        for f in factors(h) { d += Int(alpha[f]) + Int(beta[f]) }
        return d
    }

    func isMultilinear(_ h: Int) -> Bool {
        for f in factors(h) where alpha[f] + beta[f] > 1 { return false }
        return true
    }

    /// Calls `body(key, coefficient)` for every g-monomial of product h:
    /// g^α(1−g)^β = Σ_{i=0}^{β} C(β,i)(−1)^i g^{α+i}, tensorised over the factors. For a
    /// multilinear product this is the combinatorial rule of docs/METHOD.md §3: the coefficient of
    /// Π_T g (A ⊆ T ⊆ S) is (−1)^{|T∖A|}. Coefficients are integers, exact in Double.
    func expand(_ h: Int, _ body: (MonoKey, Double) -> Void) {
        let r = factors(h)
        expandProduct(vars: vars[r], alpha: alpha[r], beta: beta[r], body)
    }
}

/// The g-monomial expansion of one product given by parallel slices (see `ProductList.expand`).
/// Multilinear products (every α + β ≤ 1, the common case) expand by a bitmask over their
/// (1 − g) factors without allocating; others by an odometer over i_f ∈ 0...β_f.
@inline(__always)
func expandProduct(vars: ArraySlice<Int32>, alpha: ArraySlice<UInt8>, beta: ArraySlice<UInt8>,
                   _ body: (MonoKey, Double) -> Void) {
    let n = vars.count
    if n == 0 { body(MonoKey(), 1); return }
    let v0 = vars.startIndex, a0 = alpha.startIndex, b0 = beta.startIndex
    var negative: UInt32 = 0, multilinear = true
    for q in 0..<n {
        let a = alpha[a0 + q], b = beta[b0 + q]
        if a + b > 1 { multilinear = false; break }
        if b == 1 { negative |= 1 << UInt32(q) }
    }
    if multilinear {
        // Π_{a=1} g · Π_{b=1} (1 − g) = Σ_{T ⊆ negatives} (−1)^{|T|} Π_{a=1} g Π_{T} g
        var t: UInt32 = 0
        while true {
            var key = MonoKey()
            var slot = 0
            for q in 0..<n {
                let bit = UInt32(1) << UInt32(q)
                if negative & bit == 0 || t & bit != 0 { key.set(slot: slot, variable: vars[v0 + q]); slot += 1 }
            }
            body(key, t.nonzeroBitCount & 1 == 1 ? -1 : 1)
            if t == negative { return }
            t = (t &- negative) & negative       // next subset of `negative`
        }
    }
    withUnsafeTemporaryAllocation(of: Int.self, capacity: n) { idx in
        for q in 0..<n { idx[q] = 0 }
        while true {
            var key = MonoKey()
            var slot = 0
            var coef = 1.0
            for q in 0..<n {
                let i = idx[q]
                let bq = Int(beta[b0 + q])
                coef *= binomial(bq, i) * ((i & 1) == 1 ? -1 : 1)
                let power = Int(alpha[a0 + q]) + i
                for _ in 0..<power { key.set(slot: slot, variable: vars[v0 + q]); slot += 1 }
            }
            body(key, coef)
            var q = 0
            while q < n {
                idx[q] += 1
                if idx[q] <= Int(beta[b0 + q]) { break }
                idx[q] = 0; q += 1
            }
            if q == n { return }
        }
    }
}

@inline(__always)
func binomial(_ n: Int, _ k: Int) -> Double {
    if k < 0 || k > n { return 0 }
    var r = 1.0
    var i = 0
    while i < k { r = r * Double(n - i) / Double(i + 1); i += 1 }
    return r.rounded()
}

/// Exact binomial as an integer (for size estimates).
func binomialInt(_ n: Int, _ k: Int) -> Double {
    if k < 0 || k > n { return 0 }
    var r = 1.0
    for i in 0..<k { r = r * Double(n - i) / Double(i + 1) }
    return r.rounded()
}
