import CLua
import Foundation
import LipControl
import LipCore
import LipLP

// The `_lip.lp` native module: solving an LP given as a Lua table with the solver the host
// registered (`LuaVM.setSolver`). The table shape is documented in `LuaVM.lpSolveDoc`.

extension LuaVM {
    /// Registers `solver` under its name and makes it the default.
    public func setSolver(_ solver: any LPSolver) {
        try? registries.lpSolvers.register(solver.name, solver, replacing: true)
        registries.defaultLPSolver = solver.name
    }

    /// Registers `solver` under its name without changing the default (unless none is set).
    public func registerSolver(_ solver: any LPSolver) {
        try? registries.lpSolvers.register(solver.name, solver, replacing: true)
        if registries.defaultLPSolver == nil { registries.defaultLPSolver = solver.name }
    }

    /// Names of the registered solvers, in registration order.
    public var solverNames: [String] { registries.lpSolvers.names }
    public var defaultSolverName: String? { registries.defaultLPSolver }

    /// The solver called `name`, or the default one when `name` is nil.
    public func solver(named name: String? = nil) throws -> any LPSolver {
        do { return try registries.lpSolver(name) } catch let e as RegistryError { throw LuaRaise(e.description) }
    }

    static let lpTable = ArgType(annotation: "table", phrase: "an LP table (see help(lip.lp.solve))") { c, i in
        try LuaLP.read(c, argument: Int(i))
    }

    static let lpSolveNotes = """
        problem fields (unknown keys are an error):
          sense       "min" (default) or "max"
          objective   c as a sequence {c1, ..., cn} or a sparse table {[j] = cj}
          num_columns n (default: the largest index in objective; at most 50,000,000)
          constant    constant term of the objective (default 0)
          rows        { {coef = {[j] = a}, lower = , upper = , name = }, ... }  or with
                      indices = {j...}, values = {a...} instead of coef; equal = b sets both bounds;
                      missing bounds are -inf/+inf
          ia, ja, ar  alternative to rows: 1-based triplets A[ia[k], ja[k]] = ar[k], with
                      row_lower, row_upper (sequences; nil entries mean -inf/+inf), num_rows m
          columns     { lower = number or {l1..ln}, upper = number or {u1..un}, names = {...} };
                      defaults 0 and +inf (math.huge); nil entries keep the default
          bounds      { [j] = {l, u}, ... } per-column bounds overriding columns
          method      "auto" | "primal" | "dual" | "interior";  time_limit (s); verbosity 0..3;
          presolve    boolean;  solver  a registered solver name;  name  a problem name
        result: { status = "optimal" | "infeasible" | "unbounded" | "infeasible_or_unbounded" |
          "time_limit" | "iteration_limit" | "numerical_error" | "solver_error" | "interrupted" | "not_solved",
          objective, x = {...}, duals = {...} (rows), reduced_costs = {...}, iterations, seconds,
          method, solver, message, read_seconds (Lua table -> LP) }
        Inconsistent data (NaN, lower > upper, bad or duplicate index) raises an error naming the
        row or column; a solver failure is a status, not an error.
        """

    /// The options of solving an LP held in Swift (lip.lp.solve_program), declared once.
    static let solveFields: [Field] = [
        Field("solver", .string, "a registered LP solver", default: "the default (glpk)"),
        Field("method", .choice(LPMethod.allCases.map(\.rawValue)), "the solver's method; auto lets the solver's own size rule choose", default: "auto"),
        Field("time_limit", .seconds, "seconds for the solve (math.huge: none)", default: "none"),
        Field("verbose", .boolean, "print the solver's own log", default: "false"),
        Field("progress", .boolean, "a progress line on stderr", default: "false"),
    ]

    func installLP() {
        define(NativeFunction(
            module: "lp", name: "solve",
            summary: "Solves the linear program  minimize/maximize c'x + constant  subject to  lower_i <= (A x)_i <= upper_i,  l_j <= x_j <= u_j  with a registered LP solver (GLPK in liplua).",
            parameters: [Parameter("problem", Self.lpTable)],
            results: [Result("result", "table")], notes: Self.lpSolveNotes) { a in
            let start = monotonicSeconds()
            let (lp, options, solverName) = a.get("problem", as: (LinearProgram, LPOptions, String?).self)!
            let readSeconds = monotonicSeconds() - start
            let solver = try a.vm.solver(named: solverName)
            let result = try solver.solve(lp, options: options)
            a.call.push(result)
            lua_pushnumber(a.call.state, readSeconds)
            lua_setfield(a.call.state, -2, "read_seconds")
            return 1
        })
        define(NativeFunction(
            module: "lp", name: "solve_program",
            summary: "Solves an LP held in Swift (from lip.hierarchy.apply) with a registered solver. The solution stays in Swift (its primal vector may be millions long); info is a table with status, objective, iterations, seconds, method, solver, message.",
            parameters: [Parameter("lp", .object(LinearProgramObject.self, "LinearProgram")),
                         Parameter("options", .options(Self.solveFields), optional: true)],
            results: [Result("solution", "lip.LPSolution"), Result("info", "table")]) { a in
            let lp = a.get("lp", as: LinearProgramObject.self)!.lp
            let solver = try a.vm.solver(named: a.get("solver"))
            var o = LPOptions()
            o.method = LPMethod(rawValue: a.get("method") ?? "auto")!
            o.timeLimit = a.get("time_limit", as: Double?.self) ?? nil
            o.verbosity = (a.get("verbose") ?? false) ? 2 : 0
            var printer: ProgressPrinter? = nil
            if a.get("progress") ?? false {
                let p = ProgressPrinter(label: "LP \(lp.rowCount) x \(lp.columnCount)")
                printer = p
                o.progress = { p.reportLP($0) }
            }
            defer { printer?.finish() }
            let t = monotonicSeconds()
            var r = try a.vm.withDeadline(seconds: o.timeLimit) { try solver.solve(lp, options: o) }
            if r.seconds == 0 { r.seconds = monotonicSeconds() - t }
            a.push(object: LPSolutionObject(r))
            a.call.pushRecord(["status": r.status.rawValue, "objective": r.objective.isNaN ? nil : r.objective,
                               "iterations": r.iterations, "seconds": r.seconds, "method": r.method.rawValue,
                               "solver": r.solver, "message": r.message])
            return 2
        })
        registerType(LPSolutionObject.self, name: "LPSolution", methods: [
            NativeFunction(module: "", name: "primal", summary: "The primal values x (a Lua list; large).", results: [Result("x", "number[]")]) { a in
                a.push(a.get("self", as: LPSolutionObject.self)!.result.primal)
            },
            NativeFunction(module: "", name: "status", summary: "The solver's status.", results: [Result("status", "string")]) { a in
                a.push(a.get("self", as: LPSolutionObject.self)!.result.status.rawValue)
            },
        ], describe: { "LP solution (\($0.result.status.rawValue), objective \($0.result.objective))" })
        define(NativeFunction(
            module: "lp", name: "write",
            summary: "Writes an LP (a lip.lp.solve table, or a lip.LinearProgram from lip.hierarchy.apply) to a file: format \"mps\" (free MPS, the default) or \"lp\" (CPLEX LP). Free MPS records no objective sense (a maximisation is read back as a minimisation).",
            parameters: [Parameter("problem", ArgType(annotation: "table|lip.LinearProgram", phrase: "an LP table or a lip.LinearProgram") { c, i in
                            if lua_type(c.state, i) == LUA_TUSERDATA { return try LuaRead.object(c.state, i, as: LinearProgramObject.self).lp }
                            return try LuaLP.read(c, argument: Int(i)).0
                         }),
                         Parameter("path", .string),
                         Parameter("format", .choice(["mps", "lp"]), "default mps", optional: true)],
            results: [Result("path", "string")]) { a in
            let lp: LinearProgram = a.get("problem")!
            let path: String = a.get("path")!
            guard let writer = a.vm.lpWriter else { throw LuaRaise("this host cannot write LP files (set LuaVM.lpWriter)") }
            try writer(lp, path, a.get("format") ?? "mps")
            return a.push(path)
        })
        define(NativeFunction(
            module: "lp", name: "solvers", summary: "The names of the LP solvers registered in this Lua state, and the default one.",
            results: [Result("names", "string[]"), Result("default", "string")]) { a in
            a.push(a.vm.solverNames); a.push(a.vm.defaultSolverName); return 2
        })
    }
}

extension LuaCall {
    /// Pushes an LP result as the table described in `lip.lp.solve`'s documentation.
    @discardableResult
    public func push(_ r: LPResult) -> Int {
        let L = state
        lua_createtable(L, 0, 12)
        func set(_ k: String, _ v: some LuaPushable) { v.push(onto: L); lua_setfield(L, -2, k) }
        set("status", r.status.rawValue)
        if !r.objective.isNaN { set("objective", r.objective) }
        if !r.primal.isEmpty { set("x", r.primal) }
        if !r.rowDuals.isEmpty { set("duals", r.rowDuals) }
        if !r.reducedCosts.isEmpty { set("reduced_costs", r.reducedCosts) }
        set("iterations", r.iterations)
        set("seconds", r.seconds)
        set("method", r.method.rawValue)
        set("solver", r.solver)
        set("message", r.message)
        return 1
    }
}

/// Reading an LP from a Lua table (see `lip.lp.solve`). Public so other bindings can accept
/// the same table shape.
public enum LuaLP {
    static let keys = ["sense", "objective", "num_columns", "constant", "rows", "ia", "ja", "ar",
                       "row_lower", "row_upper", "num_rows", "columns", "bounds", "method",
                       "time_limit", "verbosity", "presolve", "solver", "name"]
    static let rowKeys = ["coef", "indices", "values", "lower", "upper", "equal", "name"]

    struct Bad: Error { var text: String; init(_ t: String) { text = t } }

    /// Returns the LP, the solver options and the solver name the table asks for.
    public static func read(_ call: LuaCall, argument: Int) throws -> (LinearProgram, LPOptions, String?) {
        let o = try call.options(argument, allowed: keys, required: true)
        do {
            return try read(call, o, Int32(argument))
        } catch let b as Bad {
            throw LuaArgumentError(argument: argument, detail: b.text)
        }
    }

    static func read(_ call: LuaCall, _ o: LuaOptions, _ t: Int32) throws -> (LinearProgram, LPOptions, String?) {
        let options = try readSolveOptions(o)
        var lp = try readObjective(o)
        try readColumnBounds(o, &lp)
        let hasRows = o.has("rows")
        let hasTriplets = o.has("ia") || o.has("ja") || o.has("ar")
        if hasRows && hasTriplets { throw Bad("give the matrix either as rows or as ia/ja/ar triplets, not both") }
        if hasRows {
            _ = try o.withField("rows") { L, i in try readRows(L, i, lp.columnCount, &lp) }
        } else if hasTriplets {
            try readTriplets(call.state, o, lp.columnCount, &lp)
        }
        try validate(lp)
        do { try lp.validate() } catch { throw Bad(error.description) }
        return (lp, options, try o.string("solver"))
    }

    static func readSolveOptions(_ o: LuaOptions) throws -> LPOptions {
        var options = LPOptions()
        if let m = try o.choice("method", LPMethod.allCases.map(\.rawValue)) { options.method = LPMethod(rawValue: m)! }
        if let s = try o.number("time_limit") {
            guard s > 0, !s.isNaN else { throw Bad("time_limit must be a positive number of seconds, got \(s)") }
            options.timeLimit = s.isFinite ? s : nil
        }
        if let v = try o.integer("verbosity") {
            guard (0...3).contains(v) else { throw Bad("verbosity must be in 0..3, got \(v)") }
            options.verbosity = v
        }
        if let p = try o.boolean("presolve") { options.presolve = p }
        return options
    }

    /// The objective (a sequence or a sparse table), the column count and the sense.
    static func readObjective(_ o: LuaOptions) throws -> LinearProgram {
        let sense: LinearProgram.Sense = try o.choice("sense", ["min", "max", "minimize", "maximize"])
            .map { $0.hasPrefix("max") ? .maximize : .minimize } ?? .minimize
        guard let (objEntries, maxIndex) = try o.withField("objective", { L, i -> ([(Int, Double)], Int) in
            guard lua_type(L, i) == LUA_TTABLE else { throw Bad("objective: table expected, got \(LuaCall.typeName(L, i))") }
            var e: [(Int, Double)] = []
            var top = 0
            try forEachIndexed(L, i, "objective") { j, v in e.append((j, v)); top = max(top, j) }
            return (e, top)
        }) else { throw Bad("objective is missing (a table {c1, ..., cn})") }
        let n = try o.integer("num_columns") ?? maxIndex
        guard n >= 0, n <= maxLPSize else { throw Bad("num_columns must be in 0..\(maxLPSize) (got \(n)); a column index in objective sets the count too") }
        try budgetCheck(Double(n) * 48, "an LP with \(n) columns")
        var lp = LinearProgram(sense: sense, columns: n, name: try o.string("name") ?? "lp")
        for (j, v) in objEntries {
            guard j <= n else { throw Bad("objective: column index \(j) out of range 1..\(n) (num_columns = \(n))") }
            guard v.isFinite else { throw Bad("objective: coefficient of column \(j) is \(show(v))") }
            lp.objective[j - 1] = v
        }
        if let c = try o.number("constant") {
            guard c.isFinite else { throw Bad("constant is \(show(c))") }
            lp.objectiveConstant = c
        }
        return lp
    }

    /// columns = {lower =, upper =, names =} and bounds = {[j] = {l, u}}.
    static func readColumnBounds(_ o: LuaOptions, _ lp: inout LinearProgram) throws {
        let n = lp.columnCount
        _ = try o.withField("columns") { L, i in
            guard lua_type(L, i) == LUA_TTABLE else { throw Bad("columns: table expected, got \(LuaCall.typeName(L, i))") }
            try checkKeys(L, i, ["lower", "upper", "names"], "columns")
            try readBounds(L, i, "lower", n, into: &lp.columnLower)
            try readBounds(L, i, "upper", n, into: &lp.columnUpper)
            lua_pushstring(L, "names")
            lua_rawget(L, i)
            defer { lua_settop(L, -2) }
            if lua_type(L, -1) == LUA_TTABLE {
                lp.columnNames = try LuaRead.strings(L, -1)
            }
        }
        _ = try o.withField("bounds") { L, i in
            guard lua_type(L, i) == LUA_TTABLE else { throw Bad("bounds: table expected, got \(LuaCall.typeName(L, i))") }
            lua_pushnil(L)
            while lua_next(L, i) != 0 {
                defer { lua_settop(L, -2) }
                guard lua_isinteger(L, -2) != 0 else { throw Bad("bounds: keys must be column indices") }
                let j = Int(lua_tointegerx(L, -2, nil))
                guard j >= 1, j <= n else { throw Bad("bounds: column index \(j) out of range 1..\(n)") }
                guard lua_type(L, -1) == LUA_TTABLE else { throw Bad("bounds[\(j)]: {lower, upper} expected") }
                lua_rawgeti(L, -1, 1); lua_rawgeti(L, -2, 2)
                defer { lua_settop(L, -3) }
                lp.columnLower[j - 1] = lua_type(L, -2) <= LUA_TNIL ? -.infinity : try num(L, -2, "bounds[\(j)][1]")
                lp.columnUpper[j - 1] = lua_type(L, -1) <= LUA_TNIL ? .infinity : try num(L, -1, "bounds[\(j)][2]")
            }
        }
    }

    static func show(_ x: Double) -> String { x.isNaN ? "NaN" : "\(x)" }

    /// The largest row or column count a Lua LP table may declare.
    static let maxLPSize = 50_000_000

    static func budgetCheck(_ bytes: Double, _ what: String) throws {
        do { try MemoryBudget.machineDefault.check(bytes, what: what) } catch let e as SizeError { throw Bad(e.message) }
    }

    static func num(_ L: OpaquePointer, _ i: Int32, _ what: String) throws -> Double {
        var ok: Int32 = 0
        let x = lua_tonumberx(L, i, &ok)
        guard ok != 0 else { throw Bad("\(what): number expected, got \(LuaCall.typeName(L, i))") }
        return x
    }

    /// Iterates a table of numbers indexed by positive integers (sequence or sparse).
    static func forEachIndexed(_ L: OpaquePointer, _ i: Int32, _ what: String, _ body: (Int, Double) throws -> Void) throws {
        let t = lua_absindex(L, i)
        let n = Int(lua_rawlen(L, t))
        var seen = 0
        for k in 0..<n {
            lua_rawgeti(L, t, lua_Integer(k + 1))
            defer { lua_settop(L, -2) }
            if lua_type(L, -1) == LUA_TNIL { continue }
            try body(k + 1, try num(L, -1, "\(what)[\(k + 1)]"))
            seen += 1
        }
        // anything beyond the sequence part (sparse tables)
        lua_pushnil(L)
        var total = 0
        while lua_next(L, t) != 0 {
            total += 1
            defer { lua_settop(L, -2) }
            guard lua_isinteger(L, -2) != 0, lua_tointegerx(L, -2, nil) >= 1 else {
                let key = lua_type(L, -2) == LUA_TSTRING ? "'\(LuaCall.stringAt(L, -2))'" : LuaCall.typeName(L, -2)
                throw Bad("\(what): keys must be column indices 1, 2, ..., got \(key)")
            }
            let j = Int(lua_tointegerx(L, -2, nil))
            if j <= n { continue }
            try body(j, try num(L, -1, "\(what)[\(j)]"))
        }
        _ = seen; _ = total
    }

    static func checkKeys(_ L: OpaquePointer, _ t: Int32, _ allowed: [String], _ what: String) throws {
        lua_pushnil(L)
        while lua_next(L, t) != 0 {
            lua_settop(L, -2)
            guard lua_type(L, -1) == LUA_TSTRING, allowed.contains(LuaCall.stringAt(L, -1)) else {
                let key = lua_type(L, -1) == LUA_TSTRING ? "'\(LuaCall.stringAt(L, -1))'" : "[\(LuaValue(L, -1))]"
                lua_settop(L, -2)
                throw Bad("\(what): unknown key \(key) (allowed: \(allowed.joined(separator: ", ")))")
            }
        }
    }

    /// bounds[key] as a number (all columns) or a table of numbers with nil holes.
    static func readBounds(_ L: OpaquePointer, _ t: Int32, _ key: String, _ n: Int, into out: inout [Double]) throws {
        lua_pushstring(L, key)
        defer { lua_settop(L, -2) }
        switch lua_rawget(L, t) {
        case LUA_TNIL: return
        case LUA_TNUMBER:
            let x = lua_tonumberx(L, -1, nil)
            for j in 0..<n { out[j] = x }
        case LUA_TTABLE:
            try forEachIndexed(L, -1, "columns.\(key)") { j, x in
                guard j <= n else { throw Bad("columns.\(key): column index \(j) out of range 1..\(n)") }
                out[j - 1] = x
            }
        default:
            throw Bad("columns.\(key): number or table expected, got \(LuaCall.typeName(L, -1))")
        }
    }

    static func readRows(_ L: OpaquePointer, _ t: Int32, _ n: Int, _ lp: inout LinearProgram) throws {
        guard lua_type(L, t) == LUA_TTABLE else { throw Bad("rows: table of rows expected, got \(LuaCall.typeName(L, t))") }
        do { try requireSequence(L, t, what: "rows") } catch let p as LuaRead.Problem { throw Bad(p.text) }
        let m = Int(lua_rawlen(L, t))
        var stamp = [Int](repeating: -1, count: n)
        lp.rowLower.reserveCapacity(m); lp.rowUpper.reserveCapacity(m)
        var names: [String] = []
        for r in 0..<m {
            lua_rawgeti(L, t, lua_Integer(r + 1))
            defer { lua_settop(L, -2) }
            let row = lua_gettop(L)
            let label = "row \(r + 1)"
            guard lua_type(L, row) == LUA_TTABLE else { throw Bad("\(label): table expected, got \(LuaCall.typeName(L, row))") }
            try checkKeys(L, row, rowKeys, label)
            func field(_ k: String) -> Int32 { lua_pushstring(L, k); return lua_rawget(L, row) }
            var name: String? = nil
            if field("name") == LUA_TSTRING { name = LuaCall.stringAt(L, -1) }
            lua_settop(L, -2)
            let where_ = name.map { "\(label) ('\($0)')" } ?? label
            var lo = -Double.infinity, hi = Double.infinity
            if field("lower") != LUA_TNIL { lo = try num(L, -1, "\(where_): lower") }; lua_settop(L, -2)
            if field("upper") != LUA_TNIL { hi = try num(L, -1, "\(where_): upper") }; lua_settop(L, -2)
            if field("equal") != LUA_TNIL { lo = try num(L, -1, "\(where_): equal"); hi = lo }; lua_settop(L, -2)
            let hasCoef = field("coef") != LUA_TNIL
            let first = lp.entryValue.count
            func add(_ j: Int, _ v: Double) throws {
                guard j >= 1, j <= n else { throw Bad("\(where_): column index \(j) out of range 1..\(n)") }
                guard v.isFinite else { throw Bad("\(where_): coefficient of column \(j) is \(show(v))") }
                guard stamp[j - 1] != r else { throw Bad("\(where_): column \(j) appears twice") }
                stamp[j - 1] = r
                lp.entryRow.append(Int32(r)); lp.entryColumn.append(Int32(j - 1)); lp.entryValue.append(v)
            }
            if hasCoef {
                guard lua_type(L, -1) == LUA_TTABLE else { throw Bad("\(where_): coef must be a table {[j] = a}") }
                let c = lua_gettop(L)
                lua_pushnil(L)
                while lua_next(L, c) != 0 {
                    defer { lua_settop(L, -2) }
                    guard lua_isinteger(L, -2) != 0 else { throw Bad("\(where_): coef keys must be column indices") }
                    try add(Int(lua_tointegerx(L, -2, nil)), try num(L, -1, "\(where_): coef"))
                }
            }
            lua_settop(L, -2)
            if field("indices") != LUA_TNIL {
                if hasCoef { throw Bad("\(where_): give coef or indices/values, not both") }
                let idx: [Int]
                do { idx = try LuaRead.integers(L, -1) } catch let p as LuaRead.Problem { throw Bad("\(where_): indices: \(p.text)") }
                lua_settop(L, -2)
                guard field("values") == LUA_TTABLE else { throw Bad("\(where_): indices need values = {...}") }
                let vals: [Double]
                do { vals = try LuaRead.numbers(L, -1) } catch let p as LuaRead.Problem { throw Bad("\(where_): values: \(p.text)") }
                guard vals.count == idx.count else { throw Bad("\(where_): \(idx.count) indices but \(vals.count) values") }
                for (j, v) in zip(idx, vals) { try add(j, v) }
            }
            lua_settop(L, -2)
            _ = first
            lp.rowLower.append(lo); lp.rowUpper.append(hi)
            if let name { while names.count < r { names.append("r\(names.count + 1)") }; names.append(name) }
        }
        if !names.isEmpty { lp.rowNames = names }
    }

    static func readTriplets(_ L: OpaquePointer, _ o: LuaOptions, _ n: Int, _ lp: inout LinearProgram) throws {
        guard let ia = try o.integers("ia"), let ja = try o.integers("ja"), let ar = try o.numbers("ar") else {
            throw Bad("triplets need all of ia, ja and ar")
        }
        guard ia.count == ja.count, ja.count == ar.count else {
            throw Bad("ia, ja and ar must have the same length (got \(ia.count), \(ja.count), \(ar.count))")
        }
        var lower: [Double] = [], upper: [Double] = []
        var declared = 0
        for (key, fill) in [("row_lower", -Double.infinity), ("row_upper", Double.infinity)] {
            var values: [(Int, Double)] = []
            _ = try o.withField(key) { L, i in
                guard lua_type(L, i) == LUA_TTABLE else { throw Bad("\(key): table expected, got \(LuaCall.typeName(L, i))") }
                try forEachIndexed(L, i, key) { r, x in values.append((r, x)) }
            }
            let top = values.map(\.0).max() ?? 0
            guard top <= maxLPSize else { throw Bad("\(key): row index \(top) is above \(maxLPSize)") }
            try budgetCheck(Double(top) * 16, "\(key) with \(top) rows")
            declared = max(declared, top)
            var a = [Double](repeating: fill, count: top)
            for (r, x) in values { a[r - 1] = x }
            if key == "row_lower" { lower = a } else { upper = a }
        }
        let m = try o.integer("num_rows") ?? max(declared, ia.max() ?? 0)
        guard m >= 0, m <= maxLPSize else { throw Bad("num_rows must be in 0..\(maxLPSize) (got \(m)); a row index in ia sets the count too") }
        try budgetCheck(Double(m) * 40, "an LP with \(m) rows")
        guard declared <= m else { throw Bad("row bounds given for row \(declared) but num_rows = \(m)") }
        lp.rowLower = lower + Array(repeating: -.infinity, count: m - lower.count)
        lp.rowUpper = upper + Array(repeating: .infinity, count: m - upper.count)
        // bucket entries by row to find duplicates in O(nnz)
        var count = [Int](repeating: 0, count: m + 1)
        for (k, (i, j)) in zip(ia, ja).enumerated() {
            guard i >= 1, i <= m else { throw Bad("entry \(k + 1): row index ia[\(k + 1)] = \(i) out of range 1..\(m)") }
            guard j >= 1, j <= n else { throw Bad("entry \(k + 1): column index ja[\(k + 1)] = \(j) out of range 1..\(n)") }
            guard ar[k].isFinite else { throw Bad("entry \(k + 1) (row \(i), column \(j)): value is \(show(ar[k]))") }
            count[i] += 1
        }
        for i in 0..<m { count[i + 1] += count[i] }
        var order = [Int](repeating: 0, count: ia.count)
        var next = count
        for k in 0..<ia.count { order[next[ia[k] - 1]] = k; next[ia[k] - 1] += 1 }
        var stamp = [Int](repeating: -1, count: n)
        var firstAt = [Int](repeating: 0, count: n)
        for i in 0..<m {
            for p in count[i]..<count[i + 1] {
                let k = order[p], j = ja[k] - 1
                if stamp[j] == i {
                    throw Bad("entries \(firstAt[j] + 1) and \(k + 1) both set row \(i + 1), column \(j + 1)")
                }
                stamp[j] = i; firstAt[j] = k
            }
        }
        lp.entryRow = ia.map { Int32($0 - 1) }
        lp.entryColumn = ja.map { Int32($0 - 1) }
        lp.entryValue = ar
    }

    /// Bounds: no NaN, lower <= upper, lower < +inf, upper > -inf.
    static func validate(_ lp: LinearProgram) throws {
        for j in 0..<lp.columnCount {
            let l = lp.columnLower[j], u = lp.columnUpper[j]
            if l.isNaN || u.isNaN { throw Bad("\(lp.columnName(j)): bound is NaN") }
            if l > u { throw Bad("\(lp.columnName(j)): lower bound \(l) > upper bound \(u)") }
            if l == .infinity || u == -.infinity { throw Bad("\(lp.columnName(j)): bounds [\(l), \(u)] leave no value") }
        }
        for i in 0..<lp.rowCount {
            let l = lp.rowLower[i], u = lp.rowUpper[i]
            if l.isNaN || u.isNaN { throw Bad("\(lp.rowName(i)): bound is NaN") }
            if l > u { throw Bad("\(lp.rowName(i)): lower bound \(l) > upper bound \(u)") }
            if l == .infinity || u == -.infinity { throw Bad("\(lp.rowName(i)): bounds [\(l), \(u)] leave no value") }
        }
    }
}

/// An LP solver written in Lua (lip.lp.define_solver): receives the LP as a lip.lp.solve table
/// (1-based triplets ia/ja/ar, bounds) and the options, returns a result table
/// {status =, objective =, x = {...}, duals = {...}, message =}. Registered like GLPK, so
/// `solver = "name"` picks it anywhere a solver is chosen.
struct LuaLPSolver: LPSolver, @unchecked Sendable {
    let name: String
    let fn: LuaFunction

    func solve(_ lp: LinearProgram, options: LPOptions) throws -> LPResult {
        try lp.validate()
        let start = monotonicSeconds()
        return try fn.withResults([LPTable(lp: lp), OptionsTable(options: options)]) { L, first, count in
            guard count >= 1, lua_type(L, first) == LUA_TTABLE else {
                throw LuaRaise("LP solver '\(name)' must return a result table {status =, objective =, x =}")
            }
            let r = LuaValue(L, first)
            guard case .table(let d) = r else { throw LuaRaise("LP solver '\(name)': result must be a table with named fields") }
            guard let st = d["status"]?.stringValue, let status = LPStatus(rawValue: st) else {
                throw LuaRaise("LP solver '\(name)': status must be one of \(LPStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            func list(_ key: String, _ n: Int) throws -> [Double] {
                guard let v = d[key] else { return [] }
                guard case .array(let xs) = v, xs.count == n, let ds = Optional(xs.compactMap(\.doubleValue)), ds.count == n else {
                    throw LuaRaise("LP solver '\(name)': \(key) must be a list of \(n) numbers")
                }
                return ds
            }
            return LPResult(status: status, objective: d["objective"]?.doubleValue ?? .nan,
                            primal: try list("x", lp.columnCount), rowDuals: try list("duals", lp.rowCount),
                            iterations: Int(d["iterations"]?.doubleValue ?? 0), seconds: monotonicSeconds() - start,
                            method: options.method, solver: name, message: d["message"]?.stringValue ?? "")
        }
    }

    /// The LP as a lip.lp.solve table in triplet form.
    struct LPTable: LuaPushable {
        let lp: LinearProgram
        func push(onto L: OpaquePointer) {
            lua_createtable(L, 0, 12)
            func set(_ k: String, _ v: some LuaPushable) { v.push(onto: L); lua_setfield(L, -2, k) }
            set("sense", lp.sense == .maximize ? "max" : "min")
            set("objective", lp.objective)
            set("num_columns", lp.columnCount)
            set("constant", lp.objectiveConstant)
            set("num_rows", lp.rowCount)
            set("ia", lp.entryRow.map { Int($0) + 1 })
            set("ja", lp.entryColumn.map { Int($0) + 1 })
            set("ar", lp.entryValue)
            set("row_lower", lp.rowLower)
            set("row_upper", lp.rowUpper)
            lua_createtable(L, 0, 2)
            lp.columnLower.push(onto: L); lua_setfield(L, -2, "lower")
            lp.columnUpper.push(onto: L); lua_setfield(L, -2, "upper")
            lua_setfield(L, -2, "columns")
        }
    }

    struct OptionsTable: LuaPushable {
        let options: LPOptions
        func push(onto L: OpaquePointer) {
            lua_createtable(L, 0, 3)
            options.method.rawValue.push(onto: L); lua_setfield(L, -2, "method")
            options.timeLimit.push(onto: L); lua_setfield(L, -2, "time_limit")
            options.verbosity.push(onto: L); lua_setfield(L, -2, "verbosity")
        }
    }
}

extension LuaVM {
    func installLPSolverDefinition() {
        define(NativeFunction(
            module: "lp", name: "define_solver",
            summary: "Registers an LP solver written in Lua: solve(lp, options) receives the LP as a lip.lp.solve table in triplet form (sense, objective, constant, num_columns, num_rows, ia, ja, ar, row_lower, row_upper, columns = {lower, upper}; infinite bounds are ±math.huge) and {method, time_limit, verbosity}, and returns {status =, objective =, x = {...}, duals = {...}, iterations =, message =}. The name then works wherever a solver is chosen (solver = \"name\"); a certified bound is computed from its x as from GLPK's.",
            parameters: [Parameter("spec", .options([
                Field("name", .string, "the registered name", required: true),
                Field("solve", .function, "(lp, options) -> result", required: true),
            ]))],
            results: [Result("name", "string")]) { a in
            let name: String = a.get("name")!
            if a.vm.solverNames.contains(name), !(try a.vm.registries.lpSolvers.resolve(name) is LuaLPSolver) {
                throw LuaArgumentError(argument: 1, detail: "'\(name)' is a built-in solver; choose another name")
            }
            try a.vm.registries.lpSolvers.register(name, LuaLPSolver(name: name, fn: a.get("solve")!), replacing: true)
            return a.push(name)
        })
    }
}
