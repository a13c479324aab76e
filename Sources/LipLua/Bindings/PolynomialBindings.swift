import CLua
import LipCore

// `_lip.poly`: sparse polynomials with + - * ^ and evaluation (user norms build their ball
// constraints with them; problems expose p as one).

extension LuaVM {
    func installPolynomials() {
        let poly = ArgType.object(PolynomialObject.self, "Polynomial")
        registerType(PolynomialObject.self, name: "Polynomial", methods: [
            NativeFunction(module: "", name: "evaluate", summary: "p(x) (also p{...}); x lists every variable's value.",
                           parameters: [Parameter("x", .numbers)], results: [Result("value", "number")]) { a in
                let p = a.get("self", as: PolynomialObject.self)!.poly
                let x: [Double] = a.get("x")!
                guard x.count == p.variableCount else {
                    throw LuaArgumentError(argument: 2, detail: "p has \(p.variableCount) variables (\(p.variableNames.prefix(6).joined(separator: ", "))\(p.variableCount > 6 ? ", ..." : "")), got \(x.count) values")
                }
                return a.push(p.evaluate(x))
            },
            NativeFunction(module: "", name: "degree", summary: "The largest degree of a term.", results: [Result("d", "integer")]) { a in
                a.push(a.get("self", as: PolynomialObject.self)!.poly.degree)
            },
            NativeFunction(module: "", name: "term_count", summary: "The number of terms (also #p).", results: [Result("n", "integer")]) { a in
                a.push(a.get("self", as: PolynomialObject.self)!.poly.termCount)
            },
            NativeFunction(module: "", name: "variables", summary: "The variable names.", results: [Result("names", "string[]")]) { a in
                a.push(a.get("self", as: PolynomialObject.self)!.poly.variableNames)
            },
            NativeFunction(module: "", name: "terms", summary: "The terms, sorted: { {coefficient =, monomial = \"t1*s1_2\", variables = {1, 4}}, ... } (1-based variable indices).",
                           results: [Result("terms", "table[]")]) { a in
                let p = a.get("self", as: PolynomialObject.self)!.poly
                let L = a.call.state
                let terms = p.sortedTerms
                lua_createtable(L, Int32(terms.count), 0)
                for (k, t) in terms.enumerated() {
                    lua_createtable(L, 0, 3)
                    t.coefficient.push(onto: L); lua_setfield(L, -2, "coefficient")
                    t.monomial.format(names: p.variableNames).push(onto: L); lua_setfield(L, -2, "monomial")
                    t.monomial.variables.map { Int($0) + 1 }.push(onto: L); lua_setfield(L, -2, "variables")
                    lua_rawseti(L, -2, lua_Integer(k + 1))
                }
                return 1
            },
            NativeFunction(module: "", name: "coefficient", summary: "The coefficient of a monomial given by 1-based variable indices (repeated for powers).",
                           parameters: [Parameter("variables", .integers(min: 1))], results: [Result("c", "number")]) { a in
                let p = a.get("self", as: PolynomialObject.self)!.poly
                let vars: [Int] = a.get("variables")!
                for v in vars where v > p.variableCount { throw LuaArgumentError(argument: 2, detail: "variable index \(v) out of range 1..\(p.variableCount)") }
                return a.push(p.coefficient(of: Monomial(vars.map { Int32($0 - 1) })))
            },
        ], describe: { o in
            let p = o.poly
            if p.termCount <= 12 { return p.description }
            return "polynomial with \(p.termCount) terms of degree \(p.degree) in \(p.variableCount) variables"
        })
        installPolynomialOperators(poly)

        define(NativeFunction(
            module: "poly", name: "variables",
            summary: "Polynomial variables with the given names (or x1..xn for a count); combine them with + - * ^ and numbers. p:evaluate{...} (or p{...}), p:degree(), #p, p:terms(), p:coefficient{i, j, ...}, tostring(p).",
            parameters: [Parameter("names", ArgType(annotation: "string[]|integer", phrase: "a list of names or a count in 1..10000") { c, i in
                if lua_type(c.state, i) == LUA_TNUMBER {
                    let n = try ArgType.integer(min: 1, max: 10_000).decode(c, i) as! Int
                    return (1...n).map { "x\($0)" }
                }
                let names = try LuaRead.strings(c.state, i)
                guard !names.isEmpty, names.count <= 10_000 else { throw LuaRead.Problem("between 1 and 10000 names expected") }
                return names
            })],
            results: [Result("...", "lip.Polynomial", "one variable per name")]) { a in
            let names: [String] = a.get("names")!
            guard lua_checkstack(a.call.state, Int32(names.count) + 2) != 0 else { throw LuaRaise("too many variables to return at once") }
            for i in names.indices { a.push(object: PolynomialObject(.variable(i, variableNames: names))) }
            return names.count
        })
    }

    /// Arithmetic metamethods: polynomials with polynomials or numbers.
    func installPolynomialOperators(_ poly: ArgType) {
        let operand = ArgType(annotation: "lip.Polynomial|number", phrase: "a polynomial or a finite number") { c, i in
            if lua_type(c.state, i) == LUA_TNUMBER {
                let x = try LuaRead.number(c.state, i)
                guard x.isFinite else { throw LuaRead.Problem("finite number expected, got \(x)") }
                return Polynomial.constant(x, variableNames: [])
            }
            return try LuaRead.object(c.state, i, as: PolynomialObject.self).poly
        }
        func merge(_ a: Polynomial, _ b: Polynomial) throws -> (Polynomial, Polynomial) {
            let longer = a.variableCount >= b.variableCount ? a.variableNames : b.variableNames
            guard Array(longer.prefix(a.variableCount)) == a.variableNames, Array(longer.prefix(b.variableCount)) == b.variableNames else {
                throw LuaRaise("polynomials over different variables (\(a.variableNames.prefix(4).joined(separator: ",")) vs \(b.variableNames.prefix(4).joined(separator: ","))); create them from one lip.poly.variables call")
            }
            var x = a; x.variableNames = longer
            var y = b; y.variableNames = longer
            return (x, y)
        }
        func binary(_ name: String, _ op: @escaping (Polynomial, Polynomial) throws -> Polynomial) -> NativeFunction {
            NativeFunction(module: "Polynomial", name: name, summary: "", parameters: [Parameter("a", operand), Parameter("b", operand)]) { a in
                let (x, y) = try merge(a.get("a")!, a.get("b")!)
                return a.push(object: PolynomialObject(try op(x, y)))
            }
        }
        let ops: [NativeFunction] = [
            binary("__add") { $0 + $1 },
            binary("__sub") { $0 - $1 },
            binary("__mul") { x, y in
                guard x.termCount * y.termCount <= 5_000_000 else { throw LuaRaise("polynomial product too large (\(x.termCount) × \(y.termCount) terms)") }
                return x * y
            },
            NativeFunction(module: "Polynomial", name: "__unm", summary: "", parameters: [Parameter("a", poly), Parameter("b", .any, optional: true)]) { a in
                a.push(object: PolynomialObject(-a.get("a", as: PolynomialObject.self)!.poly))
            },
            NativeFunction(module: "Polynomial", name: "__pow", summary: "", parameters: [Parameter("a", poly), Parameter("k", .integer(min: 0, max: 64))]) { a in
                let p = a.get("a", as: PolynomialObject.self)!.poly
                let k: Int = a.get("k")!
                var r = Polynomial.constant(1, variableNames: p.variableNames)
                for _ in 0..<k {
                    guard r.termCount * p.termCount <= 5_000_000 else { throw LuaRaise("polynomial power too large (\(r.termCount) × \(p.termCount) terms)") }
                    r = r * p
                }
                return a.push(object: PolynomialObject(r))
            },
            NativeFunction(module: "Polynomial", name: "__len", summary: "", parameters: [Parameter("a", poly), Parameter("b", .any, optional: true)]) { a in
                a.push(a.get("a", as: PolynomialObject.self)!.poly.termCount)
            },
            NativeFunction(module: "Polynomial", name: "__call", summary: "", parameters: [Parameter("a", poly), Parameter("x", .numbers)]) { a in
                let p = a.get("a", as: PolynomialObject.self)!.poly
                let x: [Double] = a.get("x")!
                guard x.count == p.variableCount else { throw LuaArgumentError(argument: 1, detail: "p has \(p.variableCount) variables, got \(x.count) values") }
                return a.push(p.evaluate(x))
            },
        ]
        guard let L = state else { return }
        let base = lua_gettop(L)
        _ = luaL_getmetatable(L, LuaVM.metatableKey("Polynomial"))
        for f in ops { pushDeclared(f); lua_setfield(L, -2, f.name) }
        lua_settop(L, base)
    }
}
