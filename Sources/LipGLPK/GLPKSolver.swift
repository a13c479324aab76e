import CGLPK
import CGLPKShims
import Glibc
import LipControl
import LipLP

/// GLPK 5.0 as an `LPSolver` (simplex with presolve, or interior point).
///
/// Every solve runs synchronously on the calling thread (GLPK's environment is thread-local):
/// validate → create a `glp_prob` → set bounds, objective `cᵀx + c₀` and the whole matrix with
/// one `glp_load_matrix` call → solve → read the solution → delete. Every GLPK call runs inside
/// the C guard `liplua_glpk_guarded`, so a GLPK fatal error becomes `status == .solverError`
/// (the guard frees the thread's GLPK environment; later solves work normally).
///
/// Solution conventions (GLPK's): `rowDuals[i] = y_i`, `reducedCosts[j] = d_j = c_j − Σ_i a_ij y_i`,
/// in the LP's own sense; at an optimum of a minimisation, `y_i ≥ 0` on active lower row bounds
/// and `≤ 0` on active upper ones (`d_j` likewise for columns), the signs flip for maximisation,
/// and strong duality reads `cᵀx* + c₀ = Σ_i y_i b_i + Σ_j d_j x_j* + c₀` with `b_i` the active
/// bound of row i.
///
/// See README.md in this directory for the status mapping and the `.automatic` rule.
public struct GLPKSolver: LPSolver {
    public let name = "glpk"
    /// How `.automatic` chooses a method.
    public var rule: AutomaticRule

    /// Receives a report for every interior-point child process (fork time, peak memory, stop
    /// latency); for benchmarks and tests.
    public var interiorProcessReport: (@Sendable (InteriorProcessReport) -> Void)? = nil

    public init() { self.rule = AutomaticRule() }
    public init(rule: AutomaticRule) { self.rule = rule }

    /// `.automatic`: interior point for LPs with at least `interiorMinColumns` columns **and**
    /// `interiorMinNonzeros` nonzeros (where it is typically several times faster on sparse
    /// certificate LPs), falling back to `simplex` if it fails; `simplex` (primal, with presolve:
    /// the most robust GLPK setting measured on certificate LPs) otherwise. Change the fields to
    /// change the rule; `interiorMinColumns = .max` disables interior point.
    public struct AutomaticRule: Sendable {
        public var interiorMinColumns: Int = 5_000
        public var interiorMinNonzeros: Int = 20_000
        public var simplex: LPMethod = .primalSimplex
        /// Interior point gives up (and falls back to `simplex`) when GLPK's symbolic Cholesky
        /// factor L of A·Aᵀ has more nonzeros than this: the numeric factorisation, repeated
        /// every iteration, would be dense and slow (and cannot be interrupted by the time
        /// limit). `nil` disables the check.
        public var interiorMaxFactorNonzeros: Int? = 30_000_000
        /// Run `glp_interior` in a child process that is killed (SIGKILL) when the deadline
        /// passes or an interrupt is requested: its Cholesky factorisation cannot be stopped
        /// any other way. `false` runs it in this process, where the deadline and the
        /// interrupt are only checked between GLPK's output lines.
        public var interiorInChildProcess: Bool = true
        /// LPs with fewer nonzeros solve in milliseconds: they run in this process (no fork).
        public var interiorChildMinNonzeros: Int = 0
        public init() {}
        public func method(for lp: LinearProgram) -> LPMethod {
            method(rows: lp.rowCount, columns: lp.columnCount, nonzeros: lp.nonzeroCount)
        }
        /// The same rule from sizes alone (for estimates before an LP is built).
        public func method(rows: Int, columns: Int, nonzeros: Int) -> LPMethod {
            columns >= interiorMinColumns && nonzeros >= interiorMinNonzeros ? .interiorPoint : simplex
        }
    }

    public func solve(_ lp: LinearProgram, options: LPOptions) throws -> LPResult {
        // The time limit counts from here: validation and copying the LP are part of the solve.
        let deadline = Session.deadline(options.timeLimit)
        try lp.validate()
        return solveValidated(lp, options: options, deadline: deadline)
    }

    /// Solves without validating first. Internal: tests use it to feed GLPK bad data and check
    /// that the fatal-error guard recovers.
    ///
    /// Any `timeLimit` is accepted: `nil`, `+∞` and values beyond ~25 days mean none; NaN,
    /// zero and negative values give `time_limit` at once without solving (the option checks
    /// of the callers reject them earlier with a message). An interrupt request pending at the
    /// start gives `interrupted` at once.
    func solveValidated(_ lp: LinearProgram, options: LPOptions, deadline: Deadline? = nil) -> LPResult {
        let method = options.method == .automatic ? rule.method(for: lp) : options.method
        var result: LPResult
        if let t = options.timeLimit, !(t > 0) {
            result = LPResult(status: .timeLimit, method: method,
                              message: "GLPK: nothing was solved: the time limit is \(t) s (it must be a positive number of seconds).")
        } else if Interrupt.isRequested {
            result = LPResult(status: .interrupted, method: method,
                              message: "GLPK: interrupted before the solve began (an interrupt, Ctrl-C, was pending); nothing was solved.")
        } else if let refusal = memoryRefusal(lp, method: method) {
            result = refusal
        } else {
            let session = Session(options: options, deadline: deadline)
            defer { session.finish() }
            switch method {
            case .interiorPoint:
                result = interior(lp, options: options, session: session)
            case .dualSimplex, .automatic:
                result = simplex(lp, method: method == .automatic ? .dualSimplex : method, options: options, session: session)
            case .primalSimplex:
                result = simplex(lp, method: .primalSimplex, options: options, session: session)
            }
            result.seconds = session.elapsed
        }
        result.solver = name
        return result
    }

    // MARK: simplex

    /// How a guarded GLPK solver call ended.
    enum CallOutcome {
        case returned(Int32)
        case fatal
        case stopped(StopReason)
    }

    private func simplex(_ lp: LinearProgram, method: LPMethod, options: LPOptions, session: Session,
                         note: String = "") -> LPResult {
        let label = method == .primalSimplex ? "primal simplex" : "dual simplex"
        let sizes = LPSizes(rows: lp.rowCount, columns: lp.columnCount, nonzeros: lp.nonzeroCount)
        if let reason = session.stopReason {
            return session.stopResult(reason, method: method, what: label, iterations: session.iterationsBefore, note: note)
        }
        let model: Model
        do { model = try Model(lp: lp, dropEmpty: false) } catch {
            return outOfMemoryResult(method: method, note: note, stage: "copying the LP for GLPK", bytes: error.bytes, sizes: sizes)
        }
        guard let job = model.build(session: session) else {
            return session.fatalResult(method: method, note: note, stage: "loading the LP", sizes: sizes)
        }
        defer { job.release(session: session) }
        var smcp = glp_smcp()
        glp_init_smcp(&smcp)
        // At least GLP_MSG_ON, a line every checkIntervalMilliseconds: each line is a point
        // where the C hook checks the interrupt flag and the deadline (TermState decides what
        // the user sees).
        // GLP_MSG_ALL adds a line before and after the presolver, which has no output of its own.
        smcp.msg_lev = GLP_MSG_ALL
        smcp.out_frq = Session.checkIntervalMilliseconds
        smcp.meth = method == .primalSimplex ? GLP_PRIMAL : GLP_DUALP
        smcp.presolve = options.presolve ? GLP_ON : GLP_OFF
        let smcpPtr = UnsafeMutablePointer<glp_smcp>.allocate(capacity: 1)
        defer { smcpPtr.deallocate() }
        func run(presolve: Bool, meth: Int32) -> CallOutcome {
            if let reason = session.stopReason { return .stopped(reason) }
            smcp.presolve = presolve ? GLP_ON : GLP_OFF
            smcp.meth = meth
            // GLPK's own limit (a clean stop with the current point) ends at the deadline plus
            // the set-up time it does not count; without presolve the hook's backstop waits
            // `backstopGrace` for it, with presolve there is no point to wait for (GLPK cannot
            // map an unfinished presolved solution back), so the hook stops at the deadline.
            smcp.tm_lim = session.glpkTimeLimit
            session.armBackstop(grace: presolve ? 0 : Session.backstopGrace)
            smcpPtr.initialize(to: smcp)
            job.ptr.pointee.smcp = smcpPtr
            let r = job.run(.simplex)
            liplua_glpk_set_deadline(0)
            switch r {
            case LIPLUA_GLPK_FATAL, LIPLUA_GLPK_ABORTED: return .fatal
            case LIPLUA_GLPK_DEADLINE: return .stopped(.timeLimit)
            case LIPLUA_GLPK_INTERRUPTED: return .stopped(.interrupted)
            default: return .returned(job.ptr.pointee.ret)
            }
        }
        let pre = options.presolve ? " with presolve" : ""
        func stopped(_ reason: StopReason) -> LPResult {
            job.dead = true
            var r = session.stopResult(reason, method: method, what: label + pre,
                                       iterations: session.iterationsBefore + session.term.lastIteration, note: note)
            if reason == .timeLimit {
                r.message += options.presolve ? " (With presolve GLPK keeps no point at a time limit.)"
                    : " (GLPK's own limit had not stopped it \(Session.backstopGrace) s after the deadline; no point is available.)"
            }
            return r
        }
        var ret: Int32
        switch run(presolve: options.presolve, meth: smcp.meth) {
        case .fatal:
            job.dead = true
            return session.fatalResult(method: method, note: note, stage: label, sizes: sizes)
        case .stopped(let reason): return stopped(reason)
        case .returned(let r): ret = r
        }
        var extra = ""
        if ret == GLP_ENODFS || (ret == 0 && needsPrimalClassification(job)) {
            // The presolver (or dual simplex) only proved "no dual feasible solution", i.e. the
            // LP is infeasible or unbounded. Primal simplex without presolve tells which.
            if session.remaining.map({ $0 > 0 }) ?? true {
                let first = ret == GLP_ENODFS ? "the presolver found no dual feasible solution" : "the dual problem is infeasible"
                switch run(presolve: false, meth: GLP_PRIMAL) {
                case .fatal:
                    job.dead = true
                    return session.fatalResult(method: method, note: note, stage: "primal simplex re-solve", sizes: sizes)
                case .stopped(let reason): return stopped(reason)
                case .returned(let r2): ret = r2
                }
                extra = " (\(first); re-solved with primal simplex without presolve to classify)"
            }
        }
        if !job.extract(interior: false) {
            job.dead = true
            return session.fatalResult(method: method, note: note, stage: "reading the solution", sizes: sizes)
        }
        var result = mapSimplex(ret: ret, job: job, model: model, lp: lp, method: method, what: label + pre)
        result.message = note + result.message + extra
        result.iterations += session.iterationsBefore
        return result
    }

    /// After a return code 0: the solution is not optimal and the dual is infeasible while the
    /// primal status is unknown.
    private func needsPrimalClassification(_ job: Job) -> Bool {
        if !job.extractStatus() { return false }
        let j = job.ptr.pointee
        return j.status != GLP_OPT && j.status != GLP_NOFEAS && j.status != GLP_UNBND
            && j.dualStat == GLP_NOFEAS && j.primStat != GLP_FEAS
    }

    private func mapSimplex(ret: Int32, job: Job, model: Model, lp: LinearProgram, method: LPMethod, what: String) -> LPResult {
        let j = job.ptr.pointee
        var status: LPStatus
        var message: String
        var point = false
        switch ret {
        case 0:
            switch j.status {
            case GLP_OPT:
                status = .optimal; point = true
                message = "GLPK \(what): optimal solution found."
            case GLP_NOFEAS:
                status = .infeasible
                message = "GLPK \(what): the LP has no feasible point (primal infeasible). Check the constraints that should admit a solution, e.g. bounds with the wrong sign."
            case GLP_UNBND:
                status = .unbounded; point = j.primStat == GLP_FEAS
                message = "GLPK \(what): the objective is unbounded (a feasible ray improves it forever). Add bounds to the free variables or check the objective sign/sense."
            default:
                if j.dualStat == GLP_NOFEAS && j.primStat == GLP_FEAS {
                    status = .unbounded; point = true
                    message = "GLPK \(what): the objective is unbounded (primal feasible, dual infeasible). Add bounds or check the objective sense."
                } else if j.dualStat == GLP_NOFEAS {
                    status = .infeasibleOrUnbounded
                    message = "GLPK \(what): no dual feasible solution, so the LP is infeasible or unbounded; solve with primal simplex without presolve to tell which."
                } else if j.primStat == GLP_NOFEAS {
                    status = .infeasible
                    message = "GLPK \(what): the LP has no feasible point."
                } else {
                    status = .numericalError
                    message = "GLPK \(what) stopped without an optimal basis (status \(statusName(j.status))); the LP may be badly scaled — try another method or rescale coefficients."
                }
            }
        case GLP_EBADB, GLP_ESING, GLP_ECOND:
            status = .numericalError
            message = "GLPK \(what): the initial basis is \(ret == GLP_EBADB ? "invalid" : ret == GLP_ESING ? "singular" : "ill-conditioned") (\(codeName(ret))); turn presolve on or try another method."
        case GLP_EBOUND:
            status = .solverError
            message = "GLPK \(what): some double-bounded variable has incorrect bounds (GLP_EBOUND); validate() should have caught this — please report it."
        case GLP_EFAIL:
            status = .solverError
            message = "GLPK \(what) failed (GLP_EFAIL), e.g. the problem has no rows or columns or the solver hit an internal failure; try another method."
        case GLP_EOBJLL, GLP_EOBJUL:
            status = .notSolved
            message = "GLPK \(what) stopped at an objective limit (\(codeName(ret)))."
        case GLP_EITLIM:
            status = .iterationLimit; point = j.primStat == GLP_FEAS
            message = "GLPK \(what): iteration limit reached before optimality (GLP_EITLIM); raise the limit or try interior point."
        case GLP_ETMLIM:
            status = .timeLimit; point = j.primStat == GLP_FEAS && j.status != GLP_UNDEF
            message = "GLPK \(what): time limit reached before optimality (GLP_ETMLIM); raise LPOptions.timeLimit, shrink the LP, or try interior point."
        case GLP_ENOPFS:
            status = .infeasible
            message = "GLPK \(what): the presolver proved the LP has no primal feasible solution (GLP_ENOPFS); check the constraints."
        case GLP_ENODFS:
            status = .infeasibleOrUnbounded
            message = "GLPK \(what): the presolver found no dual feasible solution (GLP_ENODFS): the LP is infeasible or unbounded."
        default:
            status = .solverError
            message = "GLPK \(what) returned unexpected code \(ret) (\(codeName(ret)))."
        }
        var result = LPResult(status: status, iterations: Int(j.iterations), method: method, message: message)
        if point { model.fill(&result, job: job, lp: lp) }
        return result
    }

    // MARK: interior point

    private func interior(_ lp: LinearProgram, options: LPOptions, session: Session) -> LPResult {
        let sizes = LPSizes(rows: lp.rowCount, columns: lp.columnCount, nonzeros: lp.nonzeroCount)
        let model: Model
        do { model = try Model(lp: lp, dropEmpty: true) } catch {
            return outOfMemoryResult(method: .interiorPoint, note: "", stage: "copying the LP for GLPK", bytes: error.bytes, sizes: sizes)
        }
        let fallbackMethod = rule.simplex == .interiorPoint || rule.simplex == .automatic ? LPMethod.primalSimplex : rule.simplex
        func fallback(_ why: String) -> LPResult {
            if let reason = session.stopReason {
                return session.stopResult(reason, method: .interiorPoint, what: "interior point", iterations: session.iterationsBefore,
                                          note: "GLPK interior point: \(why); the simplex fallback did not run: ")
            }
            var simplexOptions = options
            simplexOptions.presolve = true
            return simplex(lp, method: fallbackMethod, options: simplexOptions, session: session,
                           note: "GLPK interior point: \(why); fell back to \(fallbackMethod == .primalSimplex ? "primal" : "dual") simplex with presolve. ")
        }
        if let row = model.infeasibleEmptyRow {
            return LPResult(status: .infeasible, method: .interiorPoint,
                            message: "The LP is infeasible: \(lp.rowLabel(row)) has no coefficients but its bounds [\(lp.rowLower[row]), \(lp.rowUpper[row])] exclude 0.")
        }
        if let col = model.unboundedEmptyColumn {
            return fallback("\(lp.columnLabel(col)) appears in no row and its cost improves without bound, so the LP is unbounded if feasible")
        }
        if model.m == 0 {
            // Every row and column was empty: the optimum is at the columns' best bounds.
            var result = LPResult(status: .optimal, method: .interiorPoint,
                                  message: "The LP has no nonzero coefficients; solved directly (each column at its best bound).")
            model.fill(&result, job: nil, lp: lp)
            return result
        }
        if let reason = session.stopReason {
            return session.stopResult(reason, method: .interiorPoint, what: "interior point", iterations: 0)
        }
        var note = ""
        if rule.interiorInChildProcess && model.nnz >= rule.interiorChildMinNonzeros {
            switch runInteriorChild(model, session: session, echo: session.verbosity >= 2) {
            case .unavailable(let errno):
                note = "(could not start the interior-point process: \(String(cString: strerror(errno))); solved in this process, where the time limit is checked only between GLPK's output lines) "
            case .finished(let ret, let status, let objective, let iterations):
                session.iterationsBefore = iterations
                return interiorResult(ret: ret, status: status, iterations: iterations, model: model, lp: lp, note: "",
                                      fill: { model.fill(&$0, objective: objective, lp: lp) }, fallback: fallback)
            case .fatal(let text):
                return session.fatalResult(method: .interiorPoint, note: "", stage: "interior point (child process)", text: text, sizes: sizes)
            case .factorLimit(let count):
                return fallback("the Cholesky factor of A·Aᵀ would have \(count) nonzeros (limit \(rule.interiorMaxFactorNonzeros ?? 0), AutomaticRule.interiorMaxFactorNonzeros), too dense to factorise every iteration")
            case .stopped(let reason, let iterations):
                var r = session.stopResult(reason, method: .interiorPoint, what: "interior point", iterations: iterations)
                r.message += " (The interior-point process was stopped; interior point has no usable point before it converges.)"
                return r
            case .died(let signal, let code):
                session.iterationsBefore = session.term.lastIteration
                let how = signal != 0 ? "was killed by signal \(signal)\(signal == SIGKILL ? " (SIGKILL: usually the kernel's out-of-memory killer; the LP may need more memory than is free: \(GLPKSolver.describeEstimate(rows: sizes.rows, columns: sizes.columns, nonzeros: sizes.nonzeros, method: .interiorPoint)))" : "")"
                    : "exited with code \(code)"
                return fallback("the interior-point process \(how)")
            }
        }
        return interiorInProcess(model, lp: lp, session: session, note: note, sizes: sizes, fallback: fallback)
    }

    /// glp_interior in this process (when no child process can be started, or the LP is below
    /// `interiorChildMinNonzeros`): the deadline and the interrupt flag are checked at GLPK's
    /// output lines only (between ordering, factorisation and iterations).
    private func interiorInProcess(_ model: Model, lp: LinearProgram, session: Session, note: String, sizes: LPSizes,
                                   fallback: (String) -> LPResult) -> LPResult {
        guard let job = model.build(session: session) else {
            return session.fatalResult(method: .interiorPoint, note: note, stage: "loading the LP", sizes: sizes)
        }
        defer { job.release(session: session) }
        var iptcp = glp_iptcp()
        glp_init_iptcp(&iptcp)
        // Progress lines are the deadline and interrupt checkpoints and the factor-size check
        // reads "Matrix L has … non-zeros" (printed only at GLP_MSG_ALL), so GLPK prints
        // everything; TermState shows what the verbosity asks for.
        iptcp.msg_lev = GLP_MSG_ALL
        session.term.factorLimit = rule.interiorMaxFactorNonzeros
        let ip = UnsafeMutablePointer<glp_iptcp>.allocate(capacity: 1)
        defer { ip.deallocate() }
        ip.initialize(to: iptcp)
        job.ptr.pointee.iptcp = ip
        session.armBackstop(grace: 0)
        let r = job.run(.interior)
        liplua_glpk_set_deadline(0)
        session.term.factorLimit = nil
        if r == LIPLUA_GLPK_ABORTED {
            job.dead = true
            return fallback("the Cholesky factor of A·Aᵀ would have \(session.term.factorNonzeros ?? 0) nonzeros (limit \(rule.interiorMaxFactorNonzeros ?? 0), AutomaticRule.interiorMaxFactorNonzeros), too dense to factorise every iteration")
        }
        if r == LIPLUA_GLPK_DEADLINE || r == LIPLUA_GLPK_INTERRUPTED {
            job.dead = true
            return session.stopResult(r == LIPLUA_GLPK_DEADLINE ? .timeLimit : .interrupted, method: .interiorPoint,
                                      what: "interior point", iterations: session.term.lastIteration,
                                      note: note + "(stopped at a progress line) ")
        }
        if r == LIPLUA_GLPK_FATAL {
            job.dead = true
            return session.fatalResult(method: .interiorPoint, note: note, stage: "interior point", sizes: sizes)
        }
        let ret = job.ptr.pointee.ret
        session.iterationsBefore = session.term.lastIteration
        if ret == 0 {
            guard job.extract(interior: true) else {
                job.dead = true
                return session.fatalResult(method: .interiorPoint, note: note, stage: "reading the solution", sizes: sizes)
            }
        }
        let iterations = max(Int(job.ptr.pointee.iterations), session.term.lastIteration)
        return interiorResult(ret: ret, status: job.ptr.pointee.status, iterations: iterations, model: model, lp: lp, note: note,
                              fill: { model.fill(&$0, job: job, lp: lp) }, fallback: fallback)
    }

    /// Maps glp_interior's return code and solution status (solution already in the model's
    /// buffers when ret == 0).
    private func interiorResult(ret: Int32, status st: Int32, iterations: Int, model: Model, lp: LinearProgram, note: String,
                                fill: (inout LPResult) -> Void, fallback: (String) -> LPResult) -> LPResult {
        switch ret {
        case 0:
            if st == GLP_OPT {
                var result = LPResult(status: .optimal, iterations: iterations, method: .interiorPoint,
                                      message: note + "GLPK interior point: optimal solution found (no crossover: the point is interior-optimal to about 1e-8, not a vertex).")
                fill(&result)
                return result
            }
            return fallback(st == GLP_NOFEAS
                ? "no feasible primal-dual solution (GLP_NOFEAS: the LP is infeasible or unbounded; interior point cannot tell which)"
                : "solution status \(statusName(st)) is not optimal")
        case GLP_EFAIL:
            return fallback("the problem has no rows/columns or the solver failed (GLP_EFAIL)")
        case GLP_ENOCVG:
            return fallback("very slow convergence or divergence (GLP_ENOCVG)")
        case GLP_EITLIM:
            return fallback("iteration limit exceeded (GLP_EITLIM)")
        case GLP_EINSTAB:
            return fallback("numerical instability on solving the Newtonian system (GLP_EINSTAB)")
        default:
            return fallback("unexpected return code \(ret) (\(codeName(ret)))")
        }
    }

    /// An allocation on the Swift side of the wrapper failed.
    func outOfMemoryResult(method: LPMethod, note: String, stage: String, bytes: Int, sizes: LPSizes) -> LPResult {
        LPResult(status: .solverError, method: method,
                 message: note + outOfMemoryMessage(stage: stage, glpk: "malloc of \(formatBytes(Double(bytes))) failed", sizes: sizes, method: method))
    }
}

// MARK: names of GLPK codes

func codeName(_ c: Int32) -> String {
    switch c {
    case 0: return "0"
    case GLP_EBADB: return "GLP_EBADB"; case GLP_ESING: return "GLP_ESING"; case GLP_ECOND: return "GLP_ECOND"
    case GLP_EBOUND: return "GLP_EBOUND"; case GLP_EFAIL: return "GLP_EFAIL"; case GLP_EOBJLL: return "GLP_EOBJLL"
    case GLP_EOBJUL: return "GLP_EOBJUL"; case GLP_EITLIM: return "GLP_EITLIM"; case GLP_ETMLIM: return "GLP_ETMLIM"
    case GLP_ENOPFS: return "GLP_ENOPFS"; case GLP_ENODFS: return "GLP_ENODFS"; case GLP_EROOT: return "GLP_EROOT"
    case GLP_ESTOP: return "GLP_ESTOP"; case GLP_EMIPGAP: return "GLP_EMIPGAP"; case GLP_ENOFEAS: return "GLP_ENOFEAS"
    case GLP_ENOCVG: return "GLP_ENOCVG"; case GLP_EINSTAB: return "GLP_EINSTAB"; case GLP_EDATA: return "GLP_EDATA"
    case GLP_ERANGE: return "GLP_ERANGE"
    default: return "code \(c)"
    }
}

func statusName(_ s: Int32) -> String {
    switch s {
    case GLP_UNDEF: return "GLP_UNDEF"; case GLP_FEAS: return "GLP_FEAS"; case GLP_INFEAS: return "GLP_INFEAS"
    case GLP_NOFEAS: return "GLP_NOFEAS"; case GLP_OPT: return "GLP_OPT"; case GLP_UNBND: return "GLP_UNBND"
    default: return "status \(s)"
    }
}
