import CDSDP
import Foundation
import LipControl
import LipSDP

/// DSDP 5.8 (Benson & Ye's dual-scaling interior-point method, Debian `libdsdp-dev`) as an
/// `SDPSolver` for MAXCUT-type problems and general block SDPs.
///
/// Mapping to DSDP's dual form  max b'ᵀy' s.t. C' − Σ y'_k A'_k ⪰ 0:  C' = −C_b per block,
/// A'_k = −A_k, b'_k = −u_k (or −l_k), so y' is our dual y and S = Σ y_k A_k − C. For MAXCUT
/// A_i = e_ieᵢᵀ, b_i = 1 (and one trace row Σ_{i∈T} e_ieᵢᵀ), so y = d. One-sided rows give a
/// sign bound on y (DSDP's bound cone); a two-sided row becomes two variables, y⁺ ≥ 0 with
/// the upper and y⁻ ≤ 0 with the lower bound, reported as y = y⁺ + y⁻.
///
/// Time limit and Ctrl-C: a monitor registered with `DSDPSetMonitor` runs once per iteration,
/// reports progress and, when `options.deadline` says stop, sets DSDP's convergence flag to
/// `DSDP_USER_TERMINATION`; DSDP then leaves its loop after that iteration and the result is
/// `time_limit` / `interrupted` with the current (dual-feasible) y. The set-up before the first
/// iteration and one iteration cannot be interrupted.
///
/// DSDP keeps static state (event log, timers): every call runs under one process-wide lock,
/// so concurrent and repeated solves are safe (and serialised). All data are validated in
/// Swift first and the memory DSDP will need is checked against `options.memory` (its sparse
/// Cholesky calls `exit` when an allocation fails, so that must not happen).
public struct DSDPSolver: SDPSolver {
    public let name = "dsdp"
    public init() {}
    public func supports(_ problem: SDPProblem) -> Bool { true }

    /// DSDP's version string.
    public static let version = "5.8"

    public func solve(_ problem: SDPProblem, options: SDPOptions) throws -> SDPResult {
        let model: Model
        switch problem {
        case .maxCut(let p): model = try Model(maxCut: p)
        case .block(let b): model = try Model(block: b)
        }
        try checkOptions(options)
        try options.memory.check(model.memoryEstimate, what: "DSDP on \(problem.description)",
                                 advice: "use the low-rank solver (MAXCUT-type problems) or a smaller problem (an input box fixes stable neurons)")
        DSDPLock.lock.lock()
        defer { DSDPLock.lock.unlock() }
        _ = BLASThreads.single
        return run(model, options: options)
    }

    private func checkOptions(_ o: SDPOptions) throws {
        if let t = o.tolerance, !(t.isFinite && t > 0) { throw SDPError("DSDP: tolerance \(t) must be positive") }
        if let m = o.maxIterations, m < 1 { throw SDPError("DSDP: maxIterations \(m) must be ≥ 1") }
    }
}

/// OpenBLAS runs on one thread inside liplua. Its thread pool is not fork-safe: OpenBLAS's
/// fork handler stops the pool, and a threaded BLAS call in flight on another thread at that
/// moment waits for the stopped workers forever (a 100 % CPU hang, seen when the GLPK
/// interior-point child was forked while DSDP factored a matrix). One thread also makes the
/// digits independent of the machine's core count. Cost: the 784-500 box SDP's DSDP solve took
/// 15.6 s instead of 12.7 s on two cores. Looked up at run time, so any BLAS works.
enum BLASThreads {
    static let single: Void = {
        typealias SetThreads = @convention(c) (Int32) -> Void
        if let f = dlsym(nil, "openblas_set_num_threads") {
            unsafeBitCast(f, to: SetThreads.self)(1)
        }
    }()
}

/// The process-wide lock around every DSDP call.
enum DSDPLock {
    static let lock = NSLock()
}

/// DSDP data in its own numbering (variables 1..m, packed lower-triangle indices), built and
/// checked in Swift before any DSDP call.
struct Model {
    struct Mat { var block: Int; var variable: Int; var index: [Int32]; var value: [Double] }
    enum Sign { case free, nonnegative, nonpositive }
    var blockSizes: [Int]
    var mats: [Mat] = []
    /// b' per DSDP variable (index 0 = variable 1).
    var b: [Double] = []
    var sign: [Sign] = []
    /// For each DSDP variable, the index of the dual entry it adds to (our y or d).
    var target: [Int] = []
    var dualCount: Int
    /// Our objective, to evaluate ⟨C, X⟩ from DSDP's X: per block the upper-triangle entries.
    var costs: [SymmetricMatrix]
    var constant: Double
    /// MAXCUT: map DSDP's y back to d (trace block entries get λ).
    var traceBlock: Range<Int>? = nil
    var isMaxCut = false
    var name: String
    /// Our problem's sense (for the reported values).
    var negateValues = false
    /// A constraint that no X satisfies (0 outside [l, u] with no data): reported before DSDP.
    var trivialInfeasibility: String? = nil
    /// A strictly feasible dual start (DSDP's y numbering), when one is known: then DSDP starts
    /// without its infeasibility variable (R0 = 0), which saves many iterations.
    var initialY: [Double]? = nil
    /// An upper bound on DSDP's dual optimum (its ZBar), when known.
    var zbar: Double? = nil
    /// DSDP's box on y (default ±10⁷); MAXCUT duals satisfy |d_i| ≤ Σ_j |Q_ij|.
    var yBound: Double? = nil

    static let maxOrder = 46_340   // n(n+1)/2 must fit DSDP's int indices

    static func packed(_ i: Int, _ j: Int) -> Int32 {
        let r = Swift.max(i, j), c = Swift.min(i, j)
        return Int32(r * (r + 1) / 2 + c)
    }

    static func checkOrder(_ n: Int, _ what: String) throws {
        guard n >= 1 else { throw SDPError("DSDP: \(what) has order \(n); it must be ≥ 1") }
        guard n <= maxOrder else { throw SDPError("DSDP: \(what) has order \(n); DSDP indexes packed matrices with 32-bit integers, so the order must be ≤ \(maxOrder) (use the low-rank solver)") }
    }

    /// Packed lower-triangle (index, value) of s·M, sorted by index.
    static func packedEntries(_ M: SymmetricMatrix, scale s: Double) -> ([Int32], [Double]) {
        var pairs: [(Int32, Double)] = []
        pairs.reserveCapacity(M.entryCount)
        for k in M.values.indices { pairs.append((packed(Int(M.rows[k]), Int(M.columns[k])), s * M.values[k])) }
        pairs.sort { $0.0 < $1.0 }
        return (pairs.map(\.0), pairs.map(\.1))
    }

    init(maxCut p: MaxCutProblem) throws {
        try Model.checkOrder(p.order, "the MAXCUT problem")
        let n = p.order
        blockSizes = [n]; costs = [p.q]; constant = 0; name = "maxcut"; isMaxCut = true; traceBlock = p.traceBlock
        dualCount = n
        let (ci, cv) = Model.packedEntries(p.q, scale: -1)
        mats.append(Mat(block: 0, variable: 0, index: ci, value: cv))
        var v = 0
        for i in 0..<n where !(p.traceBlock?.contains(i) ?? false) {
            v += 1
            mats.append(Mat(block: 0, variable: v, index: [Model.packed(i, i)], value: [-1]))
            b.append(-1); sign.append(.free); target.append(i)
        }
        if let t = p.traceBlock {
            v += 1
            mats.append(Mat(block: 0, variable: v, index: t.map { Model.packed($0, $0) }, value: Array(repeating: -1, count: t.count)))
            b.append(-1); sign.append(.free); target.append(-1)
        }
        // Strictly feasible start: Diag(y) − Q diagonally dominant with room (10× the row sums,
        // as DSDP's own MAXCUT example does), and ZBar ≥ DSDP's optimum −Σd* (Σd* ≥ tr Q).
        let adj = p.q.adjacency()
        var rowSum = [Double](repeating: 0, count: n)
        var total = 0.0
        for i in 0..<n {
            var r = Swift.abs(adj.diagonal[i])
            for q in adj.rowStart[i]..<adj.rowStart[i + 1] { r += Swift.abs(adj.values[q]) }
            rowSum[i] = r; total += r
        }
        let floor = Swift.max(total / Double(n), 1e-300) * 1e-3 + 1e-12
        var y0: [Double] = []
        for i in 0..<n where !(p.traceBlock?.contains(i) ?? false) { y0.append(10 * rowSum[i] + floor) }
        if let t = p.traceBlock { y0.append(10 * (t.map { rowSum[$0] }.max() ?? 0) + floor) }
        initialY = y0
        zbar = 10 * total + 1
        yBound = Swift.max(1e7, 1e3 * total)
    }

    init(block original: BlockSDP) throws {
        try original.validate()
        let P = original.maximizationForm
        blockSizes = P.blockSizes; costs = P.objective; constant = P.objectiveConstant; name = P.name
        negateValues = original.sense == .minimize
        dualCount = P.constraints.count
        for (bi, s) in P.blockSizes.enumerated() { try Model.checkOrder(s, "block \(bi + 1)") }
        for (bi, C) in P.objective.enumerated() where C.entryCount > 0 {
            let (ci, cv) = Model.packedEntries(C, scale: -1)
            mats.append(Mat(block: bi, variable: 0, index: ci, value: cv))
        }
        var v = 0
        for (k, c) in P.constraints.enumerated() {
            let nonzero = c.terms.contains { $0.matrix.entryCount > 0 }
            if !nonzero {
                if !(c.lower <= 0 && 0 <= c.upper) {
                    trivialInfeasibility = "constraint \(c.name ?? "\(k + 1)") has no nonzero entries but requires \(c.lower) ≤ 0 ≤ \(c.upper)"
                }
                continue
            }
            func add(_ bb: Double, _ sg: Sign) {
                v += 1
                for t in c.terms where t.matrix.entryCount > 0 {
                    let (ai, av) = Model.packedEntries(t.matrix, scale: -1)
                    mats.append(Mat(block: t.block, variable: v, index: ai, value: av))
                }
                b.append(-bb); sign.append(sg); target.append(k)
            }
            if c.lower == c.upper { add(c.upper, .free) }
            else {
                if c.upper < .infinity { add(c.upper, .nonnegative) }
                if c.lower > -.infinity { add(c.lower, .nonpositive) }
            }
        }
        initialY = Model.diagonalStart(P, target: target, sign: sign, b: b)
        // No ZBar here: a tight ZBar (DSDP's bound on its own optimum) together with the
        // feasible start stalled DSDP on chained Shor problems (500 iterations without a
        // primal point, measured on 200-100-50-1); without it DSDP converges in ~90.
    }

    /// A strictly feasible dual start for a block SDP whose every diagonal position is covered
    /// by a constraint with a nonnegative diagonal matrix (A_k = Σ_{i∈I_k} a_i e_ieᵢᵀ, a_i > 0)
    /// that allows y_k > 0. First every other sign-bounded row gets a moderate multiplier
    /// strictly inside its bound (|y_k|·max|A_k| = max|C|, so the start is not pressed
    /// against the bound cone), then the covering rows get y_k = 10·max_{i∈I_k} r_i/a_i + floor
    /// with r_i the row sums of |Σ_{other} y A − C|: Σ y A − C is then diagonally dominant,
    /// hence positive definite. nil when some diagonal position is not covered (DSDP then
    /// starts with its infeasibility variable).
    static func diagonalStart(_ P: BlockSDP, target: [Int], sign: [Sign], b: [Double]) -> [Double]? {
        func isCover(_ v: Int) -> Bool {
            guard sign[v] != .nonpositive else { return false }
            let c = P.constraints[target[v]]
            guard c.upper < .infinity, !c.terms.isEmpty else { return false }
            for t in c.terms { for k in t.matrix.values.indices where t.matrix.rows[k] != t.matrix.columns[k] || !(t.matrix.values[k] > 0) { return false } }
            return true
        }
        var cMax = 0.0
        for C in P.objective { for x in C.values { cMax = Swift.max(cMax, Swift.abs(x)) } }
        if cMax == 0 { cMax = 1 }
        var y = [Double](repeating: 0, count: target.count)
        var cover = [Bool](repeating: false, count: target.count)
        // M = Σ_{non-cover} y_k A_k − C, accumulated as row sums of |off-diagonal| and the diagonal
        var off: [[Double]] = P.blockSizes.map { [Double](repeating: 0, count: $0) }
        var diag: [[Double]] = P.blockSizes.map { [Double](repeating: 0, count: $0) }
        // −C
        for (bi, C) in P.objective.enumerated() {
            for k in C.values.indices {
                let i = Int(C.rows[k]), j = Int(C.columns[k])
                if i == j { diag[bi][i] -= C.values[k] } else { off[bi][i] += Swift.abs(C.values[k]); off[bi][j] += Swift.abs(C.values[k]) }
            }
        }
        for v in target.indices {
            if isCover(v) { cover[v] = true; continue }
            guard sign[v] != .free else { continue }
            let c = P.constraints[target[v]]
            var aMax = 0.0
            for t in c.terms { for x in t.matrix.values { aMax = Swift.max(aMax, Swift.abs(x)) } }
            guard aMax > 0 else { continue }
            y[v] = (sign[v] == .nonnegative ? 1 : -1) * cMax / aMax
            for t in c.terms {
                let A = t.matrix
                for k in A.values.indices {
                    let i = Int(A.rows[k]), j = Int(A.columns[k]), a = y[v] * A.values[k]
                    if i == j { diag[t.block][i] += a } else { off[t.block][i] += Swift.abs(a); off[t.block][j] += Swift.abs(a) }
                }
            }
        }
        var total = 0.0
        for bi in off.indices { for i in off[bi].indices { total += off[bi][i] + Swift.abs(diag[bi][i]) } }
        let floor = total * 1e-3 / Double(Swift.max(1, P.blockSizes.reduce(0, +))) + 1e-6
        var covered: [[Bool]] = P.blockSizes.map { [Bool](repeating: false, count: $0) }
        for v in target.indices where cover[v] {
            let c = P.constraints[target[v]]
            var need = 0.0
            for t in c.terms {
                let A = t.matrix
                for k in A.values.indices {
                    let i = Int(A.rows[k])
                    need = Swift.max(need, (off[t.block][i] + Swift.max(0, -diag[t.block][i])) / A.values[k])
                    covered[t.block][i] = true
                }
            }
            y[v] = 10 * need + floor
        }
        for blk in covered where blk.contains(false) { return nil }
        return y
    }

    var variableCount: Int { b.count }

    /// Bytes DSDP will use, roughly: dense S, X, work copies per block (≈ 8 packed copies)
    /// plus the dense Schur matrix m² and the data.
    var memoryEstimate: Double {
        let blocks = blockSizes.reduce(0.0) { $0 + Double($1) * Double($1 + 1) / 2 }
        let m = Double(variableCount)
        let data = mats.reduce(0.0) { $0 + Double($1.index.count) * 12 }
        return 8 * (8 * blocks + m * m) + 3 * data + 1e6
    }
}

/// Per-solve context the C monitor reaches through its void pointer.
final class MonitorContext {
    let deadline: Deadline
    let progress: (@Sendable (SDPProgress) -> Void)?
    let verbose: Bool
    let t0: Double
    let negate: Bool
    var stop: StopReason? = nil
    var lastIteration: Int32 = 0
    init(deadline: Deadline, progress: (@Sendable (SDPProgress) -> Void)?, verbose: Bool, t0: Double, negate: Bool) {
        self.deadline = deadline; self.progress = progress; self.verbose = verbose; self.t0 = t0; self.negate = negate
    }
}

private let monitorFunction: @convention(c) (DSDP?, UnsafeMutableRawPointer?) -> Int32 = { dsdp, raw in
    guard let dsdp, let raw else { return 0 }
    let ctx = Unmanaged<MonitorContext>.fromOpaque(raw).takeUnretainedValue()
    var it: Int32 = 0
    _ = DSDPGetIts(dsdp, &it)
    ctx.lastIteration = it
    if ctx.progress != nil || ctx.verbose {
        var dd = 0.0, pp = 0.0
        _ = DSDPGetDDObjective(dsdp, &dd)
        _ = DSDPGetPPObjective(dsdp, &pp)
        // DSDP maximises −(our dual objective): report ours.
        let ours = ctx.negate ? dd : -dd
        let secs = monotonicSeconds() - ctx.t0
        ctx.progress?(SDPProgress(iterations: Int(it), objective: ours, seconds: secs, message: "dsdp gap \(pp - dd)"))
        if ctx.verbose {
            FileHandle.standardError.write(String(format: "dsdp: it %3d  dual %.10g  gap %.3e  %.1f s\n", it, ours, pp - dd, secs).data(using: .utf8)!)
        }
    }
    if let s = ctx.deadline.stopReason {
        ctx.stop = s
        _ = DSDPSetConvergenceFlag(dsdp, DSDP_USER_TERMINATION)
    }
    return 0
}

extension DSDPSolver {
    func run(_ model: Model, options: SDPOptions) -> SDPResult {
        let t0 = monotonicSeconds()
        func fail(_ status: SDPStatus, _ msg: String) -> SDPResult {
            SDPResult(status: status, seconds: monotonicSeconds() - t0, solver: name, message: msg)
        }
        if let why = model.trivialInfeasibility { return fail(.infeasible, why) }
        if let s = options.deadline.stopReason { return fail(SDPStatus(s), "stopped before DSDP started") }
        let m = Int32(model.variableCount)
        // DSDP keeps pointers to the data arrays until DSDPDestroy: allocate them here.
        var owned: [UnsafeMutableRawPointer] = []
        defer { for p in owned { p.deallocate() } }
        var dsdp: DSDP? = nil
        var info = DSDPCreate(m, &dsdp)
        guard info == 0, let solver = dsdp else { return fail(.solverError, "DSDPCreate failed (code \(info))") }
        defer { _ = DSDPDestroy(solver) }
        var cone: SDPCone? = nil
        info = DSDPCreateSDPCone(solver, Int32(model.blockSizes.count), &cone)
        guard info == 0, let sdpcone = cone else { return fail(.solverError, "DSDPCreateSDPCone failed (code \(info))") }
        for (bi, s) in model.blockSizes.enumerated() {
            info = SDPConeSetBlockSize(sdpcone, Int32(bi), Int32(s))
            if info != 0 { return fail(.solverError, "SDPConeSetBlockSize failed (code \(info))") }
            _ = SDPConeSetSparsity(sdpcone, Int32(bi), Int32(model.mats.filter { $0.block == bi }.count))
        }
        for mat in model.mats {
            let cnt = mat.index.count
            let ip = UnsafeMutablePointer<Int32>.allocate(capacity: Swift.max(cnt, 1))
            let vp = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(cnt, 1))
            owned.append(UnsafeMutableRawPointer(ip)); owned.append(UnsafeMutableRawPointer(vp))
            ip.initialize(from: mat.index, count: cnt)
            vp.initialize(from: mat.value, count: cnt)
            info = SDPConeSetASparseVecMat(sdpcone, Int32(mat.block), Int32(mat.variable), Int32(model.blockSizes[mat.block]),
                                           1.0, 0, ip, vp, Int32(cnt))
            if info != 0 { return fail(.solverError, "SDPConeSetASparseVecMat failed for variable \(mat.variable) (code \(info))") }
        }
        for (k, bb) in model.b.enumerated() {
            info = DSDPSetDualObjective(solver, Int32(k + 1), bb)
            if info != 0 { return fail(.solverError, "DSDPSetDualObjective failed (code \(info))") }
        }
        let bounded = model.sign.enumerated().filter { $0.element != .free }
        if !bounded.isEmpty {
            var bc: BCone? = nil
            info = DSDPCreateBCone(solver, &bc)
            guard info == 0, let bcone = bc else { return fail(.solverError, "DSDPCreateBCone failed (code \(info))") }
            _ = BConeAllocateBounds(bcone, Int32(bounded.count))
            for (k, sg) in bounded {
                if sg == .nonnegative { _ = BConeSetLowerBound(bcone, Int32(k + 1), 0) }
                else { _ = BConeSetUpperBound(bcone, Int32(k + 1), 0) }
            }
        }
        if let y0 = model.initialY {
            for (k, v) in y0.enumerated() where v != 0 { _ = DSDPSetY0(solver, Int32(k + 1), v) }
            _ = DSDPSetR0(solver, 0)
            _ = DSDPSetPotentialParameter(solver, 5)
        }
        // No reuse of the Schur matrix for corrector steps (each reuse refactors S several
        // times; measured 3–4× slower on Shor problems than DSDP's SDPA reader, which sets 0).
        _ = DSDPReuseMatrix(solver, 0)
        if let z = model.zbar { _ = DSDPSetZBar(solver, z) }
        if let yb = model.yBound { _ = DSDPSetYBounds(solver, -yb, yb) }
        _ = DSDPSetGapTolerance(solver, options.tolerance ?? 1e-7)
        if let it = options.maxIterations { _ = DSDPSetMaxIts(solver, Int32(Swift.min(it, Int(Int32.max)))) }
        if options.verbosity >= 3 { _ = DSDPSetStandardMonitor(solver, 1) }
        let ctx = MonitorContext(deadline: options.deadline, progress: options.progress, verbose: options.verbosity == 2,
                                 t0: t0, negate: model.negateValues)
        let raw = Unmanaged.passRetained(ctx).toOpaque()
        defer { Unmanaged<MonitorContext>.fromOpaque(raw).release() }
        _ = DSDPSetMonitor(solver, monitorFunction, raw)
        info = DSDPSetup(solver)
        if info != 0 { return fail(.solverError, "DSDPSetup failed (code \(info)); check the data (every constraint needs a nonzero matrix)") }
        if let s = options.deadline.stopReason { return fail(SDPStatus(s), "stopped after DSDP's set-up") }
        info = DSDPSolve(solver)
        let solveInfo = info
        if options.verbosity >= 3 { _ = DSDPEventLogSummary() }
        var reason = CONTINUE_ITERATING
        _ = DSDPStopReason(solver, &reason)
        var ptype = DSDP_PDUNKNOWN
        _ = DSDPGetSolutionType(solver, &ptype)
        var its: Int32 = 0
        _ = DSDPGetIts(solver, &its)
        // The dual y' (= our y, split variables summed).
        var yp = [Double](repeating: 0, count: model.variableCount)
        _ = DSDPGetY(solver, &yp, m)
        var dual = [Double](repeating: 0, count: model.dualCount)
        var lambda = 0.0
        for (k, t) in model.target.enumerated() { if t >= 0 { dual[t] += yp[k] } else { lambda = yp[k] } }
        if let tb = model.traceBlock { for i in tb { dual[i] = lambda } }
        var dd = 0.0
        _ = DSDPGetDDObjective(solver, &dd)
        // Our dual value: Σ β(y) + c₀ = −dd + c₀ (maximisation form).
        var dualValue = -dd + model.constant
        if model.isMaxCut { dualValue = -dd }
        // Primal X and ⟨C, X⟩ (DSDP computes X from its last iterates).
        var primalValue = Double.nan
        var primalMatrices: [[Double]]? = nil
        if solveInfo == 0, DSDPComputeX(solver) == 0 {
            var pv = model.constant
            var mats: [[Double]] = []
            for (bi, s) in model.blockSizes.enumerated() {
                var xp: UnsafeMutablePointer<Double>? = nil
                var nn: Int32 = 0
                guard SDPConeGetXArray(sdpcone, Int32(bi), &xp, &nn) == 0, let x = xp, Int(nn) >= s * (s + 1) / 2 else { pv = .nan; break }
                let C = model.costs[bi]
                for k in C.values.indices {
                    let i = Int(C.rows[k]), j = Int(C.columns[k])
                    pv += (i == j ? 1 : 2) * C.values[k] * x[Int(Model.packed(i, j))]
                }
                if options.wantPrimalMatrix {
                    var X = [Double](repeating: 0, count: s * s)
                    for i in 0..<s { for j in 0...i { let v = x[Int(Model.packed(i, j))]; X[i * s + j] = v; X[j * s + i] = v } }
                    mats.append(X)
                }
            }
            primalValue = pv
            if options.wantPrimalMatrix && mats.count == model.blockSizes.count { primalMatrices = mats }
        }
        if model.negateValues { dualValue = -dualValue; primalValue = -primalValue }
        var (status, msg) = Self.status(reason: reason, type: ptype, info: solveInfo, stop: ctx.stop)
        // DSDP bounds every y by ±yBound (default 10⁷); a dual pressed against that bound means
        // the dual is (numerically) unbounded below: the SDP has no feasible point.
        var ylo = 0.0, yhi = 0.0
        _ = DSDPGetYBounds(solver, &ylo, &yhi)
        let yBound = Swift.min(Swift.abs(ylo), Swift.abs(yhi))
        if yBound > 0, let ymax = yp.map({ Swift.abs($0) }).max(), ymax >= 0.5 * yBound, status == .optimal || status == .numericalError {
            status = .infeasible
            msg = "the dual reached DSDP's bound |y| ≤ \(yBound): the SDP is infeasible (or its data are scaled beyond 10⁷)"
        }
        if status == .optimal && !(dualValue.isFinite) { status = .numericalError; msg += "; the dual value is not finite" }
        return SDPResult(status: status, primalObjective: primalValue, dualObjective: dualValue, dual: dual,
                         primalMatrices: primalMatrices, iterations: Int(its), seconds: monotonicSeconds() - t0,
                         solver: name, message: msg)
    }

    /// Every DSDPTerminationReason / DSDPSolutionType combination mapped to a status.
    static func status(reason: DSDPTerminationReason, type: DSDPSolutionType, info: Int32, stop: StopReason?) -> (SDPStatus, String) {
        if info != 0 { return (.solverError, "DSDPSolve returned error code \(info)") }
        switch reason {
        case DSDP_CONVERGED:
            switch type {
            case DSDP_PDFEASIBLE: return (.optimal, "DSDP converged (primal and dual feasible)")
            case DSDP_UNBOUNDED: return (.infeasible, "DSDP: its dual is unbounded, so the SDP (our primal) is infeasible")
            case DSDP_INFEASIBLE: return (.unbounded, "DSDP: its dual is infeasible and its primal unbounded, so the SDP is unbounded (or its dual infeasible)")
            default: return (.numericalError, "DSDP converged but could not tell feasibility (DSDP_PDUNKNOWN; check the y bounds)")
            }
        case DSDP_USER_TERMINATION:
            if let s = stop { return (SDPStatus(s), "stopped by the \(s == .interrupted ? "interrupt" : "time limit") after the current iteration") }
            return (.interrupted, "DSDP reported a user termination")
        case DSDP_MAX_IT: return (.iterationLimit, "DSDP reached its iteration limit")
        case DSDP_SMALL_STEPS: return (.numericalError, "DSDP stopped: short steps (numerical difficulties); the last dual point is still usable for a certificate")
        case DSDP_INDEFINITE_SCHUR_MATRIX: return (.numericalError, "DSDP stopped: indefinite Schur matrix (numerical difficulties)")
        case DSDP_NUMERICAL_ERROR: return (.numericalError, "DSDP stopped: numerical error")
        case DSDP_INFEASIBLE_START: return (.numericalError, "DSDP stopped: the initial point was infeasible (check the y bounds)")
        case DSDP_UPPERBOUND: return (.notSolved, "DSDP stopped: its dual objective reached the dual bound")
        case CONTINUE_ITERATING: return (.notSolved, "DSDP returned without a stop reason")
        default: return (.solverError, "DSDP returned the unknown stop reason \(reason.rawValue)")
        }
    }
}
