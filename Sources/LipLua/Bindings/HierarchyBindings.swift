import CLua
import Foundation
import LipControl
import LipCore
import LipLP

// `_lip.hierarchy` and `_lip.sparsity`: the natives the Lua sequence of LiPopt-k is written
// over (stdlib/lip/hierarchy.lua): estimate, apply (problem -> LP + inverse), invert
// (solution -> certified result); product families and sparsity patterns by name, as sets,
// or defined in Lua.

extension LuaVM {
    /// The options that shape the Krivine LP (the `build` step). Declared once; lip.lipschitz
    /// and lip.hierarchy.krivine accept them by composing this list.
    static let krivineFields: [Field] = [
        Field("degree", .integer(min: 1, max: 12), "k (k >= depth of the network is needed)", default: "3"),
        Field("products", productsType, "the product family: a registered name (by_input, path, multilinear, dense, or one from lip.hierarchy.define_family), {sets = {{vars...}, ...}} (multilinear inside these sets) or {products = {{{var, alpha, beta}, ...}, ...}} (explicit products g^alpha (1-g)^beta)", default: "by_input"),
        Field("sparsity", sparsityType, "the pattern for families that use one (multilinear, dense): a registered name (dense, by_input, by_last_hidden, chordal, or one from lip.sparsity.define) or a list of variable sets (names or 1-based indices); an error for families that do not use one", default: "dense"),
        Field("max_rows", .integer(min: 1), "refuse LPs with more rows", default: "2000000"),
        Field("max_columns", .integer(min: 1), "refuse LPs with more columns (checked on the estimate, before building)", default: "5000000"),
        Field("max_nonzeros", .integer(min: 1), "refuse LPs with more nonzeros (estimate)", default: "40000000"),
        Field("max_memory", .bytes, "refuse LPs whose estimated memory is larger", default: "a third of this machine's memory"),
        Field("certificate", .integer(min: 0, max: 1_000_000), "how many of the largest multipliers c_h the result lists", default: "10"),
        Field("progress", .boolean, "stage lines on stderr", default: "false"),
        Field("time_limit", .seconds, "seconds for building (Lua families and patterns stop at it); lip.hierarchy.krivine gives the solve what is left", default: "none"),
    ]

    /// A family, before it meets a problem: a registered name, or sets/products given by name.
    enum FamilyChoice {
        case named(String)
        case sets(LuaValue)
        case products(LuaValue)
    }
    enum PatternChoice {
        case named(String)
        case sets(LuaValue)
    }

    static let productsType = ArgType(annotation: "string|table", phrase: "a family name, {sets = ...} or {products = ...}") { c, i in
        let L = c.state
        if lua_type(L, i) == LUA_TSTRING { return FamilyChoice.named(LuaCall.stringAt(L, i)) }
        guard lua_type(L, i) == LUA_TTABLE else { throw LuaRead.Problem(expected: "family name, {sets = ...} or {products = ...}", L, i) }
        let v = LuaValue(L, i)
        guard case .table(let d) = v, d.count == 1, let (k, inner) = d.first, k == "sets" || k == "products" else {
            throw LuaRead.Problem("a products table must be {sets = {...}} or {products = {...}}")
        }
        return k == "sets" ? FamilyChoice.sets(inner) : FamilyChoice.products(inner)
    }

    static let sparsityType = ArgType(annotation: "string|string[][]", phrase: "a pattern name or a list of variable sets") { c, i in
        let L = c.state
        if lua_type(L, i) == LUA_TSTRING { return PatternChoice.named(LuaCall.stringAt(L, i)) }
        guard lua_type(L, i) == LUA_TTABLE else { throw LuaRead.Problem(expected: "pattern name or list of variable sets", L, i) }
        return PatternChoice.sets(LuaValue(L, i))
    }

    /// Reads the build options of a Krivine LP for `problem`.
    static func krivineOptions(_ a: Arguments, problem: LipschitzProblem) throws -> KrivineOptions {
        var o = KrivineOptions()
        o.degree = a.get("degree") ?? 3
        let names = problem.variableNames
        let reg = a.vm.registries
        switch a.get("products", as: FamilyChoice.self) ?? .named("by_input") {
        case .named(let n): o.family = try reg.families.resolve(n)
        case .sets(let v): o.family = .sets(try withValue(a, v) { L, i in try readSets(L, i, names: names) })
        case .products(let v): o.family = .products(try withValue(a, v) { L, i in try readProducts(L, i, names: names) })
        }
        switch a.get("sparsity", as: PatternChoice.self) {
        case .named(let n)?: o.pattern = try reg.patterns.resolve(n)
        case .sets(let v)?: o.pattern = .sets(try withValue(a, v) { L, i in try readSets(L, i, names: names) })
        case nil: o.pattern = nil
        }
        if let v: Int = a.get("max_rows") { o.limits.maxRows = v }
        if let v: Int = a.get("max_columns") { o.limits.maxColumns = v }
        if let v: Int = a.get("max_nonzeros") { o.limits.maxNonzeros = v }
        if let v: Double = a.get("max_memory") { o.limits.maxMemoryBytes = v }
        if let v: Int = a.get("certificate") { o.certificateSize = v }
        o.timeLimit = a.get("time_limit", as: Double?.self) ?? nil
        // the solver's own memory model in estimates and refusals (the default solver when the
        // call names none)
        o.solver = try? a.vm.solver(named: a.get("solver"))
        if a.get("progress") ?? false {
            let p = ProgressPrinter(label: "LiPopt-\(o.degree) [\(o.family.name)]")
            o.progress = { p.report($0) }
        }
        return o
    }

    /// Pushes a copied Lua value and reads it back with a raw reader (sets and products are
    /// read against the problem's variable names, known only after the problem argument).
    static func withValue<R>(_ a: Arguments, _ v: LuaValue, _ read: (OpaquePointer, Int32) throws -> R) throws -> R {
        let L = a.call.state
        v.push(onto: L)
        defer { lua_settop(L, -2) }
        do { return try read(L, lua_gettop(L)) } catch let p as LuaRead.Problem { throw LuaRaise(p.text) }
    }

    func installHierarchy() {
        registerType(LinearProgramObject.self, name: "LinearProgram", methods: [
            NativeFunction(module: "", name: "sizes", summary: "rows, columns, nonzeros.",
                           results: [Result("sizes", "table")]) { a in
                let lp = a.get("self", as: LinearProgramObject.self)!.lp
                a.call.pushRecord(["rows": lp.rowCount, "columns": lp.columnCount, "nonzeros": lp.nonzeroCount])
                return 1
            },
        ], describe: { "linear program \($0.lp.name): \($0.lp.rowCount) rows × \($0.lp.columnCount) columns, \($0.lp.nonzeroCount) nonzeros" })
        registerType(KrivineInverseObject.self, name: "KrivineInverse", methods: [
            NativeFunction(module: "", name: "describe_column", summary: "The product of LP column j (1-based; column 1 is λ) in the problem's variables.",
                           parameters: [Parameter("j", .integer(min: 1))], results: [Result("product", "string")]) { a in
                let inv = a.get("self", as: KrivineInverseObject.self)!.inverse
                let j: Int = a.get("j")!
                guard j <= inv.lp.columnCount else { throw LuaArgumentError(argument: 2, detail: "column \(j) out of range 1..\(inv.lp.columnCount)") }
                return a.push(inv.describeColumn(j - 1))
            },
            NativeFunction(module: "", name: "name_columns", summary: "Names the LP's columns by their products (lambda, c<j>:<product>), for readable MPS files (names are cut to 250 characters).",
                           parameters: [Parameter("lp", .object(LinearProgramObject.self, "LinearProgram"))]) { a in
                let inv = a.get("self", as: KrivineInverseObject.self)!.inverse
                let o = a.get("lp", as: LinearProgramObject.self)!
                guard o.lp.columnCount == inv.lp.columnCount else { throw LuaArgumentError(argument: 2, detail: "the LP has \(o.lp.columnCount) columns, the inverse \(inv.lp.columnCount)") }
                o.lp.columnNames = (0..<o.lp.columnCount).map { j in
                    let d = inv.describeColumn(j).filter { $0 != " " }
                    return String((j == 0 ? d : "c\(j):" + d).prefix(250))
                }
                return 0
            },
        ], describe: { "inverse of LiPopt-\($0.inverse.degree) [\($0.inverse.family)]" })

        let problem = Parameter("problem", .object(ProblemObject.self, "LipschitzProblem"))
        define(NativeFunction(
            module: "hierarchy", name: "estimate",
            summary: "Upper bounds on the Krivine LP's size before building it.",
            parameters: [problem, Parameter("options", .options(Self.krivineFields), optional: true)],
            results: [Result("estimate", "table", "{columns, nonzeros, memory_bytes, text}")]) { a in
            let p = a.get("problem", as: ProblemObject.self)!.problem
            let o = try Self.krivineOptions(a, problem: p)
            let e = try a.vm.withDeadline(seconds: o.timeLimit) { try a.vm.withCallbacks { try KrivineHierarchy.estimate(p, options: o) } }
            a.call.pushRecord(["columns": e.columns, "nonzeros": e.nonzeros, "memory_bytes": e.memoryBytes, "text": e.description])
            return 1
        })
        define(NativeFunction(
            module: "hierarchy", name: "apply",
            summary: "Builds the Krivine LP of LiPopt-k (the reduction's first half): minimise λ subject to λ − p = Σ c_h h with c >= 0, one row per g-monomial, one column per product. Refuses, before building, LPs above the size limits, and, before solving, monomials of p that no product covers.",
            parameters: [problem, Parameter("options", .options(Self.krivineFields), optional: true)],
            results: [Result("lp", "lip.LinearProgram"), Result("inverse", "lip.KrivineInverse")]) { a in
            let p = a.get("problem", as: ProblemObject.self)!.problem
            let o = try Self.krivineOptions(a, problem: p)
            let (lp, inv) = try a.vm.withDeadline(seconds: o.timeLimit) { try a.vm.withCallbacks { try KrivineHierarchy.apply(p, options: o) } }
            a.push(object: LinearProgramObject(lp)); a.push(object: KrivineInverseObject(inv))
            return 2
        })
        define(NativeFunction(
            module: "hierarchy", name: "invert",
            summary: "The reduction's second half: the certified bound from an LP solution. certified = λ + Σ_m max(0, −r_m) over the residual r = λ − p − Σ c_h h (c clipped to >= 0), accumulated so rounding can only raise it: a theorem, max p <= certified, for any point the solver returns.",
            parameters: [Parameter("inverse", .object(KrivineInverseObject.self, "KrivineInverse")),
                         Parameter("solution", .object(LPSolutionObject.self, "LPSolution"))],
            results: [Result("result", "table", "the shared relaxation result (help(lip.relaxation))")]) { a in
            let inv = a.get("inverse", as: KrivineInverseObject.self)!.inverse
            let sol = a.get("solution", as: LPSolutionObject.self)!.result
            guard sol.primal.isEmpty || sol.primal.count == inv.lp.columnCount else {
                throw LuaArgumentError(argument: 2, detail: "the solution has \(sol.primal.count) values but the LP has \(inv.lp.columnCount) columns; solve the LP returned by apply together with this inverse")
            }
            return a.push(inv.invert(sol).result)
        })

        installFamilyDefinitions()
        installColumnGeneration()
    }

    func installColumnGeneration() {
        let cgFields: [Field] = [
            Field("columns_per_round", .integer(min: 1, max: 10_000_000), "columns added per round at most", default: "max(100, rows/2) of the round's LP"),
            Field("max_rounds", .integer(min: 1, max: 100_000), "rounds at most", default: "500"),
            Field("initial", .string, "the starting family (must cover p)", default: "path"),
            Field("warm_start", .boolean, "re-solve each round from the previous basis in a live LP (GLPK, simplex); false: every round from scratch", default: "true"),
        ]
        define(NativeFunction(
            module: "hierarchy", name: "column_generation",
            summary: "LiPopt-k without building the family: start from a small family that covers p, solve, price the whole family in a streaming pass (reduced cost −Σ_m [m]h·y_m), add the most negative columns with the rows they need, solve again, until no column prices negative (the value is then the optimum over the family and the starting products) or the round or time limit. Every round's point is certified, so the reported bound is an anytime bound that only goes down.",
            parameters: [Parameter("problem", .object(ProblemObject.self, "LipschitzProblem")),
                         Parameter("options", .options(Self.krivineFields + Self.solveFields.filter { $0.name != "progress" && $0.name != "time_limit" } + cgFields), optional: true)],
            results: [Result("result", "table", "the shared result plus rounds = {{round, rows, columns, lp_value, certified, bound, priced, added, seconds}, ...}, rounds, converged, columns_priced, columns_used")]) { a in
            let p = a.get("problem", as: ProblemObject.self)!.problem
            var o = try Self.krivineOptions(a, problem: p)
            o.solver = try a.vm.solver(named: a.get("solver"))
            o.method = LPMethod(rawValue: a.get("method") ?? "auto")!
            o.quiet = !(a.get("verbose") ?? false)
            var cg = ColumnGenerationOptions()
            if let n: Int = a.get("columns_per_round") { cg.columnsPerRound = n }
            if let w: Bool = a.get("warm_start") { cg.warmStart = w }
            if let n: Int = a.get("max_rounds") { cg.maxRounds = n }
            if let name: String = a.get("initial") { cg.initial = try a.vm.registries.families.resolve(name) }
            if a.get("progress") ?? false {
                let printer = ProgressPrinter(label: "LiPopt-\(o.degree) [\(o.family.name), column generation]")
                cg.progress = { r in
                    printer.write("\r\u{1B}[K\(printer.label): round \(r.round), \(r.columns) columns, bound \(r.anytimeBound.map { String(format: "%.8g", $0) } ?? "-"), \(String(format: "%.1f", r.seconds)) s")
                }
            }
            let r = try a.vm.withDeadline(seconds: o.timeLimit) { try a.vm.withCallbacks { try KrivineHierarchy.solveByColumnGeneration(p, options: o, generation: cg) } }
            if a.get("progress") ?? false { ProgressPrinter(label: "").finish() }
            a.push(r.result)
            let L = a.call.state
            lua_createtable(L, Int32(r.rounds.count), 0)
            for (k, rd) in r.rounds.enumerated() {
                a.call.pushRecord(["round": rd.round, "rows": rd.rows, "columns": rd.columns, "lp_value": rd.lpValue,
                                   "certified": rd.certified, "bound": rd.anytimeBound, "priced": rd.priced, "added": rd.added,
                                   "most_negative_reduced_cost": rd.mostNegativeReducedCost, "seconds": rd.seconds,
                                   "warm": rd.warm, "iterations": rd.iterations, "solve_seconds": rd.solveSeconds,
                                   "pricing_seconds": rd.pricingSeconds])
                lua_rawseti(L, -2, lua_Integer(k + 1))
            }
            lua_setfield(L, -2, "rounds")
            return 1
        })
    }

    func installFamilyDefinitions() {
        define(NativeFunction(
            module: "hierarchy", name: "define_family",
            summary: "Defines and registers a product family in Lua. build(problem, degree, sets) is called once per estimate and once per build (never per product) and returns a description that Swift expands: {sign_sets = {{vars}, ...} (every sign choice over exactly each set), sets = {{vars}, ...} (multilinear products of degree min(k, |I|) inside each set), products = {{{var, alpha, beta}, ...}, ...} (explicit), path = true (add the path family)}. Variables are names or 1-based indices; sets is the sparsity pattern's sets (names) when uses_pattern is true.",
            parameters: [Parameter("spec", .options([
                Field("name", .string, "the registered name", required: true),
                Field("build", .function, "(problem, degree, sets) -> description", required: true),
                Field("uses_pattern", .boolean, "whether the family reads the sparsity pattern", default: "false"),
                Field("summary", .string, "one line for listings", default: "\"user family\""),
            ]))],
            results: [Result("name", "string")]) { a in
            let name: String = a.get("name")!
            let vm = a.vm
            let fn = SendableLuaFunction(fn: a.get("build")!, errors: vm.callbackErrors, what: "family '\(name)' build")
            let family = ProductFamily.described(name: name, usesPattern: a.get("uses_pattern") ?? false,
                                                 summary: a.get("summary") ?? "user family") { input in
                try Self.describeFamily(fn: fn, input: input)
            }
            if ["by_input", "path", "multilinear", "dense"].contains(vm.registries.families.canonicalName(name) ?? "") {
                throw LuaArgumentError(argument: 1, detail: "name '\(name)' is a built-in family; choose another name")
            }
            try vm.registries.families.register(name, family, replacing: true)
            return a.push(name)
        })
        define(NativeFunction(
            module: "hierarchy", name: "families", summary: "The registered product families.", results: [Result("names", "string[]")]) { a in
            a.push(a.vm.registries.families.names)
        })

        define(NativeFunction(
            module: "sparsity", name: "define",
            summary: "Defines and registers a sparsity pattern in Lua: sets(problem) returns the list of variable sets (names or 1-based indices).",
            parameters: [Parameter("spec", .options([
                Field("name", .string, "the registered name", required: true),
                Field("sets", .function, "problem -> { {vars...}, ... }", required: true),
                Field("summary", .string, "one line for listings", default: "\"user pattern\""),
            ]))],
            results: [Result("name", "string")]) { a in
            let name: String = a.get("name")!
            let vm = a.vm
            let fn = SendableLuaFunction(fn: a.get("sets")!, errors: vm.callbackErrors, what: "pattern '\(name)' sets")
            let pattern = SparsityPattern(name: name, summary: a.get("summary") ?? "user pattern") { problem in
                let names = problem.variableNames
                return try fn.fn.withResults([ObjectValue(object: ProblemObject(problem, network: nil, inputBox: nil, domain: nil))]) { L, first, count in
                    guard count >= 1 else { throw LuaRaise("pattern '\(name)': sets(problem) must return a list of sets") }
                    do { return try readSets(L, first, names: names) } catch let p as LuaRead.Problem { throw LuaRaise("pattern '\(name)': \(p.text)") }
                }
            }
            if ["dense", "by_input", "by_last_hidden", "chordal"].contains(vm.registries.patterns.canonicalName(name) ?? "") {
                throw LuaArgumentError(argument: 1, detail: "name '\(name)' is a built-in pattern; choose another name")
            }
            try vm.registries.patterns.register(name, pattern, replacing: true)
            return a.push(name)
        })
        define(NativeFunction(
            module: "sparsity", name: "sets",
            summary: "The variable sets of a registered sparsity pattern on a problem (names). Edit them in Lua and pass them back as lip.hierarchy.krivine(problem, {sparsity = sets, products = \"multilinear\"}).",
            parameters: [Parameter("problem", .object(ProblemObject.self, "LipschitzProblem")), Parameter("pattern", .string)],
            results: [Result("sets", "string[][]")]) { a in
            let p = a.get("problem", as: ProblemObject.self)!.problem
            let pattern = try a.vm.registries.patterns.resolve(a.get("pattern")!)
            let sets = try a.vm.withCallbacks { try pattern.sets(for: p) }
            let names = p.variableNames
            return a.push(sets.map { $0.map { names[$0] } })
        })
        define(NativeFunction(
            module: "sparsity", name: "patterns", summary: "The registered sparsity patterns.", results: [Result("names", "string[]")]) { a in
            a.push(a.vm.registries.patterns.names)
        })
    }

    /// Calls a Lua family's build function and reads its description.
    static func describeFamily(fn: SendableLuaFunction, input: FamilyInput) throws -> ProductFamily.Description {
        let names = input.problem.variableNames
        let problemObject = ObjectValue(object: ProblemObject(input.problem, network: nil, inputBox: nil, domain: nil))
        let sets = input.sets.map { $0.map { names[$0] } }
        return try fn.fn.withResults([problemObject, input.degree, sets]) { L, first, count in
            guard count >= 1, lua_type(L, first) == LUA_TTABLE else {
                throw LuaRaise("\(fn.what) must return a table {sign_sets =, sets =, products =, path =}")
            }
            var d = ProductFamily.Description()
            let allowed = ["sign_sets", "sets", "products", "path"]
            lua_pushnil(L)
            while lua_next(L, first) != 0 {
                lua_settop(L, -2)
                let key = lua_type(L, -1) == LUA_TSTRING ? LuaCall.stringAt(L, -1) : "?"
                if !allowed.contains(key) { lua_settop(L, -2); throw LuaRaise("\(fn.what) returned the unknown key '\(key)' (allowed: \(allowed.joined(separator: ", ")))") }
            }
            func field<R>(_ k: String, _ read: (OpaquePointer, Int32) throws -> R) throws -> R? {
                lua_pushstring(L, k)
                defer { lua_settop(L, -2) }
                if lua_rawget(L, first) == LUA_TNIL { return nil }
                do { return try read(L, lua_gettop(L)) } catch let p as LuaRead.Problem { throw LuaRaise("\(fn.what): \(k): \(p.text)") }
            }
            d.signSets = try field("sign_sets") { L, i in try readSets(L, i, names: names, allowEmpty: true) } ?? []
            d.multilinearSets = try field("sets") { L, i in try readSets(L, i, names: names, allowEmpty: true) } ?? []
            d.products = try field("products") { L, i in try readProducts(L, i, names: names) } ?? []
            d.includePath = try field("path") { L, i in try LuaRead.boolean(L, i) } ?? false
            return d
        }
    }
}

/// Progress on stderr: one line per stage and a periodic solver line.
final class ProgressPrinter: @unchecked Sendable {
    let start = monotonicSeconds()
    var lastLP = -Double.infinity
    let label: String
    init(label: String) { self.label = label }
    func report(_ p: HierarchyProgress) {
        switch p {
        case .stage(let name, let s):
            write("\r\u{1B}[K\(label): \(name) done (\(String(format: "%.2f", s)) s)")
        case .lp(let lp): reportLP(lp)
        }
    }
    func reportLP(_ lp: LPProgress) {
        let now = monotonicSeconds()
        guard now - lastLP > 0.5 else { return }
        lastLP = now
        write("\r\u{1B}[K\(label): solving, iteration \(lp.iterations), objective \(String(format: "%.6g", lp.objective)), \(String(format: "%.1f", now - start)) s")
    }
    func finish() { write("\r\u{1B}[K") }
    /// stderr is unbuffered; write(2) avoids touching the C `stderr` global from Swift 6.
    func write(_ s: String) {
        var bytes = Array(s.utf8)
        _ = bytes.withUnsafeMutableBytes { Foundation.write(2, $0.baseAddress, $0.count) }
    }
}
