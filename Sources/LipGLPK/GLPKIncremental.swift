import CGLPK
import CGLPKShims
import Glibc
import LipControl
import LipLP

// A glp_prob kept alive across solves (column generation's warm start). Like every other GLPK
// call of this module, each operation runs inside the C guard `liplua_glpk_guarded` through a
// C-convention body that touches only the plain struct `IncrementalData`, so a GLPK fatal
// error (or a stop at a progress line) longjmps over no Swift bookkeeping. After such a reset
// the problem object is gone: the session marks itself unusable and says so in every later
// result.

/// Plain data only (pointers and numbers): safe to abandon by longjmp.
struct IncrementalData {
    var stage: Int32 = 0
    var prob: OpaquePointer? = nil
    /// addRows / addColumns: how many; their bounds (and objective for columns).
    var count: Int32 = 0
    var type: UnsafeMutablePointer<Int32>? = nil
    var lo: UnsafeMutablePointer<Double>? = nil
    var up: UnsafeMutablePointer<Double>? = nil
    var obj: UnsafeMutablePointer<Double>? = nil
    /// addColumns: column j's entries are ind/val[start[j] ..< start[j + 1]] (rows 1-based).
    var start: UnsafeMutablePointer<Int32>? = nil
    var ind: UnsafeMutablePointer<Int32>? = nil
    var val: UnsafeMutablePointer<Double>? = nil
    var smcp: UnsafeMutablePointer<glp_smcp>? = nil
    var ret: Int32 = 0
    var status: Int32 = 0, primStat: Int32 = 0, dualStat: Int32 = 0
    var objVal: Double = 0
    var iterations: Int32 = 0
    var m: Int32 = 0, n: Int32 = 0
    var x: UnsafeMutablePointer<Double>? = nil
    var d: UnsafeMutablePointer<Double>? = nil
    var y: UnsafeMutablePointer<Double>? = nil
}

enum IncrementalStage: Int32 {
    case addRows = 1, addColumns, simplex, advancedBasis, extract, delete
}

let incrementalBody: liplua_glpk_body = { raw in
    let J = raw!.assumingMemoryBound(to: IncrementalData.self)
    let p = J.pointee.prob
    let count = Int(J.pointee.count)
    switch J.pointee.stage {
    case IncrementalStage.addRows.rawValue:
        let first = Int(glp_add_rows(p, Int32(count)))
        let t = J.pointee.type!, lo = J.pointee.lo!, up = J.pointee.up!
        // New rows are basic (GLPK's default for added rows): with bounds that contain the
        // current activity the previous basis stays primal feasible.
        for i in 0..<count { glp_set_row_bnds(p, Int32(first + i), t[i], lo[i], up[i]) }
    case IncrementalStage.addColumns.rawValue:
        let first = Int(glp_add_cols(p, Int32(count)))
        let t = J.pointee.type!, lo = J.pointee.lo!, up = J.pointee.up!, c = J.pointee.obj!
        let s = J.pointee.start!, ind = J.pointee.ind!, val = J.pointee.val!
        for j in 0..<count {
            let col = Int32(first + j)
            // Nonbasic at the lower bound (glp_set_col_bnds keeps a nonbasic column nonbasic,
            // at the bound the type implies).
            glp_set_col_bnds(p, col, t[j], lo[j], up[j])
            if c[j] != 0 { glp_set_obj_coef(p, col, c[j]) }
            let a = Int(s[j]), b = Int(s[j + 1])
            // glp_set_mat_col reads ind[1...len]: pass the arrays shifted one entry back.
            if b > a { glp_set_mat_col(p, col, Int32(b - a), ind + (a - 1), val + (a - 1)) }
        }
    case IncrementalStage.advancedBasis.rawValue:
        glp_adv_basis(p, 0)
    case IncrementalStage.simplex.rawValue:
        J.pointee.ret = glp_simplex(p, J.pointee.smcp)
    case IncrementalStage.extract.rawValue:
        J.pointee.status = glp_get_status(p)
        J.pointee.primStat = glp_get_prim_stat(p)
        J.pointee.dualStat = glp_get_dual_stat(p)
        J.pointee.objVal = glp_get_obj_val(p)
        J.pointee.iterations = glp_get_it_cnt(p)
        let m = Int(J.pointee.m), n = Int(J.pointee.n)
        let x = J.pointee.x!, y = J.pointee.y!, d = J.pointee.d!
        for j in 0..<n { x[j] = glp_get_col_prim(p, Int32(j + 1)); d[j] = glp_get_col_dual(p, Int32(j + 1)) }
        for i in 0..<m { y[i] = glp_get_row_dual(p, Int32(i + 1)) }
    case IncrementalStage.delete.rawValue:
        if let p { glp_delete_prob(p) }
        J.pointee.prob = nil
    default:
        return -1
    }
    return 0
}

/// A GLPK problem object that grows between solves and is re-solved with the primal simplex
/// from its previous basis (no presolve: a presolver would discard the basis). Made by
/// `GLPKSolver.incrementalSession(_:)`; see `IncrementalLPSession` for the contract.
///
/// Thread: GLPK's environment is thread-local, so the session works only on the thread that
/// created it (elsewhere every call answers `solver_error` / throws nothing and changes
/// nothing). Stops: `timeLimit` becomes GLPK's `tm_lim` (a stop with the current basis, a
/// feasible point when the previous one was), and the interrupt flag and a backstop deadline
/// are checked at every progress line GLPK prints (every 100 ms), which abandons the call
/// through the guard and ends the session (a later solve says so; callers fall back).
public final class GLPKIncrementalSession: IncrementalLPSession {
    public private(set) var rowCount: Int
    public private(set) var columnCount: Int
    /// Why the session cannot be used any more (nil while it can).
    public private(set) var brokenReason: String? = nil
    public var isUsable: Bool { brokenReason == nil && generation == liplua_glpk_generation() && onOwnThread }
    /// Simplex solves run so far (later ones start from the last basis).
    public private(set) var solves = 0
    /// GLPK's iteration counter is cumulative over the problem's life; results report the
    /// iterations of their own solve.
    private var iterationsSoFar: Int32 = 0
    let solver: GLPKSolver
    let name: String
    private let data: UnsafeMutablePointer<IncrementalData>
    private let generation: UInt
    private let thread = pthread_self()
    private var onOwnThread: Bool { pthread_equal(thread, pthread_self()) != 0 }
    /// The initial load (its Model's arrays are GLPK's input; kept until the end).
    private let job: Job?

    init(lp: LinearProgram, solver: GLPKSolver) throws(LPError) {
        try lp.validate()
        self.solver = solver
        self.name = lp.name
        rowCount = lp.rowCount; columnCount = lp.columnCount
        data = .allocate(capacity: 1)
        data.initialize(to: IncrementalData())
        let session = Session(options: LPOptions(), solving: false)
        defer { session.finish() }
        let model: Model
        do { model = try Model(lp: lp, dropEmpty: false) } catch {
            job = nil
            generation = liplua_glpk_generation()
            brokenReason = outOfMemoryMessage(stage: "copying the LP for GLPK", glpk: "malloc of \(formatBytes(Double(error.bytes))) failed",
                                              sizes: LPSizes(rows: lp.rowCount, columns: lp.columnCount, nonzeros: lp.nonzeroCount),
                                              method: .primalSimplex)
            return
        }
        let job = Job(model: model)
        self.job = job
        let r = job.run(.build)
        generation = liplua_glpk_generation()
        if r != 0 {
            job.dead = true
            brokenReason = session.fatalResult(method: .primalSimplex, note: "", stage: "loading the LP",
                                               sizes: LPSizes(rows: lp.rowCount, columns: lp.columnCount, nonzeros: lp.nonzeroCount)).message
            return
        }
        data.pointee.prob = job.ptr.pointee.prob
    }

    deinit {
        // The Job deletes the problem (when GLPK's environment has not been reset since).
        if onOwnThread {
            let s = Session(options: LPOptions(), solving: false)
            job?.release(session: s)
            s.finish()
        }
        // On another thread the problem cannot be deleted (GLPK's environment is per thread);
        // it is freed with that thread's environment.
        data.deinitialize(count: 1)
        data.deallocate()
    }

    private func run(_ stage: IncrementalStage) -> Int32 {
        guard isUsable else { return LIPLUA_GLPK_FATAL }
        data.pointee.stage = stage.rawValue
        let r = liplua_glpk_guarded(incrementalBody, data)
        if r != 0 { job?.dead = true }
        return r
    }

    private var unusableText: String {
        if !onOwnThread { return "the GLPK session was used on another thread than the one that created it (GLPK's state is per thread)" }
        return brokenReason ?? "GLPK's environment on this thread was reset (after a fatal error or an interrupted call), which deleted the live problem"
    }

    public func addRows(lower: [Double], upper: [Double]) throws(LPError) {
        guard lower.count == upper.count else {
            throw LPError.lengthMismatch(lp: name, array: "upper", count: upper.count, expected: lower.count, reference: "lower")
        }
        if lower.isEmpty { return }
        var check = LinearProgram(columns: 0, name: name)
        check.rowLower = lower; check.rowUpper = upper
        try check.validate()
        guard rowCount + lower.count < Int(Int32.max) else { throw LPError.tooLarge(lp: name, what: "rows", count: rowCount + lower.count) }
        guard isUsable else { brokenReason = brokenReason ?? unusableText; return }
        let k = lower.count
        let t = UnsafeMutablePointer<Int32>.allocate(capacity: k), lo = UnsafeMutablePointer<Double>.allocate(capacity: k),
            up = UnsafeMutablePointer<Double>.allocate(capacity: k)
        defer { t.deallocate(); lo.deallocate(); up.deallocate() }
        for i in 0..<k { t[i] = boundType(lower[i], upper[i]); lo[i] = lower[i].isFinite ? lower[i] : 0; up[i] = upper[i].isFinite ? upper[i] : 0 }
        data.pointee.count = Int32(k); data.pointee.type = t; data.pointee.lo = lo; data.pointee.up = up
        let session = Session(options: LPOptions(), solving: false)
        defer { session.finish() }
        if run(.addRows) != 0 {
            brokenReason = session.fatalResult(method: .primalSimplex, note: "", stage: "adding rows").message
            return
        }
        rowCount += k
    }

    public func addColumns(objective: [Double], lower: [Double], upper: [Double],
                           entries: [[(row: Int32, value: Double)]]) throws(LPError) {
        let k = objective.count
        for (array, count) in [("lower", lower.count), ("upper", upper.count), ("entries", entries.count)] where count != k {
            throw LPError.lengthMismatch(lp: name, array: array, count: count, expected: k, reference: "objective")
        }
        if k == 0 { return }
        // The new columns as an LP over the current rows (free rows): validate() checks the
        // numbers, the indices and duplicates, with its usual messages.
        var check = LinearProgram(columns: 0, name: name)
        check.objective = objective; check.columnLower = lower; check.columnUpper = upper
        check.rowLower = [Double](repeating: -.infinity, count: rowCount)
        check.rowUpper = [Double](repeating: .infinity, count: rowCount)
        var total = 0
        for (j, column) in entries.enumerated() {
            for e in column { check.entryRow.append(e.row); check.entryColumn.append(Int32(j)); check.entryValue.append(e.value) }
            total += column.count
        }
        try check.validate()
        guard columnCount + k < Int(Int32.max) else { throw LPError.tooLarge(lp: name, what: "columns", count: columnCount + k) }
        guard isUsable else { brokenReason = brokenReason ?? unusableText; return }
        let t = UnsafeMutablePointer<Int32>.allocate(capacity: k), lo = UnsafeMutablePointer<Double>.allocate(capacity: k),
            up = UnsafeMutablePointer<Double>.allocate(capacity: k), c = UnsafeMutablePointer<Double>.allocate(capacity: k)
        let s = UnsafeMutablePointer<Int32>.allocate(capacity: k + 1)
        let ind = UnsafeMutablePointer<Int32>.allocate(capacity: max(total, 1)), val = UnsafeMutablePointer<Double>.allocate(capacity: max(total, 1))
        defer { t.deallocate(); lo.deallocate(); up.deallocate(); c.deallocate(); s.deallocate(); ind.deallocate(); val.deallocate() }
        var at = 0
        for j in 0..<k {
            t[j] = boundType(lower[j], upper[j]); lo[j] = lower[j].isFinite ? lower[j] : 0; up[j] = upper[j].isFinite ? upper[j] : 0
            c[j] = objective[j]
            s[j] = Int32(at)
            for e in entries[j] { ind[at] = e.row + 1; val[at] = e.value; at += 1 }
        }
        s[k] = Int32(at)
        data.pointee.count = Int32(k); data.pointee.type = t; data.pointee.lo = lo; data.pointee.up = up; data.pointee.obj = c
        data.pointee.start = s; data.pointee.ind = ind; data.pointee.val = val
        let session = Session(options: LPOptions(), solving: false)
        defer { session.finish() }
        if run(.addColumns) != 0 {
            brokenReason = session.fatalResult(method: .primalSimplex, note: "", stage: "adding columns").message
            return
        }
        columnCount += k
    }

    /// Primal simplex (or dual simplex when `options.method` is `.dualSimplex`) from the current
    /// basis. The first solve uses GLPK's presolver when `options.presolve` (the optimal basis
    /// is mapped back to the whole LP), else GLPK's crash basis; later solves never presolve.
    public func solve(options: LPOptions) -> LPResult {
        let method: LPMethod = options.method == .dualSimplex ? .dualSimplex : .primalSimplex
        let label = method == .primalSimplex ? "primal simplex (warm start)" : "dual simplex (warm start)"
        var result = solveBody(options: options, method: method, label: label)
        result.solver = solver.name
        result.method = method
        return result
    }

    private func solveBody(options: LPOptions, method: LPMethod, label: String) -> LPResult {
        let deadline = Session.deadline(options.timeLimit)
        guard isUsable else {
            return LPResult(status: .solverError, method: method, message: "GLPK \(label): the live LP cannot be solved: \(unusableText). Solve the whole LP again.")
        }
        if let t = options.timeLimit, !(t > 0) {
            return LPResult(status: .timeLimit, method: method,
                            message: "GLPK: nothing was solved: the time limit is \(t) s (it must be a positive number of seconds).")
        }
        if Interrupt.isRequested {
            return LPResult(status: .interrupted, method: method,
                            message: "GLPK: interrupted before the solve began (an interrupt, Ctrl-C, was pending); nothing was solved.")
        }
        let sizes = LPSizes(rows: rowCount, columns: columnCount, nonzeros: 0)
        let session = Session(options: options, deadline: deadline)
        defer { session.finish() }
        // The first solve has no basis to keep: with `options.presolve` it runs GLPK's
        // presolver (much faster on large starting LPs; GLPK maps the optimal basis back to
        // the original rows and columns, which later solves start from), else it starts from
        // GLPK's crash basis.
        let presolve = solves == 0 && options.presolve
        if solves == 0 && !presolve {
            if run(.advancedBasis) != 0 {
                brokenReason = session.fatalResult(method: method, note: "", stage: "computing a starting basis").message
                return LPResult(status: .solverError, method: method, message: brokenReason!)
            }
        }
        var smcp = glp_smcp()
        glp_init_smcp(&smcp)
        smcp.msg_lev = GLP_MSG_ALL
        smcp.out_frq = Session.checkIntervalMilliseconds
        smcp.meth = method == .primalSimplex ? GLP_PRIMAL : GLP_DUALP
        smcp.presolve = presolve ? GLP_ON : GLP_OFF
        smcp.tm_lim = session.glpkTimeLimit
        let smcpPtr = UnsafeMutablePointer<glp_smcp>.allocate(capacity: 1)
        defer { smcpPtr.deallocate() }
        smcpPtr.initialize(to: smcp)
        data.pointee.smcp = smcpPtr
        session.armBackstop(grace: presolve ? 0 : Session.backstopGrace)
        let r = run(.simplex)
        liplua_glpk_set_deadline(0)
        data.pointee.smcp = nil
        solves += 1
        switch r {
        case 0: break
        case LIPLUA_GLPK_DEADLINE, LIPLUA_GLPK_INTERRUPTED:
            let reason: StopReason = r == LIPLUA_GLPK_DEADLINE ? .timeLimit : .interrupted
            brokenReason = "the previous solve was stopped (\(reason == .timeLimit ? "time limit" : "interrupt")) inside GLPK, which resets GLPK's environment"
            var s = session.stopResult(reason, method: method, what: label, iterations: session.term.lastIteration)
            if reason == .timeLimit { s.message += " (GLPK's own limit had not stopped it \(Session.backstopGrace) s after the deadline; no point is available.)" }
            return s
        default:
            let f = session.fatalResult(method: method, note: "", stage: label, sizes: sizes)
            brokenReason = f.message
            return f
        }
        let ret = data.pointee.ret
        let m = rowCount, n = columnCount
        guard let raw = try? allocateAll([n * 8, n * 8, m * 8]) else {
            brokenReason = outOfMemoryMessage(stage: "reading the solution", glpk: "malloc failed", sizes: sizes, method: method)
            return LPResult(status: .solverError, method: method, message: brokenReason!)
        }
        let x = raw[0].bindMemory(to: Double.self, capacity: max(n, 1)), d = raw[1].bindMemory(to: Double.self, capacity: max(n, 1)),
            y = raw[2].bindMemory(to: Double.self, capacity: max(m, 1))
        defer { for p in raw { free(p) } }
        data.pointee.m = Int32(m); data.pointee.n = Int32(n)
        data.pointee.x = x; data.pointee.d = d; data.pointee.y = y
        let e = run(.extract)
        data.pointee.x = nil; data.pointee.d = nil; data.pointee.y = nil
        if e != 0 {
            let f = session.fatalResult(method: method, note: "", stage: "reading the solution", sizes: sizes)
            brokenReason = f.message
            return f
        }
        let j = data.pointee
        var status: LPStatus, message: String, point = false
        switch ret {
        case 0:
            switch j.status {
            case GLP_OPT: status = .optimal; point = true; message = "GLPK \(label): optimal solution found."
            case GLP_NOFEAS: status = .infeasible; message = "GLPK \(label): the LP has no feasible point."
            case GLP_UNBND: status = .unbounded; point = j.primStat == GLP_FEAS
                message = "GLPK \(label): the objective is unbounded."
            default:
                status = .numericalError; point = j.primStat == GLP_FEAS
                message = "GLPK \(label) stopped without an optimal basis (status \(statusName(j.status)))."
            }
        case GLP_ETMLIM:
            status = .timeLimit; point = j.primStat == GLP_FEAS
            message = "GLPK \(label): time limit reached before optimality (GLP_ETMLIM)\(point ? "; the current basis is a feasible point" : "")."
        case GLP_EITLIM:
            status = .iterationLimit; point = j.primStat == GLP_FEAS
            message = "GLPK \(label): iteration limit reached before optimality (GLP_EITLIM)."
        case GLP_EBADB, GLP_ESING, GLP_ECOND:
            status = .numericalError
            message = "GLPK \(label): the starting basis is \(ret == GLP_EBADB ? "invalid" : ret == GLP_ESING ? "singular" : "ill-conditioned") (\(codeName(ret))); solve the whole LP again."
        default:
            status = .solverError
            message = "GLPK \(label) returned \(codeName(ret))."
        }
        var result = LPResult(status: status, iterations: Int(j.iterations - iterationsSoFar), method: method, message: message)
        iterationsSoFar = j.iterations
        result.seconds = session.elapsed
        if point {
            result.objective = j.objVal
            result.primal = Array(UnsafeBufferPointer(start: x, count: n))
            result.reducedCosts = Array(UnsafeBufferPointer(start: d, count: n))
            result.rowDuals = Array(UnsafeBufferPointer(start: y, count: m))
        }
        return result
    }
}

extension GLPKSolver: IncrementalLPSolver {
    /// A live copy of `lp` for warm-started re-solves (column generation). Throws `LPError`
    /// when `lp` is invalid; a GLPK failure while loading makes a session whose solves answer
    /// `solver_error` with GLPK's message.
    public func incrementalSession(_ lp: LinearProgram) throws(LPError) -> any IncrementalLPSession {
        try GLPKIncrementalSession(lp: lp, solver: self)
    }
}
