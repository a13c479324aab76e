import LipControl

/// Errors for malformed SDP data (wrong sizes, indices out of range, NaN/Inf, absurd orders).
/// Solver outcomes are never errors: they are `SDPResult` values with a status.
public struct SDPError: Error, CustomStringConvertible, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A real symmetric matrix of order `order`, stored sparse and deterministically: the entries
/// of the upper triangle (row ≤ column), sorted by (row, column), each position at most once,
/// explicit zeros dropped. Entry (i, j) with i < j stands for both M_ij and M_ji, so
///
///     ⟨M, X⟩ = Σ_i M_ii X_ii + 2 Σ_{i<j} M_ij X_ij.
///
/// Dense input is accepted (`init(order:dense:)`); storage is sparse either way.
/// `adjacency` (both triangles, diagonal excluded, rows sorted) is built once for products.
public struct SymmetricMatrix: Sendable, Equatable {
    public let order: Int
    /// Upper-triangle entries: rows[k] ≤ columns[k], sorted by (row, column).
    public let rows: [Int32]
    public let columns: [Int32]
    public let values: [Double]

    public var entryCount: Int { values.count }

    /// From (row, column, value) triplets in any order and either triangle: (i, j) and (j, i)
    /// name the same entry. Duplicates are summed (in the order given, so the result is
    /// deterministic). Throws on indices outside 0..<order, NaN/Inf values, or a negative order.
    public init(order: Int, entries: [(Int, Int, Double)]) throws {
        guard order >= 0 else { throw SDPError("symmetric matrix: order \(order) must be ≥ 0") }
        guard order <= Int(Int32.max) else { throw SDPError("symmetric matrix: order \(order) is too large (at most \(Int32.max))") }
        var keyed: [(key: Int, seq: Int, v: Double)] = []
        keyed.reserveCapacity(entries.count)
        for (s, (i0, j0, v)) in entries.enumerated() {
            guard i0 >= 0, i0 < order, j0 >= 0, j0 < order else {
                throw SDPError("symmetric matrix of order \(order): entry (\(i0 + 1), \(j0 + 1)) is outside 1..\(order) (1-based)")
            }
            guard v.isFinite else { throw SDPError("symmetric matrix: entry (\(i0 + 1), \(j0 + 1)) is \(v); entries must be finite") }
            let i = Swift.min(i0, j0), j = Swift.max(i0, j0)
            keyed.append((i * order + j, s, v))
        }
        keyed.sort { $0.key != $1.key ? $0.key < $1.key : $0.seq < $1.seq }
        var r: [Int32] = [], c: [Int32] = [], vs: [Double] = []
        var k = 0
        while k < keyed.count {
            var sum = keyed[k].v, m = k + 1
            while m < keyed.count && keyed[m].key == keyed[k].key { sum += keyed[m].v; m += 1 }
            if sum != 0 {
                r.append(Int32(keyed[k].key / order)); c.append(Int32(keyed[k].key % order)); vs.append(sum)
            }
            k = m
        }
        self.order = order; rows = r; columns = c; values = vs
    }

    /// From a dense row-major order × order array; only the upper triangle is read, and the
    /// lower triangle must equal it (checked exactly).
    public init(order: Int, dense: [Double]) throws {
        let count = try CheckedSize.product([order, order], what: "dense symmetric matrix")
        guard dense.count == count else {
            throw SDPError("dense symmetric matrix: \(dense.count) values given for order \(order) (order² = \(count) expected, row-major)")
        }
        var e: [(Int, Int, Double)] = []
        for i in 0..<order {
            for j in i..<order {
                let v = dense[i * order + j]
                guard v == dense[j * order + i] || (v.isNaN && dense[j * order + i].isNaN) else {
                    throw SDPError("dense matrix is not symmetric: entry (\(i + 1), \(j + 1)) = \(v) but (\(j + 1), \(i + 1)) = \(dense[j * order + i])")
                }
                if v != 0 || v.isNaN { e.append((i, j, v)) }
            }
        }
        try self.init(order: order, entries: e)
    }

    /// Already sorted, unique upper-triangle entries (internal fast path; checked in debug).
    init(order: Int, sortedRows: [Int32], columns: [Int32], values: [Double]) {
        self.order = order; rows = sortedRows; self.columns = columns; self.values = values
    }

    /// −M (exact).
    public func negated() -> SymmetricMatrix {
        SymmetricMatrix(order: order, sortedRows: rows, columns: columns, values: values.map { -$0 })
    }

    /// The zero matrix of an order.
    public static func zero(order: Int) -> SymmetricMatrix {
        SymmetricMatrix(order: order, sortedRows: [], columns: [], values: [])
    }

    /// Entry (i, j) (either triangle), 0-based. O(log nnz).
    public subscript(i: Int, j: Int) -> Double {
        let a = Int32(Swift.min(i, j)), b = Int32(Swift.max(i, j))
        var lo = 0, hi = values.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if rows[mid] < a || (rows[mid] == a && columns[mid] < b) { lo = mid + 1 } else { hi = mid }
        }
        return lo < values.count && rows[lo] == a && columns[lo] == b ? values[lo] : 0
    }

    /// Dense row-major copy (both triangles). For tests and small problems.
    public func dense() -> [Double] {
        var out = [Double](repeating: 0, count: order * order)
        for k in values.indices {
            let i = Int(rows[k]), j = Int(columns[k])
            out[i * order + j] = values[k]; out[j * order + i] = values[k]
        }
        return out
    }

    /// The diagonal as a dense vector.
    public var diagonal: [Double] {
        var d = [Double](repeating: 0, count: order)
        for k in values.indices where rows[k] == columns[k] { d[Int(rows[k])] = values[k] }
        return d
    }

    /// ⟨M, X⟩ for a dense row-major symmetric X.
    public func dot(dense X: [Double]) -> Double {
        var s = 0.0
        for k in values.indices {
            let i = Int(rows[k]), j = Int(columns[k])
            s += (i == j ? 1 : 2) * values[k] * X[i * order + j]
        }
        return s
    }

    /// Σ |M_ij| over the whole matrix (both triangles).
    public var absoluteSum: Double {
        var s = 0.0
        for k in values.indices { s += (rows[k] == columns[k] ? 1 : 2) * Swift.abs(values[k]) }
        return s
    }

    /// The matrix in CSR with both triangles (diagonal kept separately), for products.
    public func adjacency() -> SymmetricAdjacency { SymmetricAdjacency(self) }
}

/// Both triangles of a `SymmetricMatrix` in compressed sparse rows, without the diagonal,
/// columns sorted within each row; plus the diagonal. Used for products M·x and M·V.
public struct SymmetricAdjacency: Sendable {
    public let order: Int
    public let rowStart: [Int]
    public let columns: [Int32]
    public let values: [Double]
    public let diagonal: [Double]

    init(_ m: SymmetricMatrix) {
        let n = m.order
        var deg = [Int](repeating: 0, count: n + 1)
        var diag = [Double](repeating: 0, count: n)
        for k in m.values.indices {
            let i = Int(m.rows[k]), j = Int(m.columns[k])
            if i == j { diag[i] = m.values[k] } else { deg[i + 1] += 1; deg[j + 1] += 1 }
        }
        for i in 0..<n { deg[i + 1] += deg[i] }
        var fill = Array(deg[0..<n])
        var cols = [Int32](repeating: 0, count: deg[n]), vals = [Double](repeating: 0, count: deg[n])
        // Entries come sorted by (row, column) of the upper triangle. Lower-triangle entries of
        // row j (column i < j) are appended while scanning rows i in increasing order, and the
        // upper-triangle entries of row j come when row j itself is scanned (after every i < j);
        // so every row ends up sorted by column without a sort.
        for k in m.values.indices {
            let i = Int(m.rows[k]), j = Int(m.columns[k])
            if i == j { continue }
            cols[fill[i]] = Int32(j); vals[fill[i]] = m.values[k]; fill[i] += 1
            cols[fill[j]] = Int32(i); vals[fill[j]] = m.values[k]; fill[j] += 1
        }
        order = n; rowStart = deg; columns = cols; values = vals; diagonal = diag
    }

    /// y = M x.
    public func multiply(_ x: [Double]) -> [Double] {
        var y = [Double](repeating: 0, count: order)
        for i in 0..<order {
            var s = diagonal[i] * x[i]
            for p in rowStart[i]..<rowStart[i + 1] { s += values[p] * x[Int(columns[p])] }
            y[i] = s
        }
        return y
    }

    /// Number of off-diagonal neighbours of row i.
    @inline(__always) public func degree(_ i: Int) -> Int { rowStart[i + 1] - rowStart[i] }
}
