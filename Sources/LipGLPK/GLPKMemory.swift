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
    /// Fitted to peak resident sets measured on the benchmark LPs (scripts/tools/bench_memory.lua,
    /// numbers in README.md): GLPK's problem object keeps each nonzero in a row list and a
    /// column list (~48 B), the wrapper's 1-based copy 16 B; the simplex adds its working
    /// copies of A (row- and column-wise), the LU factorisation of the basis and
    /// presolve's copy; the interior point adds A in both orders, S = A·Aᵀ and the Cholesky
    /// factor L of S, whose size depends on the sparsity pattern. Without `factorNonzeros`
    /// (GLPK prints it after its symbolic factorisation) L is taken to be
    /// `interiorFillRatio`·nonzeros, the fill measured on the Krivine LPs.
    ///
    /// For `.interiorPoint` the figure covers the parent (its copy) and the child process that
    /// runs glp_interior together. `.automatic` is estimated for the method `rule` picks.
    public func memoryEstimate(rows: Int, columns: Int, nonzeros: Int, method: LPMethod) -> Double? {
        memoryEstimate(rows: rows, columns: columns, nonzeros: nonzeros, method: method, factorNonzeros: nil)
    }

    /// The same, with the size of the Cholesky factor when it is known (interior point).
    public func memoryEstimate(rows: Int, columns: Int, nonzeros: Int, method: LPMethod, factorNonzeros: Int?) -> Double {
        let m = Double(max(rows, 0)), n = Double(max(columns, 0)), z = Double(max(nonzeros, 0))
        let chosen = method == .automatic ? rule.method(rows: rows, columns: columns, nonzeros: nonzeros) : method
        let c = MemoryModel.coefficients
        switch chosen {
        case .interiorPoint:
            let l = factorNonzeros.map(Double.init) ?? c.interiorFillRatio * z
            return c.base + c.interiorPerNonzero * z + c.interiorPerColumn * n + c.interiorPerRow * m + c.perFactorNonzero * l
        default:
            return c.base + c.simplexPerNonzero * z + c.simplexPerColumn * n + c.simplexPerRow * m
        }
    }

    /// "about 1.2 GB for GLPK's interior point" (for messages).
    static func describeEstimate(rows: Int, columns: Int, nonzeros: Int, method: LPMethod) -> String {
        let e = GLPKSolver().memoryEstimate(rows: rows, columns: columns, nonzeros: nonzeros, method: method, factorNonzeros: nil)
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
        let need = memoryEstimate(rows: lp.rowCount, columns: lp.columnCount, nonzeros: lp.nonzeroCount, method: method, factorNonzeros: nil)
        // Address space runs ahead of resident memory (thread stacks, allocator arenas), so
        // half the estimate again is kept in reserve.
        guard need * 1.5 > left else { return nil }
        return LPResult(status: .solverError, method: method,
                        message: "out of memory: the LP (\(lp.rowCount) rows, \(lp.columnCount) columns, \(lp.nonzeroCount) nonzeros) was not solved: \(GLPKSolver.describeEstimate(rows: lp.rowCount, columns: lp.columnCount, nonzeros: lp.nonzeroCount, method: method)), but only \(formatBytes(left)) of address space is left. \(limits.description) Shrink the LP (lower degree, sparser family) or raise the limit (ulimit -v).")
    }
}

/// Coefficients of `GLPKSolver.memoryEstimate` (bytes).
enum MemoryModel {
    struct Coefficients {
        var base: Double
        var simplexPerNonzero: Double, simplexPerColumn: Double, simplexPerRow: Double
        var interiorPerNonzero: Double, interiorPerColumn: Double, interiorPerRow: Double
        var perFactorNonzero: Double
        var interiorFillRatio: Double
    }
    static let coefficients = Coefficients(
        base: 4e6,
        simplexPerNonzero: 200, simplexPerColumn: 300, simplexPerRow: 300,
        interiorPerNonzero: 250, interiorPerColumn: 300, interiorPerRow: 300,
        perFactorNonzero: 16, interiorFillRatio: 1.0)
}
