import Foundation
import LipCore
import LipControl

/// An affine map x ↦ A x + b between two activations, built by composing the linear pieces a
/// file describes (Gemm/Linear, unrolled convolutions and average pools, BatchNorm, constant
/// scalings and shifts). `matrix == nil` is the identity. Composition multiplies sparse
/// matrices row by row (Gustavson), summing in a fixed order, so the result is the same on
/// every run; every product's size is estimated and checked against the budget first.
struct AffineMap {
    let inputSize: Int
    private(set) var matrix: SparseMatrix?
    private(set) var bias: [Double]?
    /// True while every piece came as a dense matrix (the layer is then stored dense).
    private(set) var dense: Bool
    /// What was composed, for the load report ("Gemm 'fc1'", "Conv 'c1' 8×1×3×3 stride 2", ...).
    private(set) var parts: [String] = []

    init(inputSize: Int) { self.inputSize = inputSize; matrix = nil; bias = nil; dense = true }

    var outputSize: Int { matrix?.rows ?? inputSize }
    var isIdentity: Bool { matrix == nil && bias == nil }

    /// self followed by x ↦ M x + b.
    mutating func then(_ M: SparseMatrix, bias b: [Double]?, dense d: Bool, part: String, limits: ReadLimits, source: String) throws {
        guard M.cols == outputSize else {
            throw NetworkFileError.shape("\(source): \(part) takes \(M.cols) inputs but receives \(outputSize)")
        }
        if let b, b.count != M.rows { throw NetworkFileError.shape("\(source): \(part): bias of \(b.count) entries for \(M.rows) outputs") }
        var newBias: [Double]? = nil
        if let old = bias { newBias = M.multiply(old) }
        if let b { if newBias == nil { newBias = b } else { for i in 0..<b.count { newBias![i] += b[i] } } }
        if let A = matrix { matrix = try sparseProduct(M, A, what: part, limits: limits, source: source) } else { matrix = M }
        bias = newBias
        dense = dense && d
        parts.append(part)
    }

    /// self followed by x ↦ s ⊙ x + t (elementwise; BatchNorm, Mul/Div/Add/Sub by a constant).
    mutating func thenDiagonal(scale s: [Double]?, shift t: [Double]?, part: String) throws {
        let n = outputSize
        if let s {
            precondition(s.count == n)
            if let A = matrix {
                var vs = A.values
                for i in 0..<A.rows { for p in A.rowStart[i]..<A.rowStart[i + 1] { vs[p] *= s[i] } }
                matrix = try SparseMatrix(rows: A.rows, cols: A.cols, rowStart: A.rowStart, columns: A.columns, values: vs)
            } else {
                matrix = try SparseMatrix(rows: n, cols: n, rowStart: Array(0...n), columns: Array(0..<n), values: s)
                dense = false
            }
            if var b = bias { for i in 0..<n { b[i] *= s[i] }; bias = b }
        }
        if let t {
            precondition(t.count == n)
            if var b = bias { for i in 0..<n { b[i] += t[i] }; bias = b } else { bias = t }
        }
        parts.append(part)
    }

    /// The layer this map becomes (identity → an explicit sparse identity matrix).
    func layer(activation: Activation?) throws -> Layer {
        let M = try matrix ?? SparseMatrix(rows: inputSize, cols: inputSize, rowStart: Array(0...inputSize),
                                           columns: Array(0..<inputSize), values: [Double](repeating: 1, count: inputSize))
        let stored: Layer.Weights = (dense && matrix != nil) ? .dense(rows: M.rows, cols: M.cols, values: M.dense()) : .sparse(M)
        return try Layer(weights: stored, bias: bias, activation: activation)
    }
}

/// C = A · B for CSR matrices, after checking the size of the result against the budget.
func sparseProduct(_ A: SparseMatrix, _ B: SparseMatrix, what: String, limits: ReadLimits, source: String) throws -> SparseMatrix {
    precondition(A.cols == B.rows)
    // Upper bound of the result's nonzeros, capped per row by B.cols.
    var estimate = 0.0
    for i in 0..<A.rows {
        var r = 0.0
        for p in A.rowStart[i]..<A.rowStart[i + 1] { let k = A.columns[p]; r += Double(B.rowStart[k + 1] - B.rowStart[k]) }
        estimate += Swift.min(r, Double(B.cols))
    }
    try limits.claim(estimate * 16 + Double(A.rows) * 8, "composing \(what) with the preceding linear map (\(A.rows) × \(B.cols), up to \(estimate) nonzeros)", source: source)
    var acc = [Double](repeating: 0, count: B.cols)
    var mark = [Bool](repeating: false, count: B.cols)
    var touched: [Int] = []
    var rs = [0], cs: [Int] = [], vs: [Double] = []
    rs.reserveCapacity(A.rows + 1)
    for i in 0..<A.rows {
        if i & 255 == 0, Interrupt.isRequested { throw NetworkFileError.io("\(source): interrupted") }
        for p in A.rowStart[i]..<A.rowStart[i + 1] {
            let k = A.columns[p], a = A.values[p]
            for q in B.rowStart[k]..<B.rowStart[k + 1] {
                let j = B.columns[q]
                if !mark[j] { mark[j] = true; touched.append(j) }
                acc[j] += a * B.values[q]
            }
        }
        touched.sort()
        for j in touched { if acc[j] != 0 { cs.append(j); vs.append(acc[j]) }; acc[j] = 0; mark[j] = false }
        touched.removeAll(keepingCapacity: true)
        rs.append(cs.count)
    }
    return try SparseMatrix(rows: A.rows, cols: B.cols, rowStart: rs, columns: cs, values: vs)
}

/// The geometry of a convolution or pooling window over `spatial` dimensions (1 or 2).
public struct WindowGeometry: Sendable, Equatable {
    public var kernel: [Int]
    public var strides: [Int]
    /// Begin pads then end pads, ONNX order: [x1_begin, x2_begin, ..., x1_end, x2_end, ...].
    public var pads: [Int]
    public var dilations: [Int]
    public init(kernel: [Int], strides: [Int]? = nil, pads: [Int]? = nil, dilations: [Int]? = nil) {
        self.kernel = kernel
        self.strides = strides ?? [Int](repeating: 1, count: kernel.count)
        self.pads = pads ?? [Int](repeating: 0, count: 2 * kernel.count)
        self.dilations = dilations ?? [Int](repeating: 1, count: kernel.count)
    }

    /// Output sizes for input sizes `input` (floor mode), or an error naming `what`.
    func outputSizes(_ input: [Int], what: String, transposed: Bool = false, outputPadding: [Int]? = nil) throws -> [Int] {
        let r = kernel.count
        guard input.count == r, strides.count == r, dilations.count == r, pads.count == 2 * r else {
            throw NetworkFileError.shape("\(what): a \(r)-D window on an input with \(input.count) spatial dimensions \(input)")
        }
        for v in kernel + strides + dilations where v < 1 || v > 1 << 20 {
            throw NetworkFileError.unsupported("\(what): kernel \(kernel), strides \(strides), dilations \(dilations) must be positive (and not absurd)")
        }
        for v in pads where v < 0 || v > 1 << 20 { throw NetworkFileError.unsupported("\(what): pads \(pads) must be nonnegative") }
        var out: [Int] = []
        for a in 0..<r {
            let span = dilations[a] * (kernel[a] - 1) + 1
            if transposed {
                let o = (input[a] - 1) * strides[a] - pads[a] - pads[a + r] + span + (outputPadding?[a] ?? 0)
                guard o >= 1 else { throw NetworkFileError.shape("\(what): output size \(o) along spatial axis \(a + 1)") }
                out.append(o)
            } else {
                let padded = input[a] + pads[a] + pads[a + r]
                guard padded >= span else {
                    throw NetworkFileError.shape("\(what): the window (\(span) wide with dilation) is larger than the padded input (\(padded)) along spatial axis \(a + 1) of input \(input)")
                }
                out.append((padded - span) / strides[a] + 1)
            }
        }
        return out
    }
}

/// Spatial helpers: 1-D maps to 2-D with a height of 1.
private func as2D(_ s: [Int]) -> (Int, Int) { s.count == 1 ? (1, s[0]) : (s[0], s[1]) }
private func geom2D(_ g: WindowGeometry) -> (k: (Int, Int), s: (Int, Int), p: (Int, Int), d: (Int, Int)) {
    if g.kernel.count == 1 { return ((1, g.kernel[0]), (1, g.strides[0]), (0, g.pads[0]), (1, g.dilations[0])) }
    return ((g.kernel[0], g.kernel[1]), (g.strides[0], g.strides[1]), (g.pads[0], g.pads[1]), (g.dilations[0], g.dilations[1]))
}

/// A convolution (cross-correlation, as in ONNX and PyTorch) unrolled to its CSR matrix on the
/// flattened input [C, H, W] (row-major, as Flatten/view give it): row (m, oy, ox), column
/// (c, iy, ix), value W[m, c − g·C/group, ky, kx]; padding positions have no column. Rows are
/// in output order and columns strictly increase within a row, so the result is deterministic.
/// Exact zero weights are not stored.
func unrollConv(weight: [Double], weightShape: [Int], bias: [Double]?, input: [Int], geometry g: WindowGeometry, group: Int,
                what: String, limits: ReadLimits, source: String) throws -> (matrix: SparseMatrix, bias: [Double]?, output: [Int]) {
    let r = input.count - 1
    guard r == 1 || r == 2, weightShape.count == r + 2, g.kernel.count == r else {
        throw NetworkFileError.unsupported("\(what): weight \(weightShape) on input \(input); 1-D and 2-D convolutions are supported (input [C, L] or [C, H, W])")
    }
    let C = input[0], M = weightShape[0], Cg = weightShape[1]
    guard group >= 1, C % group == 0, M % group == 0, C / group == Cg else {
        throw NetworkFileError.shape("\(what): weight \(weightShape) with group \(group) needs \(Cg * group) input channels, the input \(input) has \(C)")
    }
    guard Array(weightShape[2...]) == g.kernel else { throw NetworkFileError.shape("\(what): kernel_shape \(g.kernel) but weight \(weightShape)") }
    let outSp = try g.outputSizes(Array(input[1...]), what: what)
    let (H, W) = as2D(Array(input[1...])), (OH, OW) = as2D(outSp)
    let gg = geom2D(g)
    let (kH, kW) = gg.k
    let rows = try sized(source) { try CheckedSize.product([M, OH, OW], what: "\(what) output") }
    let perRow = try sized(source) { try CheckedSize.product([Cg, kH, kW], what: "\(what) window") }
    let bound = try sized(source) { try CheckedSize.product([rows, perRow], what: "\(what) unrolled nonzeros") }
    try limits.claim(Double(bound) * 16 + Double(rows) * 8, "unrolling \(what) to a \(rows) × \(C * H * W) sparse matrix (up to \(bound) nonzeros)", source: source)
    var rs = [Int](), cs = [Int](), vs = [Double]()
    rs.reserveCapacity(rows + 1); cs.reserveCapacity(bound); vs.reserveCapacity(bound)
    rs.append(0)
    let Mg = M / group
    for m in 0..<M {
        if Interrupt.isRequested { throw NetworkFileError.io("\(source): interrupted") }
        let grp = m / Mg
        for oy in 0..<OH {
            for ox in 0..<OW {
                for cl in 0..<Cg {
                    let c = grp * Cg + cl
                    for ky in 0..<kH {
                        let iy = oy * gg.s.0 - gg.p.0 + ky * gg.d.0
                        if iy < 0 || iy >= H { continue }
                        for kx in 0..<kW {
                            let ix = ox * gg.s.1 - gg.p.1 + kx * gg.d.1
                            if ix < 0 || ix >= W { continue }
                            let w = weight[((m * Cg + cl) * kH + ky) * kW + kx]
                            if w != 0 { cs.append((c * H + iy) * W + ix); vs.append(w) }
                        }
                    }
                }
                rs.append(cs.count)
            }
        }
    }
    let Mx = try SparseMatrix(rows: rows, cols: C * H * W, rowStart: rs, columns: cs, values: vs)
    let b = bias.map { bb in (0..<rows).map { bb[$0 / (OH * OW)] } }
    return (Mx, b, [M] + outSp)
}

/// A transposed convolution unrolled: y[m, oy, ox] += x[c, iy, ix] · W[c, m − g·M/group, ky, kx]
/// with oy = iy·s − pad + ky·d. Built row by row (each row's columns sorted).
func unrollConvTranspose(weight: [Double], weightShape: [Int], bias: [Double]?, input: [Int], geometry g: WindowGeometry, group: Int,
                         outputPadding: [Int]?, what: String, limits: ReadLimits, source: String) throws -> (matrix: SparseMatrix, bias: [Double]?, output: [Int]) {
    let r = input.count - 1
    guard r == 1 || r == 2, weightShape.count == r + 2, g.kernel.count == r else {
        throw NetworkFileError.unsupported("\(what): weight \(weightShape) on input \(input); 1-D and 2-D transposed convolutions are supported")
    }
    let C = input[0], Mg = weightShape[1]
    guard group >= 1, C % group == 0, weightShape[0] == C else {
        throw NetworkFileError.shape("\(what): weight \(weightShape) needs \(weightShape[0]) input channels, the input \(input) has \(C)")
    }
    guard Array(weightShape[2...]) == g.kernel else { throw NetworkFileError.shape("\(what): kernel_shape \(g.kernel) but weight \(weightShape)") }
    if let op = outputPadding { for (a, v) in op.enumerated() where v < 0 || v >= Swift.max(g.strides[a], g.dilations[a]) {
        throw NetworkFileError.unsupported("\(what): output_padding \(op) must be smaller than the stride or dilation") } }
    let M = Mg * group, Cg = C / group
    let outSp = try g.outputSizes(Array(input[1...]), what: what, transposed: true, outputPadding: outputPadding)
    let (H, W) = as2D(Array(input[1...])), (OH, OW) = as2D(outSp)
    let gg = geom2D(g)
    let (kH, kW) = gg.k
    let rows = try sized(source) { try CheckedSize.product([M, OH, OW], what: "\(what) output") }
    let bound = try sized(source) { try CheckedSize.product([C, H, W, Mg, kH, kW], what: "\(what) unrolled nonzeros") }
    try limits.claim(Double(bound) * 16 + Double(rows) * 8, "unrolling \(what) to a \(rows) × \(C * H * W) sparse matrix (up to \(bound) nonzeros)", source: source)
    var rs = [0], cs = [Int](), vs = [Double]()
    var row: [(Int, Double)] = []
    for m in 0..<M {
        if Interrupt.isRequested { throw NetworkFileError.io("\(source): interrupted") }
        let grp = m / Mg, ml = m % Mg
        for oy in 0..<OH {
            for ox in 0..<OW {
                row.removeAll(keepingCapacity: true)
                for cl in 0..<Cg {
                    let c = grp * Cg + cl
                    for ky in 0..<kH {
                        let ty = oy + gg.p.0 - ky * gg.d.0
                        if ty < 0 || ty % gg.s.0 != 0 { continue }
                        let iy = ty / gg.s.0
                        if iy >= H { continue }
                        for kx in 0..<kW {
                            let tx = ox + gg.p.1 - kx * gg.d.1
                            if tx < 0 || tx % gg.s.1 != 0 { continue }
                            let ix = tx / gg.s.1
                            if ix >= W { continue }
                            let w = weight[((c * Mg + ml) * kH + ky) * kW + kx]
                            if w != 0 { row.append(((c * H + iy) * W + ix, w)) }
                        }
                    }
                }
                row.sort { $0.0 < $1.0 }
                // distinct (ky, kx) reach distinct (iy, ix) for fixed (oy, ox), so no duplicates
                for (j, w) in row { cs.append(j); vs.append(w) }
                rs.append(cs.count)
            }
        }
    }
    let Mx = try SparseMatrix(rows: rows, cols: C * H * W, rowStart: rs, columns: cs, values: vs)
    let b = bias.map { bb in (0..<rows).map { bb[$0 / (OH * OW)] } }
    return (Mx, b, [M] + outSp)
}

/// Average pooling per channel (ONNX AveragePool, floor mode, no dilation): row (c, oy, ox)
/// averages the window's input positions; padding positions count in the divisor only with
/// `countIncludePad`.
func unrollAveragePool(input: [Int], geometry g: WindowGeometry, countIncludePad: Bool, what: String,
                       limits: ReadLimits, source: String) throws -> (matrix: SparseMatrix, output: [Int]) {
    let r = input.count - 1
    guard r == 1 || r == 2, g.kernel.count == r else {
        throw NetworkFileError.unsupported("\(what): kernel \(g.kernel) on input \(input); 1-D and 2-D pooling are supported")
    }
    guard g.dilations.allSatisfy({ $0 == 1 }) else { throw NetworkFileError.unsupported("\(what): dilated average pooling is not supported") }
    let C = input[0]
    let outSp = try g.outputSizes(Array(input[1...]), what: what)
    let (H, W) = as2D(Array(input[1...])), (OH, OW) = as2D(outSp)
    let gg = geom2D(g)
    let (kH, kW) = gg.k
    let rows = try sized(source) { try CheckedSize.product([C, OH, OW], what: "\(what) output") }
    let bound = try sized(source) { try CheckedSize.product([rows, kH, kW], what: "\(what) unrolled nonzeros") }
    try limits.claim(Double(bound) * 16 + Double(rows) * 8, "unrolling \(what) (up to \(bound) nonzeros)", source: source)
    var rs = [0], cs = [Int](), vs = [Double]()
    for c in 0..<C {
        for oy in 0..<OH {
            for ox in 0..<OW {
                var cols: [Int] = []
                var inPad = 0
                for ky in 0..<kH {
                    let iy = oy * gg.s.0 - gg.p.0 + ky
                    for kx in 0..<kW {
                        let ix = ox * gg.s.1 - gg.p.1 + kx
                        if iy < 0 || iy >= H || ix < 0 || ix >= W { inPad += 1; continue }
                        cols.append((c * H + iy) * W + ix)
                    }
                }
                let div = Double(countIncludePad ? cols.count + inPad : cols.count)
                for j in cols { cs.append(j); vs.append(1 / div) }
                rs.append(cs.count)
            }
        }
    }
    return (try SparseMatrix(rows: rows, cols: C * H * W, rowStart: rs, columns: cs, values: vs), [C] + outSp)
}

/// Global average pooling: [C, spatial...] → [C, 1, ...] (row c averages channel c).
func globalAveragePool(input: [Int]) throws -> (matrix: SparseMatrix, output: [Int]) {
    let C = input[0], n = input.dropFirst().reduce(1, *)
    var rs = [0], cs = [Int](), vs = [Double]()
    for c in 0..<C { for j in 0..<n { cs.append(c * n + j); vs.append(1 / Double(n)) }; rs.append(cs.count) }
    return (try SparseMatrix(rows: C, cols: C * n, rowStart: rs, columns: cs, values: vs), [C] + [Int](repeating: 1, count: input.count - 1))
}

/// CSR from (row, column, value) triplets, sorted by (row, column); duplicates summed; zeros
/// dropped. Indices are checked by the caller.
func csrFromTriplets(rows: Int, cols: Int, _ t: [(Int, Int, Double)]) throws -> SparseMatrix {
    let s = t.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
    var rs = [Int](repeating: 0, count: rows + 1), cs: [Int] = [], vs: [Double] = []
    var k = 0
    while k < s.count {
        var v = s[k].2
        var e = k + 1
        while e < s.count, s[e].0 == s[k].0, s[e].1 == s[k].1 { v += s[e].2; e += 1 }
        if v != 0 { rs[s[k].0 + 1] += 1; cs.append(s[k].1); vs.append(v) }
        k = e
    }
    for i in 0..<rows { rs[i + 1] += rs[i] }
    return try SparseMatrix(rows: rows, cols: cols, rowStart: rs, columns: cs, values: vs)
}
