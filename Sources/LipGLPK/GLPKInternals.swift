import CGLPK
import Glibc
import CGLPKShims
import LipControl
import LipLP

// The plumbing between Swift and GLPK. Every GLPK call happens inside `stageBody`, a C-convention
// function that reads and writes only a trivial struct (`JobData`) through a raw pointer: when the
// guard longjmps out of it after a GLPK fatal error, no Swift reference count, `defer` or
// exclusivity record is skipped.

enum Stage: Int32 {
    case build = 1, simplex, interior, extractStatus, extractSimplex, extractInterior, delete
    case writeMPS, writeLP
}

/// Plain data only (pointers and numbers): safe to abandon by longjmp.
struct JobData {
    var stage: Int32 = 0
    var prob: OpaquePointer? = nil
    var m: Int32 = 0, n: Int32 = 0, nnz: Int32 = 0
    var dir: Int32 = GLP_MIN
    var c0: Double = 0
    var rowType: UnsafeMutablePointer<Int32>? = nil
    var rowLo: UnsafeMutablePointer<Double>? = nil
    var rowUp: UnsafeMutablePointer<Double>? = nil
    var colType: UnsafeMutablePointer<Int32>? = nil
    var colLo: UnsafeMutablePointer<Double>? = nil
    var colUp: UnsafeMutablePointer<Double>? = nil
    var obj: UnsafeMutablePointer<Double>? = nil
    var ia: UnsafeMutablePointer<Int32>? = nil
    var ja: UnsafeMutablePointer<Int32>? = nil
    var ar: UnsafeMutablePointer<Double>? = nil
    var rowNames: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
    var colNames: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
    var probName: UnsafeMutablePointer<CChar>? = nil
    var smcp: UnsafeMutablePointer<glp_smcp>? = nil
    var iptcp: UnsafeMutablePointer<glp_iptcp>? = nil
    var path: UnsafeMutablePointer<CChar>? = nil
    var ret: Int32 = 0
    var status: Int32 = 0, primStat: Int32 = 0, dualStat: Int32 = 0
    var objVal: Double = 0
    var iterations: Int32 = 0
    var x: UnsafeMutablePointer<Double>? = nil
    var y: UnsafeMutablePointer<Double>? = nil
    var d: UnsafeMutablePointer<Double>? = nil
}

let stageBody: liplua_glpk_body = { raw in
    let J = raw!.assumingMemoryBound(to: JobData.self)
    let m = Int(J.pointee.m), n = Int(J.pointee.n)
    switch J.pointee.stage {
    case Stage.build.rawValue:
        let p = glp_create_prob()
        J.pointee.prob = p
        if let name = J.pointee.probName { glp_set_prob_name(p, name); glp_set_obj_name(p, "obj") }
        glp_set_obj_dir(p, J.pointee.dir)
        if m > 0 { glp_add_rows(p, Int32(m)) }
        if n > 0 { glp_add_cols(p, Int32(n)) }
        let rt = J.pointee.rowType!, rl = J.pointee.rowLo!, ru = J.pointee.rowUp!
        for i in 0..<m { glp_set_row_bnds(p, Int32(i + 1), rt[i], rl[i], ru[i]) }
        let ct = J.pointee.colType!, cl = J.pointee.colLo!, cu = J.pointee.colUp!, c = J.pointee.obj!
        for j in 0..<n {
            glp_set_col_bnds(p, Int32(j + 1), ct[j], cl[j], cu[j])
            if c[j] != 0 { glp_set_obj_coef(p, Int32(j + 1), c[j]) }
        }
        glp_set_obj_coef(p, 0, J.pointee.c0)
        if J.pointee.nnz > 0 { glp_load_matrix(p, J.pointee.nnz, J.pointee.ia, J.pointee.ja, J.pointee.ar) }
        if let names = J.pointee.rowNames {
            for i in 0..<m { if let s = names[i] { glp_set_row_name(p, Int32(i + 1), s) } }
        }
        if let names = J.pointee.colNames {
            for j in 0..<n { if let s = names[j] { glp_set_col_name(p, Int32(j + 1), s) } }
        }
    case Stage.simplex.rawValue:
        J.pointee.ret = glp_simplex(J.pointee.prob, J.pointee.smcp)
    case Stage.interior.rawValue:
        J.pointee.ret = glp_interior(J.pointee.prob, J.pointee.iptcp)
    case Stage.extractStatus.rawValue, Stage.extractSimplex.rawValue:
        let p = J.pointee.prob
        J.pointee.status = glp_get_status(p)
        J.pointee.primStat = glp_get_prim_stat(p)
        J.pointee.dualStat = glp_get_dual_stat(p)
        J.pointee.objVal = glp_get_obj_val(p)
        J.pointee.iterations = glp_get_it_cnt(p)
        if J.pointee.stage == Stage.extractSimplex.rawValue {
            let x = J.pointee.x!, y = J.pointee.y!, d = J.pointee.d!
            for j in 0..<n { x[j] = glp_get_col_prim(p, Int32(j + 1)); d[j] = glp_get_col_dual(p, Int32(j + 1)) }
            for i in 0..<m { y[i] = glp_get_row_dual(p, Int32(i + 1)) }
        }
    case Stage.extractInterior.rawValue:
        let p = J.pointee.prob
        J.pointee.status = glp_ipt_status(p)
        J.pointee.primStat = 0; J.pointee.dualStat = 0
        J.pointee.objVal = glp_ipt_obj_val(p)
        J.pointee.iterations = glp_get_it_cnt(p)
        let x = J.pointee.x!, y = J.pointee.y!, d = J.pointee.d!
        for j in 0..<n { x[j] = glp_ipt_col_prim(p, Int32(j + 1)); d[j] = glp_ipt_col_dual(p, Int32(j + 1)) }
        for i in 0..<m { y[i] = glp_ipt_row_dual(p, Int32(i + 1)) }
    case Stage.delete.rawValue:
        if let p = J.pointee.prob { glp_delete_prob(p) }
        J.pointee.prob = nil
    case Stage.writeMPS.rawValue:
        J.pointee.ret = glp_write_mps(J.pointee.prob, GLP_MPS_FILE, nil, J.pointee.path)
    case Stage.writeLP.rawValue:
        J.pointee.ret = glp_write_lp(J.pointee.prob, nil, J.pointee.path)
    default:
        return -1
    }
    return 0
}

// MARK: terminal output and progress

/// Receives GLPK's printed text (via the C term hook; GLPK itself prints nothing), keeps the
/// recent lines, parses progress lines `"[*] <iterations>: obj = <value> ..."` (simplex and
/// interior point), reports them, and prints what the verbosity asks for.
///
/// Solves always run GLPK at `GLP_MSG_ON` or above, with the simplex printing a progress line
/// every `Session.checkIntervalMilliseconds`: every printed line is a point where the C hook
/// checks the interrupt flag and the deadline. So that the log a user sees stays as sparse as
/// GLPK's own, progress lines are echoed at most every `echoInterval` seconds (the last one is
/// printed at the end) and reported to the progress callback at most every `progressInterval`.
final class TermState {
    enum Echo: Int { case none = 0, errors, normal, all }
    let progress: (@Sendable (LPProgress) -> Void)?
    let echo: Echo
    let clock = ContinuousClock()
    let start: ContinuousClock.Instant
    var pending = ""
    var recentLines: [String] = []
    var lastIteration = 0
    var lastObjective = Double.nan
    /// Interior point: abandon when GLPK announces a Cholesky factor with more nonzeros.
    var factorLimit: Int? = nil
    var factorNonzeros: Int? = nil
    var echoInterval = 1.0
    var progressInterval = 0.5
    private var lastEcho = -Double.infinity
    private var lastReport = -Double.infinity
    private var heldLine: String? = nil
    private var heldProgress: LPProgress? = nil

    init(progress: (@Sendable (LPProgress) -> Void)?, echo: Echo) {
        self.progress = progress; self.echo = echo; self.start = clock.now
    }

    var elapsed: Double {
        let d = clock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// One piece of GLPK text. Returns 1: GLPK prints nothing itself.
    func receive(_ text: String) -> Int32 {
        pending += text
        while let nl = pending.firstIndex(of: "\n") {
            let line = String(pending[..<nl])
            pending.removeSubrange(...nl)
            handle(line)
        }
        return 1
    }

    func handle(_ line: String) {
        recentLines.append(line)
        if recentLines.count > 200 { recentLines.removeFirst(100) }
        // "Matrix L has 2576352 non-zeros" comes after the symbolic factorisation, before
        // the numeric one that would take O(Σ column counts²) time.
        if line.hasPrefix("Matrix L has "),
           let count = Int(line.dropFirst("Matrix L has ".count).prefix { $0.isNumber }) {
            factorNonzeros = count
            if let limit = factorLimit, count > limit { liplua_glpk_request_abort() }
        }
        if let (it, obj) = TermState.parse(line) {
            progressLine(line, iteration: it, objective: obj)
            return
        }
        emitHeldLine()
        if shouldEcho(line) { show(line) }
    }

    /// A progress line (from the hook, or from the interior-point child with `line == nil`).
    func progressLine(_ line: String?, iteration it: Int, objective obj: Double) {
        lastIteration = it; lastObjective = obj
        let now = elapsed
        if let progress {
            let p = LPProgress(iterations: it, objective: obj, seconds: now)
            if now - lastReport >= progressInterval { progress(p); lastReport = now; heldProgress = nil } else { heldProgress = p }
        }
        if let line, echo.rawValue >= Echo.normal.rawValue {
            if now - lastEcho >= echoInterval { show(line); lastEcho = now; heldLine = nil } else { heldLine = line }
        }
    }

    private func emitHeldLine() {
        if let h = heldLine { show(h); heldLine = nil }
    }

    /// Prints a line of GLPK's log and flushes it (the lines are sparse; a log read through a
    /// pipe shows them as they come).
    private func show(_ line: String) {
        print(line)
        fflush(nil)
    }

    private func shouldEcho(_ line: String) -> Bool {
        switch echo {
        case .none: return false
        case .normal, .all: return true
        case .errors:
            // GLPK's error and warning texts (what it prints at GLP_MSG_ERR).
            return line.hasPrefix("glp_") || line.contains("rror") || line.contains("ARNING") || line.contains("arning")
                || line.contains("Sorry") || line.contains("unable") || line.contains("incorrect") || line.contains("invalid")
        }
    }

    /// End of a solve: the last progress line and progress value that were held back.
    func flush() {
        emitHeldLine()
        if let p = heldProgress { progress?(p); heldProgress = nil }
        if !pending.isEmpty, echo.rawValue >= Echo.normal.rawValue { show(pending) }
        pending = ""
    }

    /// Parses "*   123: obj = -1.5e+00 inf = ..." or "  7: obj =  2.0e+00; rpi = ...".
    static func parse(_ line: String) -> (Int, Double)? {
        guard let colon = line.firstIndex(of: ":") else { return nil }
        let head = line[..<colon].filter { $0 != "*" && $0 != " " && $0 != "#" }
        guard !head.isEmpty, let it = Int(head) else { return nil }
        let tokens = line[line.index(after: colon)...].split(separator: " ")
        guard tokens.count >= 3, tokens[0] == "obj", tokens[1] == "=" else { return nil }
        var v = tokens[2]
        if v.hasSuffix(";") { v = v.dropLast() }
        guard let obj = Double(v) else { return nil }
        return (it, obj)
    }
}

let termCallback: liplua_glpk_line_fn = { ctx, text in
    guard let ctx, let text else { return -1 }
    return Unmanaged<TermState>.fromOpaque(ctx).takeUnretainedValue().receive(String(cString: text))
}

/// One call of `solve`/`write`/`read`: output routing, clock, deadline, interrupt checks.
final class Session {
    /// How often the simplex prints a progress line, i.e. how often the C hook checks the
    /// interrupt flag and the deadline during an iteration loop (GLPK's `out_frq`, ms).
    static let checkIntervalMilliseconds: Int32 = 100
    /// GLPK's own simplex time limit starts after presolve and scaling; the hook stops the
    /// call this long after the deadline if GLPK has not stopped by itself by then.
    static let backstopGrace = 1.0

    let clock = ContinuousClock()
    let start: ContinuousClock.Instant
    /// The limit as given (may be any Double; see `GLPKSolver.solve`).
    let timeLimit: Double?
    let deadline: Deadline
    let term: TermState
    let verbosity: Int
    let solving: Bool
    var iterationsBefore = 0

    /// The deadline for a time limit (NaN counts as 0; +∞ and huge values as none).
    static func deadline(_ timeLimit: Double?) -> Deadline {
        Deadline(seconds: timeLimit.map { $0.isNaN ? 0 : $0 })
    }

    init(options: LPOptions, solving: Bool = true, deadline: Deadline? = nil) {
        start = clock.now
        timeLimit = options.timeLimit
        self.deadline = deadline ?? Session.deadline(options.timeLimit)
        self.solving = solving
        let v = options.verbosity
        verbosity = v
        let echo: TermState.Echo = !solving ? .none : v <= 0 ? .none : v == 1 ? .errors : v == 2 ? .normal : .all
        term = TermState(progress: options.progress, echo: echo)
        liplua_glpk_set_output(0)
        liplua_glpk_set_line_callback(termCallback, Unmanaged.passUnretained(term).toOpaque())
        liplua_glpk_set_interruptible(solving ? 1 : 0)
    }

    var elapsed: Double {
        let d = clock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
    /// Seconds left (≥ 0), nil without a limit.
    var remaining: Double? { deadline.remaining }
    /// Interrupt first, then the deadline.
    var stopReason: StopReason? { solving ? deadline.stopReason : nil }

    /// `glp_smcp.tm_lim` for the time left: INT_MAX (GLPK's "none") when there is no limit or
    /// it is beyond INT_MAX ms (~25 days); at least 1 ms.
    var glpkTimeLimit: Int32 {
        guard let r = remaining else { return Int32.max }
        let ms = (r * 1000).rounded(.up)
        return ms >= Double(Int32.max) ? Int32.max : Int32(max(1, ms))
    }

    /// Arms the C hook's backstop deadline `grace` seconds after this session's deadline.
    func armBackstop(grace: Double) {
        if let r = remaining, r + grace < 1e12 { liplua_glpk_set_deadline(max(r + grace, 0.001)) }
        else { liplua_glpk_set_deadline(0) }
    }

    func finish() {
        term.flush()
        liplua_glpk_set_line_callback(nil, nil)
        liplua_glpk_set_deadline(0)
        liplua_glpk_set_output(0)
        liplua_glpk_set_interruptible(0)
        withExtendedLifetime(term) {}
    }

    var fatalText: String {
        let s = String(cString: liplua_glpk_last_fatal())
        let lines = s.split(separator: "\n").map { $0.trimmingCharacters() }.filter { !$0.isEmpty }
        return lines.isEmpty ? "(no message)" : lines.suffix(3).joined(separator: " / ")
    }

    /// A GLPK fatal error as a result: out of memory named as such (with sizes), anything else
    /// as invalid data that `validate()` should have caught.
    func fatalResult(method: LPMethod, note: String, stage: String, text: String? = nil, sizes: LPSizes? = nil) -> LPResult {
        let said = text ?? fatalText
        if isOutOfMemory(said) {
            return LPResult(status: .solverError, method: method,
                            message: note + outOfMemoryMessage(stage: stage, glpk: said, sizes: sizes, method: method))
        }
        return LPResult(status: .solverError, method: method,
                        message: note + "GLPK fatal error while \(stage): \(said). GLPK's environment on this thread was reset and the process continues; this usually means invalid data reached GLPK — call LinearProgram.validate() to find it.")
    }

    /// The result for an interrupt or an expired deadline noticed outside GLPK's own checks.
    func stopResult(_ reason: StopReason, method: LPMethod, what: String, iterations: Int, note: String = "") -> LPResult {
        switch reason {
        case .interrupted:
            return LPResult(status: .interrupted, iterations: iterations, method: method,
                            message: note + "GLPK \(what): interrupted after \(iterations) iterations (\(String(format: "%.2f", elapsed)) s); no solution is available.")
        case .timeLimit:
            return LPResult(status: .timeLimit, iterations: iterations, method: method,
                            message: note + "GLPK \(what): time limit (\(timeLimit.map { "\($0)" } ?? "?") s) reached after \(iterations) iterations; stopped \(String(format: "%.2f", elapsed)) s after the start. Raise LPOptions.timeLimit, shrink the LP, or try another method.")
        }
    }
}

/// Sizes named in out-of-memory messages.
struct LPSizes {
    var rows: Int, columns: Int, nonzeros: Int
}

func isOutOfMemory(_ glpkText: String) -> Bool {
    glpkText.contains("no memory available") || glpkText.contains("memory allocation limit exceeded")
        || glpkText.contains("block too large") || glpkText.contains("out of memory")
}

func outOfMemoryMessage(stage: String, glpk: String, sizes: LPSizes?, method: LPMethod) -> String {
    var s = "out of memory: GLPK could not allocate memory while \(stage)"
    if let z = sizes {
        s += " (LP with \(z.rows) rows, \(z.columns) columns, \(z.nonzeros) nonzeros; \(GLPKSolver.describeEstimate(rows: z.rows, columns: z.columns, nonzeros: z.nonzeros, method: method)))"
    }
    s += "; GLPK said: \(glpk)."
    s += " " + MemoryLimits.current.description
    s += " Shrink the LP (lower degree, sparser family), raise the memory limit (ulimit -v), or free memory."
    return s
}

extension Substring {
    func trimmingCharacters() -> String {
        var s = self
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}

// MARK: the model in GLPK's form

func boundType(_ lo: Double, _ up: Double) -> Int32 {
    switch (lo == -.infinity, up == .infinity) {
    case (true, true): return GLP_FR
    case (false, true): return GLP_LO
    case (true, false): return GLP_UP
    case (false, false): return lo == up ? GLP_FX : GLP_DB
    }
}

/// The LP as GLPK wants it: 1-based triplets, bound types, optionally with empty rows and
/// columns removed (for interior point) and names as C strings (for writing files).
final class Model {
    let m: Int, n: Int, nnz: Int
    let dir: Int32
    var c0: Double
    let rowType: UnsafeMutableBufferPointer<Int32>
    let rowLo: UnsafeMutableBufferPointer<Double>
    let rowUp: UnsafeMutableBufferPointer<Double>
    let colType: UnsafeMutableBufferPointer<Int32>
    let colLo: UnsafeMutableBufferPointer<Double>
    let colUp: UnsafeMutableBufferPointer<Double>
    let obj: UnsafeMutableBufferPointer<Double>
    let ia: UnsafeMutableBufferPointer<Int32>
    let ja: UnsafeMutableBufferPointer<Int32>
    let ar: UnsafeMutableBufferPointer<Double>
    /// Reduced → original index; nil when nothing was dropped.
    let rowMap: [Int32]?
    let colMap: [Int32]?
    /// Values of dropped (empty) columns, by original index.
    var droppedColumnValue: [Int: Double] = [:]
    var infeasibleEmptyRow: Int? = nil
    var unboundedEmptyColumn: Int? = nil
    var rowNames: UnsafeMutableBufferPointer<UnsafeMutablePointer<CChar>?>? = nil
    var colNames: UnsafeMutableBufferPointer<UnsafeMutablePointer<CChar>?>? = nil
    var probName: UnsafeMutablePointer<CChar>? = nil

    /// Solution buffers GLPK's answer is copied into (n, n, m entries).
    let x: UnsafeMutableBufferPointer<Double>
    let d: UnsafeMutableBufferPointer<Double>
    let y: UnsafeMutableBufferPointer<Double>

    /// Throws `AllocationFailure` (nothing stays allocated) when memory for GLPK's copy of the
    /// LP cannot be had: reported as out of memory, never a trap.
    init(lp: LinearProgram, dropEmpty: Bool, names: Bool = false) throws(AllocationFailure) {
        dir = lp.sense == .maximize ? GLP_MAX : GLP_MIN
        c0 = lp.objectiveConstant
        var rowKeep: [Int32]? = nil, colKeep: [Int32]? = nil
        var rowNew: [Int32] = [], colNew: [Int32] = []
        if dropEmpty {
            var rowHas = [Bool](repeating: false, count: lp.rowCount)
            var colHas = [Bool](repeating: false, count: lp.columnCount)
            for k in 0..<lp.nonzeroCount where lp.entryValue[k] != 0 {
                rowHas[Int(lp.entryRow[k])] = true; colHas[Int(lp.entryColumn[k])] = true
            }
            rowNew = [Int32](repeating: -1, count: lp.rowCount)
            colNew = [Int32](repeating: -1, count: lp.columnCount)
            var rk: [Int32] = [], ck: [Int32] = []
            for i in 0..<lp.rowCount {
                if rowHas[i] { rowNew[i] = Int32(rk.count); rk.append(Int32(i)) }
                else if !(lp.rowLower[i] <= 0 && 0 <= lp.rowUpper[i]) && infeasibleEmptyRow == nil { infeasibleEmptyRow = i }
            }
            let sign: Double = lp.sense == .maximize ? -1 : 1
            for j in 0..<lp.columnCount {
                if colHas[j] { colNew[j] = Int32(ck.count); ck.append(Int32(j)); continue }
                // An empty column is optimised on its own: min sign·c_j x_j over [l_j, u_j].
                let c = sign * lp.objective[j], lo = lp.columnLower[j], up = lp.columnUpper[j]
                let v: Double
                if c > 0 { v = lo } else if c < 0 { v = up } else { v = min(max(0, lo), up) }
                if !v.isFinite { if unboundedEmptyColumn == nil { unboundedEmptyColumn = j }; continue }
                droppedColumnValue[j] = v
                c0 += lp.objective[j] * v
            }
            if rk.count != lp.rowCount || ck.count != lp.columnCount { rowKeep = rk; colKeep = ck }
        }
        rowMap = rowKeep; colMap = colKeep
        m = rowKeep?.count ?? lp.rowCount
        n = colKeep?.count ?? lp.columnCount
        var count = lp.nonzeroCount
        if rowKeep != nil || dropEmpty { count = 0; for v in lp.entryValue where v != 0 { count += 1 } }
        let i4 = MemoryLayout<Int32>.stride, f8 = MemoryLayout<Double>.stride
        let raw = try allocateAll([m * i4, m * f8, m * f8, n * i4, n * f8, n * f8, n * f8,
                                   (count + 1) * i4, (count + 1) * i4, (count + 1) * f8, n * f8, n * f8, m * f8])
        func ints(_ k: Int, _ c: Int) -> UnsafeMutableBufferPointer<Int32> { .init(start: raw[k].bindMemory(to: Int32.self, capacity: max(c, 1)), count: c) }
        func reals(_ k: Int, _ c: Int) -> UnsafeMutableBufferPointer<Double> { .init(start: raw[k].bindMemory(to: Double.self, capacity: max(c, 1)), count: c) }
        rowType = ints(0, m); rowLo = reals(1, m); rowUp = reals(2, m)
        colType = ints(3, n); colLo = reals(4, n); colUp = reals(5, n); obj = reals(6, n)
        ia = ints(7, count + 1); ja = ints(8, count + 1); ar = reals(9, count + 1)
        x = reals(10, n); d = reals(11, n); y = reals(12, m)
        for r in 0..<m {
            let i = rowKeep.map { Int($0[r]) } ?? r
            let lo = lp.rowLower[i], up = lp.rowUpper[i]
            rowType[r] = boundType(lo, up); rowLo[r] = lo.isFinite ? lo : 0; rowUp[r] = up.isFinite ? up : 0
        }
        for c in 0..<n {
            let j = colKeep.map { Int($0[c]) } ?? c
            let lo = lp.columnLower[j], up = lp.columnUpper[j]
            colType[c] = boundType(lo, up); colLo[c] = lo.isFinite ? lo : 0; colUp[c] = up.isFinite ? up : 0
            obj[c] = lp.objective[j]
        }
        ia[0] = 0; ja[0] = 0; ar[0] = 0
        var k1 = 1
        if rowKeep != nil || dropEmpty {
            for k in 0..<lp.nonzeroCount where lp.entryValue[k] != 0 {
                let i = Int(lp.entryRow[k]), j = Int(lp.entryColumn[k])
                ia[k1] = (rowKeep != nil ? rowNew[i] : Int32(i)) + 1
                ja[k1] = (colKeep != nil ? colNew[j] : Int32(j)) + 1
                ar[k1] = lp.entryValue[k]; k1 += 1
            }
        } else {
            for k in 0..<count {
                ia[k + 1] = lp.entryRow[k] + 1; ja[k + 1] = lp.entryColumn[k] + 1; ar[k + 1] = lp.entryValue[k]
            }
        }
        nnz = count
        if names {
            probName = strdupSanitized(lp.name)
            if !lp.rowNames.isEmpty {
                let b = UnsafeMutableBufferPointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: m)
                for r in 0..<m { b[r] = r < lp.rowNames.count ? strdupSanitized(lp.rowNames[r]) : nil }
                rowNames = b
            }
            if !lp.columnNames.isEmpty {
                let b = UnsafeMutableBufferPointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: n)
                for c in 0..<n { b[c] = c < lp.columnNames.count ? strdupSanitized(lp.columnNames[c]) : nil }
                colNames = b
            }
        }
    }

    deinit {
        for b in [rowLo, rowUp, colLo, colUp, obj, ar, x, d, y] { free(b.baseAddress) }
        for b in [rowType, colType, ia, ja] { free(b.baseAddress) }
        for b in [rowNames, colNames].compactMap({ $0 }) {
            for p in b { p?.deallocate() }
            b.deallocate()
        }
        probName?.deallocate()
    }

    func build(session: Session) -> Job? {
        let job = Job(model: self)
        if job.run(.build) != 0 { job.dead = true; job.release(session: session); return nil }
        return job
    }

    /// Copies a solution back to the original indexing (dropped rows get dual 0, dropped
    /// columns their own optimum and reduced cost c_j).
    func fill(_ result: inout LPResult, job: Job?, lp: LinearProgram) {
        fill(&result, objective: job?.ptr.pointee.objVal, lp: lp)
    }

    /// Same, with the solution already in `x`, `d`, `y` (nil objective: no solver solution,
    /// every column was dropped).
    func fill(_ result: inout LPResult, objective: Double?, lp: LinearProgram) {
        var primal = [Double](repeating: 0, count: lp.columnCount)
        var duals = [Double](repeating: 0, count: lp.rowCount)
        var reduced = lp.objective
        for (j, v) in droppedColumnValue { primal[j] = v }
        if let objective {
            for c in 0..<n {
                let j = colMap.map { Int($0[c]) } ?? c
                primal[j] = x[c]; reduced[j] = d[c]
            }
            for r in 0..<m { duals[rowMap.map { Int($0[r]) } ?? r] = y[r] }
            result.objective = objective
        } else {
            result.objective = c0
        }
        result.primal = primal; result.rowDuals = duals; result.reducedCosts = reduced
    }
}

/// A name GLPK accepts (1–255 characters, no control characters; blanks become '_' so free
/// MPS stays readable). Empty names give nil (GLPK then writes generic names).
func strdupSanitized(_ s: String) -> UnsafeMutablePointer<CChar>? {
    var bytes = Array(s.utf8.prefix(255)).map { b -> UInt8 in b <= 32 || b == 127 ? UInt8(ascii: "_") : b }
    if bytes.isEmpty { return nil }
    bytes.append(0)
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
    for (k, b) in bytes.enumerated() { p[k] = CChar(bitPattern: b) }
    return p
}

/// A `glp_prob` with its inputs and output buffers.
final class Job {
    let model: Model
    let ptr: UnsafeMutablePointer<JobData>
    var dead = false
    private var released = false
    /// GLPK environment generation the problem was created in (see liplua_glpk_generation).
    private let generation = liplua_glpk_generation()

    init(model: Model) {
        self.model = model
        ptr = .allocate(capacity: 1)
        var d = JobData()
        d.m = Int32(model.m); d.n = Int32(model.n); d.nnz = Int32(model.nnz)
        d.dir = model.dir; d.c0 = model.c0
        d.rowType = model.rowType.baseAddress; d.rowLo = model.rowLo.baseAddress; d.rowUp = model.rowUp.baseAddress
        d.colType = model.colType.baseAddress; d.colLo = model.colLo.baseAddress; d.colUp = model.colUp.baseAddress
        d.obj = model.obj.baseAddress
        d.ia = model.ia.baseAddress; d.ja = model.ja.baseAddress; d.ar = model.ar.baseAddress
        d.rowNames = model.rowNames?.baseAddress; d.colNames = model.colNames?.baseAddress
        d.probName = model.probName
        d.x = model.x.baseAddress; d.d = model.d.baseAddress; d.y = model.y.baseAddress
        ptr.initialize(to: d)
        // Dummy non-null buffers so the build stage can unwrap them for empty LPs.
        if model.m == 0 || model.n == 0 {
            if ptr.pointee.rowType == nil { ptr.pointee.rowType = dummyInt; ptr.pointee.rowLo = dummyDouble; ptr.pointee.rowUp = dummyDouble }
            if ptr.pointee.colType == nil { ptr.pointee.colType = dummyInt; ptr.pointee.colLo = dummyDouble; ptr.pointee.colUp = dummyDouble; ptr.pointee.obj = dummyDouble }
        }
    }
    private let dummyInt = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    private let dummyDouble = UnsafeMutablePointer<Double>.allocate(capacity: 1)

    func run(_ stage: Stage) -> Int32 {
        if dead || generation != liplua_glpk_generation() { dead = true; return LIPLUA_GLPK_FATAL }
        ptr.pointee.stage = stage.rawValue
        return liplua_glpk_guarded(stageBody, ptr)
    }

    func extractStatus() -> Bool { run(.extractStatus) == 0 }
    func extract(interior: Bool) -> Bool { run(interior ? .extractInterior : .extractSimplex) == 0 }

    func release(session: Session) {
        if released { return }
        released = true
        if !dead && generation == liplua_glpk_generation() { _ = run(.delete) }
        ptr.pointee.path?.deallocate()
        ptr.deallocate()
        dummyInt.deallocate(); dummyDouble.deallocate()
    }
}

/// An allocation for GLPK's copy of an LP failed (malloc returned NULL).
struct AllocationFailure: Error {
    var bytes: Int
}

/// malloc for each size, all or nothing: on failure everything is freed and the total is
/// reported, so a memory limit (ulimit -v) gives an error instead of a trap.
func allocateAll(_ sizes: [Int]) throws(AllocationFailure) -> [UnsafeMutableRawPointer] {
    var out: [UnsafeMutableRawPointer] = []
    out.reserveCapacity(sizes.count)
    for size in sizes {
        guard let p = malloc(max(size, 8)) else {
            for q in out { free(q) }
            throw AllocationFailure(bytes: sizes.reduce(0, +))
        }
        out.append(p)
    }
    return out
}
