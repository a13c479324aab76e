import LipControl

/// The MAXCUT-type SDP (Shor's relaxation of a ±1 quadratic program):
///
///     maximise ⟨Q, X⟩   subject to   X_ii = 1 (i ∉ T),   Σ_{i∈T} X_ii = 1,   X ⪰ 0
///
/// with Q symmetric (sparse), and an optional *trace block* T (a contiguous range of indices;
/// the ℓ2 dual ball: the t-variables lie on the unit sphere instead of the cube). Its dual is
///
///     minimise Σ_{i∉T} d_i + λ   subject to   Diag(d) − Q ⪰ 0,  d_i = λ for i ∈ T.
///
/// Every dual-feasible d gives max{xᵀQx : x_i = ±1 (i ∉ T), ‖x_T‖₂ = 1} ≤ Σ_{i∉T} d_i + λ
/// (weak duality; the certificate makes it a theorem under rounding, see `certify`).
/// Dual vectors are always of length `order`; on T the certificate uses λ = max_{i∈T} d_i.
public struct MaxCutProblem: Sendable {
    public let q: SymmetricMatrix
    public let traceBlock: Range<Int>?
    public var order: Int { q.order }

    /// Throws when the trace block is empty or leaves 0..<order.
    public init(q: SymmetricMatrix, traceBlock: Range<Int>? = nil) throws {
        if let t = traceBlock {
            guard !t.isEmpty, t.lowerBound >= 0, t.upperBound <= q.order else {
                throw SDPError("MAXCUT problem: trace block \(t) must be a nonempty range inside 0..<\(q.order)")
            }
        }
        self.q = q; self.traceBlock = traceBlock
    }

    /// Number of equality constraints of the primal: the unit diagonal outside T, plus one
    /// trace row when T is present.
    public var constraintCount: Int { order - (traceBlock?.count ?? 0) + (traceBlock == nil ? 0 : 1) }

    /// An upper bound on tr(X) over the feasible set (n − |T| + 1): what one unit of the
    /// certificate's diagonal shift μ costs in the bound.
    public var traceBound: Double { Double(constraintCount) }

    /// The dual objective Σ_{i∉T} d_i + max_{i∈T} d_i (nearest rounding; for reports).
    public func dualObjective(_ d: [Double]) -> Double {
        var s = 0.0, lam = -Double.infinity
        for i in 0..<Swift.min(d.count, order) {
            if let t = traceBlock, t.contains(i) { lam = Swift.max(lam, d[i]) } else { s += d[i] }
        }
        return traceBlock == nil ? s : s + lam
    }

    /// The same problem as a general `BlockSDP` (one block; constraints X_ii = 1, and the
    /// trace row last when T is present). Duals map as y_k = d_k, y_trace = λ.
    public func asBlockSDP() -> BlockSDP {
        var cons: [SDPConstraint] = []
        cons.reserveCapacity(constraintCount)
        for i in 0..<order where !(traceBlock?.contains(i) ?? false) {
            cons.append(SDPConstraint(terms: [BlockMatrix(block: 0, matrix: SymmetricMatrix(order: order, sortedRows: [Int32(i)], columns: [Int32(i)], values: [1]))], lower: 1, upper: 1))
        }
        if let t = traceBlock {
            let idx = t.map { Int32($0) }
            cons.append(SDPConstraint(terms: [BlockMatrix(block: 0, matrix: SymmetricMatrix(order: order, sortedRows: idx, columns: idx, values: Array(repeating: 1, count: t.count)))], lower: 1, upper: 1))
        }
        return BlockSDP(sense: .maximize, blockSizes: [order], objective: [q], constraints: cons,
                        traceBounds: [traceBound])
    }

    /// The block dual y (one per constraint of `asBlockSDP()`) of a MAXCUT dual d.
    public func blockDual(_ d: [Double]) -> [Double] {
        var y: [Double] = []
        y.reserveCapacity(constraintCount)
        var lam = -Double.infinity
        for i in 0..<order {
            if let t = traceBlock, t.contains(i) { lam = Swift.max(lam, d[i]) } else { y.append(d[i]) }
        }
        if traceBlock != nil { y.append(lam) }
        return y
    }
}

/// One matrix of a constraint or objective, on one block.
public struct BlockMatrix: Sendable, Equatable {
    public var block: Int
    public var matrix: SymmetricMatrix
    public init(block: Int, matrix: SymmetricMatrix) { self.block = block; self.matrix = matrix }
}

/// lower ≤ Σ_b ⟨A_b, X_b⟩ ≤ upper (lower = upper: an equality; ±∞: one-sided).
///
/// `formationError` e ≥ 0 declares that the stored matrices are a floating-point image of the
/// constraint really meant: |⟨Â − A, X⟩| ≤ e on the feasible set. The certificate then adds
/// |y|·e to the bound, so rounding made while building the data cannot make it too small.
public struct SDPConstraint: Sendable, Equatable {
    public var terms: [BlockMatrix]
    public var lower: Double
    public var upper: Double
    public var formationError: Double
    public var name: String?
    public init(terms: [BlockMatrix], lower: Double, upper: Double, formationError: Double = 0, name: String? = nil) {
        self.terms = terms; self.lower = lower; self.upper = upper; self.formationError = formationError; self.name = name
    }
    public var isEquality: Bool { lower == upper }
}

/// A general SDP over symmetric blocks X_1..X_B (each X_b ⪰ 0 of order blockSizes[b]):
///
///     maximise (or minimise)  Σ_b ⟨C_b, X_b⟩ + c₀
///     subject to              l_k ≤ Σ_b ⟨A_kb, X_b⟩ ≤ u_k,   k = 1..m
///
/// Dual (for maximise): one multiplier y_k per constraint,
///
///     minimise Σ_k β_k(y_k) + c₀,   β_k(y) = y·u_k if y > 0, y·l_k if y < 0, 0 if y = 0,
///     subject to  S_b(y) = Σ_k y_k A_kb − C_b ⪰ 0 for every block.
///
/// (A minimisation is the maximisation of −C with the value negated; duals are always those
/// of the maximisation form.) `traceBounds[b]`, when
/// known, bounds tr(X_b) on the feasible set; it lets the certificate repair a slightly
/// infeasible dual by a diagonal shift (cost μ·bound). `objectiveError` is the objective's
/// counterpart of `SDPConstraint.formationError`.
public struct BlockSDP: Sendable {
    public enum Sense: String, Sendable { case maximize, minimize }
    public var sense: Sense
    public var blockSizes: [Int]
    /// One cost matrix per block (the zero matrix where the cost does not involve a block).
    public var objective: [SymmetricMatrix]
    public var objectiveConstant: Double
    public var constraints: [SDPConstraint]
    /// Per block: an upper bound on tr(X_b) valid on the feasible set, or nil when unknown.
    public var traceBounds: [Double?]
    /// Per block, optionally: β with X_ii ≤ β_i on the feasible set (one per index). Lets the
    /// certificate shift each index in proportion to its scale (see `certify`).
    public var diagonalBounds: [[Double]?]
    public var objectiveError: Double
    public var name: String

    public init(sense: Sense = .maximize, blockSizes: [Int], objective: [SymmetricMatrix], objectiveConstant: Double = 0,
                constraints: [SDPConstraint], traceBounds: [Double?]? = nil, diagonalBounds: [[Double]?]? = nil,
                objectiveError: Double = 0, name: String = "sdp") {
        self.sense = sense; self.blockSizes = blockSizes; self.objective = objective
        self.objectiveConstant = objectiveConstant; self.constraints = constraints
        self.traceBounds = traceBounds ?? Array(repeating: nil, count: blockSizes.count)
        self.diagonalBounds = diagonalBounds ?? Array(repeating: nil, count: blockSizes.count)
        self.objectiveError = objectiveError; self.name = name
    }

    /// Checks sizes, indices, finiteness and bounds; throws `SDPError` naming the problem.
    public func validate() throws {
        guard !blockSizes.isEmpty else { throw SDPError("SDP '\(name)': no blocks; give at least one block size") }
        for (b, s) in blockSizes.enumerated() where s < 1 {
            throw SDPError("SDP '\(name)': block \(b + 1) has size \(s); sizes must be ≥ 1")
        }
        guard objective.count == blockSizes.count else {
            throw SDPError("SDP '\(name)': \(objective.count) cost matrices for \(blockSizes.count) blocks (give one per block, zero where unused)")
        }
        for (b, c) in objective.enumerated() where c.order != blockSizes[b] {
            throw SDPError("SDP '\(name)': the cost matrix of block \(b + 1) has order \(c.order), the block has size \(blockSizes[b])")
        }
        guard objectiveConstant.isFinite else { throw SDPError("SDP '\(name)': objective constant is \(objectiveConstant)") }
        guard traceBounds.count == blockSizes.count else {
            throw SDPError("SDP '\(name)': \(traceBounds.count) trace bounds for \(blockSizes.count) blocks")
        }
        for (b, t) in traceBounds.enumerated() { if let t, !(t.isFinite && t >= 0) {
            throw SDPError("SDP '\(name)': trace bound of block \(b + 1) is \(t); it must be finite and ≥ 0 (or absent)")
        } }
        guard diagonalBounds.count == blockSizes.count else {
            throw SDPError("SDP '\(name)': \(diagonalBounds.count) diagonal-bound lists for \(blockSizes.count) blocks")
        }
        for (b, d) in diagonalBounds.enumerated() { if let d {
            guard d.count == blockSizes[b] else { throw SDPError("SDP '\(name)': block \(b + 1) has \(d.count) diagonal bounds for size \(blockSizes[b])") }
            if let i = d.firstIndex(where: { !($0.isFinite && $0 >= 0) }) {
                throw SDPError("SDP '\(name)': diagonal bound \(i + 1) of block \(b + 1) is \(d[i]); it must be finite and ≥ 0")
            }
        } }
        guard objectiveError.isFinite, objectiveError >= 0 else { throw SDPError("SDP '\(name)': objective error \(objectiveError) must be finite and ≥ 0") }
        for (k, c) in constraints.enumerated() {
            let nm = c.name.map { "'\($0)'" } ?? "\(k + 1)"
            guard !c.lower.isNaN, !c.upper.isNaN, c.lower <= c.upper, c.lower < .infinity, c.upper > -.infinity else {
                throw SDPError("SDP '\(name)': constraint \(nm) has bounds [\(c.lower), \(c.upper)]; need lower ≤ upper, not NaN")
            }
            guard c.formationError.isFinite, c.formationError >= 0 else {
                throw SDPError("SDP '\(name)': constraint \(nm) has formation error \(c.formationError); it must be finite and ≥ 0")
            }
            var seen = Set<Int>()
            for t in c.terms {
                guard t.block >= 0, t.block < blockSizes.count else {
                    throw SDPError("SDP '\(name)': constraint \(nm) names block \(t.block + 1); there are \(blockSizes.count) blocks")
                }
                guard t.matrix.order == blockSizes[t.block] else {
                    throw SDPError("SDP '\(name)': constraint \(nm) has a matrix of order \(t.matrix.order) on block \(t.block + 1) of size \(blockSizes[t.block])")
                }
                guard seen.insert(t.block).inserted else {
                    throw SDPError("SDP '\(name)': constraint \(nm) gives block \(t.block + 1) twice; give one matrix per block")
                }
            }
        }
    }

    /// The dual value in the problem's own sense (nearest rounding; for reports). `y` is
    /// always the multiplier vector of the maximisation form (max Σ⟨±C_b, X_b⟩ ± c₀, with −
    /// for a minimisation): D = Σ_k β_k(y_k) ± c₀, reported as D (maximise) or −D (minimise).
    public func dualObjective(_ y: [Double]) -> Double {
        var s = sense == .maximize ? objectiveConstant : -objectiveConstant
        for (k, c) in constraints.enumerated() where k < y.count {
            if y[k] > 0 { s += y[k] * c.upper } else if y[k] < 0 { s += y[k] * c.lower }
        }
        return sense == .maximize ? s : -s
    }

    /// The maximisation form: C and c₀ negated for a minimisation (the same constraints).
    public var maximizationForm: BlockSDP {
        guard sense == .minimize else { return self }
        var m = self
        m.sense = .maximize
        m.objective = objective.map { $0.negated() }
        m.objectiveConstant = -objectiveConstant
        return m
    }

    /// Number of dense order² doubles of the largest block (for memory estimates).
    public var largestBlock: Int { blockSizes.max() ?? 0 }
}

/// What an `SDPSolver` is asked to solve.
public enum SDPProblem: Sendable {
    case maxCut(MaxCutProblem)
    case block(BlockSDP)

    public var description: String {
        switch self {
        case .maxCut(let p): return "MAXCUT-type SDP of order \(p.order) with \(p.q.entryCount) cost entries\(p.traceBlock.map { ", trace block \($0.lowerBound + 1)...\($0.upperBound)" } ?? "")"
        case .block(let b): return "SDP '\(b.name)' with blocks \(b.blockSizes) and \(b.constraints.count) constraints"
        }
    }
}
