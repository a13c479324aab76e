import Foundation

/// Errors from building or using a `Network`. Every message names the layer or tensor
/// at fault and says what to do.
public enum NetworkError: Error, CustomStringConvertible, Equatable {
    /// Matrix/vector sizes that do not fit together.
    case shape(String)
    /// NaN or ±Inf in a weight, bias or input.
    case nonFinite(String)
    /// Output selection out of range or of the wrong length.
    case output(String)
    /// A hidden layer without activation, or similar structural problems.
    case structure(String)
    /// A bad input point or box.
    case input(String)

    public var description: String {
        switch self {
        case .shape(let m), .nonFinite(let m), .output(let m), .structure(let m), .input(let m): return m
        }
    }
}

/// A real matrix in compressed sparse row form (0-based). Explicit zeros are not stored.
/// Row i holds the entries columns[rowStart[i]..<rowStart[i+1]] with the same `values`.
public struct SparseMatrix: Sendable, Equatable {
    public let rows: Int
    public let cols: Int
    public let rowStart: [Int]
    public let columns: [Int]
    public let values: [Double]

    public var nonzeroCount: Int { values.count }

    /// From a dense row-major rows × cols array (zeros dropped).
    public init(rows: Int, cols: Int, dense: [Double]) throws {
        guard rows >= 0, cols >= 0, dense.count == rows * cols else {
            throw NetworkError.shape("dense matrix: \(dense.count) values given for a \(rows) × \(cols) matrix (row-major, rows × cols expected)")
        }
        var rs = [Int](repeating: 0, count: rows + 1), cs: [Int] = [], vs: [Double] = []
        for i in 0..<rows {
            for j in 0..<cols { let v = dense[i * cols + j]; if v != 0 { cs.append(j); vs.append(v) } }
            rs[i + 1] = cs.count
        }
        self.rows = rows; self.cols = cols; rowStart = rs; columns = cs; values = vs
    }

    /// From CSR arrays; validated (monotone row starts, columns in range and increasing
    /// within a row). Explicit zeros are dropped.
    public init(rows: Int, cols: Int, rowStart: [Int], columns: [Int], values: [Double]) throws {
        guard rows >= 0, cols >= 0, rowStart.count == rows + 1, rowStart.first == 0,
              rowStart.last == columns.count, columns.count == values.count else {
            throw NetworkError.shape("sparse matrix \(rows) × \(cols): rowStart must have rows+1 = \(rows + 1) entries from 0 to nnz, and columns/values equal lengths (got \(rowStart.count) row starts, \(columns.count) columns, \(values.count) values)")
        }
        var rs = [Int](repeating: 0, count: rows + 1), cs: [Int] = [], vs: [Double] = []
        cs.reserveCapacity(columns.count); vs.reserveCapacity(values.count)
        for i in 0..<rows {
            guard rowStart[i] <= rowStart[i + 1] else { throw NetworkError.shape("sparse matrix: rowStart decreases at row \(i)") }
            var last = -1
            for k in rowStart[i]..<rowStart[i + 1] {
                let j = columns[k]
                guard j >= 0 && j < cols else { throw NetworkError.shape("sparse matrix: column \(j) in row \(i) is outside 0..<\(cols)") }
                guard j > last else { throw NetworkError.shape("sparse matrix: columns of row \(i) must be strictly increasing (column \(j) after \(last))") }
                last = j
                if values[k] != 0 { cs.append(j); vs.append(values[k]) }
            }
            rs[i + 1] = cs.count
        }
        self.rows = rows; self.cols = cols; self.rowStart = rs; self.columns = cs; self.values = vs
    }

    /// From (row, column, value) triplets in any order; duplicates are summed.
    public init(rows: Int, cols: Int, triplets: [(Int, Int, Double)]) throws {
        var d = [Int: Double]()
        for (i, j, v) in triplets {
            guard i >= 0, i < rows, j >= 0, j < cols else { throw NetworkError.shape("sparse matrix: entry (\(i), \(j)) outside \(rows) × \(cols)") }
            d[i * cols + j, default: 0] += v
        }
        let keys = d.keys.sorted()
        var rs = [Int](repeating: 0, count: rows + 1), cs: [Int] = [], vs: [Double] = []
        for k in keys where d[k]! != 0 { rs[k / cols + 1] += 1; cs.append(k % cols); vs.append(d[k]!) }
        for i in 0..<rows { rs[i + 1] += rs[i] }
        self.rows = rows; self.cols = cols; rowStart = rs; columns = cs; values = vs
    }

    /// Row-major dense copy.
    public func dense() -> [Double] {
        var out = [Double](repeating: 0, count: rows * cols)
        for i in 0..<rows { for k in rowStart[i]..<rowStart[i + 1] { out[i * cols + columns[k]] = values[k] } }
        return out
    }

    public subscript(i: Int, j: Int) -> Double {
        for k in rowStart[i]..<rowStart[i + 1] where columns[k] == j { return values[k] }
        return 0
    }

    /// A x.
    public func multiply(_ x: [Double]) -> [Double] {
        var y = [Double](repeating: 0, count: rows)
        for i in 0..<rows { var s = 0.0; for k in rowStart[i]..<rowStart[i + 1] { s += values[k] * x[columns[k]] }; y[i] = s }
        return y
    }

    /// Aᵀ y.
    public func transposeMultiply(_ y: [Double]) -> [Double] {
        var x = [Double](repeating: 0, count: cols)
        for i in 0..<rows where y[i] != 0 { for k in rowStart[i]..<rowStart[i + 1] { x[columns[k]] += values[k] * y[i] } }
        return x
    }

    /// Keeps only the entries where `keep(row, column)` is true.
    public func masked(_ keep: (Int, Int) -> Bool) -> SparseMatrix {
        var rs = [Int](repeating: 0, count: rows + 1), cs: [Int] = [], vs: [Double] = []
        for i in 0..<rows {
            for k in rowStart[i]..<rowStart[i + 1] where keep(i, columns[k]) { cs.append(columns[k]); vs.append(values[k]) }
            rs[i + 1] = cs.count
        }
        return try! SparseMatrix(rows: rows, cols: cols, rowStart: rs, columns: cs, values: vs)
    }
}

/// One affine map z = W a + b followed (for hidden layers) by an activation.
/// Weights are stored as CSR whatever form they were given in; `storedDense` remembers
/// whether they came dense (writers then write them dense).
public struct Layer: Sendable {
    public enum Weights: Sendable {
        /// Row-major, out × in.
        case dense(rows: Int, cols: Int, values: [Double])
        case sparse(SparseMatrix)
    }
    public let matrix: SparseMatrix
    public let bias: [Double]?
    /// σ of this layer; required for hidden layers, ignored for the last layer.
    public let activation: Activation?
    public let storedDense: Bool

    public var inputSize: Int { matrix.cols }
    public var outputSize: Int { matrix.rows }
    public var weights: Weights { storedDense ? .dense(rows: matrix.rows, cols: matrix.cols, values: matrix.dense()) : .sparse(matrix) }

    public init(weights: Weights, bias: [Double]? = nil, activation: Activation? = nil) throws {
        switch weights {
        case .dense(let r, let c, let v): matrix = try SparseMatrix(rows: r, cols: c, dense: v); storedDense = true
        case .sparse(let m): matrix = m; storedDense = false
        }
        if let b = bias, b.count != matrix.rows {
            throw NetworkError.shape("bias has \(b.count) entries but the weight matrix has \(matrix.rows) rows")
        }
        self.bias = bias; self.activation = activation
    }

    /// Dense weights as nested rows (out × in).
    public init(rows w: [[Double]], bias: [Double]? = nil, activation: Activation? = nil) throws {
        let c = w.first?.count ?? 0
        for (i, r) in w.enumerated() where r.count != c {
            throw NetworkError.shape("weight row \(i) has \(r.count) entries, row 0 has \(c); rows must have equal length")
        }
        try self.init(weights: .dense(rows: w.count, cols: c, values: w.flatMap { $0 }), bias: bias, activation: activation)
    }

    func replacing(matrix m: SparseMatrix) -> Layer {
        try! Layer(weights: storedDense ? .dense(rows: m.rows, cols: m.cols, values: m.dense()) : .sparse(m), bias: bias, activation: activation)
    }
}

/// A feed-forward network (docs/METHOD.md §1):
///
///     z_1 = W_1 x + b_1,  a_i = σ_i(z_i),  z_{i+1} = W_{i+1} a_i + b_{i+1},  f(x) = cᵀ z_d
///
/// `layers[l-1]` holds W_l, b_l and σ_l (l = 1..d). The scalar output is chosen by
/// `output`: `.index(i)` is c = e_i (0-based), `.vector(c)` any c (a margin e_i − e_j).
public struct Network: Sendable {
    public enum Output: Sendable, Equatable, CustomStringConvertible {
        /// c = e_i, 0-based output index.
        case index(Int)
        /// Any c with one entry per output neuron.
        case vector([Double])
        /// c = e_i − e_j (a margin between two logits, 0-based).
        public static func margin(_ i: Int, _ j: Int, outputs: Int) -> Output {
            var c = [Double](repeating: 0, count: outputs); c[i] += 1; c[j] -= 1; return .vector(c)
        }
        public var description: String {
            switch self { case .index(let i): return "output \(i)"; case .vector(let c): return "output vector \(c)" }
        }
    }

    public let layers: [Layer]
    public let output: Output
    /// c as a dense vector of length n_d.
    public let c: [Double]
    /// cᵀ W_d as a dense vector of length n_{d-1} (the weights of the scalar output on the
    /// last hidden layer, or on the input when d = 1).
    public let outputWeights: [Double]

    public var depth: Int { layers.count }
    public var inputSize: Int { layers[0].inputSize }
    /// n_1..n_{d-1}.
    public var hiddenSizes: [Int] { layers.dropLast().map(\.outputSize) }
    public var outputSize: Int { layers[layers.count - 1].outputSize }
    /// Layer sizes n_0, n_1, ..., n_d.
    public var sizes: [Int] { [inputSize] + layers.map(\.outputSize) }
    /// Total stored nonzero weights.
    public var nonzeroWeights: Int { layers.reduce(0) { $0 + $1.matrix.nonzeroCount } }

    /// Validates shapes, finiteness, activations of hidden layers and the output selection.
    /// Layers are numbered 1..d in messages (W1 is layers[0]).
    public init(layers: [Layer], output: Output = .index(0)) throws {
        guard !layers.isEmpty else { throw NetworkError.structure("a network needs at least one layer") }
        for (k, L) in layers.enumerated() {
            let l = k + 1
            guard L.matrix.rows > 0, L.matrix.cols > 0 else {
                throw NetworkError.shape("layer \(l) (W\(l)): weight matrix is \(L.matrix.rows) × \(L.matrix.cols); both sizes must be positive")
            }
            if k > 0, L.inputSize != layers[k - 1].outputSize {
                throw NetworkError.shape("layer \(l) (W\(l)): takes \(L.inputSize) inputs but layer \(l - 1) (W\(l - 1)) has \(layers[k - 1].outputSize) outputs")
            }
            if let b = L.bias, b.count != L.outputSize {
                throw NetworkError.shape("layer \(l) (b\(l)): bias has \(b.count) entries, W\(l) has \(L.outputSize) rows")
            }
            for i in 0..<L.matrix.rows {
                for p in L.matrix.rowStart[i]..<L.matrix.rowStart[i + 1] where !L.matrix.values[p].isFinite {
                    throw NetworkError.nonFinite("layer \(l) (W\(l)): weight [\(i + 1), \(L.matrix.columns[p] + 1)] is \(L.matrix.values[p]); weights must be finite")
                }
            }
            if let b = L.bias, let i = b.firstIndex(where: { !$0.isFinite }) {
                throw NetworkError.nonFinite("layer \(l) (b\(l)): bias [\(i + 1)] is \(b[i]); biases must be finite")
            }
            if k < layers.count - 1, L.activation == nil {
                throw NetworkError.structure("layer \(l) is a hidden layer but has no activation; give every hidden layer an activation")
            }
        }
        let nOut = layers[layers.count - 1].outputSize
        var c = [Double](repeating: 0, count: nOut)
        switch output {
        case .index(let i):
            guard i >= 0 && i < nOut else { throw NetworkError.output("output \(i + 1) is out of range: the network has \(nOut) output\(nOut == 1 ? "" : "s") (numbered 1..\(nOut))") }
            c[i] = 1
        case .vector(let v):
            guard v.count == nOut else { throw NetworkError.output("output vector has \(v.count) entries, the last layer has \(nOut) outputs") }
            guard v.allSatisfy(\.isFinite) else { throw NetworkError.nonFinite("output vector contains NaN or Inf") }
            c = v
        }
        self.layers = layers; self.output = output; self.c = c
        self.outputWeights = layers[layers.count - 1].matrix.transposeMultiply(c)
    }

    /// Dense weights W_1..W_d (each out × in as nested rows), optional biases, one activation
    /// for every hidden layer.
    public init(weights: [[[Double]]], biases: [[Double]]? = nil, activation: Activation, output: Output = .index(0)) throws {
        if let b = biases, b.count != weights.count {
            throw NetworkError.shape("\(weights.count) weight matrices but \(b.count) bias vectors")
        }
        var ls: [Layer] = []
        for (k, w) in weights.enumerated() {
            do { ls.append(try Layer(rows: w, bias: biases?[k], activation: k < weights.count - 1 ? activation : nil)) }
            catch let e as NetworkError { throw NetworkError.shape("layer \(k + 1) (W\(k + 1)): \(e)") }
        }
        try self.init(layers: ls, output: output)
    }

    /// The same network with another output selection.
    public func withOutput(_ o: Output) throws -> Network { try Network(layers: layers, output: o) }
    /// The same network with the given activation on every hidden layer.
    public func withActivation(_ a: Activation) -> Network {
        let ls = layers.enumerated().map { k, L in try! Layer(weights: L.weights, bias: L.bias, activation: k < layers.count - 1 ? a : nil) }
        return try! Network(layers: ls, output: output)
    }

    func checkPoint(_ x: [Double]) throws {
        guard x.count == inputSize else { throw NetworkError.input("input has \(x.count) coordinates, the network takes \(inputSize)") }
        if let i = x.firstIndex(where: { !$0.isFinite }) { throw NetworkError.nonFinite("input coordinate \(i + 1) is \(x[i])") }
    }

    /// Pre-activations z_1..z_d at x.
    public func preActivations(_ x: [Double]) throws -> [[Double]] {
        try checkPoint(x)
        var a = x, zs: [[Double]] = []
        for (k, L) in layers.enumerated() {
            var z = L.matrix.multiply(a)
            if let b = L.bias { for i in z.indices { z[i] += b[i] } }
            zs.append(z)
            if k < layers.count - 1 { let s = L.activation!; a = z.map { s.value($0) } }
        }
        return zs
    }

    /// The output vector z_d at x.
    public func outputs(_ x: [Double]) throws -> [Double] { try preActivations(x).last! }

    /// f(x) = cᵀ z_d.
    public func forward(_ x: [Double]) throws -> Double {
        let z = try outputs(x); var s = 0.0
        for i in z.indices { s += c[i] * z[i] }
        return s
    }

    /// ∇f(x) = W_1ᵀ diag(σ'(z_1)) ⋯ diag(σ'(z_{d-1})) W_dᵀ c, by backpropagation
    /// (σ' as `Activation.derivative`, so ReLU uses σ'(0) = 1).
    public func gradient(_ x: [Double]) throws -> [Double] {
        let zs = try preActivations(x)
        var g = outputWeights
        var l = layers.count - 1
        while l >= 1 {
            let s = layers[l - 1].activation!, z = zs[l - 1]
            for j in g.indices { g[j] *= s.derivative(z[j]) }
            g = layers[l - 1].matrix.transposeMultiply(g)
            l -= 1
        }
        return g
    }

    /// Interval bound propagation of the input box [lower, upper]: sound bounds
    /// l ≤ z_l ≤ u on the pre-activations of every layer l = 1..d (element l−1 of the
    /// result). Each layer uses z ∈ W·[a_l, a_u] + b computed from the positive and negative
    /// parts of W; an activation maps [l, u] through its own sound value map
    /// (`Activation.valueBounds`), so non-monotone activations (leaky ReLU with α < 0, ELU with
    /// α < 0, user activations) are handled. Bounds are widened by (n+2)·2⁻⁵² times the
    /// magnitude of the sum, so floating-point rounding cannot make them too tight. A
    /// non-finite bound (overflowing weights, an activation returning NaN) is an error.
    public func intervalBounds(lower: [Double], upper: [Double]) throws -> [(l: [Double], u: [Double])] {
        guard lower.count == inputSize, upper.count == inputSize else {
            throw NetworkError.input("input box has \(lower.count) lower and \(upper.count) upper bounds; the network takes \(inputSize) inputs")
        }
        for i in 0..<inputSize {
            guard lower[i].isFinite, upper[i].isFinite else { throw NetworkError.nonFinite("input box coordinate \(i + 1) is [\(lower[i]), \(upper[i])]; bounds must be finite") }
            guard lower[i] <= upper[i] else { throw NetworkError.input("input box coordinate \(i + 1): lower \(lower[i]) > upper \(upper[i])") }
        }
        var al = lower, au = upper
        var out: [(l: [Double], u: [Double])] = []
        for (k, L) in layers.enumerated() {
            let M = L.matrix
            var zl = [Double](repeating: 0, count: M.rows), zu = zl
            for i in 0..<M.rows {
                var lo = 0.0, hi = 0.0, mag = 0.0
                let n = M.rowStart[i + 1] - M.rowStart[i]
                for p in M.rowStart[i]..<M.rowStart[i + 1] {
                    let w = M.values[p], j = M.columns[p]
                    if w > 0 { lo += w * al[j]; hi += w * au[j] } else { lo += w * au[j]; hi += w * al[j] }
                    mag += Swift.abs(w) * Swift.max(Swift.abs(al[j]), Swift.abs(au[j]))
                }
                if let b = L.bias { lo += b[i]; hi += b[i]; mag += Swift.abs(b[i]) }
                let slack = Double(n + 2) * Double.ulpOfOne * mag
                zl[i] = lo - slack; zu[i] = hi + slack
            }
            if let i = (0..<M.rows).first(where: { !zl[$0].isFinite || !zu[$0].isFinite }) {
                throw NetworkError.nonFinite("interval propagation: layer \(k + 1) neuron \(i + 1) has pre-activation bounds [\(zl[i]), \(zu[i])]; the weights or the input box overflow Double")
            }
            out.append((zl, zu))
            if k < layers.count - 1 {
                let s = L.activation!
                al = [Double](repeating: 0, count: M.rows); au = al
                for i in 0..<M.rows {
                    let (a, b) = s.valueBounds(zl[i], zu[i])
                    guard a.isFinite, b.isFinite, a <= b else {
                        throw NetworkError.nonFinite("interval propagation: activation '\(s.name)' maps [\(zl[i]), \(zu[i])] (layer \(k + 1) neuron \(i + 1)) to [\(a), \(b)]; an activation must return finite values")
                    }
                    al[i] = a; au[i] = b
                }
            }
        }
        return out
    }
}
