/// Errors from building a `LipschitzProblem`.
public enum ProblemError: Error, CustomStringConvertible, Equatable {
    case input(String)
    case unsupported(String)
    case tooLarge(String)
    public var description: String {
        switch self { case .input(let m), .unsupported(let m), .tooLarge(let m): return m }
    }
}

/// The derivative ranges [lo_{l,j}, hi_{l,j}] of every hidden neuron (docs/METHOD.md §2), l = 1..d−1
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
        guard dom.lower.isFinite, dom.upper.isFinite, dom.lower <= dom.upper else {
            throw ProblemError.input("domain [\(dom.lower), \(dom.upper)] must be a finite interval with lower ≤ upper")
        }
        guard lo.count == hi.count else { throw ProblemError.input("input box: \(lo.count) lower but \(hi.count) upper bounds") }
        for i in lo.indices {
            lo[i] = Swift.max(lo[i], dom.lower); hi[i] = Swift.min(hi[i], dom.upper)
            if lo[i] > hi[i] { throw ProblemError.input("input box coordinate \(i + 1) does not meet the domain [\(dom.lower), \(dom.upper)]") }
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

/// Builds the norm-gradient polynomial problem of docs/METHOD.md §2:
///
///     p(t, s) = tᵀ W_1ᵀ diag(s_1) W_2ᵀ ⋯ diag(s_{d−1}) W_dᵀ c,   L(f) ≤ max_{t ∈ B_*, s ∈ box} p
///
/// Ranges of s: global (`inputBox == nil`: the activation's `derivativeRange`) or local (IBP of
/// the box, clipped to `domain`, mapped through `derivativeBounds`). A neuron with lo = hi is a
/// constant substituted into p (a stable ReLU: 1 keeps its paths, 0 removes them).
///
/// Construction: sparse coefficient vectors are propagated backwards from cᵀW_d (`PathState`);
/// partial monomials are interned in a trie, so no polynomial is ever multiplied and each step
/// costs O(state · row nonzeros).
///
/// Variables (in this order, so monomials are sorted by construction), by the dual ball's shape:
/// - box, ball, constraints: `t1..tn` (index i−1 for input coordinate i−1), box [−1, 1]
///   (constraints: the norm's box);
/// - cross-polytope: `u1..un` then `v1..vn` (t = u − v), box [0, 1], constraint 1 − Σ(u + v);
/// - then `s<l>_<j>` for every hidden neuron that appears in p and is not constant, layer by
///   layer (l = 1..d−1, neuron j 1-based: "s1_3" is σ'(z_{1,3}) of the third neuron of layer 1),
///   box [lo, hi].
/// The ball adds the constraint 1 − Σ t². `inputReach[v]` lists the s-variables that occur in a
/// monomial with input v; `lastHiddenReach` lists, for each last-hidden neuron j on a nonzero
/// path, the s-variables and input coordinates (0-based) of the paths through j.
public func makeLipschitzProblem(_ net: Network, norm: Norm,
                                 inputBox: (lower: [Double], upper: [Double])? = nil,
                                 domain: (lower: Double, upper: Double)? = nil) throws -> LipschitzProblem {
    let ranges = try derivativeRanges(net, inputBox: inputBox, domain: domain)
    let neurons = try HiddenNeurons(net, ranges: ranges)
    let paths = PathState.propagate(net, neurons)
    var vars = try ProblemVariables(norm: norm, inputs: net.inputSize)
    let newId = vars.addDerivatives(used: paths.usedNeurons(neurons), neurons: neurons, ranges: ranges)
    let (poly, reach) = paths.polynomial(vars: vars, newId: newId, crossPolytope: vars.isCrossPolytope)
    if let bad = poly.orderedTerms.first(where: { !$0.coefficient.isFinite }) {
        throw ProblemError.input("the norm-gradient polynomial has the coefficient \(bad.coefficient) on \(bad.monomial.format(names: poly.variableNames)): products of weights along a path overflow Double; rescale the network")
    }
    let constraints = try dualBallConstraints(norm, inputs: net.inputSize, names: vars.names)
    let lastReach = lastHiddenReach(net, neurons: neurons, newId: newId)
    return LipschitzProblem(polynomial: poly, lower: vars.lower, upper: vars.upper, constraints: constraints,
                            kinds: vars.kinds, inputReach: reach, lastHiddenReach: lastReach,
                            norm: norm, isLocal: inputBox != nil)
}

/// Every hidden neuron with a temporary id offset[l] + j (l = 1..d−1) and its status:
/// variable, constant (lo = hi ≠ 0, substituted) or dead (constant 0, paths removed).
struct HiddenNeurons {
    enum Status: UInt8 { case variable, constant, dead }
    var offset: [Int]
    var status: [Status]
    var constant: [Double]
    var total: Int { offset.last! }

    init(_ net: Network, ranges: [(lo: [Double], hi: [Double])]) throws {
        let d = net.depth, sizes = net.sizes
        offset = [Int](repeating: 0, count: d + 1)
        for l in 1..<d { offset[l + 1] = offset[l] + sizes[l] }
        status = [Status](repeating: .variable, count: offset[d])
        constant = [Double](repeating: 0, count: offset[d])
        for l in 1..<d {
            for j in 0..<sizes[l] {
                let lo = ranges[l - 1].lo[j], hi = ranges[l - 1].hi[j]
                guard lo.isFinite, hi.isFinite, lo <= hi else {
                    throw ProblemError.input("layer \(l) neuron \(j + 1): derivative range [\(lo), \(hi)] is not a finite interval; check the activation's derivative bounds")
                }
                if lo == hi { status[offset[l] + j] = lo == 0 ? .dead : .constant; constant[offset[l] + j] = lo }
            }
        }
    }
}

/// The backward propagation of cᵀW_d: after `propagate`, `keys[e] = node · n0 + input` with
/// coefficient `coefs[e]`, where trie node `node` is the partial monomial (parent chain of
/// variables, temporary neuron ids). Keys are in deterministic first-seen order.
struct PathState {
    var parent: [Int32] = [-1]
    var variable: [Int32] = [-1]
    var keys: [Int] = []
    var coefs: [Double] = []
    var inputs = 0

    static func propagate(_ net: Network, _ neurons: HiddenNeurons) -> PathState {
        var st = PathState()
        let d = net.depth, sizes = net.sizes
        var child = [Int: Int32]()
        var width = sizes[d - 1]
        for (j, w) in net.outputWeights.enumerated() where w != 0 { st.keys.append(j); st.coefs.append(w) }
        var l = d - 1
        while l >= 1 {
            st.step(layer: l, matrix: net.layers[l - 1].matrix, width: width, nextWidth: sizes[l - 1],
                    neurons: neurons, child: &child)
            width = sizes[l - 1]; l -= 1
        }
        st.inputs = sizes[0]
        return st
    }

    /// One layer of the backward pass: multiply by s_{l,j} (or its constant) and by W_l.
    mutating func step(layer l: Int, matrix W: SparseMatrix, width: Int, nextWidth: Int,
                       neurons: HiddenNeurons, child: inout [Int: Int32]) {
        var nkeys: [Int] = [], ncoefs: [Double] = []
        var index = [Int: Int](minimumCapacity: keys.count * 2)
        nkeys.reserveCapacity(keys.count * 2); ncoefs.reserveCapacity(keys.count * 2)
        for e in keys.indices {
            let node = keys[e] / width, j = keys[e] % width
            let id = neurons.offset[l] + j
            var c = coefs[e], nn = node
            switch neurons.status[id] {
            case .dead: continue
            case .constant: c *= neurons.constant[id]
            case .variable:
                let ck = node &* neurons.total &+ id
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
        keys = nkeys; coefs = ncoefs
    }

    /// Which hidden neurons occur in a monomial with a nonzero coefficient.
    func usedNeurons(_ neurons: HiddenNeurons) -> [Bool] {
        var used = [Bool](repeating: false, count: neurons.total)
        var nodeUsed = [Bool](repeating: false, count: parent.count)
        for e in keys.indices where coefs[e] != 0 { nodeUsed[keys[e] / inputs] = true }
        for k in stride(from: parent.count - 1, through: 1, by: -1) where nodeUsed[k] {
            used[Int(variable[k])] = true; nodeUsed[Int(parent[k])] = true
        }
        return used
    }

    /// The final monomials t_i · (trie path), in key order; for the cross-polytope each term
    /// appears twice (u_i with +c, v_i with −c). Also the input reach sets.
    func polynomial(vars: ProblemVariables, newId: [Int32], crossPolytope: Bool) -> (Polynomial, [[Int]]) {
        let n0 = inputs, nVars = vars.names.count
        var list: [(Monomial, Double)] = []
        list.reserveCapacity(crossPolytope ? 2 * keys.count : keys.count)
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
            list.append((Monomial(sorted: mono), coefs[e]))
            if crossPolytope {
                mono[0] = Int32(n0 + i)
                list.append((Monomial(sorted: mono), -coefs[e]))
            }
        }
        let reach = (0..<n0).map { i in (0..<nVars).filter { reachFlags[i * nVars + $0] } }
        return (Polynomial(variableNames: vars.names, orderedNonzeroTerms: list), reach)
    }
}

/// Names, kinds and boxes of the problem's variables: the dual variables first (by the dual
/// ball's shape), then the derivative variables.
struct ProblemVariables {
    var names: [String] = []
    var kinds: [LipschitzProblem.VariableKind] = []
    var lower: [Double] = []
    var upper: [Double] = []
    var isCrossPolytope = false

    init(norm: Norm, inputs n0: Int) throws {
        func add(_ name: String, _ i: Int, _ lo: Double, _ hi: Double) {
            names.append(name); kinds.append(.dual(input: i)); lower.append(lo); upper.append(hi)
        }
        switch norm.dualBall {
        case .crossPolytope:
            isCrossPolytope = true
            for i in 0..<n0 { add("u\(i + 1)", i, 0, 1) }
            for i in 0..<n0 { add("v\(i + 1)", i, 0, 1) }
        case .constraints(let box, _):
            let b = box(n0)
            guard b.lower.count == n0, b.upper.count == n0 else {
                throw ProblemError.input("norm '\(norm.name)': its dual-ball box has \(b.lower.count)/\(b.upper.count) bounds, the network has \(n0) inputs")
            }
            for i in 0..<n0 {
                guard b.lower[i].isFinite, b.upper[i].isFinite, b.lower[i] <= b.upper[i] else {
                    throw ProblemError.input("norm '\(norm.name)': dual-ball box coordinate \(i + 1) is [\(b.lower[i]), \(b.upper[i])]; it must be a finite interval")
                }
                add("t\(i + 1)", i, b.lower[i], b.upper[i])
            }
        case .box, .euclideanBall:
            for i in 0..<n0 { add("t\(i + 1)", i, -1, 1) }
        }
    }

    /// Numbers the used, non-constant hidden neurons after the dual variables; returns the
    /// map from temporary neuron id to variable index (−1: not a variable).
    mutating func addDerivatives(used: [Bool], neurons: HiddenNeurons,
                                 ranges: [(lo: [Double], hi: [Double])]) -> [Int32] {
        var newId = [Int32](repeating: -1, count: neurons.total)
        for l in 1..<(neurons.offset.count - 1) {
            for j in 0..<(neurons.offset[l + 1] - neurons.offset[l]) where used[neurons.offset[l] + j] {
                newId[neurons.offset[l] + j] = Int32(names.count)
                names.append("s\(l)_\(j + 1)"); kinds.append(.derivative(layer: l, neuron: j))
                lower.append(ranges[l - 1].lo[j]); upper.append(ranges[l - 1].hi[j])
            }
        }
        return newId
    }
}

/// The constraint polynomials g_j of the dual ball (0 ≤ g_j ≤ 1 on B_*), over the problem's
/// variables: 1 − Σ(u + v) for the cross-polytope, 1 − Σ t² for the ball, the user's for
/// a constraints ball (checked to use only the dual variables), none for the box.
func dualBallConstraints(_ norm: Norm, inputs n0: Int, names: [String]) throws -> [Polynomial] {
    switch norm.dualBall {
    case .box: return []
    case .crossPolytope:
        var g: [(Monomial, Double)] = [(.one, 1)]
        for v in 0..<(2 * n0) { g.append((Monomial(sorted: [Int32(v)]), -1)) }
        return [Polynomial(variableNames: names, orderedNonzeroTerms: g)]
    case .euclideanBall:
        var g: [(Monomial, Double)] = [(.one, 1)]
        for v in 0..<n0 { g.append((Monomial(sorted: [Int32(v), Int32(v)]), -1)) }
        return [Polynomial(variableNames: names, orderedNonzeroTerms: g)]
    case .constraints(_, let polynomials):
        return try polynomials(n0).enumerated().map { q, g in
            for (m, c) in g.orderedTerms {
                guard c.isFinite else { throw ProblemError.input("norm '\(norm.name)': constraint \(q + 1) has the coefficient \(c); coefficients must be finite") }
                if m.variables.contains(where: { $0 < 0 || Int($0) >= n0 }) {
                    throw ProblemError.input("norm '\(norm.name)': constraint \(q + 1) uses a variable outside the \(n0) dual variables (monomial \(m))")
                }
            }
            return Polynomial(variableNames: names, orderedNonzeroTerms: g.orderedTerms.map { ($0.monomial, $0.coefficient) })
        }
    }
}

/// For each last-hidden neuron j on a nonzero path: the s-variables and the inputs of the
/// paths through j, by a backward search over live neurons.
func lastHiddenReach(_ net: Network, neurons: HiddenNeurons, newId: [Int32]) -> [(neuron: Int, derivatives: [Int], inputs: [Int])] {
    let d = net.depth, n0 = net.inputSize
    guard d >= 2 else { return [] }
    var out: [(neuron: Int, derivatives: [Int], inputs: [Int])] = []
    var stamp = [Int](repeating: -1, count: neurons.total)
    var inStamp = [Int](repeating: -1, count: n0)
    for (j, w) in net.outputWeights.enumerated() where w != 0 && neurons.status[neurons.offset[d - 1] + j] != .dead {
        var ders: [Int] = [], ins: [Int] = []
        var frontier = [j]
        stamp[neurons.offset[d - 1] + j] = j
        if newId[neurons.offset[d - 1] + j] >= 0 { ders.append(Int(newId[neurons.offset[d - 1] + j])) }
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
                        let id = neurons.offset[lay - 1] + i
                        if neurons.status[id] == .dead || stamp[id] == j { continue }
                        stamp[id] = j; next.append(i)
                        if newId[id] >= 0 { ders.append(Int(newId[id])) }
                    }
                }
            }
            frontier = next; lay -= 1
        }
        if ders.isEmpty && ins.isEmpty { continue }
        out.append((j, ders.sorted(), ins.sorted()))
    }
    return out
}

extension LipschitzProblem {
    /// The dual variables that stand for input coordinate i (t_i; for ℓ1 both u_i and v_i).
    public func dualVariables(forInput i: Int) -> [Int] {
        kinds.indices.filter { kinds[$0] == .dual(input: i) }
    }
}
