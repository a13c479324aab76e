/// A small, portable, seeded pseudo-random generator: xoshiro256** (Blackman & Vigna)
/// seeded by SplitMix64 from one UInt64. The same seed gives the same stream on every
/// machine (pure integer arithmetic; doubles are (x >> 11)·2⁻⁵³ ∈ [0, 1)).
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var z = seed
        func splitmix() -> UInt64 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    @inline(__always) static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = Self.rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = Self.rotl(s.3, 45)
        return result
    }

    /// Uniform in [0, 1).
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1p-53 }
    /// Uniform in [a, b).
    public mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * nextDouble() }
    /// Uniform integer in 0..<n (Lemire's unbiased method via the standard library).
    public mutating func below(_ n: Int) -> Int { Int.random(in: 0..<n, using: &self) }
}

extension Network {
    /// Which inputs a hidden neuron sees in a banded layer of sparsity s.
    public enum Band: Sendable, Equatable {
        /// The paper's band: neuron j sees inputs i with |i − c_j| ≤ ⌊(s−1)/2⌋, where c_j = j
        /// when the layer is square (s odd gives exactly s inputs in the interior; s even
        /// gives s − 1).
        case centered
        /// Exactly s inputs in the interior: i ∈ [c_j − ⌊(s−1)/2⌋, c_j + ⌈(s−1)/2⌉].
        case exactWidth
        /// A one-sided (causal) band: i ∈ [c_j − s + 1, c_j].
        case causal
        /// The centred band |i − c_j| ≤ ⌊(s−1)/2⌋ with the centre c_j = ⌊j·n_in/n_out⌋ in every
        /// layer (the same as `.centered` for square layers; for different widths the band
        /// starts at input 0 for neuron 0 rather than spreading the ends evenly).
        case proportional

        /// The centre c_j of output neuron j in a layer n_in → n_out: j when n_in = n_out,
        /// otherwise round(j·(n_in − 1)/(n_out − 1)) (the output neurons spread evenly over
        /// the inputs; ⌊(n_in−1)/2⌋ when n_out = 1).
        public static func center(_ j: Int, inputs: Int, outputs: Int) -> Int {
            if inputs == outputs { return j }
            if outputs == 1 { return (inputs - 1) / 2 }
            return Int((Double(j) * Double(inputs - 1) / Double(outputs - 1)).rounded())
        }

        /// True when neuron j of a layer n_in → n_out sees input i.
        public func contains(input i: Int, neuron j: Int, inputs: Int, outputs: Int, sparsity s: Int) -> Bool {
            let c = self == .proportional ? j * inputs / outputs : Band.center(j, inputs: inputs, outputs: outputs)
            switch self {
            case .proportional: return Swift.abs(i - c) <= (s - 1) / 2
            case .centered: return Swift.abs(i - c) <= (s - 1) / 2
            case .exactWidth: return i >= c - (s - 1) / 2 && i <= c + s / 2
            case .causal: return i >= c - s + 1 && i <= c
            }
        }
    }

    /// A random network as in the paper's experiments (docs/METHOD.md §6). `sizes` = [n_0, ..., n_d].
    /// Every layer is drawn as PyTorch's nn.Linear default: W, b ~ U(−1/√fan_in, 1/√fan_in),
    /// fan_in = n_{l−1} (the full width, before masking). Draw order: for l = 1..d, the
    /// weights row by row (out × in), then (when `bias`) the bias. With `sparsity` s, every
    /// hidden layer (all but the last) is masked to the band (`Band`), after drawing; the
    /// last layer is dense. The generator is `Xoshiro256StarStar(seed:)`, so the result is
    /// the same on every machine. Output: `.index(0)` unless given.
    public static func random(sizes: [Int], sparsity: Int? = nil, activation: Activation = .elu(), bias: Bool = false,
                              seed: UInt64 = 0, band: Band = .centered, output: Output = .index(0)) throws -> Network {
        guard sizes.count >= 2, sizes.allSatisfy({ $0 > 0 }) else {
            throw NetworkError.shape("random network: sizes \(sizes) must list at least an input and an output size, all positive")
        }
        if let s = sparsity, s < 1 { throw NetworkError.shape("random network: sparsity \(s) must be ≥ 1") }
        var rng = Xoshiro256StarStar(seed: seed)
        var layers: [Layer] = []
        let d = sizes.count - 1
        for l in 1...d {
            let nin = sizes[l - 1], nout = sizes[l]
            let r = 1 / Double(nin).squareRoot()
            var w = [Double](repeating: 0, count: nin * nout)
            for k in w.indices { w[k] = rng.uniform(-r, r) }
            let b: [Double]? = bias ? (0..<nout).map { _ in rng.uniform(-r, r) } : nil
            if let s = sparsity, l < d {
                for j in 0..<nout { for i in 0..<nin where !band.contains(input: i, neuron: j, inputs: nin, outputs: nout, sparsity: s) { w[j * nin + i] = 0 } }
            }
            let dense = sparsity == nil || l == d
            let m = try SparseMatrix(rows: nout, cols: nin, dense: w)
            layers.append(try Layer(weights: dense ? .dense(rows: nout, cols: nin, values: w) : .sparse(m), bias: b,
                                    activation: l < d ? activation : nil))
        }
        return try Network(layers: layers, output: output)
    }

    /// Random pruning for benchmarks: in every layer keep round(keep · nnz) of the stored
    /// weights (at least one), chosen uniformly without replacement (partial Fisher–Yates with
    /// `Xoshiro256StarStar(seed:)`); the rest become zero. Layers become sparse. Biases stay.
    public func pruned(keep fraction: Double, seed: UInt64 = 0) throws -> Network {
        guard fraction > 0 && fraction <= 1 else { throw NetworkError.structure("pruned: keep fraction \(fraction) must be in (0, 1]") }
        var rng = Xoshiro256StarStar(seed: seed)
        var out: [Layer] = []
        for L in layers {
            let M = L.matrix, nnz = M.nonzeroCount
            let k = Swift.max(1, Swift.min(nnz, Int((fraction * Double(nnz)).rounded())))
            var idx = Array(0..<nnz)
            for a in 0..<k { let b = a + rng.below(nnz - a); idx.swapAt(a, b) }
            var keep = [Bool](repeating: false, count: nnz)
            for a in 0..<k { keep[idx[a]] = true }
            var rs = [Int](repeating: 0, count: M.rows + 1), cs: [Int] = [], vs: [Double] = []
            for i in 0..<M.rows {
                for p in M.rowStart[i]..<M.rowStart[i + 1] where keep[p] { cs.append(M.columns[p]); vs.append(M.values[p]) }
                rs[i + 1] = cs.count
            }
            let m = try SparseMatrix(rows: M.rows, cols: M.cols, rowStart: rs, columns: cs, values: vs)
            out.append(try Layer(weights: .sparse(m), bias: L.bias, activation: L.activation))
        }
        return try Network(layers: out, output: output)
    }
}
