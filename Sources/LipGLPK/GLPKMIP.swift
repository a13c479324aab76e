import CGLPK
import CGLPKShims
import Dispatch
import LipControl
import LipLP

// Mixed-integer programs with GLPK's branch and cut (glp_intopt).
//
// The program is loaded like an LP (`Model`/`Job` of GLPKInternals.swift), integer columns are
// marked with glp_set_col_kind, the LP relaxation is solved with glp_simplex (presolve off, so
// glp_intopt starts from its optimal basis and the tree works on the original columns: branching
// priorities and the start point refer to them), then glp_intopt runs with a callback that
//   - tracks the incumbent (GLP_IBINGO) and the best bound (best active node, GLP_ISELECT/IBRANCH),
//   - offers `MIPOptions.start` once as a heuristic solution (GLP_IHEUR),
//   - chooses the branching column by `MIPOptions.branchingPriority` (GLP_IBRANCH),
//   - stops the search on an interrupt request or the deadline (glp_ios_terminate),
//   - reports progress.
// Like the LP stages, every GLPK call runs inside the C guard; the stage body and the callback read
// and write only plain data, so a GLPK fatal error cannot unwind through Swift objects.

/// Plain data for the MIP stages (safe to abandon by longjmp).
struct MIPJobData {
    var stage: Int32 = 0
    var prob: OpaquePointer? = nil
    var n: Int32 = 0
    /// 0-based flags: 1 = integer column.
    var integer: UnsafeMutablePointer<Int32>? = nil
    var smcp: UnsafeMutablePointer<glp_smcp>? = nil
    var iocp: UnsafeMutablePointer<glp_iocp>? = nil
    var ret: Int32 = 0
    var lpStatus: Int32 = 0
    var lpObjective: Double = .nan
    var mipStatus: Int32 = 0
    var mipObjective: Double = .nan
    var x: UnsafeMutablePointer<Double>? = nil
}

/// Plain data the branch-and-cut callback reads and writes.
struct MIPCallbackData {
    var deadlineNanoseconds: UInt64 = 0      // 0: none
    var stop: Int32 = 0                      // 0 running, 1 interrupted, 2 deadline
    var maximize: Bool = true
    var hasIncumbent: Bool = false
    var incumbent: Double = .nan
    var bound: Double = .nan
    var rootBound: Double = .nan
    var nodes: Int32 = 0
    var openNodes: Int32 = 0
    var n: Int32 = 0
    /// 1-based start point (n + 1 values) or nil.
    var start: UnsafeMutablePointer<Double>? = nil
    var startState: Int32 = 0                // 0 none, 1 pending, 2 accepted, 3 rejected, 4 superseded
    var startObjective: Double = .nan
    /// 1-based priorities (n + 1 values) or nil.
    var priority: UnsafeMutablePointer<Int32>? = nil
    var startNanoseconds: UInt64 = 0
    var lastProgressNanoseconds: UInt64 = 0
    var progressIntervalNanoseconds: UInt64 = 1_000_000_000
    var newIncumbent: Bool = false
    /// Called with `context` from the callback (after the GLPK calls of that invocation).
    var progress: (@convention(c) (UnsafeMutableRawPointer?) -> Void)? = nil
    var interrupted: (@convention(c) (UnsafeMutableRawPointer?) -> Int32)? = nil
    var context: UnsafeMutableRawPointer? = nil
}

enum MIPStage: Int32 { case kinds = 1, rootLP, intopt, extract }

let mipStageBody: liplua_glpk_body = { raw in
    let J = raw!.assumingMemoryBound(to: MIPJobData.self)
    let p = J.pointee.prob
    let n = Int(J.pointee.n)
    switch J.pointee.stage {
    case MIPStage.kinds.rawValue:
        let f = J.pointee.integer!
        for j in 0..<n where f[j] != 0 { glp_set_col_kind(p, Int32(j + 1), GLP_IV) }
    case MIPStage.rootLP.rawValue:
        J.pointee.ret = glp_simplex(p, J.pointee.smcp)
        J.pointee.lpStatus = glp_get_status(p)
        J.pointee.lpObjective = glp_get_obj_val(p)
    case MIPStage.intopt.rawValue:
        J.pointee.ret = glp_intopt(p, J.pointee.iocp)
    case MIPStage.extract.rawValue:
        J.pointee.mipStatus = glp_mip_status(p)
        J.pointee.mipObjective = glp_mip_obj_val(p)
        let x = J.pointee.x!
        for j in 0..<n { x[j] = glp_mip_col_val(p, Int32(j + 1)) }
    default:
        return -1
    }
    return 0
}

let mipCallback: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Void = { T, info in
    guard let T, let info else { return }
    let D = info.assumingMemoryBound(to: MIPCallbackData.self)
    let reason = glp_ios_reason(T)
    let P = glp_ios_get_prob(T)
    var active: Int32 = 0, current: Int32 = 0, total: Int32 = 0
    glp_ios_tree_size(T, &active, &current, &total)
    D.pointee.nodes = total; D.pointee.openNodes = active
    // The incumbent may also come from GLPK's own heuristics (no GLP_IBINGO call for those).
    let ms = glp_mip_status(P)
    if ms == GLP_FEAS || ms == GLP_OPT {
        let v = glp_mip_obj_val(P)
        if !D.pointee.hasIncumbent || v != D.pointee.incumbent { D.pointee.newIncumbent = true }
        D.pointee.incumbent = v; D.pointee.hasIncumbent = true
    }
    switch reason {
    case GLP_IBINGO:
        D.pointee.incumbent = glp_mip_obj_val(P); D.pointee.hasIncumbent = true; D.pointee.newIncumbent = true
    case GLP_IHEUR:
        if D.pointee.startState == 1, let s = D.pointee.start {
            let r = glp_ios_heur_sol(T, s)
            D.pointee.startState = r == 0 ? 2 : 3
            if r != 0 && D.pointee.hasIncumbent {
                // Rejected because the incumbent is already at least as good?
                let inc = D.pointee.incumbent, st = D.pointee.startObjective
                let tol = 1e-9 * (1 + Swift.abs(st))
                if D.pointee.maximize ? inc >= st - tol : inc <= st + tol { D.pointee.startState = 4 }
            }
            if r == 0 {
                D.pointee.incumbent = glp_mip_obj_val(P); D.pointee.hasIncumbent = true; D.pointee.newIncumbent = true
            }
        }
    case GLP_IBRANCH:
        if let pr = D.pointee.priority {
            var best: Int32 = 0, bestPriority = Int32.max, bestFrac = -1.0
            let n = D.pointee.n
            var j: Int32 = 1
            while j <= n {
                if glp_ios_can_branch(T, j) != 0 {
                    let v = glp_get_col_prim(P, j)
                    let f = v - v.rounded(.down)
                    let frac = Swift.min(f, 1 - f)
                    if pr[Int(j)] < bestPriority || (pr[Int(j)] == bestPriority && frac > bestFrac) {
                        best = j; bestPriority = pr[Int(j)]; bestFrac = frac
                    }
                }
                j += 1
            }
            if best != 0 { glp_ios_branch_upon(T, best, GLP_NO_BRNCH) }
        }
    default: break
    }
    if reason == GLP_ISELECT || reason == GLP_IBRANCH || reason == GLP_IBINGO {
        let b = glp_ios_best_node(T)
        if b != 0 {
            // A node not solved yet carries its parent's bound (±DBL_MAX for the root): never
            // weaker than the root relaxation's bound.
            var v = glp_ios_node_bound(T, b)
            v = D.pointee.maximize ? Swift.min(v, D.pointee.rootBound) : Swift.max(v, D.pointee.rootBound)
            if D.pointee.hasIncumbent { v = D.pointee.maximize ? Swift.max(v, D.pointee.incumbent) : Swift.min(v, D.pointee.incumbent) }
            D.pointee.bound = v
        } else if D.pointee.hasIncumbent {
            D.pointee.bound = D.pointee.incumbent
        }
    }
    let now = DispatchTime.now().uptimeNanoseconds
    if D.pointee.stop == 0 {
        if let f = D.pointee.interrupted, f(D.pointee.context) != 0 { D.pointee.stop = 1 }
        else if D.pointee.deadlineNanoseconds != 0 && now >= D.pointee.deadlineNanoseconds { D.pointee.stop = 2 }
        if D.pointee.stop != 0 { glp_ios_terminate(T) }
    }
    if let f = D.pointee.progress,
       D.pointee.newIncumbent || now &- D.pointee.lastProgressNanoseconds >= D.pointee.progressIntervalNanoseconds {
        D.pointee.newIncumbent = false
        D.pointee.lastProgressNanoseconds = now
        f(D.pointee.context)
    }
}

/// Holds the Swift closures (progress, interrupt poll) for the C callback.
final class MIPProgressBox {
    let fn: (@Sendable (MIPProgress) -> Void)?
    let interrupted: @Sendable () -> Bool
    let data: UnsafeMutablePointer<MIPCallbackData>
    init(_ fn: (@Sendable (MIPProgress) -> Void)?, interrupted: @escaping @Sendable () -> Bool, data: UnsafeMutablePointer<MIPCallbackData>) {
        self.fn = fn; self.interrupted = interrupted; self.data = data
    }
    func report() {
        guard let fn else { return }
        let d = data.pointee
        let secs = Double(DispatchTime.now().uptimeNanoseconds &- d.startNanoseconds) / 1e9
        fn(MIPProgress(nodes: Int(d.nodes), openNodes: Int(d.openNodes), incumbent: d.hasIncumbent ? d.incumbent : nil,
                       bound: d.bound.isNaN ? nil : d.bound, seconds: secs))
    }
}

let mipProgressTrampoline: @convention(c) (UnsafeMutableRawPointer?) -> Void = { ctx in
    guard let ctx else { return }
    Unmanaged<MIPProgressBox>.fromOpaque(ctx).takeUnretainedValue().report()
}

let mipInterruptTrampoline: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { ctx in
    guard let ctx else { return 0 }
    return Unmanaged<MIPProgressBox>.fromOpaque(ctx).takeUnretainedValue().interrupted() ? 1 : 0
}

extension GLPKSolver: MIPSolver {
    /// Solves a mixed-integer program (`lp.isInteger` marks the integer columns; none marked is an
    /// LP solved by branch and cut's root alone) with glp_intopt. See `MIPResult` for what the
    /// numbers mean; `bound` after an optimal solve is the incumbent widened by GLPK's pruning
    /// tolerance (`objectiveTolerance · (1 + |incumbent|)`), after an early stop the best open
    /// node's LP bound.
    public func solveMIP(_ lp: LinearProgram, options: MIPOptions) throws -> MIPResult {
        try lp.validate()
        try options.validate(for: lp)
        var lpOptions = LPOptions()
        lpOptions.verbosity = options.verbosity
        lpOptions.timeLimit = options.timeLimit
        let session = Session(options: lpOptions)
        defer { session.finish() }
        let n = lp.columnCount
        let started = DispatchTime.now().uptimeNanoseconds
        func finish(_ r: MIPResult) -> MIPResult { var r = r; r.seconds = session.elapsed; r.solver = name; return r }

        if options.interrupted() {
            return finish(MIPResult(status: .interrupted, message: "GLPK MIP: interrupted before the solve started."))
        }
        if let t = options.timeLimit, t <= 0 {
            return finish(MIPResult(status: .timeLimit, message: "GLPK MIP: time limit 0 s: not started."))
        }
        let model: Model
        do { model = try Model(lp: lp, dropEmpty: false) } catch {
            return finish(MIPResult(status: .solverError, message: "GLPK MIP: \(error)"))
        }
        guard let job = model.build(session: session) else {
            return finish(MIPResult(status: .solverError, message: session.fatalResult(method: .primalSimplex, note: "", stage: "loading the MIP").message))
        }
        defer { job.release(session: session) }

        let integer = UnsafeMutablePointer<Int32>.allocate(capacity: max(n, 1))
        defer { integer.deallocate() }
        var integerCount = 0
        for j in 0..<n { let f = !lp.isInteger.isEmpty && lp.isInteger[j]; integer[j] = f ? 1 : 0; if f { integerCount += 1 } }
        let xs = UnsafeMutablePointer<Double>.allocate(capacity: max(n, 1))
        defer { xs.deallocate() }
        let smcp = UnsafeMutablePointer<glp_smcp>.allocate(capacity: 1)
        defer { smcp.deallocate() }
        let iocp = UnsafeMutablePointer<glp_iocp>.allocate(capacity: 1)
        defer { iocp.deallocate() }
        let cb = UnsafeMutablePointer<MIPCallbackData>.allocate(capacity: 1)
        defer { cb.deallocate() }
        cb.initialize(to: MIPCallbackData())
        let startBuf = UnsafeMutablePointer<Double>.allocate(capacity: n + 1)
        defer { startBuf.deallocate() }
        let prioBuf = UnsafeMutablePointer<Int32>.allocate(capacity: n + 1)
        defer { prioBuf.deallocate() }

        let data = UnsafeMutablePointer<MIPJobData>.allocate(capacity: 1)
        defer { data.deallocate() }
        data.initialize(to: MIPJobData())
        data.pointee.prob = job.ptr.pointee.prob
        data.pointee.n = Int32(n)
        data.pointee.integer = integer
        data.pointee.smcp = smcp
        data.pointee.iocp = iocp
        data.pointee.x = xs

        func run(_ stage: MIPStage) -> Int32 {
            data.pointee.stage = stage.rawValue
            let r = liplua_glpk_guarded(mipStageBody, data)
            if r == LIPLUA_GLPK_FATAL || r == LIPLUA_GLPK_DEADLINE || r == LIPLUA_GLPK_ABORTED { job.dead = true }
            return r
        }
        func fatal(_ stage: String) -> MIPResult {
            finish(MIPResult(status: .solverError, message: session.fatalResult(method: .primalSimplex, note: "", stage: stage).message))
        }

        if run(.kinds) != 0 { return fatal("marking integer columns") }

        // Root LP relaxation.
        var s = glp_smcp()
        glp_init_smcp(&s)
        s.msg_lev = options.verbosity <= 0 ? GLP_MSG_OFF : (options.verbosity == 1 ? GLP_MSG_ERR : GLP_MSG_ON)
        s.presolve = GLP_OFF
        s.meth = GLP_PRIMAL
        if let rem = session.remaining { s.tm_lim = Int32(clamping: Int((max(rem, 0.001) * 1000).rounded(.up))) }
        smcp.initialize(to: s)
        if run(.rootLP) != 0 { return fatal("solving the root LP relaxation") }
        let rootRet = data.pointee.ret, rootStatus = data.pointee.lpStatus
        if rootRet == GLP_ETMLIM {
            return finish(MIPResult(status: .timeLimit, message: "GLPK MIP: time limit reached while solving the root LP relaxation; no bound or incumbent yet. Raise the time limit."))
        }
        if rootRet != 0 {
            return finish(MIPResult(status: .numericalError, message: "GLPK MIP: the root LP relaxation failed (\(codeName(rootRet))); the program may be badly scaled."))
        }
        switch rootStatus {
        case GLP_OPT: break
        case GLP_NOFEAS:
            return finish(MIPResult(status: .infeasible, message: "GLPK MIP: the LP relaxation is infeasible, so the MIP is infeasible."))
        case GLP_UNBND:
            return finish(MIPResult(status: .unbounded, message: "GLPK MIP: the LP relaxation is unbounded; bound the continuous columns."))
        default:
            return finish(MIPResult(status: .numericalError, message: "GLPK MIP: the root LP relaxation ended with status \(statusName(rootStatus)), not optimal."))
        }
        let rootBound = data.pointee.lpObjective

        // Branch and cut.
        var io = glp_iocp()
        glp_init_iocp(&io)
        io.msg_lev = options.verbosity <= 0 ? GLP_MSG_OFF : (options.verbosity == 1 ? GLP_MSG_ERR : GLP_MSG_ON)
        io.presolve = GLP_OFF
        io.tol_int = options.integralityTolerance
        io.tol_obj = options.objectiveTolerance
        io.mip_gap = options.relativeGap
        if options.cuts { io.gmi_cuts = GLP_ON; io.mir_cuts = GLP_ON; io.cov_cuts = GLP_ON; io.clq_cuts = GLP_ON }
        if let rem = session.remaining {
            if rem <= 0 {
                return finish(MIPResult(status: .timeLimit, bound: rootBound,
                                        message: "GLPK MIP: time limit reached after the root LP relaxation (bound \(rootBound)); no incumbent."))
            }
            io.tm_lim = Int32(clamping: Int((rem * 1000).rounded(.up)))
        }
        io.cb_func = mipCallback
        io.cb_info = UnsafeMutableRawPointer(cb)
        cb.pointee.maximize = lp.sense == .maximize
        cb.pointee.n = Int32(n)
        cb.pointee.bound = rootBound
        cb.pointee.rootBound = rootBound
        cb.pointee.startNanoseconds = started
        cb.pointee.lastProgressNanoseconds = started
        cb.pointee.progressIntervalNanoseconds = UInt64(max(0, options.progressInterval) * 1e9)
        if let t = options.timeLimit, let end = Deadline(seconds: max(0, t - session.elapsed)).endNanoseconds {
            cb.pointee.deadlineNanoseconds = end
        }
        if let st = options.start {
            startBuf[0] = 0
            for j in 0..<n { startBuf[j + 1] = st[j] }
            // glp_ios_heur_sol checks integrality but takes the rows on trust: check bounds and
            // rows here (relative tolerance 1e-9) and refuse a start that does not fit.
            var fits = (0..<n).allSatisfy { j in
                st[j] >= lp.columnLower[j] && st[j] <= lp.columnUpper[j]
                    && (lp.isInteger.isEmpty || !lp.isInteger[j] || st[j] == st[j].rounded())
            }
            if fits {
                var act = [Double](repeating: 0, count: lp.rowCount), mag = act
                for k in 0..<lp.nonzeroCount {
                    let i = Int(lp.entryRow[k]), v = lp.entryValue[k] * st[Int(lp.entryColumn[k])]
                    act[i] += v; mag[i] += abs(v)
                }
                for i in 0..<lp.rowCount {
                    let tol = 1e-9 * (1 + mag[i] + max(abs(lp.rowLower[i].isFinite ? lp.rowLower[i] : 0), abs(lp.rowUpper[i].isFinite ? lp.rowUpper[i] : 0)))
                    if act[i] < lp.rowLower[i] - tol || act[i] > lp.rowUpper[i] + tol { fits = false; break }
                }
            }
            cb.pointee.start = fits ? startBuf : nil
            cb.pointee.startState = fits ? 1 : 3
            var v = lp.objectiveConstant
            for j in 0..<n { v += lp.objective[j] * st[j] }
            cb.pointee.startObjective = v
        }
        if !options.branchingPriority.isEmpty {
            prioBuf[0] = 0
            for j in 0..<n { prioBuf[j + 1] = Int32(clamping: options.branchingPriority[j]) }
            cb.pointee.priority = prioBuf
        }
        let box = MIPProgressBox(options.progress, interrupted: options.interrupted, data: cb)
        if options.progress != nil { cb.pointee.progress = mipProgressTrampoline }
        cb.pointee.interrupted = mipInterruptTrampoline
        cb.pointee.context = Unmanaged.passUnretained(box).toOpaque()
        iocp.initialize(to: io)
        let r = run(.intopt)
        withExtendedLifetime(box) {}
        if r != 0 { return fatal("branch and cut") }
        let ret = data.pointee.ret
        if run(.extract) != 0 { return fatal("reading the MIP solution") }
        let mipStatus = data.pointee.mipStatus
        let haveIncumbent = mipStatus == GLP_OPT || mipStatus == GLP_FEAS
        var result = MIPResult(status: .notSolved, nodes: Int(cb.pointee.nodes))
        if haveIncumbent {
            result.objective = data.pointee.mipObjective
            result.primal = (0..<n).map { xs[$0] }
        }
        if options.start != nil {
            switch cb.pointee.startState {
            case 2, 4: result.startAccepted = true
            case 3: result.startAccepted = false
            default: result.startAccepted = nil   // never offered: the search ended first
            }
        }
        let tracked = cb.pointee.bound
        let maximize = lp.sense == .maximize
        func widened(_ v: Double) -> Double {
            let e = options.objectiveTolerance * (1 + abs(v))
            return maximize ? v + e : v - e
        }
        func earlyBound() -> Double {
            var b = tracked
            if haveIncumbent && !b.isNaN { b = maximize ? max(b, result.objective) : min(b, result.objective) }
            return b
        }
        let count = "\(integerCount) integer columns, \(result.nodes) nodes"
        switch ret {
        case 0:
            switch mipStatus {
            case GLP_OPT:
                result.status = .optimal; result.bound = widened(result.objective)
                result.message = "GLPK branch and cut: optimal integer solution (\(count)); the bound is the incumbent plus the pruning tolerance."
            case GLP_NOFEAS:
                result.status = .infeasible
                result.message = "GLPK branch and cut: no integer feasible solution exists (\(count))."
            default:
                result.status = .notSolved; result.bound = earlyBound()
                result.message = "GLPK branch and cut ended with MIP status \(statusName(mipStatus)) (\(count))."
            }
        case GLP_EMIPGAP:
            result.status = .optimal; result.bound = earlyBound()
            result.message = "GLPK branch and cut: stopped at the relative gap \(options.relativeGap) (\(count)); the incumbent is within that gap of the optimum."
        case GLP_ETMLIM:
            result.status = .timeLimit; result.bound = earlyBound()
            result.message = "GLPK branch and cut: time limit reached (\(count)); the incumbent (if any) and the best bound so far are reported."
        case GLP_ESTOP:
            result.status = cb.pointee.stop == 1 ? .interrupted : .timeLimit; result.bound = earlyBound()
            result.message = cb.pointee.stop == 1
                ? "GLPK branch and cut: interrupted (\(count)); the incumbent (if any) and the best bound so far are reported."
                : "GLPK branch and cut: time limit reached (\(count)); the incumbent (if any) and the best bound so far are reported."
        case GLP_ENOPFS:
            result.status = .infeasible
            result.message = "GLPK branch and cut: no primal feasible solution (GLP_ENOPFS)."
        case GLP_ENODFS:
            result.status = .infeasibleOrUnbounded
            result.message = "GLPK branch and cut: the LP relaxation has no dual feasible solution (GLP_ENODFS): infeasible or unbounded."
        case GLP_EROOT:
            result.status = .numericalError
            result.message = "GLPK branch and cut: no optimal basis for the root relaxation (GLP_EROOT)."
        case GLP_EBOUND:
            result.status = .solverError
            result.message = "GLPK branch and cut: an integer column has non-integer or wrong bounds (GLP_EBOUND); validate() should have caught this — please report it."
        default:
            result.status = .solverError; result.bound = earlyBound()
            result.message = "GLPK branch and cut failed (\(codeName(ret)))."
        }
        if let acc = result.startAccepted, !acc {
            result.message += " The start point was not accepted by GLPK (not integral, out of bounds, or not better than the incumbent)."
        }
        return finish(result)
    }
}
