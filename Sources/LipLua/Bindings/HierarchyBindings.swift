import CLua
import Foundation
import LipCore
import LipLP

// The `_lip.hierarchy` and `_lip.sparsity` native modules: LiPopt-k (the Krivine LP
// hierarchy) on a problem built by `lip.lipschitz_problem`, with the host's LP solver.

/// Reads a variable reference: a 1-based index or a variable name of the problem.
func readVariable(_ L: OpaquePointer, _ i: Int32, names: [String], index: [String: Int]) throws -> Int {
    if lua_type(L, i) == LUA_TNUMBER {
        let k = try LuaRead.integer(L, i)
        guard (1...names.count).contains(k) else { throw LuaRead.Problem("variable index \(k) out of range 1..\(names.count)") }
        return k - 1
    }
    let s = try LuaRead.string(L, i)
    guard let k = index[s] else {
        throw LuaRead.Problem("unknown variable '\(s)' (the problem has \(names.prefix(6).joined(separator: ", "))\(names.count > 6 ? ", ..." : ""))")
    }
    return k
}

/// A list of variable sets {{"t1", "s1_1"}, {...}} (names or 1-based indices).
func readSets(_ L: OpaquePointer, _ i: Int32, names: [String]) throws -> [[Int]] {
    let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    guard lua_type(L, i) == LUA_TTABLE else { throw LuaRead.Problem(expected: "list of variable sets", L, i) }
    let t = lua_absindex(L, i)
    let n = Int(lua_rawlen(L, t))
    guard n > 0 else { throw LuaRead.Problem("the list of variable sets is empty") }
    var out: [[Int]] = []
    for k in 1...n {
        lua_rawgeti(L, t, lua_Integer(k))
        defer { lua_settop(L, -2) }
        guard lua_type(L, -1) == LUA_TTABLE else { throw LuaRead.Problem("set [\(k)]: table of variables expected") }
        let s = lua_absindex(L, -1)
        var set: [Int] = []
        for m in 0..<Int(lua_rawlen(L, s)) {
            lua_rawgeti(L, s, lua_Integer(m + 1))
            defer { lua_settop(L, -2) }
            do { set.append(try readVariable(L, -1, names: names, index: index)) } catch let p as LuaRead.Problem {
                throw LuaRead.Problem("set [\(k)] element [\(m + 1)]: \(p.text)")
            }
        }
        out.append(Array(Set(set)).sorted())
    }
    return out
}

/// A list of products; each product is a list of factors {var, alpha, beta} meaning
/// g_var^alpha (1 - g_var)^beta.
func readProducts(_ L: OpaquePointer, _ i: Int32, names: [String]) throws -> [ProductSpec] {
    let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    guard lua_type(L, i) == LUA_TTABLE else { throw LuaRead.Problem(expected: "list of products", L, i) }
    let t = lua_absindex(L, i)
    var out: [ProductSpec] = []
    for k in 0..<Int(lua_rawlen(L, t)) {
        lua_rawgeti(L, t, lua_Integer(k + 1))
        defer { lua_settop(L, -2) }
        guard lua_type(L, -1) == LUA_TTABLE else { throw LuaRead.Problem("product [\(k + 1)]: list of factors {var, alpha, beta} expected") }
        let p = lua_absindex(L, -1)
        var factors: [ProductSpec.Factor] = []
        for m in 0..<Int(lua_rawlen(L, p)) {
            lua_rawgeti(L, p, lua_Integer(m + 1))
            defer { lua_settop(L, -2) }
            let f = lua_absindex(L, -1)
            guard lua_type(L, f) == LUA_TTABLE else { throw LuaRead.Problem("product [\(k + 1)] factor [\(m + 1)]: {var, alpha, beta} expected") }
            lua_rawgeti(L, f, 1); defer { lua_settop(L, -2) }
            let v: Int
            do { v = try readVariable(L, -1, names: names, index: index) } catch let e as LuaRead.Problem {
                throw LuaRead.Problem("product [\(k + 1)] factor [\(m + 1)]: \(e.text)")
            }
            lua_rawgeti(L, f, 2); let alpha = lua_type(L, -1) == LUA_TNIL ? 1 : Int(lua_tointegerx(L, -1, nil)); lua_settop(L, -2)
            lua_rawgeti(L, f, 3); let beta = lua_type(L, -1) == LUA_TNIL ? 0 : Int(lua_tointegerx(L, -1, nil)); lua_settop(L, -2)
            guard alpha >= 0, beta >= 0, alpha + beta > 0 else {
                throw LuaRead.Problem("product [\(k + 1)] factor [\(m + 1)]: exponents alpha, beta must be ≥ 0 and not both 0")
            }
            factors.append(.init(variable: v, alpha: alpha, beta: beta))
        }
        out.append(ProductSpec(factors))
    }
    return out
}

extension LipschitzBound {
    /// The result table of lip.hierarchy.krivine.
    func push(onto L: OpaquePointer, problem: LipschitzProblem) {
        lua_createtable(L, 0, 24)
        func set(_ k: String, _ v: some LuaPushable) { v.push(onto: L); lua_setfield(L, -2, k) }
        set("status", status.rawValue)
        set("certified", certifiedBound)
        set("lp_value", lpValue)
        set("correction", correction)
        set("degree", degree)
        set("family", family)
        set("pattern", pattern)
        set("rows", rows)
        set("cols", columns)
        set("nnz", nonzeros)
        set("build_seconds", buildSeconds)
        set("solve_seconds", solveSeconds)
        set("certify_seconds", certifySeconds)
        set("seconds", totalSeconds)
        set("solver", solverName)
        set("message", solverMessage)
        set("norm", problem.normName)
        set("local", problem.isLocal)
        set("variables", problem.variableCount)
        set("terms", problem.polynomial.termCount)
        set("method", "LiPopt-\(degree)")
        lua_createtable(L, Int32(certificate.count), 0)
        for (k, c) in certificate.enumerated() {
            lua_createtable(L, 0, 2)
            c.coefficient.push(onto: L); lua_setfield(L, -2, "coefficient")
            c.product.push(onto: L); lua_setfield(L, -2, "product")
            lua_rawseti(L, -2, lua_Integer(k + 1))
        }
        lua_setfield(L, -2, "certificate")
    }
}

/// Progress on stderr: one line per stage and a periodic solver line; only on a terminal.
final class ProgressPrinter: @unchecked Sendable {
    let start = Date()
    var lastLP = Date.distantPast
    let label: String
    init(label: String) { self.label = label }
    func report(_ p: HierarchyProgress) {
        let t = Date().timeIntervalSince(start)
        switch p {
        case .stage(let name, let s):
            write("\r\u{1B}[K\(label): \(name) done (\(String(format: "%.2f", s)) s)")
        case .lp(let lp):
            guard Date().timeIntervalSince(lastLP) > 0.5 else { return }
            lastLP = Date()
            write("\r\u{1B}[K\(label): solving, iteration \(lp.iterations), objective \(String(format: "%.6g", lp.objective)), \(String(format: "%.1f", t)) s")
        }
    }
    func finish() { write("\r\u{1B}[K") }
    /// stderr is unbuffered; write(2) avoids touching the C `stderr` global from Swift 6.
    func write(_ s: String) {
        var bytes = Array(s.utf8)
        _ = bytes.withUnsafeMutableBytes { Foundation.write(2, $0.baseAddress, $0.count) }
    }
}

extension LuaVM {
    static let krivineOptionKeys = ["degree", "products", "sparsity", "solver", "method", "time_limit", "quiet",
                                    "progress", "max_rows", "max_columns", "max_nonzeros", "max_memory",
                                    "certificate", "write_lp", "write_format", "estimate_only", "verbose"]

    static let krivineDoc = """
        lip.hierarchy.krivine(problem, options) -> result
        LiPopt-k (METHOD §3, §4): the Krivine/Handelman LP hierarchy bounding max p over the
        problem's set, solved with the host's LP solver (GLPK). options (unknown keys are an error):
          degree     k (default 3; k >= depth of the network is needed)
          products   the product family: "by_input" (the published LiPopt family; default),
                     "path" (products over the variables of each term of p, small), "multilinear"
                     (inside the sparsity sets, each variable at most once), "dense" (all products
                     of degree k; small problems only); or a table {sets = {{vars...}, ...}},
                     {products = {{{var, alpha, beta}, ...}, ...}} (explicit products g^alpha (1-g)^beta),
                     or a function(term_variables) -> list of extra products (added to "path")
          sparsity   the pattern for "multilinear"/"dense": "dense", "by_input", "by_last_hidden",
                     "chordal", or a list of variable sets (names or 1-based indices)
          solver     registered LP solver name; method "auto"|"primal"|"dual"|"interior";
          time_limit seconds for the LP solve
          max_rows, max_columns, max_nonzeros, max_memory (bytes): refuse larger LPs before building
          quiet      no progress output (default: progress on stderr when it is a terminal)
          progress   true/false to force the progress display (one line on stderr)
          verbose    print the LP solver's own log (GLPK's lines, on stdout)
          certificate how many of the largest multipliers to return (default 10)
          write_lp   a path: write the LP there (write_format "mps" (default) or "lp") before solving
          estimate_only  return the size estimate only
        result: { status, certified (the theorem: max p <= certified), lp_value (the solver's λ*),
          correction, degree, family, pattern, rows, cols, nnz, build_seconds, solve_seconds,
          certify_seconds, seconds, solver, message, certificate = {{coefficient, product}, ...} }
        A monomial no product covers, or an LP above the size limits, raises an error before solving;
        a solver outcome (infeasible, time_limit, ...) is a status.
        """

    func installHierarchy() {
        register(module: "hierarchy", name: "krivine", doc: Self.krivineDoc) { c in
            let po = try c.object(1, as: ProblemObject.self)
            let problem = po.problem
            let o = try c.options(2, allowed: Self.krivineOptionKeys)
            var opts = KrivineOptions()
            opts.degree = try o.integer("degree") ?? 3
            guard opts.degree >= 1 && opts.degree <= 64 else { throw LuaArgumentError(argument: 2, detail: "option 'degree': \(opts.degree) must be in 1..64") }
            let names = problem.variableNames
            // Family.
            let productsType = try o.withField("products") { L, i in lua_type(L, i) }
            if productsType == LUA_TSTRING, let s = try o.string("products") {
                opts.family = try ProductFamily.named(s)
            } else if productsType != nil {
                let vm = c.vm
                opts.family = try o.withField("products") { L, i -> ProductFamily in
                    if lua_type(L, i) == LUA_TFUNCTION {
                        let fn = SendableLuaFunction(fn: LuaFunction(vm: vm, state: L, index: i), errors: vm.callbackErrors, what: "products function")
                        return .pathPlus(name: "path+user", extra: { (m: Monomial) -> [ProductSpec] in
                            do {
                                return try fn.fn.withResults([m.variables.map { names[Int($0)] }]) { L2, first, count in
                                    guard count >= 1, lua_type(L2, first) != LUA_TNIL else { return [] }
                                    return try readProducts(L2, first, names: names)
                                }
                            } catch { fn.errors.record(error); return [] }
                        })
                    }
                    guard lua_type(L, i) == LUA_TTABLE else { throw LuaRead.Problem(expected: "family name, {sets = ...}, {products = ...} or function", L, i) }
                    let t = lua_absindex(L, i)
                    lua_pushstring(L, "sets")
                    if lua_rawget(L, t) != LUA_TNIL { defer { lua_settop(L, -2) }; return .sets(try readSets(L, -1, names: names)) }
                    lua_settop(L, -2)
                    lua_pushstring(L, "products")
                    if lua_rawget(L, t) != LUA_TNIL { defer { lua_settop(L, -2) }; return .products(try readProducts(L, -1, names: names)) }
                    lua_settop(L, -2)
                    throw LuaRead.Problem("a products table needs sets = {...} or products = {...}")
                } ?? .byInput
            }
            // Pattern.
            let sparsityType = try o.withField("sparsity") { L, i in lua_type(L, i) }
            if sparsityType == LUA_TSTRING, let s = try o.string("sparsity") {
                opts.pattern = try SparsityPattern.named(s)
            } else if sparsityType != nil, let sets = try o.withField("sparsity", { L, i in try readSets(L, i, names: names) }) {
                opts.pattern = .sets(sets)
            }
            if let m = try o.choice("method", LPMethod.allCases.map(\.rawValue)) { opts.method = LPMethod(rawValue: m)! }
            opts.timeLimit = try o.number("time_limit")
            if let v = try o.integer("max_rows") { opts.limits.maxRows = v }
            if let v = try o.integer("max_columns") { opts.limits.maxColumns = v }
            if let v = try o.integer("max_nonzeros") { opts.limits.maxNonzeros = v }
            if let v = try o.number("max_memory") { opts.limits.maxMemoryBytes = v }
            if let v = try o.integer("certificate") { opts.certificateSize = max(0, v) }
            opts.solver = try c.vm.solver(named: try o.string("solver"))
            let quiet = try o.boolean("quiet") ?? false
            let showProgress = try o.boolean("progress") ?? (!quiet && isatty(2) != 0)
            // The solver's own log (GLPK's lines on stdout) only on request; progress is ours.
            opts.quiet = !(try o.boolean("verbose") ?? false)
            var printer: ProgressPrinter? = nil
            if showProgress {
                let p = ProgressPrinter(label: "LiPopt-\(opts.degree) [\(opts.family.name)]")
                printer = p
                opts.progress = { p.report($0) }
            }
            defer { printer?.finish() }

            if try o.boolean("estimate_only") ?? false {
                let e = try KrivineHierarchy.estimate(problem, options: opts)
                c.pushRecord(["columns": e.columns, "nonzeros": e.nonzeros, "memory_bytes": e.memoryBytes, "text": e.description])
                return 1
            }
            if let path = try o.string("write_lp") {
                let format = try o.choice("write_format", ["mps", "lp"]) ?? "mps"
                var (lp, inverse) = try c.vm.withDeadline(seconds: opts.timeLimit) { try KrivineHierarchy.apply(problem, options: opts) }
                try c.vm.callbackErrors.check()
                if format == "mps" {
                    // Name the columns by their products (free MPS allows any characters but
                    // blanks; GLPK limits names to 255 characters), so the file can be read.
                    lp.columnNames = (0..<lp.columnCount).map { j in
                        let d = inverse.describeColumn(j).filter { $0 != " " }
                        return String((j == 0 ? d : "c\(j):" + d).prefix(250))
                    }
                }
                guard let writer = c.vm.lpWriter else { throw LuaRaise("this host cannot write LP files (no LP writer registered)") }
                try writer(lp, path, format)
            }
            let bound = try c.vm.withDeadline(seconds: opts.timeLimit) { try KrivineHierarchy.solve(problem, options: opts) }
            try c.vm.callbackErrors.check()
            bound.push(onto: c.state, problem: problem)
            return 1
        }

        register(module: "sparsity", name: "sets", doc: """
            lip.sparsity.sets(problem, pattern) -> { {names...}, ... }
            The variable sets of a sparsity pattern (METHOD §3) on a problem: "dense", "by_input",
            "by_last_hidden", "chordal". Edit them in Lua and pass them back as
            lip.hierarchy.krivine(problem, {sparsity = sets, products = "multilinear"}).
            """) { c in
            let po = try c.object(1, as: ProblemObject.self)
            let pattern = try SparsityPattern.named(try c.string(2))
            let sets = try pattern.sets(for: po.problem)
            let names = po.problem.variableNames
            return c.push(sets.map { $0.map { names[$0] } })
        }
    }
}
