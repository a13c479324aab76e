import CGLPK
import CGLPKShims
import Glibc
import LipControl
import LipLP

/// What one interior-point child process cost and how it ended (for benchmarks and tests;
/// `GLPKSolver.interiorProcessReport` receives one per child).
public struct InteriorProcessReport: Sendable {
    /// Seconds the parent spent in fork() (page tables of a large process take a while).
    public var forkSeconds: Double
    /// Seconds from the start request until the child ran (fork plus scheduling).
    public var startupSeconds: Double
    /// The child's peak resident set in bytes (wait4). It counts the parent's pages the child
    /// had mapped, so `childPeakBytes − parentResidentBytes` is about what GLPK added.
    public var childPeakBytes: Double
    /// The parent's resident set when it forked.
    public var parentResidentBytes: Double
    /// What GLPK added in the child: its peak resident set minus what it inherited (measured
    /// in the child at each output line and at the end).
    public var childAddedBytes: Double
    /// How it ended: "finished", "fatal", "factor_limit", "died", or the stop reason
    /// ("time_limit", "interrupted").
    public var outcome: String
    /// For a stop: seconds from the deadline (time_limit) or from noticing the interrupt to the
    /// child being reaped; nil otherwise.
    public var stopSeconds: Double?
    /// The size of GLPK's Cholesky factor L, when the child got that far.
    public var factorNonzeros: Int?
    /// Wall-clock seconds the child ran.
    public var seconds: Double

    func with(stopSeconds: Double?) -> InteriorProcessReport {
        var r = self
        r.stopSeconds = stopSeconds
        return r
    }
}

enum ChildOutcome {
    case unavailable(Int32)
    case finished(ret: Int32, status: Int32, objective: Double, iterations: Int)
    case fatal(String)
    case factorLimit(Int)
    case stopped(StopReason, iterations: Int)
    case died(signal: Int32, code: Int32)
}

extension GLPKSolver {
    /// Polling period of the parent while the child solves (ms): the stop latency is this
    /// plus the time the kernel needs to tear the child down.
    static let childPollMilliseconds: Int32 = 10

    /// Runs glp_interior on `model` in a forked child (see CGLPKInterior.h); the parent polls
    /// the interrupt flag and the session deadline and kills the child when either fires.
    func runInteriorChild(_ model: Model, session: Session, echo: Bool) -> ChildOutcome {
        var input = liplua_ipt_input()
        input.m = Int32(model.m); input.n = Int32(model.n); input.nnz = Int32(model.nnz)
        input.dir = model.dir; input.c0 = model.c0
        input.row_type = UnsafePointer(model.rowType.baseAddress); input.row_lo = UnsafePointer(model.rowLo.baseAddress)
        input.row_up = UnsafePointer(model.rowUp.baseAddress)
        input.col_type = UnsafePointer(model.colType.baseAddress); input.col_lo = UnsafePointer(model.colLo.baseAddress)
        input.col_up = UnsafePointer(model.colUp.baseAddress); input.obj = UnsafePointer(model.obj.baseAddress)
        input.ia = UnsafePointer(model.ia.baseAddress); input.ja = UnsafePointer(model.ja.baseAddress)
        input.ar = UnsafePointer(model.ar.baseAddress)
        input.ord_alg = GLP_ORD_AMD
        input.factor_limit = Int64(rule.interiorMaxFactorNonzeros ?? 0)
        input.echo = echo ? 1 : 0
        let t0 = liplua_ipt_now()
        var error: Int32 = 0
        guard let run = withExtendedLifetime(model, { liplua_ipt_start(&input, &error) }) else {
            return .unavailable(error)
        }
        var abandoned = false
        defer { if !abandoned { liplua_ipt_free(run) } }
        var seq: UInt32 = 0
        var iteration: Int32 = 0, objective = 0.0, factor: Int64 = -1
        func readProgress() {
            let s = liplua_ipt_progress(run, &iteration, &objective, &factor)
            if s != seq {
                seq = s
                if factor >= 0 { session.term.factorNonzeros = Int(factor) }
                if iteration > session.term.lastIteration || (iteration == 0 && session.term.lastObjective.isNaN) {
                    session.term.progressLine(nil, iteration: Int(iteration), objective: objective)
                }
            }
        }
        let deadlineAt = session.remaining.map { liplua_ipt_now() + $0 }
        // The report is read from the run before it is freed (or abandoned).
        var pending: InteriorProcessReport? = nil
        func report(_ kind: String, stopped: Bool) {
            guard interiorProcessReport != nil else { return }
            pending = InteriorProcessReport(
                forkSeconds: liplua_ipt_fork_seconds(run), startupSeconds: liplua_ipt_startup_seconds(run),
                childPeakBytes: Double(liplua_ipt_child_peak_kb(run)) * 1024,
                parentResidentBytes: Double(liplua_ipt_parent_rss_kb(run)) * 1024,
                childAddedBytes: Double(liplua_ipt_child_added_kb(run)) * 1024,
                outcome: kind, stopSeconds: nil, factorNonzeros: factor >= 0 ? Int(factor) : nil,
                seconds: liplua_ipt_now() - t0)
        }
        var outcome: ChildOutcome
        var stopSeconds: Double? = nil
        while true {
            let state = liplua_ipt_poll(run, Self.childPollMilliseconds)
            readProgress()
            if state != LIPLUA_IPT_RUNNING {
                switch state {
                case LIPLUA_IPT_DONE:
                    let ret = liplua_ipt_ret(run)
                    if ret == 0 {
                        if let x = liplua_ipt_x(run), let d = liplua_ipt_d(run), let y = liplua_ipt_y(run) {
                            for j in 0..<model.n { model.x[j] = x[j]; model.d[j] = d[j] }
                            for i in 0..<model.m { model.y[i] = y[i] }
                        }
                    }
                    outcome = .finished(ret: ret, status: liplua_ipt_status(run), objective: liplua_ipt_objective(run),
                                        iterations: Int(iteration))
                case LIPLUA_IPT_FATAL:
                    let lines = String(cString: liplua_ipt_message(run)).split(separator: "\n")
                        .map { $0.trimmingCharacters() }.filter { !$0.isEmpty }
                    outcome = .fatal(lines.isEmpty ? "(no message)" : lines.suffix(3).joined(separator: " / "))
                case LIPLUA_IPT_FACTOR_LIMIT:
                    outcome = .factorLimit(Int(factor))
                default:
                    outcome = .died(signal: liplua_ipt_signal(run), code: liplua_ipt_exit_code(run))
                }
                break
            }
            if let reason = session.stopReason {
                // Latency from the moment the stop became due: the deadline itself, or now for
                // an interrupt (its arrival time is not recorded).
                let due = reason == .timeLimit ? (deadlineAt ?? liplua_ipt_now()) : liplua_ipt_now()
                // Kill and go: the kernel frees a large child's memory in its own time, and a
                // detached thread reaps it, so the caller gets control back at once.
                report(reason.rawValue, stopped: true)
                liplua_ipt_abandon(run)
                abandoned = true
                stopSeconds = liplua_ipt_now() - due
                if let r = pending { interiorProcessReport?(r.with(stopSeconds: stopSeconds)) }
                outcome = .stopped(reason, iterations: Int(iteration))
                break
            }
        }
        if !abandoned {
            let kind: String
            switch outcome {
            case .finished: kind = "finished"
            case .fatal: kind = "fatal"
            case .factorLimit: kind = "factor_limit"
            case .died: kind = "died"
            case .stopped(let r, _): kind = r.rawValue
            case .unavailable: kind = "unavailable"
            }
            report(kind, stopped: false)
            if let r = pending { interiorProcessReport?(r) }
        }
        return outcome
    }
}
