import CLua
import Foundation
import LipControl
import LipCore
import LipSDP

// `_lip.sdp`: semidefinite programs from Lua (lip.sdp.solve), the Shor relaxation of a
// Lipschitz problem (lip.sdp.shor, the relaxation "sdp"), and the SDP solver registry.
// Every solver answer is turned into a bound by the shared certificate (LipSDP's verified
// Cholesky), never trusted as it is.

extension LuaVM {
    /// Registers an SDP solver under its name (replacing one of that name); "auto" is rebuilt
    /// so that it can pick "dsdp" when the host registers it.
    public func registerSDPSolver(_ solver: any SDPSolver) {
        SDPSolvers.register(solver, in: registries.sdpSolvers)
    }

    /// The SDP solver called `name` ("auto" when nil).
    func sdpSolver(named name: String?) throws -> any SDPSolver {
        do { return try registries.sdpSolvers.resolve(name ?? "auto") } catch let e as RegistryError { throw LuaRaise(e.description) }
    }

    /// Solver options shared by lip.sdp.solve and lip.sdp.shor.
    static let sdpSolverFields: [Field] = [
        Field("solver", .string, "a registered SDP solver: \"dsdp\" (interior point, any block SDP), \"lowrank\" (mixing method, MAXCUT-type only), \"auto\" (DSDP up to order \(SDPSolvers.autoThreshold), low rank above)", default: "auto"),
        Field("time_limit", .seconds, "seconds for the solve (math.huge: none); the certificate runs after it, so a stopped solve still gives a bound", default: "none"),
        Field("tolerance", .number(min: 1e-15, max: 0.5), "target relative gap of the solver", default: "the solver's (DSDP 1e-7, low rank 1e-6)"),
        Field("max_iterations", .integer(min: 1, max: 100_000_000), "iteration cap (DSDP iterations, low-rank sweeps)", default: "the solver's"),
        Field("max_memory", .bytes, "refuse (before allocating) a solve estimated above this many bytes", default: "a third of the machine's memory, at least 1 GB"),
        Field("rank", .integer(min: 1, max: 1_000_000), "low-rank solver: the factor's rank", default: "⌈√(2n)⌉ + 1 (grown from half of it)"),
        Field("seed", .seed, "low-rank solver: seed of its start", default: "0"),
        Field("verbosity", .integer(min: 0, max: 3), "0 silent, 2 progress lines on stderr, 3 everything the solver prints", default: "0"),
        Field("progress", .boolean, "a progress line on stderr", default: "false"),
    ]

    static let sdpSolveFields: [Field] = [
        Field("sense", .choice(["max", "min", "maximize", "minimize"]), "the objective's sense", default: "max"),
        Field("blocks", .integers(min: 1, max: 46_340), "block orders {n1, n2, ...} (X_b is n_b × n_b, X_b ⪰ 0)"),
        Field("cost", .any, "C: one matrix (one block) or a table {[b] = matrix} (several blocks; missing = 0)", default: "0"),
        Field("constant", .number, "constant term c0 of the objective", default: "0"),
        Field("constraints", .any, "{ {A = matrix or {[b] = matrix}, lower =, upper =, equal =, name =, formation_error = }, ... }: lower <= Σ_b <A_b, X_b> <= upper", default: "none"),
        Field("trace_bounds", .any, "per block an upper bound on tr(X_b) valid on the feasible set (math.huge or false: unknown); lets the certificate repair a slightly infeasible dual", default: "unknown"),
        Field("maxcut", .any, "instead of blocks/cost/constraints: the MAXCUT-type SDP max <Q, X>, diag X = 1, X ⪰ 0 for this matrix Q"),
        Field("trace_block", .integers(min: 1), "with maxcut: {first, last}, indices whose diagonal sums to 1 instead (the ℓ2 ball)", default: "none"),
        Field("name", .string, "a name for messages", default: "sdp"),
        Field("primal", .boolean, "return X per block as dense rows", default: "true when every block has order <= 200"),
        Field("certify", .boolean, "prove a bound from the dual (verified Cholesky)", default: "true"),
    ] + sdpSolverFields

    static let sdpSolveNotes = """
        A matrix is dense rows {{a11, a12, ...}, {a21, ...}, ...} (must be exactly symmetric), or
        {entries = {{i, j, v}, ...}} (1-based; (i, j) and (j, i) name the same entry, repeated
        entries are summed), or {diagonal = {d1, ..., dn}}. With one block, cost and each A are
        one matrix; with several, a table keyed by block index.
        result: { status ("optimal", "infeasible", "time_limit", "numerical_error", ... as
          lip.lp.solve), value (the solver's objective: primal when it has one, else dual),
          primal_value, dual_value, dual (one multiplier per constraint, of the maximisation
          form; for maxcut: d, one per index), primal = {X1, ...} (dense rows; with primal =
          true), certified (a theorem: an upper bound on the maximum, or a lower bound on the
          minimum; nil when the proof failed), certificate ("certified" / "uncertified"),
          correction (certified - dual value), loose_bound (diagonal-dominance bound, a theorem,
          when the Cholesky proof failed), certify_method, iterations, seconds, solve_seconds,
          certify_seconds, solver, message, order (largest block), constraints }
        Bad data (NaN, wrong orders, asymmetric dense matrices, lower > upper) raise an error
        naming the entry; a solver failure or time limit is a status.
        """

    /// SDPOptions from the shared solver fields.
    static func sdpOptions(_ a: Arguments) -> SDPOptions {
        var o = SDPOptions()
        let tl: Double? = a.get("time_limit", as: Double?.self) ?? nil
        o.deadline = Deadline(seconds: tl)
        o.tolerance = a.get("tolerance")
        o.maxIterations = a.get("max_iterations")
        if let b: Double = a.get("max_memory") { o.memory = MemoryBudget(bytes: b) }
        o.rank = a.get("rank")
        o.seed = a.get("seed") ?? 0
        o.verbosity = a.get("verbosity") ?? 0
        return o
    }

    func installSDP() {
        define(NativeFunction(
            module: "sdp", name: "solve",
            summary: "Solves a semidefinite program  max (or min) Σ_b <C_b, X_b> + c0  s.t.  lower_k <= Σ_b <A_kb, X_b> <= upper_k,  X_b ⪰ 0  (or the MAXCUT-type SDP of a matrix Q) with a registered SDP solver, then certifies the solver's dual with the verified Cholesky: certified is a theorem.",
            parameters: [Parameter("problem", .options(Self.sdpSolveFields))],
            results: [Result("result", "table")], notes: Self.sdpSolveNotes) { a in
            let problem = try SDPLua.problem(a)
            let solver = try a.vm.sdpSolver(named: a.get("solver"))
            var o = Self.sdpOptions(a)
            let orders: [Int]
            switch problem { case .maxCut(let p): orders = [p.order]; case .block(let b): orders = b.blockSizes }
            let small = (orders.max() ?? 0) <= 200
            let wantPrimal: Bool = a.get("primal") ?? small
            o.wantPrimalMatrix = wantPrimal
            var printer: ProgressPrinter? = nil
            if a.get("progress") ?? false {
                let p = ProgressPrinter(label: "SDP (\(solver.name))")
                printer = p
                o.progress = { p.reportSDP($0) }
            }
            defer { printer?.finish() }
            let t0 = monotonicSeconds()
            let r = try a.vm.withDeadline(seconds: o.deadline.seconds) { try solver.solve(problem, options: o) }
            let tSolve = monotonicSeconds() - t0
            var cert: SDPCertificate? = nil
            if a.get("certify") ?? true, !r.dual.isEmpty {
                switch problem {
                case .maxCut(let p): cert = p.certify(dual: r.dual)
                case .block(let b): cert = b.certify(dual: r.dual)
                }
            }
            let tCert = monotonicSeconds() - t0 - tSolve
            let L = a.call.state
            lua_createtable(L, 0, 24)
            func set(_ k: String, _ v: some LuaPushable) { v.push(onto: L); lua_setfield(L, -2, k) }
            set("status", r.status.rawValue)
            let value = r.primalObjective.isFinite ? r.primalObjective : r.dualObjective
            if value.isFinite { set("value", value) }
            if r.primalObjective.isFinite { set("primal_value", r.primalObjective) }
            if r.dualObjective.isFinite { set("dual_value", r.dualObjective) }
            set("dual", r.dual)
            if wantPrimal, let X = SDPLua.primalMatrices(r, orders: orders) {
                lua_createtable(L, Int32(X.count), 0)
                for (b, x) in X.enumerated() {
                    let n = orders[b]
                    (0..<n).map { Array(x[($0 * n)..<(($0 + 1) * n)]) }.push(onto: L)
                    lua_rawseti(L, -2, lua_Integer(b + 1))
                }
                lua_setfield(L, -2, "primal")
            }
            if let c = cert {
                set("certificate", c.status.rawValue)
                set("certify_method", c.method.rawValue)
                if c.status == .certified, let b = c.bound {
                    set("certified", b)
                    if let k = c.correction { set("correction", k) }
                } else if let b = c.bound {
                    set("loose_bound", b)
                }
                set("certify_message", c.message)
            }
            set("iterations", r.iterations)
            set("seconds", tSolve + tCert)
            set("solve_seconds", tSolve)
            set("certify_seconds", tCert)
            set("solver", r.solver.isEmpty ? solver.name : r.solver)
            set("message", r.message)
            set("order", orders.max() ?? 0)
            switch problem {
            case .maxCut(let p): set("constraints", p.constraintCount)
            case .block(let b): set("constraints", b.constraints.count)
            }
            return 1
        })

        define(NativeFunction(
            module: "sdp", name: "shor",
            summary: "The Shor SDP relaxation of a Lipschitz problem (the relaxation \"sdp\"): max p(t, s) over t in the dual ball and s in the derivative ranges, lifted to a MAXCUT-type SDP (one hidden layer) or the chained SDP (deeper networks; DSDP only), solved by a registered SDP solver and certified by the verified Cholesky. Input norms: linf (t in the box) and l2 (t in the ball: a trace constraint); other norms are refused.",
            parameters: [Parameter("problem", .object(ProblemObject.self, "LipschitzProblem"), "from lip.lipschitz_problem{...}"),
                         Parameter("options", .options(Self.shorFields), optional: true)],
            results: [Result("result", "table", "the shared relaxation result (help(lip.relaxation)): relaxation = \"sdp\", method = \"SDP\", status (the solver's, or \"uncertified\" when the proof failed), certified (a theorem: L <= certified; nil when not proved), solver_value, correction, order, constraints, formulation, solver, free/fixed/dropped (hidden neurons), seconds, build_seconds, solve_seconds, certify_seconds, iterations, peak_memory (bytes, process peak), message; with estimate_only: order, constraints, formulation, solver, estimated_bytes")]) { a in
            try Self.shor(a)
        })

        define(NativeFunction(
            module: "sdp", name: "solvers", summary: "The SDP solvers registered in this Lua state (\"auto\" is the default).",
            results: [Result("names", "string[]"), Result("default", "string")]) { a in
            a.push(a.vm.registries.sdpSolvers.names); a.push("auto"); return 2
        })
    }

    static let shorFields: [Field] = [
        Field("formulation", .choice(["auto", "maxcut", "chained"]), "maxcut: one hidden layer (any solver); chained: any depth >= 2 (DSDP); auto: maxcut up to one hidden layer, chained above", default: "auto"),
        Field("estimate_only", .boolean, "build the SDP and return its size and the solver's memory estimate without solving", default: "false"),
        Field("quiet", .boolean, "no progress display", default: "false"),
    ] + sdpSolverFields

    /// Bytes a solver will need for an SDP of this order and constraint count (the larger of
    /// the solver's working set and the certificate's dense factor).
    static func sdpBytes(solver: any SDPSolver, problem: SDPProblem) -> (bytes: Double, solver: String) {
        var chosen = solver
        if let auto = solver as? AutomaticSDPSolver, let c = auto.choice(for: problem) { chosen = c }
        let n: Double, m: Double, nnz: Double
        switch problem {
        case .maxCut(let p): n = Double(p.order); m = Double(p.constraintCount); nnz = Double(p.q.entryCount)
        case .block(let b):
            n = Double(b.largestBlock); m = Double(b.constraints.count)
            nnz = Double(b.constraints.reduce(0) { $0 + $1.terms.reduce(0) { $0 + $1.matrix.entryCount } })
        }
        let certificate = 8 * n * n
        if chosen.name == "lowrank" {
            let k = (2 * n).squareRoot().rounded(.up) + 1
            return (max(24 * n * k + 24 * nnz, certificate), chosen.name)
        }
        // interior point (DSDP): ≈ 8 dense packed copies of the block and the m × m Schur matrix
        return (max(8 * (8 * n * (n + 1) / 2 + m * m) + 36 * nnz, certificate), chosen.name)
    }

    static func shor(_ a: Arguments) throws -> Int {
        let t0 = monotonicSeconds()
        let po = a.get("problem", as: ProblemObject.self)!
        guard let net = po.network else { throw LuaRaise("lip.sdp.shor: this problem carries no network (build it with lip.lipschitz_problem{network = ...})") }
        let shape: DualBallShape
        switch po.norm.dualBall {
        case .box: shape = .box
        case .euclideanBall: shape = .ball
        default:
            throw LuaRaise("lip.sdp.shor: the Shor SDP takes the linf input norm (t in the box) and l2 (t in the ball), not '\(po.norm.name)' (dual ball: \(po.norm.dualBall.shapeName)); use relaxation = \"lp\" for this norm")
        }
        let form: ShorProblem.Formulation?
        switch a.get("formulation", as: String.self) ?? "auto" {
        case "maxcut": form = .maxCut
        case "chained": form = .chained
        default: form = nil
        }
        var o = sdpOptions(a)
        let solver = try a.vm.sdpSolver(named: a.get("solver"))
        // The order is at most 1 + n0 + Σ hidden (for messages; the data and the solver's
        // working set are checked against max_memory before they are allocated).
        let orderBound = try net.sizes.dropLast().reduce(1) { try CheckedSize.sum($0, $1, what: "the Shor SDP order") }
        let problem: ShorProblem
        do {
            problem = try a.vm.withCallbacks {
                try ShorSDP.build(network: net, shape: shape, inputBox: po.inputBox, domain: po.domain, formulation: form, memory: o.memory)
            }
        } catch let e as SizeError {
            throw LuaRaise("lip.sdp.shor: the Shor SDP (order up to \(orderBound)): \(e.message); use an input box (stable neurons drop out) or the MAXCUT form with solver = \"lowrank\"")
        }
        let tBuild = monotonicSeconds() - t0
        let est = sdpBytes(solver: solver, problem: problem.sdp)
        let counts = problem.neuronCounts
        let free = counts.reduce(0) { $0 + $1.free }, fixed = counts.reduce(0) { $0 + $1.fixed }, dropped = counts.reduce(0) { $0 + $1.dropped }
        let L = a.call.state
        if a.get("estimate_only") ?? false {
            a.call.pushRecord(["order": problem.order, "constraints": problem.constraintCount, "formulation": problem.formulation.rawValue,
                               "solver": est.solver, "estimated_bytes": est.bytes, "free": free, "fixed": fixed, "dropped": dropped,
                               "build_seconds": tBuild])
            return 1
        }
        guard solver.supports(problem.sdp) else {
            throw LuaRaise("lip.sdp.shor: solver '\(solver.name)' does not take the \(problem.formulation.rawValue) Shor SDP (order \(problem.order)); the low-rank solver takes the MAXCUT form (one hidden layer) only, use solver = \"dsdp\" or \"auto\"")
        }
        if est.bytes > o.memory.bytes {
            let hint = est.solver == "lowrank" ? "an input box (stable neurons drop out)" : (problem.formulation == .maxCut ? "solver = \"lowrank\" (memory ∝ order·√order) or an input box" : "an input box (stable neurons drop out) or fewer hidden layers")
            throw LuaRaise("lip.sdp.shor: the Shor SDP has order \(problem.order) and \(problem.constraintCount) constraints; \(est.solver) needs about \(formatBytes(est.bytes)), above the budget of \(formatBytes(o.memory.bytes)) (max_memory); use \(hint)")
        }
        let quiet = a.get("quiet") ?? false
        var printer: ProgressPrinter? = nil
        if (a.get("progress") ?? false) && !quiet {
            let p = ProgressPrinter(label: "SDP order \(problem.order) (\(est.solver))")
            printer = p
            o.progress = { p.reportSDP($0) }
        }
        defer { printer?.finish() }
        let t1 = monotonicSeconds()
        let r = try a.vm.withDeadline(seconds: o.deadline.seconds) { try a.vm.withCallbacks { try solver.solve(problem.sdp, options: o) } }
        let tSolve = monotonicSeconds() - t1
        var co = CertifierOptions()
        co.memory = o.memory
        let c = problem.certify(r, options: co)   // no deadline: Ctrl-C still stops it
        let tCert = monotonicSeconds() - t1 - tSolve
        lua_createtable(L, 0, 28)
        func set(_ k: String, _ v: some LuaPushable) { v.push(onto: L); lua_setfield(L, -2, k) }
        set("relaxation", "sdp")
        set("method", "SDP")
        let proved = c.status == .certified && c.certified != nil
        set("status", proved ? r.status.rawValue : "uncertified")
        set("solver_status", r.status.rawValue)
        if proved { set("certified", c.certified!); if let k = c.correction { set("correction", k) } }
        else if let b = c.certified { set("loose_bound", b) }
        if c.solverValue.isFinite { set("solver_value", c.solverValue) }
        if r.primalObjective.isFinite { set("primal_value", r.primalObjective) }
        set("certificate", c.status.rawValue)
        set("certify_method", c.certificate.method.rawValue)
        set("order", problem.order)
        set("constraints", problem.constraintCount)
        set("formulation", problem.formulation.rawValue)
        set("solver", r.solver.isEmpty ? est.solver : r.solver)
        set("free", free); set("fixed", fixed); set("dropped", dropped)
        set("iterations", r.iterations)
        set("build_seconds", tBuild)
        set("solve_seconds", tSolve)
        set("certify_seconds", tCert)
        set("seconds", monotonicSeconds() - t0)
        set("estimated_bytes", est.bytes)
        set("peak_memory", peakResidentSetBytes())
        set("norm", po.norm.name)
        set("local", po.inputBox != nil)
        var msg = r.message
        if !proved { msg += (msg.isEmpty ? "" : "; ") + "certificate: " + c.certificate.message }
        set("message", msg)
        return 1
    }
}

extension ProgressPrinter {
    func reportSDP(_ p: SDPProgress) {
        let now = monotonicSeconds()
        guard now - lastLP > 0.5 else { return }
        lastLP = now
        write("\r\u{1B}[K\(label): iteration \(p.iterations), objective \(String(format: "%.8g", p.objective)), \(String(format: "%.1f", p.seconds)) s")
    }
}

/// Reading SDPs described in Lua (see `lip.sdp.solve`).
enum SDPLua {
    static func bad(_ s: String) -> LuaRaise { LuaRaise("lip.sdp.solve: " + s) }

    static func number(_ v: LuaValue) -> Double? {
        switch v { case .integer(let i): return Double(i); case .number(let x): return x; default: return nil }
    }

    /// Entries of a table value keyed by positive integers (a sequence or a sparse table).
    static func indexed(_ v: LuaValue, _ what: String) throws -> [(Int, LuaValue)] {
        switch v {
        case .array(let xs): return xs.enumerated().compactMap { if case .luaNil = $0.element { return nil }; return ($0.offset + 1, $0.element) }
        case .table(let t):
            var out: [(Int, LuaValue)] = []
            for (k, x) in t {
                guard let i = Int(k), i >= 1 else { throw bad("\(what): keys must be indices 1, 2, ..., got '\(k)'") }
                out.append((i, x))
            }
            return out.sorted { $0.0 < $1.0 }
        default: throw bad("\(what): table expected, got \(v.sdpTypeName)")
        }
    }

    static func numbers(_ v: LuaValue, _ what: String) throws -> [Double] {
        guard case .array(let xs) = v else {
            if case .table(let t) = v, t.isEmpty { return [] }
            throw bad("\(what): a list of numbers expected, got \(v.sdpTypeName)")
        }
        return try xs.enumerated().map { k, x in
            guard let d = number(x), d.isFinite else { throw bad("\(what)[\(k + 1)]: a finite number expected, got \(x)") }
            return d
        }
    }

    /// A matrix of the given order: dense rows, {entries = {{i, j, v}, ...}} or {diagonal = {...}}.
    static func matrix(_ v: LuaValue, order n: Int, _ what: String) throws -> SymmetricMatrix {
        do {
            switch v {
            case .table(let t):
                if t.isEmpty { return .zero(order: n) }
                let allowed = ["entries", "diagonal"]
                if let k = t.keys.sorted().first(where: { !allowed.contains($0) }) {
                    throw bad("\(what): unknown key '\(k)' (a matrix is dense rows, {entries = {{i, j, v}, ...}} or {diagonal = {...}})")
                }
                var e: [(Int, Int, Double)] = []
                if let d = t["diagonal"] {
                    let xs = try numbers(d, "\(what).diagonal")
                    guard xs.count == n else { throw bad("\(what).diagonal: \(xs.count) values for order \(n)") }
                    for (i, x) in xs.enumerated() where x != 0 { e.append((i, i, x)) }
                }
                if let es = t["entries"] {
                    for (k, item) in try indexed(es, "\(what).entries") {
                        let xs = try numbers(item, "\(what).entries[\(k)]")
                        guard xs.count == 3, let i = Int(exactly: xs[0]), let j = Int(exactly: xs[1]) else {
                            throw bad("\(what).entries[\(k)]: {i, j, value} expected with integer indices")
                        }
                        guard (1...n).contains(i), (1...n).contains(j) else {
                            throw bad("\(what).entries[\(k)]: index (\(i), \(j)) outside 1..\(n)")
                        }
                        e.append((i - 1, j - 1, xs[2]))
                    }
                }
                return try SymmetricMatrix(order: n, entries: e)
            case .array(let rows):
                if rows.isEmpty { return .zero(order: n) }
                guard rows.count == n else { throw bad("\(what): \(rows.count) rows for order \(n) (dense matrices are n × n)") }
                var dense: [Double] = []
                dense.reserveCapacity(n * n)
                for (r, row) in rows.enumerated() {
                    let xs = try numbers(row, "\(what) row \(r + 1)")
                    guard xs.count == n else { throw bad("\(what) row \(r + 1): \(xs.count) entries for order \(n)") }
                    dense += xs
                }
                return try SymmetricMatrix(order: n, dense: dense)
            default:
                throw bad("\(what): a matrix expected (dense rows, {entries = ...} or {diagonal = ...}), got \(v.sdpTypeName)")
            }
        } catch let e as SDPError { throw bad("\(what): \(e.message)") }
    }

    /// One matrix per block: the matrix itself for one block, else a table keyed by block.
    static func perBlock(_ v: LuaValue, sizes: [Int], _ what: String) throws -> [(Int, SymmetricMatrix)] {
        if sizes.count == 1 { return [(0, try matrix(v, order: sizes[0], what))] }
        var out: [(Int, SymmetricMatrix)] = []
        for (b, m) in try indexed(v, what) {
            guard b <= sizes.count else { throw bad("\(what): block \(b) does not exist (there are \(sizes.count) blocks)") }
            out.append((b - 1, try matrix(m, order: sizes[b - 1], "\(what)[\(b)]")))
        }
        return out
    }

    static func problem(_ a: Arguments) throws -> SDPProblem {
        let name: String = a.get("name") ?? "sdp"
        if a.has("maxcut") {
            for k in ["blocks", "cost", "constraints", "constant", "trace_bounds"] where a.has(k) {
                throw bad("give maxcut = Q alone (its constraints are diag X = 1), not together with \(k)")
            }
            if let s: String = a.get("sense"), s.hasPrefix("min") { throw bad("maxcut problems are maximisations (sense = \"max\")") }
            let v: LuaValue = a.get("maxcut")!
            let n: Int
            switch v {
            case .array(let rows): n = rows.count
            case .table(let t):
                if let d = t["diagonal"], case .array(let xs) = d { n = xs.count } else {
                    var top = 0
                    if let es = t["entries"] {
                        for (_, item) in try indexed(es, "maxcut.entries") {
                            let xs = try numbers(item, "maxcut.entries")
                            if xs.count >= 2 { top = max(top, Int(exactly: xs[0]) ?? 0, Int(exactly: xs[1]) ?? 0) }
                        }
                    }
                    n = top
                }
            default: throw bad("maxcut: a matrix expected, got \(v.sdpTypeName)")
            }
            guard n >= 1 else { throw bad("maxcut: the matrix has no entries (order 0)") }
            let q = try matrix(v, order: n, "maxcut")
            var trace: Range<Int>? = nil
            if let tb: [Int] = a.get("trace_block") {
                guard tb.count == 2, tb[0] <= tb[1], tb[1] <= n else { throw bad("trace_block: {first, last} with 1 <= first <= last <= \(n) expected") }
                trace = (tb[0] - 1)..<tb[1]
            }
            do { return .maxCut(try MaxCutProblem(q: q, traceBlock: trace)) } catch let e as SDPError { throw bad(e.message) }
        }
        if a.has("trace_block") { throw bad("trace_block goes with maxcut = Q") }
        guard let sizes: [Int] = a.get("blocks"), !sizes.isEmpty else {
            throw bad("needs blocks = {n1, ...} (the block orders), or maxcut = Q")
        }
        let dense = try sizes.reduce(0.0) { s, n in s + Double(try CheckedSize.product([n, n, 8], what: "block"))}
        do { try MemoryBudget.machineDefault.check(dense, what: "the dense blocks of SDP '\(name)'") } catch let e as SizeError { throw bad(e.message) }
        let sense: BlockSDP.Sense = (a.get("sense", as: String.self) ?? "max").hasPrefix("min") ? .minimize : .maximize
        var cost = sizes.map { SymmetricMatrix.zero(order: $0) }
        if let c: LuaValue = a.get("cost") { for (b, m) in try perBlock(c, sizes: sizes, "cost") { cost[b] = m } }
        var cons: [SDPConstraint] = []
        if let cv: LuaValue = a.get("constraints") {
            for (k, item) in try indexed(cv, "constraints") {
                let label = "constraints[\(k)]"
                guard case .table(let t) = item else { throw bad("\(label): table {A =, lower =, upper =} expected, got \(item.sdpTypeName)") }
                let allowed = ["A", "lower", "upper", "equal", "name", "formation_error"]
                if let key = t.keys.sorted().first(where: { !allowed.contains($0) }) {
                    throw bad("\(label): unknown key '\(key)' (allowed: \(allowed.joined(separator: ", ")))")
                }
                let cname: String?
                if let nv = t["name"] { guard case .string(let s) = nv else { throw bad("\(label).name: string expected") }; cname = s } else { cname = nil }
                let where_ = cname.map { "\(label) ('\($0)')" } ?? label
                func bound(_ key: String) throws -> Double? {
                    guard let x = t[key] else { return nil }
                    guard let d = number(x), !d.isNaN else { throw bad("\(where_).\(key): a number expected, got \(x)") }
                    return d
                }
                var lo = try bound("lower") ?? -.infinity, hi = try bound("upper") ?? .infinity
                if let e = try bound("equal") {
                    guard t["lower"] == nil, t["upper"] == nil else { throw bad("\(where_): give equal or lower/upper, not both") }
                    lo = e; hi = e
                }
                guard lo > -.infinity || hi < .infinity else { throw bad("\(where_): needs lower, upper or equal") }
                let fe = try bound("formation_error") ?? 0
                guard let av = t["A"] else { throw bad("\(where_): needs A = matrix") }
                let terms = try perBlock(av, sizes: sizes, "\(where_).A").map { BlockMatrix(block: $0.0, matrix: $0.1) }
                cons.append(SDPConstraint(terms: terms, lower: lo, upper: hi, formationError: fe, name: cname))
            }
        }
        var traces = [Double?](repeating: nil, count: sizes.count)
        if let tv: LuaValue = a.get("trace_bounds") {
            for (b, x) in try indexed(tv, "trace_bounds") {
                guard b <= sizes.count else { throw bad("trace_bounds: block \(b) does not exist") }
                if case .boolean(false) = x { continue }
                guard let d = number(x), d >= 0 else { throw bad("trace_bounds[\(b)]: a number >= 0 expected, got \(x)") }
                traces[b - 1] = d.isFinite ? d : nil
            }
        }
        let c0: Double = a.get("constant") ?? 0
        let p = BlockSDP(sense: sense, blockSizes: sizes, objective: cost, objectiveConstant: c0, constraints: cons,
                         traceBounds: traces, name: name)
        do { try p.validate() } catch let e as SDPError { throw bad(e.message) }
        return .block(p)
    }

    /// Dense X per block: the solver's matrices, or V Vᵀ from a low-rank factor.
    static func primalMatrices(_ r: SDPResult, orders: [Int]) -> [[Double]]? {
        if let X = r.primalMatrices, X.count == orders.count { return X }
        if let f = r.factor, orders.count == 1, f.order == orders[0] {
            let n = f.order, k = f.rank
            var X = [Double](repeating: 0, count: n * n)
            for i in 0..<n {
                for j in i..<n {
                    var s = 0.0
                    for q in 0..<k { s += f.values[i * k + q] * f.values[j * k + q] }
                    X[i * n + j] = s; X[j * n + i] = s
                }
            }
            return [X]
        }
        return nil
    }
}

extension LuaValue {
    var sdpTypeName: String {
        switch self {
        case .luaNil: return "nil"
        case .boolean: return "boolean"
        case .integer, .number: return "number"
        case .string: return "string"
        case .array, .table: return "table"
        case .function: return "function"
        case .other(let s): return s
        }
    }
}
