import CGLPK
import CGLPKShims
import Glibc
import LipControl
import LipLP

/// The address-space limit and current use of this process (for out-of-memory messages and
/// for refusing a solve that cannot fit under `ulimit -v`).
struct MemoryLimits: CustomStringConvertible {
    /// RLIMIT_AS in bytes, nil when unlimited.
    var addressSpaceLimit: Double?
    /// VmSize and VmRSS in bytes (0 when unknown).
    var addressSpace: Double
    var resident: Double

    static var current: MemoryLimits {
        let limit = liplua_address_space_limit()
        return MemoryLimits(addressSpaceLimit: limit < 0 ? nil : Double(limit),
                            addressSpace: Double(liplua_proc_status_kb("VmSize")) * 1024,
                            resident: Double(liplua_proc_status_kb("VmRSS")) * 1024)
    }

    /// Bytes of address space left under RLIMIT_AS, nil when unlimited.
    var addressSpaceLeft: Double? { addressSpaceLimit.map { max(0, $0 - addressSpace) } }

    var description: String {
        var s = "This process uses \(formatBytes(resident)) resident"
        if let l = addressSpaceLimit {
            s += " and \(formatBytes(addressSpace)) of its \(formatBytes(l)) address-space limit (ulimit -v)."
        } else {
            s += "; no address-space limit is set; the machine has \(formatBytes(MemoryBudget.physicalMemory))."
        }
        return s
    }
}

extension GLPKSolver {
    /// Peak memory, in bytes, that solving an LP of this size with GLPK adds to the memory
    /// already holding the `LinearProgram` value (which is `24·columns + 16·rows + 16·nonzeros`
    /// bytes plus names; see `LinearProgram.memoryEstimate`).
    ///
    /// Fitted to peak resident sets measured on the benchmark LPs (Krivine LPs from 6k to 5.3M
    /// nonzeros and scripts/examples/big_lp.lua's LP; `scripts/tools/bench_memory`, table in
    /// README.md), within ±3% on the LPs above 100,000 nonzeros:
    ///
    /// * simplex (this process): 190 B per nonzero + 350 B per row or column — the wrapper's
    ///   copy, GLPK's problem object (a 56-byte element per nonzero, in a row and a column
    ///   list), the presolver's copy and the presolved problem, the simplex's working matrix
    ///   (by columns and by rows) and the basis factorisation;
    /// * interior point: this process's copy (16 B per nonzero + 48 B per row or column) and
    ///   the child process (135 B per nonzero + 445 B per row or column + 12 B per nonzero of
    ///   the Cholesky factor L). Without `factorNonzeros` (GLPK prints it after its symbolic
    ///   factorisation) L is taken as `interiorFillRatio` = 4 nonzeros per nonzero of A, the
    ///   largest fill measured on Krivine LPs (0.75–3.9; random sparse LPs fill far more, which
    ///   `interiorMaxFactorNonzeros` caps), and at most that cap. Since interior point can fall
    ///   back to simplex, its estimate is the larger of the two.
    ///
    /// `.automatic` is estimated for the method `rule` picks.
    public func memoryEstimate(rows: Int, columns: Int, nonzeros: Int, method: LPMethod) -> Double? {
        memoryEstimate(rows: rows, columns: columns, nonzeros: nonzeros, method: method, factorNonzeros: nil)
    }

    /// The same, with the size of the Cholesky factor when it is known (interior point).
    /// Sizes alone assume what Krivine LPs are: equality rows and columns bounded on one side
    /// (see `memoryEstimate(for:method:)` for any LP).
    public func memoryEstimate(rows: Int, columns: Int, nonzeros: Int, method: LPMethod, factorNonzeros: Int?) -> Double {
        estimate(rows: rows, columns: columns, nonzeros: nonzeros, working: (rows, columns, nonzeros), method: method,
                 factorNonzeros: factorNonzeros)
    }

    /// The estimate for a given LP. GLPK's interior point works on the standard form: every
    /// inequality row gets a slack column, and every column bounded on both sides an extra row
    /// and column (scripts/examples/big_lp.lua's 2,000 × 100,000 LP becomes 102,000 × 202,000),
    /// which the child's part counts.
    public func memoryEstimate(for lp: LinearProgram, method: LPMethod, factorNonzeros: Int? = nil) -> Double {
        var inequalities = 0, doubleBounded = 0
        for i in 0..<lp.rowCount where lp.rowLower[i] != lp.rowUpper[i] { inequalities += 1 }
        for j in 0..<lp.columnCount where lp.columnLower[j].isFinite && lp.columnUpper[j].isFinite
            && lp.columnLower[j] != lp.columnUpper[j] { doubleBounded += 1 }
        let working = (lp.rowCount + doubleBounded, lp.columnCount + doubleBounded + inequalities,
                       lp.nonzeroCount + 2 * doubleBounded + inequalities)
        return estimate(rows: lp.rowCount, columns: lp.columnCount, nonzeros: lp.nonzeroCount, working: working,
                        method: method, factorNonzeros: factorNonzeros)
    }

    private func estimate(rows: Int, columns: Int, nonzeros: Int, working: (Int, Int, Int), method: LPMethod,
                          factorNonzeros: Int?) -> Double {
        let m = Double(max(rows, 0)), n = Double(max(columns, 0)), z = Double(max(nonzeros, 0))
        let mw = Double(max(working.0, 0)), nw = Double(max(working.1, 0)), zw = Double(max(working.2, 0))
        let chosen = method == .automatic ? rule.method(rows: rows, columns: columns, nonzeros: nonzeros) : method
        let c = MemoryModel.coefficients
        let simplex = c.base + c.simplexPerNonzero * z + c.simplexPerRowOrColumn * (m + n)
        guard chosen == .interiorPoint else { return simplex }
        var l = factorNonzeros.map(Double.init) ?? c.interiorFillRatio * zw
        if let cap = rule.interiorMaxFactorNonzeros { l = min(l, Double(cap)) }
        let parent = c.interiorParentPerNonzero * z + c.interiorParentPerRowOrColumn * (m + n)
        let child = c.interiorChildPerNonzero * zw + c.interiorChildPerRowOrColumn * (mw + nw) + c.perFactorNonzero * l
        return max(c.base + parent + child, simplex)
    }

    /// "about 1.2 GB for GLPK's interior point" (for messages).
    static func describeEstimate(rows: Int, columns: Int, nonzeros: Int, method: LPMethod, bytes: Double? = nil) -> String {
        let e = bytes ?? GLPKSolver().memoryEstimate(rows: rows, columns: columns, nonzeros: nonzeros, method: method, factorNonzeros: nil)
        let what: String
        switch method {
        case .interiorPoint: what = "interior point"
        case .dualSimplex: what = "dual simplex"
        case .primalSimplex: what = "primal simplex"
        case .automatic: what = "the automatic method"
        }
        return "GLPK's \(what) needs about \(formatBytes(e)) for it"
    }

    /// A solve that cannot fit under the address-space limit is refused before any allocation
    /// (a failed allocation in GLPK is caught too, but the Swift runtime traps on its own).
    func memoryRefusal(_ lp: LinearProgram, method: LPMethod) -> LPResult? {
        let limits = MemoryLimits.current
        guard let left = limits.addressSpaceLeft else { return nil }
        let need = memoryEstimate(for: lp, method: method)
        // Address space runs ahead of resident memory (thread stacks, allocator arenas), so
        // half the estimate again is kept in reserve.
        guard need * 1.5 > left else { return nil }
        return LPResult(status: .solverError, method: method,
                        message: "out of memory: the LP (\(lp.rowCount) rows, \(lp.columnCount) columns, \(lp.nonzeroCount) nonzeros) was not solved: \(GLPKSolver.describeEstimate(rows: lp.rowCount, columns: lp.columnCount, nonzeros: lp.nonzeroCount, method: method, bytes: need)), but only \(formatBytes(left)) of address space is left. \(limits.description) Shrink the LP (lower degree, sparser family) or raise the limit (ulimit -v).")
    }
}

/// Coefficients of `GLPKSolver.memoryEstimate` (bytes), least-squares fits of relative error
/// to the measurements in README.md ("Memory model").
enum MemoryModel {
    struct Coefficients {
        var base: Double
        var simplexPerNonzero: Double, simplexPerRowOrColumn: Double
        var interiorParentPerNonzero: Double, interiorParentPerRowOrColumn: Double
        var interiorChildPerNonzero: Double, interiorChildPerRowOrColumn: Double
        var perFactorNonzero: Double
        var interiorFillRatio: Double
    }
    static let coefficients = Coefficients(
        base: 1e6,
        simplexPerNonzero: 190, simplexPerRowOrColumn: 350,
        interiorParentPerNonzero: 16, interiorParentPerRowOrColumn: 48,
        interiorChildPerNonzero: 135, interiorChildPerRowOrColumn: 445,
        perFactorNonzero: 12, interiorFillRatio: 4)
}

extension GLPKSolver {
    /// Sets GLPK's own allocation limit (`glp_mem_limit`, megabytes) for this thread's GLPK
    /// environment, which a forked interior-point child inherits. For tests of the
    /// out-of-memory path; `Int32.max` lifts it. A GLPK fatal error resets the environment
    /// (and so the limit).
    static func setThreadMemoryLimit(megabytes: Int32) {
        glp_mem_limit(megabytes)
    }
}
