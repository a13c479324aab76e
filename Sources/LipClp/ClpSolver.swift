import Foundation
import LipControl
import LipLP

/// COIN-OR Clp as an `LPSolver` (name `"clp"`), driven out of process: Clp's licence (EPL)
/// cannot be linked into liplua (GPL), so the `clp` program (Debian `coinor-clp`) is run on an
/// MPS file and its solution files are read back.
///
/// One solve: validate → a private directory (mode 0700, `liplua-clp-<pid>-XXXXXX` under
/// `temporaryDirectory` or `$TMPDIR`) → the LP as free MPS in CoinMpsIO's bit-exact FREEIEEE
/// number format (a maximisation written as the minimisation of −cᵀx, the constant left out)
/// → `clp lp.mps -presolve on|off -timeMode elapsed [-seconds T] -log 1 <method>
///  -solution status.txt -saveSolution values.bin` in its own process group → the status line
/// of the text file, the exact doubles of the binary file (length, sizes and finiteness checked)
/// → `LPResult` in GLPK's conventions (`d = c − Aᵀy` in the LP's own sense), objective
/// `cᵀx + c₀` computed here from the exact point. The directory is removed on every path.
///
/// The child is polled every few milliseconds: `LipControl.Interrupt.isRequested` kills it
/// (status `interrupted`); a time limit is passed to Clp as `-seconds` and backed by a watchdog
/// that kills it `killGrace` seconds later (status `time_limit`); it is started with a
/// parent-death signal, so it never outlives liplua. A missing program, a crash, a malformed or
/// truncated solution file become `solver_error` with the reason and Clp's last output lines.
///
/// See README.md in this directory for the command lines, the status mapping and measurements.
public struct ClpSolver: LPSolver {
    public let name = "clp"
    /// Path (or program name looked up in PATH) of the `clp` executable; nil: `$LIPLUA_CLP`,
    /// then `clp` in PATH.
    public var executable: String?
    /// How `.automatic` chooses a method.
    public var rule: AutomaticRule
    /// Barrier: cross over to a basic (vertex) solution (`-crossover on`). Off leaves the
    /// interior point (optimal to Clp's tolerances, not a vertex).
    public var crossover: Bool = true
    /// Parent of the private working directory; nil: `$TMPDIR`, else `/tmp`.
    public var temporaryDirectory: String?
    /// How long past the time limit a `clp` that has not stopped on its own may run:
    /// max(`killGrace`, `killGraceFraction` × limit) seconds. Halfway through it gets SIGINT (Clp
    /// then stops and still writes its last point: status `time_limit` with a point); at the end
    /// SIGKILL (no point). Clp checks its own `-seconds` only between iterations, and stopping
    /// includes postsolve and writing the files, which took more than 2 s on a 180,000-column LP
    /// on a loaded machine.
    public var killGrace: Double = 5
    public var killGraceFraction: Double = 0.1
    /// Polled while `clp` runs; true kills it (status `interrupted`). The default is the
    /// process-wide Ctrl-C flag; tests pass their own flag so they do not disturb other tests.
    public var interruptRequested: @Sendable () -> Bool = { Interrupt.isRequested }
    /// Run clp through `stdbuf -oL` (when found) so that its log, hence progress, arrives line by line.
    public var lineBuffered: Bool = true

    static let stdbuf: String? = ["/usr/bin/stdbuf", "/bin/stdbuf"].first { FileManager.default.isExecutableFile(atPath: $0) }

    public init(executable: String? = nil, rule: AutomaticRule = AutomaticRule()) {
        self.executable = executable; self.rule = rule
    }

    /// `.automatic`: barrier for LPs with at least `barrierMinNonzeros` nonzeros, `simplex`
    /// below. Measured on Krivine LPs (README): from 60,000 nonzeros the barrier took half the
    /// CPU time of the primal simplex and a sixteenth of the dual simplex; below ~15,000 all
    /// methods take < 0.1 s.
    public struct AutomaticRule: Sendable {
        public var barrierMinNonzeros: Int = 50_000
        public var simplex: LPMethod = .dualSimplex
        public init() {}
        public func method(for lp: LinearProgram) -> LPMethod {
            lp.nonzeroCount >= barrierMinNonzeros ? .interiorPoint : simplex
        }
    }

    /// The `clp` program that `executable` (or `$LIPLUA_CLP`, or PATH) names, or nil.
    public static func locate(_ executable: String? = nil) -> String? {
        let fm = FileManager.default
        func usable(_ p: String) -> Bool {
            var dir: ObjCBool = false
            return fm.fileExists(atPath: p, isDirectory: &dir) && !dir.boolValue && fm.isExecutableFile(atPath: p)
        }
        let env = ProcessInfo.processInfo.environment
        let wanted = executable ?? env["LIPLUA_CLP"].flatMap { $0.isEmpty ? nil : $0 } ?? "clp"
        if wanted.contains("/") { return usable(wanted) ? wanted : nil }
        for dir in (env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") where !dir.isEmpty {
            let p = "\(dir)/\(wanted)"
            if usable(p) { return p }
        }
        return nil
    }

    /// True when a `clp` program can be found.
    public var isAvailable: Bool { Self.locate(executable) != nil }

    /// Bounds of larger magnitude are read as infinite by Clp's MPS reader (CoinMpsIO: 1e25 for
    /// column bounds), so an LP with such a finite bound is refused (`not_solved`).
    public static let largestFiniteBound = 1e25

    public func solve(_ lp: LinearProgram, options: LPOptions) throws -> LPResult {
        try lp.validate()
        let t0 = monotonicSeconds()
        let method = options.method == .automatic ? rule.method(for: lp) : options.method
        var result = solveValidated(lp, options: options, method: method, start: t0)
        result.solver = name
        result.seconds = monotonicSeconds() - t0
        return result
    }

    // MARK: the steps

    private func solveValidated(_ lp: LinearProgram, options: LPOptions, method: LPMethod, start t0: Double) -> LPResult {
        guard let exe = Self.locate(executable) else {
            let what = executable.map { "'\($0)'" } ?? ProcessInfo.processInfo.environment["LIPLUA_CLP"].map { "'\($0)' (LIPLUA_CLP)" } ?? "'clp' in PATH"
            return LPResult(status: .solverError, method: method,
                            message: "COIN-OR Clp: the program \(what) was not found or is not executable; install it (apt-get install coinor-clp), set LIPLUA_CLP or ClpSolver.executable to its path, or use solver \"glpk\".")
        }
        if let what = hugeBound(lp) {
            return LPResult(status: .notSolved, method: method,
                            message: "COIN-OR Clp was not run: \(what); Clp's MPS reader takes bounds beyond ±\(Self.largestFiniteBound) as infinite and would solve a different LP. Use GLPK or rescale the LP.")
        }
        if interruptRequested() {
            return LPResult(status: .interrupted, method: method, message: "COIN-OR Clp was not started: an interrupt (Ctrl-C) is pending.")
        }
        PrivateDirectory.removeStale(parent: temporaryDirectory)
        let dir: PrivateDirectory
        do { dir = try PrivateDirectory(parent: temporaryDirectory) } catch {
            return LPResult(status: .solverError, method: method, message: "COIN-OR Clp: \((error as? ClpTemporaryError)?.message ?? "\(error)")")
        }
        defer { dir.remove() }

        var mps = MPSWriteOptions(names: .generated, maximization: .negate, constant: .omit, numbers: .coinIEEE)
        mps.maxNameLength = 100
        let mpsPath = dir.file("lp.mps")
        let summary: MPSWriteSummary
        do { summary = try lp.writeMPS(to: mpsPath, options: mps) } catch {
            return LPResult(status: .solverError, method: method, message: "COIN-OR Clp: the LP could not be handed over: \(error)")
        }
        let writeSeconds = monotonicSeconds() - t0
        let deadline = options.timeLimit.map { t0 + max(0, $0) }

        let job = Job(lp: lp, exe: exe, options: options, dir: dir, mpsPath: mpsPath, negated: summary.negatedObjective,
                      fileColumns: lp.columnCount + summary.slackRows.count, deadline: deadline, writeSeconds: writeSeconds)
        var outcome = attempt(job, method: method, presolve: options.presolve)
        var notes: [String] = []
        var iterations = outcome.result.iterations
        // At most two follow-ups (barrier → dual simplex → primal simplex without presolve).
        for _ in 0..<2 {
            guard let (next, presolve, why) = outcome.followUp else { break }
            if let d = deadline, monotonicSeconds() >= d {
                var r = outcome.result
                if r.status == .optimal || r.status == .infeasible || r.status == .unbounded { r.status = .infeasibleOrUnbounded }
                r.message = notes.joined() + "\(why); no time was left to re-solve. " + r.message
                r.iterations = iterations
                return r
            }
            notes.append("\(why); re-solved with the \(next == .primalSimplex ? "primal simplex\(presolve ? "" : " without presolve")" : "dual simplex"). ")
            outcome = attempt(job, method: next, presolve: presolve)
            iterations += outcome.result.iterations
        }
        var r = outcome.result
        if outcome.followUp != nil, r.status == .optimal { r.status = .numericalError }
        r.message = notes.joined() + r.message
        r.iterations = iterations
        return r
    }

    /// Everything one `clp` run needs.
    private struct Job {
        var lp: LinearProgram
        var exe: String
        var options: LPOptions
        var dir: PrivateDirectory
        var mpsPath: String
        var negated: Bool
        var fileColumns: Int
        var deadline: Double?
        var writeSeconds: Double
    }

    /// A result, and when it cannot be trusted as is, which method should classify the LP.
    private struct Outcome {
        var result: LPResult
        var followUp: (LPMethod, Bool, String)? = nil
    }

    private func attempt(_ job: Job, method: LPMethod, presolve: Bool) -> Outcome {
        let lp = job.lp, options = job.options, negated = job.negated
        let textPath = job.dir.file("status.txt"), binPath = job.dir.file("values.bin")
        unlink(textPath); unlink(binPath)
        var args = [job.mpsPath, "-presolve", presolve ? "on" : "off", "-timeMode", "elapsed",
                    "-log", options.verbosity >= 3 ? "3" : "1"]
        if let d = job.deadline {
            let remaining = d - monotonicSeconds()
            if remaining <= 0 {
                return Outcome(result: LPResult(status: .timeLimit, method: method,
                                                message: "COIN-OR Clp: the time limit (\(options.timeLimit ?? 0) s) passed before clp started (writing the MPS file took \(fmt(job.writeSeconds)) s)."))
            }
            args += ["-seconds", String(max(remaining, 0.01))]
        }
        let label: String
        switch method {
        case .primalSimplex: args.append("-primalS"); label = "primal simplex"
        case .interiorPoint:
            args += ["-crossover", crossover ? "on" : "off", "-barrier"]
            label = crossover ? "barrier with crossover" : "barrier (no crossover)"
        case .dualSimplex, .automatic: args.append("-dualS"); label = "dual simplex"
        }
        args += ["-solution", textPath, "-saveSolution", binPath]

        var log = ClpLog()
        let sign: Double = negated ? -1 : 1
        let c0 = lp.objectiveConstant
        let started = monotonicSeconds()
        let echo = options.verbosity >= 2
        // clp's output to a file is block-buffered; coreutils' stdbuf makes it line-buffered so
        // progress lines arrive as they are printed (without it they come in 4 kB chunks).
        var program = job.exe
        if lineBuffered, let stdbuf = Self.stdbuf {
            args = ["-oL", "-eL", job.exe] + args
            program = stdbuf
        }
        let run = ChildProcess.run(executable: program, arguments: args, logPath: job.dir.file("clp.log"),
                                   watchdog: job.deadline.map { $0 + grace(options) }, interrupted: interruptRequested,
                                   softStop: job.deadline.map { $0 + grace(options) / 2 }) { line in
            log.take(line)
            if echo { print(line) }
            if let p = options.progress, let (it, v) = ClpLog.progress(line) {
                p(LPProgress(iterations: it, objective: sign * v + c0, seconds: monotonicSeconds() - started))
            }
        }
        let who = "COIN-OR Clp\(log.version.map { " " + $0 } ?? "") \(label)"
        let timing = "clp ran \(fmt(run.seconds)) s, CPU \(fmt(run.cpuSeconds)) s, peak memory \(formatBytes(run.peakBytes)); MPS write \(fmt(job.writeSeconds)) s"
        var result = LPResult(status: .solverError, iterations: log.iterations ?? 0, method: method)
        func done(_ status: LPStatus, _ text: String, tail: Bool = false, followUp: (LPMethod, Bool, String)? = nil) -> Outcome {
            let t = tail ? log.tail() : ""
            result.status = status
            result.message = "\(who): \(text)\(t.isEmpty ? "" : "; clp's last output: " + t) (\(timing))."
            return Outcome(result: result, followUp: followUp)
        }
        switch run.end {
        case .spawnFailed(let e):
            return done(.solverError, "could not start '\(job.exe)': \(String(cString: strerror(e)))\(e == ENOENT || e == EACCES ? " (install coinor-clp or set LIPLUA_CLP)" : "")")
        case .waitFailed(let e):
            return done(.solverError, "lost track of clp (pid \(run.pid)): \(String(cString: strerror(e))); it was killed", tail: true)
        case .interrupted:
            return done(.interrupted, "interrupted (Ctrl-C) after \(fmt(run.seconds)) s; clp (pid \(run.pid)) was killed, no point is available")
        case .watchdog:
            return done(.timeLimit, "clp did not stop within \(fmt(grace(options))) s after the time limit (\(options.timeLimit ?? 0) s) and was killed; no point is available. Raise LPOptions.timeLimit or try another method", tail: true)
        case .signaled where run.softStopped, .exited(1...) where run.softStopped:
            return done(.timeLimit, "time limit (\(options.timeLimit ?? 0) s) reached; clp overran it, was sent SIGINT and ended without a solution; no point is available", tail: true)
        case .signaled(let s):
            return done(.solverError, "clp crashed (\(ChildProcess.signalName(s))) after \(fmt(run.seconds)) s; try another method (LPOptions.method), presolve off, or GLPK", tail: true)
        case .exited(let code) where code != 0:
            return done(.solverError, "clp exited with status \(code) after \(fmt(run.seconds)) s", tail: true)
        case .exited:
            break
        }

        let status: ClpSolutionFiles.Status, line: String
        do { (status, line) = try ClpSolutionFiles.status(textFile: textPath) } catch {
            if run.softStopped {
                return done(.timeLimit, "time limit (\(options.timeLimit ?? 0) s) reached; clp overran it, was sent SIGINT and wrote no solution; no point is available", tail: true)
            }
            return done(.solverError, "\(error.message) (usually: clp could not read the MPS file or write to its directory)", tail: true)
        }
        var values: ClpSolutionFiles.Values? = nil
        var valuesError = ""
        do { values = try ClpSolutionFiles.values(binaryFile: binPath, rows: lp.rowCount, columns: job.fileColumns) } catch {
            valuesError = error.message
        }
        /// Fills the point (the LP's columns only; slack columns dropped), duals in the LP's sense, cᵀx + c₀.
        func fill(_ v: ClpSolutionFiles.Values) {
            let n = lp.columnCount
            result.primal = Array(v.primal.prefix(n))
            result.rowDuals = negated ? v.rowDuals.map { -$0 } : v.rowDuals
            result.reducedCosts = negated ? v.reducedCosts.prefix(n).map { -$0 } : Array(v.reducedCosts.prefix(n))
            var obj = c0
            for j in 0..<n { obj += lp.objective[j] * v.primal[j] }
            result.objective = obj
        }
        /// A status that comes with the last point, when the point is complete and finite.
        func withPoint(_ s: LPStatus, _ text: String) -> Outcome {
            guard let v = values else { return done(.solverError, "status '\(line)' but \(valuesError)", tail: true) }
            guard v.allFinite else {
                return done(s == .optimal ? .numericalError : s, "\(text); the solution has non-finite entries, so no point is reported")
            }
            fill(v)
            return done(s, text)
        }
        switch status {
        case .optimal:
            let outcome = withPoint(.optimal, "optimal\(method == .interiorPoint && !crossover ? " (interior point, no crossover)" : "")")
            guard outcome.result.status == .optimal else { return outcome }
            let check = Self.optimality(lp, outcome.result)
            if check.worst <= 1e-6 { return outcome }
            let what = "clp reported optimal, but \(check.description)"
            if method == .interiorPoint { return done(.numericalError, what, followUp: (.dualSimplex, presolve, "COIN-OR Clp barrier: \(what)")) }
            return done(.numericalError, "\(what); the point is kept (try presolve off, another method, or GLPK)")
        case .infeasible:
            result = LPResult(status: .infeasible, iterations: log.iterations ?? 0, method: method)
            if method == .interiorPoint {
                return done(.infeasible, "clp: infeasible", followUp: (.dualSimplex, presolve, "COIN-OR Clp barrier reported '\(line)', which it does not prove"))
            }
            return done(.infeasible, "the LP is infeasible (clp: primal infeasible); check the constraints")
        case .unbounded:
            // Clp's "Unbounded" is dual infeasibility: the LP is unbounded when a primal feasible
            // point exists. The primal simplex without presolve finds one if there is one.
            if let v = values, v.allFinite, Self.violation(lp, Array(v.primal.prefix(lp.columnCount))) <= 1e-6 {
                fill(v)
                return done(.unbounded, "the objective is unbounded (clp: dual infeasible, and its point is primal feasible); add bounds or check the objective sense")
            }
            result = LPResult(status: .infeasibleOrUnbounded, iterations: log.iterations ?? 0, method: method)
            if method == .interiorPoint {
                return done(.infeasibleOrUnbounded, "clp: dual infeasible", followUp: (.dualSimplex, presolve, "COIN-OR Clp barrier reported '\(line)', which it does not prove"))
            }
            if method != .primalSimplex || presolve {
                return done(.infeasibleOrUnbounded, "clp: dual infeasible without a primal feasible point",
                            followUp: (.primalSimplex, false, "COIN-OR Clp \(label): dual infeasible, but its point is not primal feasible"))
            }
            return done(.infeasibleOrUnbounded, "clp found the dual infeasible but no primal feasible point, so the LP is infeasible or unbounded; try GLPK to tell which")
        case .stoppedIterationsOrTime:
            if options.timeLimit != nil || run.softStopped {
                return withPoint(.timeLimit, "time limit (\(options.timeLimit ?? 0) s) reached before optimality; the point is the last iterate (raise LPOptions.timeLimit or try another method)")
            }
            return withPoint(.iterationLimit, "iteration limit reached before optimality; the point is the last iterate")
        case .stoppedDifficulties:
            return withPoint(.numericalError, "clp stopped on numerical difficulties; try presolve off, another method, or GLPK")
        case .stoppedCtrlC:
            if run.softStopped {
                return withPoint(.timeLimit, "time limit (\(options.timeLimit ?? 0) s) reached; clp overran it and was stopped with SIGINT; the point is the last iterate")
            }
            return done(.interrupted, "clp was stopped by an interrupt (ctrl-c)")
        case .unknown:
            return done(.solverError, "clp's status is unknown ('\(line)')", tail: true)
        }
    }

    /// Independent check of an optimum (GLPK's conventions, the LP's own sense): primal bound
    /// violations, dual sign violations of y and d = c − Aᵀy (recomputed here) against the bounds
    /// they push on, and the duality gap |cᵀx − (Σ y_i b_i + Σ d_j ℓ_j)|, each relative.
    static func optimality(_ lp: LinearProgram, _ r: LPResult) -> (worst: Double, description: String) {
        let n = lp.columnCount, m = lp.rowCount
        guard r.primal.count == n, r.rowDuals.count == m else { return (.infinity, "the solution is incomplete") }
        let x = r.primal, y = r.rowDuals
        var d = lp.objective, dScale = lp.objective.map { 1 + abs($0) }
        for k in 0..<lp.nonzeroCount {
            let i = Int(lp.entryRow[k]), j = Int(lp.entryColumn[k])
            let t = lp.entryValue[k] * y[i]
            d[j] -= t; dScale[j] += abs(t)
        }
        let sign: Double = lp.sense == .minimize ? 1 : -1
        let yScale = 1 + (y.map { abs($0) }.max() ?? 0) + (lp.objective.map { abs($0) }.max() ?? 0)
        var dualWorst = 0.0
        var primal = lp.objectiveConstant, dual = lp.objectiveConstant, gapScale = 1 + abs(lp.objectiveConstant)
        for j in 0..<n { primal += lp.objective[j] * x[j]; gapScale += abs(lp.objective[j] * x[j]) }
        func side(_ s: Double, _ value: Double, _ lo: Double, _ up: Double, _ scale: Double) {
            // s > 0 pushes on the lower bound, s < 0 on the upper one.
            let rel = abs(s) / scale
            if rel <= 1e-9 { return }
            let b = s > 0 ? lo : up
            if !b.isFinite { dualWorst = max(dualWorst, rel); return }
            dual += sign * s * b
            gapScale += abs(s * b)
        }
        for i in 0..<m { side(sign * y[i], 0, lp.rowLower[i], lp.rowUpper[i], yScale) }
        for j in 0..<n { side(sign * d[j], x[j], lp.columnLower[j], lp.columnUpper[j], dScale[j]) }
        let gap = abs(primal - dual) / gapScale
        let pv = violation(lp, x)
        let worst = max(pv, dualWorst, gap)
        var parts: [String] = []
        if pv > 1e-6 { parts.append("the point violates a bound by \(String(format: "%.3g", pv)) (relative)") }
        if dualWorst > 1e-6 { parts.append("its duals push on an infinite bound (\(String(format: "%.3g", dualWorst)) relative: the LP may be unbounded)") }
        if gap > 1e-6 { parts.append("the duality gap is \(String(format: "%.3g", gap)) (relative)") }
        return (worst, parts.joined(separator: "; "))
    }

    /// Seconds past the time limit before the watchdog kills clp.
    func grace(_ options: LPOptions) -> Double {
        max(killGrace, killGraceFraction * (options.timeLimit ?? 0))
    }

    /// The largest bound violation of `x` (rows and columns), relative to max(1, |bound|).
    static func violation(_ lp: LinearProgram, _ x: [Double]) -> Double {
        guard x.count == lp.columnCount else { return .infinity }
        var ax = [Double](repeating: 0, count: lp.rowCount)
        for k in 0..<lp.nonzeroCount { ax[Int(lp.entryRow[k])] += lp.entryValue[k] * x[Int(lp.entryColumn[k])] }
        var worst = 0.0
        func check(_ v: Double, _ lo: Double, _ up: Double) {
            if v < lo { worst = max(worst, (lo - v) / max(1, abs(lo))) }
            if v > up { worst = max(worst, (v - up) / max(1, abs(up))) }
            if !v.isFinite { worst = .infinity }
        }
        for i in 0..<lp.rowCount { check(ax[i], lp.rowLower[i], lp.rowUpper[i]) }
        for j in 0..<lp.columnCount { check(x[j], lp.columnLower[j], lp.columnUpper[j]) }
        return worst
    }

    private func hugeBound(_ lp: LinearProgram) -> String? {
        let big = Self.largestFiniteBound
        for j in 0..<lp.columnCount {
            for b in [lp.columnLower[j], lp.columnUpper[j]] where b.isFinite && abs(b) > big {
                return "\(lp.columnLabel(j)) has the finite bound \(b)"
            }
        }
        for i in 0..<lp.rowCount {
            for b in [lp.rowLower[i], lp.rowUpper[i]] where b.isFinite && abs(b) > big {
                return "\(lp.rowLabel(i)) has the finite bound \(b)"
            }
        }
        return nil
    }
}

func fmt(_ x: Double) -> String { String(format: "%.3g", x) }
