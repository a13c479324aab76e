import CLua
import LipCore
import LipControl

// `_lip.lipschitz_problem` and `_lip.bounds`: the polynomial problem LiPopt relaxes, and the
// baselines every bound is shown beside.

extension LuaVM {
    /// The options that define a Lipschitz problem (also accepted by lip.lipschitz).
    static let problemFields: [Field] = [
        Field("network", .object(NetworkObject.self, "Network"), "the network", required: true),
        Field("norm", .norm, "the input norm", default: "linf"),
        Field("input_box", .box, "a local constant on this box (derivative ranges from interval propagation); none: global", default: "none"),
        Field("domain", .domain, "clip the input box to this data domain (e.g. {0, 1} for images)", default: "none"),
    ]

    func installProblems() {
        registerType(ProblemObject.self, name: "LipschitzProblem", methods: problemMethods, describe: { o in
            let p = o.problem
            return "Lipschitz problem (\(p.normName), \(p.isLocal ? "local" : "global")): p has \(p.polynomial.termCount) terms of degree \(p.polynomial.degree) in \(p.variableCount) variables"
        })

        define(NativeFunction(
            module: "", name: "lipschitz_problem",
            summary: "The polynomial optimisation problem LiPopt relaxes: maximise the norm-gradient polynomial p(t, s) over t in the dual ball and s in the derivative ranges. Without input_box the ranges are the activations' global ranges; with it (a local Lipschitz constant) they come from interval bound propagation of the box (clipped to domain); neurons with a fixed derivative are constants and dead neurons drop their paths. Variables: t1..tn (dual ball; for l1, u_i and v_i with t = u - v) and s<layer>_<neuron>.",
            parameters: [Parameter("spec", .options(Self.problemFields))],
            results: [Result("problem", "lip.LipschitzProblem")]) { a in
            let o = try Self.problemObject(a)
            return a.push(object: o)
        })
    }

    /// Builds the problem of a call whose options include `problemFields`.
    static func problemObject(_ a: Arguments) throws -> ProblemObject {
        let net = a.network("network")!
        let box: (lower: [Double], upper: [Double])? = a.get("input_box")
        if let box { try checkBox(box, inputs: net.inputSize) }
        let domain: (lower: Double, upper: Double)? = a.get("domain")
        let norm: Norm = a.get("norm") ?? .linf
        let p = try a.vm.withCallbacks { try makeLipschitzProblem(net, norm: norm, inputBox: box, domain: domain) }
        return ProblemObject(p, network: net, inputBox: box, domain: domain)
    }

    var problemMethods: [NativeFunction] {
        func problem(_ a: Arguments) -> LipschitzProblem { a.get("self", as: ProblemObject.self)!.problem }
        return [
            NativeFunction(module: "", name: "polynomial", summary: "p as a polynomial over the problem's variables.",
                           results: [Result("p", "lip.Polynomial")]) { a in a.push(object: PolynomialObject(problem(a).polynomial)) },
            NativeFunction(module: "", name: "variables", summary: "The variable names (t1.., u1../v1.. for l1, s<l>_<j>).",
                           results: [Result("names", "string[]")]) { a in a.push(problem(a).variableNames) },
            NativeFunction(module: "", name: "constraints", summary: "The dual ball's constraint polynomials g_j (0 <= g_j <= 1).",
                           results: [Result("constraints", "lip.Polynomial[]")]) { a in
                a.push(UserdataArray(objects: problem(a).constraints.map { PolynomialObject($0) }))
            },
            NativeFunction(module: "", name: "box", summary: "The variables' bounds.",
                           results: [Result("lower", "number[]"), Result("upper", "number[]")]) { a in
                let p = problem(a); a.push(p.lower); a.push(p.upper); return 2
            },
            NativeFunction(module: "", name: "exact_max", summary: "The exact maximum of p by vertex enumeration (tiny problems; a test oracle). Global Lipschitz <= this <= every certified bound.",
                           parameters: [Parameter("max_variables", .integer(min: 0, max: 30), "refuse above this many enumerated variables (default 24)", optional: true)],
                           results: [Result("value", "number"), Result("argmax", "number[]")]) { a in
                let p = problem(a)
                let r = try a.vm.withCallbacks { try exactMaximum(p, maxEnumerated: a.get("max_variables") ?? 24) }
                a.push(r.value); a.push(r.argmax); return 2
            },
            NativeFunction(module: "", name: "info", summary: "variables, terms, degree, constraints, norm, local.",
                           results: [Result("info", "table")]) { a in
                let p = problem(a)
                a.call.pushRecord(["variables": p.variableCount, "terms": p.polynomial.termCount, "degree": p.polynomial.degree,
                                   "constraints": p.constraints.count, "norm": p.normName, "local": p.isLocal])
                return 1
            },
            NativeFunction(module: "", name: "structure", summary: "What families and patterns build on: duals[i] (names of input i's dual variables), input_reach[i] (derivative variables reachable from input i), last_hidden = {{neuron =, derivatives =, inputs =}, ...} (1-based).",
                           results: [Result("structure", "table")]) { a in
                let p = problem(a)
                let names = p.variableNames
                let n0 = p.inputReach.count
                var duals = [[String]](repeating: [], count: n0)
                for (i, k) in p.kinds.enumerated() { if case .dual(let v) = k, v < n0 { duals[v].append(names[i]) } }
                let L = a.call.state
                lua_createtable(L, 0, 3)
                duals.push(onto: L); lua_setfield(L, -2, "duals")
                p.inputReach.map { $0.map { names[$0] } }.push(onto: L); lua_setfield(L, -2, "input_reach")
                lua_createtable(L, Int32(p.lastHiddenReach.count), 0)
                for (k, e) in p.lastHiddenReach.enumerated() {
                    a.call.pushRecord(["neuron": e.neuron + 1, "derivatives": e.derivatives.map { names[$0] }, "inputs": e.inputs.map { $0 + 1 }])
                    lua_rawseti(L, -2, lua_Integer(k + 1))
                }
                lua_setfield(L, -2, "last_hidden")
                return 1
            },
        ]
    }

    func installBounds() {
        let net = Parameter("net", .object(NetworkObject.self, "Network"))
        let norm = Parameter("norm", .norm, "default linf", optional: true)
        define(NativeFunction(
            module: "bounds", name: "product",
            summary: "UBP, the product bound: ‖cᵀW_d‖_* chained with the operator norms of the layers scaled by the largest |σ'| of each neuron (global, or from interval propagation of input_box). Always an upper bound on the Lipschitz constant; cheap.",
            parameters: [net, norm, Parameter("options", .options([
                Field("input_box", .box, "local ranges from this box", default: "none"),
                Field("domain", .domain, "clip the box to this domain", default: "none"),
            ]), optional: true)],
            results: [Result("ubp", "number")]) { a in
            let network = a.network("net")!
            let box: (lower: [Double], upper: [Double])? = a.get("input_box")
            if let box { try checkBox(box, inputs: network.inputSize) }
            return a.push(try a.vm.withCallbacks {
                try productBound(network, norm: a.get("norm") ?? .linf, inputBox: box, domain: a.get("domain"))
            })
        })
        define(NativeFunction(
            module: "bounds", name: "sampled",
            summary: "LBS, the sampling lower bound: the largest dual norm of the exact gradient over uniform random points of the box (default: the wide box [-5, 5]^n, for the global constant). A lower bound on the Lipschitz constant over the box: an estimate, not a certificate.",
            parameters: [net, norm, Parameter("options", .options([
                Field("samples", .integer(min: 1, max: 100_000_000), "number of points", default: "10000"),
                Field("box", .box, "where to sample", default: "[-5, 5]^n"),
                Field("seed", .seed, "random seed", default: "0"),
            ]), optional: true)],
            results: [Result("value", "number"), Result("argmax", "number[]")]) { a in
            let network = a.network("net")!
            let n = network.inputSize
            let box: (lower: [Double], upper: [Double]) = a.get("box") ?? ([Double](repeating: -5, count: n), [Double](repeating: 5, count: n))
            try checkBox(box, inputs: n, what: "box")
            let r = try a.vm.withCallbacks {
                try sampledLowerBound(network, norm: a.get("norm") ?? .linf, samples: a.get("samples") ?? 10_000, box: box, seed: a.get("seed") ?? 0)
            }
            a.push(r.value); a.push(r.argmax); return 2
        })
    }
}
