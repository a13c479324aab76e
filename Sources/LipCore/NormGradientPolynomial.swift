/// Errors from building a `LipschitzProblem`.
public enum ProblemError: Error, CustomStringConvertible, Equatable {
    case input(String)
    case unsupported(String)
    case tooLarge(String)
    public var description: String {
        switch self { case .input(let m), .unsupported(let m), .tooLarge(let m): return m }
    }
}

/// The derivative ranges [lo_{l,j}, hi_{l,j}] of every hidden neuron (METHOD §2), l = 1..d−1
/// (element l−1), global or from interval bound propagation of an input box.
public func derivativeRanges(_ net: Network, inputBox: (lower: [Double], upper: [Double])? = nil,
                             domain: (lower: Double, upper: Double)? = nil) throws -> [(lo: [Double], hi: [Double])] {
    let hidden = net.layers.dropLast()
    guard let box = inputBox else {
        return hidden.map { L in
            let r = L.activation!.derivativeRange
            return ([Double](repeating: r.lowerBound, count: L.outputSize), [Double](repeating: r.upperBound, count: L.outputSize))
        }
    }
    var lo = box.lower, hi = box.upper
    if let dom = domain {
        guard dom.lower <= dom.upper else { throw ProblemError.input("domain lower \(dom.lower) > upper \(dom.upper)") }
        guard lo.count == hi.count else { throw ProblemError.input("input box: \(lo.count) lower but \(hi.count) upper bounds") }
        for i in lo.indices {
            lo[i] = Swift.max(lo[i], dom.lower); hi[i] = Swift.min(hi[i], dom.upper)
            if lo[i] > hi[i] { throw ProblemError.input("input box coordinate \(i) does not meet the domain [\(dom.lower), \(dom.upper)]") }
        }
    }
    let ibp = try net.intervalBounds(lower: lo, upper: hi)
    return hidden.enumerated().map { k, L in
        let s = L.activation!
        var a = [Double](repeating: 0, count: L.outputSize), b = a
        for j in 0..<L.outputSize { let r = s.derivativeBounds(ibp[k].l[j], ibp[k].u[j]); a[j] = r.lo; b[j] = r.hi }
        return (a, b)
    }
}

/// Builds the norm-gradient polynomial problem of METHOD §2:
///
///     p(t, s) = tᵀ W_1ᵀ diag(s_1) W_2ᵀ ⋯ diag(s_{d−1}) W_dᵀ c,   L(f) ≤ max_{t ∈ B_*, s ∈ box} p
///
/// Ranges of s: global (`inputBox == nil`: the activation's `derivativeRange`) or local (IBP of
/// the box, clipped to `domain`, mapped through `derivativeBounds`). A neuron with lo = hi is a
/// constant substituted into p (a stable ReLU: 1 keeps its paths, 0 removes them).
///
/// Construction: sparse coefficient vectors are propagated backwards from cᵀW_d. The state at
/// layer l is a sparse vector indexed by (neuron of layer l, partial monomial of the
/// s-variables of layers > l); partial monomials are interned in a trie (parent, variable), so
/// no polynomial is ever multiplied and each step costs O(state · row nonzeros).
///
/// Variables (in this order, so monomials are sorted by construction):
/// - ℓ∞, ℓ2, custom: `t1..tn` (index i−1 for input coordinate i−1), box [−1, 1] (custom: its box);
/// - ℓ1: `u1..un` then `v1..vn` (t = u − v), box [0, 1], constraint 1 − Σ(u + v);
/// - then `s<l>_<j>` for every hidden neuron that appears in p and is not constant, layer by
///   layer (l = 1..d−1, neuron j 1-based: "s1_3" is σ'(z_{1,3}) of the third neuron of layer 1),
///   box [lo, hi].
/// ℓ2 adds the constraint 1 − Σ t². `inputReach[v]` lists the s-variables that occur in a
/// monomial with input v (the neurons on nonzero paths from v to the output);
/// `lastHiddenReach` lists, for each last-hidden neuron j on a nonzero path, the s-variables
/// and input coordinates (0-based) of the paths through j (s_{d−1,j} itself when variable).
public func makeLipschitzProblem(_ net: Network, norm: Norm,
                                 inputBox: (lower: [Double], upper: [Double])? = nil,
                                 domain: (lower: Double, upper: Double)? = nil) throws -> LipschitzProblem {
    let d = net.depth, n0 = net.inputSize
    let ranges = try derivativeRanges(net, inputBox: inputBox, domain: domain)
    let sizes = net.sizes
    // Temporary ids for every hidden neuron: offset[l] + j (l = 1..d-1).
    var offset = [Int](repeating: 0, count: d + 1)
    for l in 1..<d { offset[l + 1] = offset[l] + sizes[l] }
    let hiddenTotal = offset[d]
    // Status per neuron: 0 = variable, 1 = constant (value), 2 = dead (constant 0).
    var status = [UInt8](repeating: 0, count: hiddenTotal)
    var constant = [Double](repeating: 0, count: hiddenTotal)
    for l in 1..<d {
        for j in 0..<sizes[l] {
            let lo = ranges[l - 1].lo[j], hi = ranges[l - 1].hi[j]
            guard lo.isFinite, hi.isFinite, lo <= hi else {
                throw ProblemError.input("layer \(l) neuron \(j + 1): derivative range [\(lo), \(hi)] is not a finite interval; check the activation's derivative bounds")
            }
            if lo == hi { status[offset[l] + j] = lo == 0 ? 2 : 1; constant[offset[l] + j] = lo }
        }
    }

    // Trie of partial monomials: node 0 = empty; node k has parent[k], variable[k] (temp id).
    var parent: [Int32] = [-1], variable: [Int32] = [-1]
    var child = [Int: Int32]()
    // Sparse state: keys node * width + neuron, in deterministic insertion order.
    var keys: [Int] = [], coefs: [Double] = []
    var width = sizes[d - 1]
    for (j, w) in net.outputWeights.enumerated() where w != 0 { keys.append(j); coefs.append(w) }
    var l = d - 1
    while l >= 1 {
        let W = net.layers[l - 1].matrix
        let nextWidth = sizes[l - 1]
        var nkeys: [Int] = [], ncoefs: [Double] = []
        var index = [Int: Int](minimumCapacity: keys.count * 2)
        nkeys.reserveCapacity(keys.count * 2); ncoefs.reserveCapacity(keys.count * 2)
        for e in keys.indices {
            let node = keys[e] / width, j = keys[e] % width
            let id = offset[l] + j
            var c = coefs[e], nn = node
            switch status[id] {
            case 2: continue
            case 1: c *= constant[id]
            default:
                let ck = node &* hiddenTotal &+ id
                if let existing = child[ck] { nn = Int(existing) } else {
                    nn = parent.count; parent.append(Int32(node)); variable.append(Int32(id)); child[ck] = Int32(nn)
                }
            }
            if c == 0 { continue }
            for p in W.rowStart[j]..<W.rowStart[j + 1] {
                let key = nn &* nextWidth &+ W.columns[p]
                let v = c * W.values[p]
                if let at = index[key] { ncoefs[at] += v } else {
                    index[key] = nkeys.count; nkeys.append(key); ncoefs.append(v)
                }
            }
        }
        keys = nkeys; coefs = ncoefs; width = nextWidth
        l -= 1
    }
    // width == n0 now; keys = node * n0 + input.

    // Which hidden neurons occur as variables; number them after the dual variables.
    var used = [Bool](repeating: false, count: hiddenTotal)
    var nodeUsed = [Bool](repeating: false, count: parent.count)
    for e in keys.indices where coefs[e] != 0 { nodeUsed[keys[e] / n0] = true }
    for k in stride(from: parent.count - 1, through: 1, by: -1) where nodeUsed[k] {
        used[Int(variable[k])] = true; nodeUsed[Int(parent[k])] = true
    }
    var newId = [Int32](repeating: -1, count: hiddenTotal)
    var names: [String] = [], kinds: [LipschitzProblem.VariableKind] = [], lower: [Double] = [], upper: [Double] = []
    switch norm.kind {
    case .l1:
        for i in 0..<n0 { names.append("u\(i + 1)"); kinds.append(.dual(input: i)); lower.append(0); upper.append(1) }
        for i in 0..<n0 { names.append("v\(i + 1)"); kinds.append(.dual(input: i)); lower.append(0); upper.append(1) }
    case .custom:
        let b = norm.customBox(n0)
        guard b.lower.count == n0, b.upper.count == n0 else {
            throw ProblemError.input("norm '\(norm.name)': dual ball box has \(b.lower.count)/\(b.upper.count) bounds, the network has \(n0) inputs")
        }
        for i in 0..<n0 { names.append("t\(i + 1)"); kinds.append(.dual(input: i)); lower.append(b.lower[i]); upper.append(b.upper[i]) }
    default:
        for i in 0..<n0 { names.append("t\(i + 1)"); kinds.append(.dual(input: i)); lower.append(-1); upper.append(1) }
    }
    for l in 1..<d {
        for j in 0..<sizes[l] where used[offset[l] + j] {
            newId[offset[l] + j] = Int32(names.count)
            names.append("s\(l)_\(j + 1)"); kinds.append(.derivative(layer: l, neuron: j))
            lower.append(ranges[l - 1].lo[j]); upper.append(ranges[l - 1].hi[j])
        }
    }

    // Final monomials: t_i (or u_i, v_i) times the trie path (layers 1, 2, ... ascending).
    var terms = [Monomial: Double](minimumCapacity: norm.kind == .l1 ? 2 * keys.count : keys.count)
    let nVars = names.count
    var reachFlags = [Bool](repeating: false, count: n0 * nVars)
    var path: [Int32] = []
    for e in keys.indices where coefs[e] != 0 {
        let node = keys[e] / n0, i = keys[e] % n0
        path.removeAll(keepingCapacity: true)
        var k = node
        while k != 0 { path.append(newId[Int(variable[k])]); k = Int(parent[k]) }
        for v in path { reachFlags[i &* nVars &+ Int(v)] = true }
        var mono = [Int32](); mono.reserveCapacity(path.count + 1)
        mono.append(Int32(i)); mono.append(contentsOf: path)
        terms[Monomial(sorted: mono)] = coefs[e]
        if norm.kind == .l1 {
            mono[0] = Int32(n0 + i)
            terms[Monomial(sorted: mono)] = -coefs[e]
        }
    }
    let poly = Polynomial(variableNames: names, nonzeroTerms: terms)

    var constraints: [Polynomial] = []
    switch norm.kind {
    case .l1:
        var g = [Monomial: Double](); g[.one] = 1
        for v in 0..<(2 * n0) { g[Monomial(sorted: [Int32(v)])] = -1 }
        constraints.append(Polynomial(variableNames: names, terms: g))
    case .l2:
        var g = [Monomial: Double](); g[.one] = 1
        for v in 0..<n0 { g[Monomial(sorted: [Int32(v), Int32(v)])] = -1 }
        constraints.append(Polynomial(variableNames: names, terms: g))
    case .custom:
        for (q, g) in norm.customConstraints(n0).enumerated() {
            for m in g.terms.keys where m.variables.contains(where: { $0 < 0 || Int($0) >= n0 }) {
                throw ProblemError.input("norm '\(norm.name)': constraint \(q + 1) uses variable index outside the \(n0) dual variables (monomial \(m))")
            }
            constraints.append(Polynomial(variableNames: names, terms: g.terms))
        }
    case .linf: break
    }

    // Last hidden layer reach, by a backward search over live neurons.
    var lastReach: [(neuron: Int, derivatives: [Int], inputs: [Int])] = []
    if d >= 2 {
        var stamp = [Int](repeating: -1, count: hiddenTotal)
        var inStamp = [Int](repeating: -1, count: n0)
        for (j, w) in net.outputWeights.enumerated() where w != 0 && status[offset[d - 1] + j] != 2 {
            var ders: [Int] = [], ins: [Int] = []
            var frontier = [j]
            stamp[offset[d - 1] + j] = j
            if newId[offset[d - 1] + j] >= 0 { ders.append(Int(newId[offset[d - 1] + j])) }
            var lay = d - 1
            while lay >= 1 && !frontier.isEmpty {
                let W = net.layers[lay - 1].matrix
                var next: [Int] = []
                for q in frontier {
                    for p in W.rowStart[q]..<W.rowStart[q + 1] {
                        let i = W.columns[p]
                        if lay == 1 {
                            if inStamp[i] != j { inStamp[i] = j; ins.append(i) }
                        } else {
                            let id = offset[lay - 1] + i
                            if status[id] == 2 || stamp[id] == j { continue }
                            stamp[id] = j; next.append(i)
                            if newId[id] >= 0 { ders.append(Int(newId[id])) }
                        }
                    }
                }
                frontier = next; lay -= 1
            }
            if ders.isEmpty && ins.isEmpty { continue }
            lastReach.append((j, ders.sorted(), ins.sorted()))
        }
    }

    return LipschitzProblem(polynomial: poly, lower: lower, upper: upper, constraints: constraints, kinds: kinds,
                            inputReach: (0..<n0).map { i in (0..<nVars).filter { reachFlags[i * nVars + $0] } }, lastHiddenReach: lastReach,
                            normName: norm.name, isLocal: inputBox != nil)
}

extension LipschitzProblem {
    /// The dual variables that stand for input coordinate i (t_i; for ℓ1 both u_i and v_i).
    public func dualVariables(forInput i: Int) -> [Int] {
        kinds.indices.filter { kinds[$0] == .dual(input: i) }
    }
}
