import CLua
import LipCore

// `_lip.act` and `_lip.norm`: activations and norms, built-in or defined in Lua, registered by
// name in the state's registries so that a name means the same thing everywhere.

extension LuaVM {
    func installActivations() {
        registerType(ActivationObject.self, name: "Activation", methods: [
            NativeFunction(module: "", name: "value", summary: "σ(x).", parameters: [Parameter("x", .number)],
                           results: [Result("y", "number")]) { a in
                a.push(a.get("self", as: ActivationObject.self)!.act.value(a.get("x")!))
            },
            NativeFunction(module: "", name: "derivative", summary: "σ'(x) (the right derivative at a kink).",
                           parameters: [Parameter("x", .number)], results: [Result("d", "number")]) { a in
                a.push(a.get("self", as: ActivationObject.self)!.act.derivative(a.get("x")!))
            },
            NativeFunction(module: "", name: "derivative_range", summary: "The range of σ' over all reals (closed).",
                           results: [Result("lo", "number"), Result("hi", "number")]) { a in
                let r = a.get("self", as: ActivationObject.self)!.act.derivativeRange
                a.push(r.lowerBound); a.push(r.upperBound); return 2
            },
            NativeFunction(module: "", name: "derivative_bounds", summary: "A sound interval [lo, hi] ⊇ σ'([l, u]).",
                           parameters: [Parameter("l", .number), Parameter("u", .number)],
                           results: [Result("lo", "number"), Result("hi", "number")]) { a in
                let f = a.get("self", as: ActivationObject.self)!.act
                let (l, u): (Double, Double) = (a.get("l")!, a.get("u")!)
                guard l <= u else { throw LuaArgumentError(argument: 2, detail: "l = \(l) > u = \(u)") }
                let (lo, hi) = try a.vm.withCallbacks { f.derivativeBounds(l, u) }
                a.push(lo); a.push(hi); return 2
            },
            NativeFunction(module: "", name: "value_bounds", summary: "A sound interval [lo, hi] ⊇ σ([l, u]) (no monotonicity assumed).",
                           parameters: [Parameter("l", .number), Parameter("u", .number)],
                           results: [Result("lo", "number"), Result("hi", "number")]) { a in
                let f = a.get("self", as: ActivationObject.self)!.act
                let (l, u): (Double, Double) = (a.get("l")!, a.get("u")!)
                guard l <= u else { throw LuaArgumentError(argument: 2, detail: "l = \(l) > u = \(u)") }
                let (lo, hi) = try a.vm.withCallbacks { f.valueBounds(l, u) }
                a.push(lo); a.push(hi); return 2
            },
            NativeFunction(module: "", name: "name", summary: "The registered name (parameters included, e.g. leaky_relu(0.1)).",
                           results: [Result("name", "string")]) { a in a.push(a.get("self", as: ActivationObject.self)!.act.name) },
        ], describe: { "activation \($0.act.name) (σ' in [\($0.act.derivativeRange.lowerBound), \($0.act.derivativeRange.upperBound)])" })

        define(NativeFunction(
            module: "act", name: "get",
            summary: "A registered activation by name: the built-ins relu, leaky_relu (alpha, default 0.01), elu (alpha, default 1), tanh, sigmoid, softplus, identity, or a name given to lip.act.define. Each gives σ, σ', the global range of σ' and sound interval maps of σ' and σ.",
            parameters: [Parameter("name", .string, "a registered name, or a parameterised one such as \"leaky_relu(0.1)\""),
                         Parameter("alpha", .number, "the parameter of leaky_relu / elu (any finite number)", optional: true)],
            results: [Result("activation", "lip.Activation")]) { a in
            let name: String = a.get("name")!
            let maker: ActivationMaker
            do { maker = try a.vm.registries.activations.resolve(name) } catch {
                // a parameterised full name such as "elu(0.5)"
                if a.get("alpha", as: Double.self) == nil { return a.push(object: ActivationObject(try a.vm.registries.activation(name))) }
                throw error
            }
            let params = a.get("alpha", as: Double.self).map { [$0] } ?? []
            return a.push(object: ActivationObject(try maker.make(params)))
        })

        define(NativeFunction(
            module: "act", name: "define",
            summary: "Defines and registers a user activation under its name (usable by name everywhere: lip.nn.random, lip.nn.load, saved files). The toolkit checks lo <= hi, finite values, and that sampled σ' lie inside the claimed range and inside derivative_bounds of small intervals, and σ inside its value interval, and raises with what is wrong. Redefining a user activation replaces it; a built-in name cannot be taken.",
            parameters: [Parameter("spec", .options([
                Field("name", .string, "the registered name", required: true),
                Field("f", .function, "σ(x)", required: true),
                Field("derivative", .function, "σ'(x); when absent a central difference is used, for the sampling checks only"),
                Field("derivative_range", .numbers, "{lo, hi}: the range of σ' over all reals; bounds the derivative variables globally", required: true),
                Field("derivative_bounds", .function, "(l, u) -> lo, hi containing σ'([l, u]); when absent the global range is used (sound but loose)"),
                Field("value_bounds", .function, "(l, u) -> lo, hi containing σ([l, u]); when absent interval propagation uses the mean value theorem on derivative_bounds"),
                Field("kinks", .numbers, "points where σ is not differentiable (witness searches keep away from them)"),
                Field("piecewise_linear", .boolean, "σ' is constant between kinks", default: "false"),
            ]))],
            results: [Result("activation", "lip.Activation")]) { a in
            let act = try Self.makeUserActivation(a)
            let reg = a.vm.registries.activations
            if let existing = reg.lookup(act.name), (try? existing.make([]))?.isBuiltin ?? true {
                throw LuaArgumentError(argument: 1, detail: "name '\(act.name)' is a built-in activation; choose another name")
            }
            try reg.register(act.name, .fixed(act, summary: "user activation"), replacing: true)
            return a.push(object: ActivationObject(act))
        })

        define(NativeFunction(
            module: "act", name: "names", summary: "The registered activations (built-ins first, then user definitions).",
            results: [Result("names", "string[]")]) { a in a.push(a.vm.registries.activations.names) })
    }

    static func makeUserActivation(_ a: Arguments) throws -> Activation {
        let name: String = a.get("name")!
        let range: [Double] = a.get("derivative_range")!
        guard range.count == 2, range[0] <= range[1] else {
            throw LuaArgumentError(argument: 1, detail: "activation '\(name)': derivative_range must be {lo, hi} with finite lo <= hi")
        }
        let errors = a.vm.callbackErrors
        let fv = SendableLuaFunction(fn: a.get("f")!, errors: errors, what: "activation '\(name)' f")
        let dv = a.get("derivative", as: LuaFunction.self).map { SendableLuaFunction(fn: $0, errors: errors, what: "activation '\(name)' derivative") }
        func pairMap(_ key: String) -> (@Sendable (Double, Double) -> (lo: Double, hi: Double))? {
            guard let f = a.get(key, as: LuaFunction.self) else { return nil }
            let s = SendableLuaFunction(fn: f, errors: errors, what: "activation '\(name)' \(key)")
            return { (l: Double, u: Double) -> (lo: Double, hi: Double) in let r = s.pair(l, u); return (lo: r.0, hi: r.1) }
        }
        let derivative: @Sendable (Double) -> Double
        if let d = dv {
            derivative = { (x: Double) -> Double in d.number(x) }
        } else {
            derivative = { (x: Double) -> Double in
                let h = 1e-6 * Swift.max(1, Swift.abs(x))
                return (fv.number(x + h) - fv.number(x - h)) / (2 * h)
            }
        }
        let kinks: [Double] = a.get("kinks") ?? []
        let act = Activation.custom(name: name, value: { (x: Double) -> Double in fv.number(x) }, derivative: derivative,
                                    derivativeRange: range[0]...range[1], derivativeBounds: pairMap("derivative_bounds"),
                                    valueBounds: pairMap("value_bounds"), kinks: kinks,
                                    piecewiseLinear: a.get("piecewise_linear") ?? false)
        try a.vm.withCallbacks { try validateUserActivation(act) }
        return act
    }

    func installNorms() {
        registerType(NormObject.self, name: "Norm", methods: [
            NativeFunction(module: "", name: "dual", summary: "‖g‖_*, the dual norm of a vector.",
                           parameters: [Parameter("g", .numbers)], results: [Result("value", "number")]) { a in
                let n = a.get("self", as: NormObject.self)!.norm
                let g: [Double] = a.get("g")!
                return a.push(try a.vm.withCallbacks { n.dualNorm(g) })
            },
            NativeFunction(module: "", name: "name", summary: "The registered name.", results: [Result("name", "string")]) { a in
                a.push(a.get("self", as: NormObject.self)!.norm.name)
            },
            NativeFunction(module: "", name: "dual_ball", summary: "The shape of the dual unit ball: box, cross-polytope, ball or constraints.",
                           results: [Result("shape", "string")]) { a in
                a.push(a.get("self", as: NormObject.self)!.norm.dualBall.shapeName)
            },
        ], describe: { "norm \($0.norm.name) (dual ball: \($0.norm.dualBall.shapeName))" })

        define(NativeFunction(
            module: "norm", name: "get",
            summary: "A registered input norm: \"linf\" (dual ℓ1; B_* the box [-1,1]^n, the main case), \"l1\" (dual ℓ∞; B_* the cross-polytope, written t = u - v), \"l2\" (dual ℓ2; B_* the ball 1 - Σt² >= 0 plus the box), or a name given to lip.norm.define.",
            parameters: [Parameter("name", .string)], results: [Result("norm", "lip.Norm")]) { a in
            let name: String = a.get("name")!
            return a.push(object: NormObject(try a.vm.registries.norms.resolve(name)))
        })

        define(NativeFunction(
            module: "norm", name: "define",
            summary: "Defines and registers a user input norm. dual(g) is the dual norm ‖g‖_* of a gradient (a Lua array). ball(t) receives the dual variables t[1..n] as polynomials and returns the polynomials g_j(t) with 0 <= g_j <= 1 describing the unit ball B_* together with the box; box(n) returns the box's bounds (default [-1, 1]^n, right whenever B_* lies in the unit ℓ∞ box). Code never looks at the name: a user norm called \"l1\" is treated by its ball, not as the built-in.",
            parameters: [Parameter("spec", .options([
                Field("name", .string, "the registered name", required: true),
                Field("dual", .function, "g -> ‖g‖_*", required: true),
                Field("ball", .function, "t -> {g1, g2, ...} (polynomials in t)", required: true),
                Field("box", .function, "n -> lower, upper (lists of n numbers)"),
            ]))],
            results: [Result("norm", "lip.Norm")]) { a in
            let norm = try Self.makeUserNorm(a)
            let reg = a.vm.registries.norms
            if let existing = reg.canonicalName(norm.name), ["linf", "l1", "l2"].contains(existing) {
                throw LuaArgumentError(argument: 1, detail: "name '\(norm.name)' is a built-in norm; choose another name")
            }
            try reg.register(norm.name, norm, replacing: true)
            return a.push(object: NormObject(norm))
        })

        define(NativeFunction(
            module: "norm", name: "names", summary: "The registered norms.", results: [Result("names", "string[]")]) { a in
            a.push(a.vm.registries.norms.names)
        })
    }

    static func makeUserNorm(_ a: Arguments) throws -> Norm {
        let name: String = a.get("name")!
        let errors = a.vm.callbackErrors
        let d = SendableLuaFunction(fn: a.get("dual")!, errors: errors, what: "norm '\(name)' dual")
        let b = SendableLuaFunction(fn: a.get("ball")!, errors: errors, what: "norm '\(name)' ball")
        let bx = a.get("box", as: LuaFunction.self).map { SendableLuaFunction(fn: $0, errors: errors, what: "norm '\(name)' box") }
        let dualNorm: @Sendable ([Double]) -> Double = { (g: [Double]) -> Double in
            do {
                let r = try d.fn.call([g])
                guard let x = r.first?.doubleValue else { throw LuaRaise("norm '\(name)' dual must return a number") }
                return x
            } catch { errors.record(error); return .nan }
        }
        let constraints: @Sendable (Int) -> [Polynomial] = { (n: Int) -> [Polynomial] in
            let names = (0..<n).map { "t\($0 + 1)" }
            let ts: [AnyObject] = (0..<n).map { PolynomialObject(Polynomial.variable($0, variableNames: names)) }
            do {
                return try b.fn.withResults([UserdataArray(objects: ts)]) { (L: OpaquePointer, first: Int32, count: Int) throws -> [Polynomial] in
                    try readPolynomialList(L, first, count: count, names: names, what: "norm '\(name)' ball")
                }
            } catch { errors.record(error); return [] }
        }
        var boxFunction: (@Sendable (Int) -> (lower: [Double], upper: [Double]))? = nil
        if let f = bx {
            boxFunction = { (n: Int) -> (lower: [Double], upper: [Double]) in
                do {
                    let r = try f.fn.call([n])
                    guard r.count >= 2, case .array(let l) = r[0], case .array(let u) = r[1] else {
                        throw LuaRaise("norm '\(name)' box must return two arrays lower, upper")
                    }
                    return (lower: l.map { $0.doubleValue ?? .nan }, upper: u.map { $0.doubleValue ?? .nan })
                } catch {
                    errors.record(error)
                    return (lower: [Double](repeating: .nan, count: n), upper: [Double](repeating: .nan, count: n))
                }
            }
        }
        return Norm.custom(name: name, dualNorm: dualNorm, dualBallConstraints: constraints, dualBallBox: boxFunction)
    }
}
