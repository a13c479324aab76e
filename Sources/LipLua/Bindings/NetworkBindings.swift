import CLua
import LipControl
import LipCore
import LipIO


// `_lip.nn`: networks (random as in the paper, loaded from files, built from Lua tables) and
// their methods.

extension LuaVM {
    func installNetworks() {
        registerType(NetworkObject.self, name: "Network", methods: networkMethods, describe: { o in
            let n = o.net
            let acts = n.layers.dropLast().map { $0.activation?.name ?? "identity" }
            var seen: [String] = []
            for a in acts where !seen.contains(a) { seen.append(a) }
            return "network \(n.sizes.map(String.init).joined(separator: "-")) (\(seen.isEmpty ? "linear" : seen.joined(separator: ",")), \(n.nonzeroWeights) nonzero weights, \(outputText(n.output)))"
        })

        define(NativeFunction(
            module: "nn", name: "random",
            summary: "A random network as in LiPopt's experiments: every layer drawn like PyTorch's nn.Linear default, W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)); with sparsity s, hidden layers keep a band (hidden neuron j sees inputs i with |i - c_j| <= floor((s - 1)/2)); the last layer is dense. Seeded with xoshiro256**: the same seed gives the same network on every machine.",
            parameters: [Parameter("spec", .options([
                Field("sizes", .integers(min: 1, max: 1 << 24), "{n0, n1, ..., nd}: input, hidden and output sizes", required: true),
                Field("sparsity", .integer(min: 1, max: 1 << 24), "band width s of the hidden layers", default: "dense"),
                Field("activation", .activation, "hidden activation (a registered name or value)", default: "elu"),
                Field("bias", .boolean, "draw biases too", default: "false"),
                Field("seed", .seed, "random seed", default: "0"),
                Field("band", .choice(["centered", "exact_width", "causal", "proportional"]),
                      "centered (the paper's band); exact_width keeps exactly s inputs for even s; causal: c_j - s + 1 <= i <= c_j; proportional centres neuron j at floor(j·n_in/n_out)",
                      default: "centered"),
                Field("output", .output, "the scalar output: an index (from 1), {margin = {i, j}} or a vector c", default: "1"),
            ]))],
            results: [Result("network", "lip.Network")]) { a in
            let sizes: [Int] = a.get("sizes")!
            guard sizes.count >= 2 else { throw LuaArgumentError(argument: 1, detail: "sizes must list at least an input and an output size") }
            let params = try CheckedSize.product([sizes.dropLast().max()!, sizes.dropFirst().max()!, sizes.count - 1], what: "random network")
            try MemoryBudget.machineDefault.check(Double(params) * 8 * 3, what: "the random network \(sizes)",
                                                  advice: "use smaller sizes")
            let band: Network.Band = ["proportional": .proportional, "exact_width": .exactWidth, "causal": .causal][a.get("band") ?? ""] ?? .centered
            let net = try Network.random(sizes: sizes, sparsity: a.get("sparsity"), activation: a.get("activation") ?? .elu(),
                                         bias: a.get("bias") ?? false, seed: a.get("seed") ?? 0, band: band)
            return a.push(object: NetworkObject(try Self.withOutput(net, a.get("output"))))
        })

        define(NativeFunction(
            module: "nn", name: "load",
            summary: "Loads a network from a file, detected by its first bytes (never the extension): ONNX (the recommended route: graph order, activations, convolutions, BatchNorm), safetensors (what safetensors.torch.save_file(model.state_dict()) writes), numpy .npz or liplua's JSON. Layers come in the order the model records, never from sorting names; an ambiguous state dict is refused with the candidate orders and the layers option. Activations recorded in the file (files liplua writes, ONNX) are restored by name through the registries; convolutions and average pools become sparse layers. PyTorch .pt/.pth pickles are refused with the commands that export safetensors or ONNX.",
            parameters: [Parameter("path", .string),
                         Parameter("options", .options(Self.loadFields), optional: true)],
            results: [Result("network", "lip.Network"),
                      Result("report", "table", "format, order, input_shape, notes, summary, layers = {{index, rows, cols, nonzeros, dense_entries, input_shape, output_shape, parts, activation}, ...}")]) { a in
            let loaded = try Self.loadNetwork(a)
            a.push(object: NetworkObject(try Self.withOutput(loaded.network, a.get("output"))))
            Self.pushLoadReport(a, loaded.report)
            return 2
        })

        define(NativeFunction(
            module: "nn", name: "from_layers",
            summary: "A network from Lua tables: weights are out × in row-major nested tables (W_l x + b_l).",
            parameters: [Parameter("spec", .options([
                Field("layers", Self.layersType, "{ {weights = {{...}, ...}, bias = {...}}, ... }", required: true),
                Field("activation", .activation, "hidden activation", default: "relu"),
                Field("output", .output, "the scalar output", default: "1"),
            ]))],
            results: [Result("network", "lip.Network")]) { a in
            let layers: [([[Double]], [Double]?)] = a.get("layers")!
            let hasBias = layers.contains { $0.1 != nil }
            let net = try Network(weights: layers.map { $0.0 },
                                  biases: hasBias ? layers.map { $0.1 ?? [Double](repeating: 0, count: $0.0.count) } : nil,
                                  activation: a.get("activation") ?? .relu)
            return a.push(object: NetworkObject(try Self.withOutput(net, a.get("output"))))
        })
    }

    static func withOutput(_ net: Network, _ spec: OutputSpec?) throws -> Network {
        guard let spec else { return net }
        return try net.withOutput(try spec.resolve(outputs: net.outputSize))
    }

    static let layersType = ArgType(annotation: "table[]", phrase: "a list of layers {weights =, bias =}") { c, i in
        let L = c.state
        guard lua_type(L, i) == LUA_TTABLE else { throw LuaRead.Problem(expected: "table of layers", L, i) }
        let t = lua_absindex(L, i)
        try requireSequence(L, t, what: "layers")
        let n = Int(lua_rawlen(L, t))
        guard n > 0 else { throw LuaRead.Problem("layers is empty") }
        var out: [([[Double]], [Double]?)] = []
        for k in 1...n {
            lua_rawgeti(L, t, lua_Integer(k)); defer { lua_settop(L, -2) }
            let layer = lua_gettop(L)
            guard lua_type(L, layer) == LUA_TTABLE else { throw LuaRead.Problem("layers[\(k)]: table expected") }
            lua_pushnil(L)
            while lua_next(L, layer) != 0 {
                lua_settop(L, -2)
                let key = lua_type(L, -1) == LUA_TSTRING ? LuaCall.stringAt(L, -1) : "?"
                if key != "weights" && key != "bias" { lua_settop(L, -2); throw LuaRead.Problem("layers[\(k)]: unknown key '\(key)' (weights, bias)") }
            }
            lua_pushstring(L, "weights"); lua_rawget(L, layer)
            let w: [[Double]]
            do { w = try ArgType.matrix.decode(c, lua_gettop(L)) as! [[Double]] } catch let p as LuaRead.Problem { lua_settop(L, -2); throw LuaRead.Problem("layers[\(k)].weights: \(p.text)") }
            lua_settop(L, -2)
            lua_pushstring(L, "bias"); lua_rawget(L, layer)
            var b: [Double]? = nil
            if lua_type(L, -1) != LUA_TNIL {
                do { b = try ArgType.numbers.decode(c, lua_gettop(L)) as? [Double] } catch let p as LuaRead.Problem { lua_settop(L, -2); throw LuaRead.Problem("layers[\(k)].bias: \(p.text)") }
            }
            lua_settop(L, -2)
            out.append((w, b))
        }
        return out
    }

    var networkMethods: [NativeFunction] {
        [
            NativeFunction(module: "", name: "forward", summary: "f(x) = cᵀz_d, the selected scalar output.",
                           parameters: [Parameter("x", .numbers)], results: [Result("y", "number")]) { a in
                let net = a.network("self")!
                return a.push(try a.vm.withCallbacks { try net.forward(a.get("x")!) })
            },
            NativeFunction(module: "", name: "outputs", summary: "The output vector z_d at x.",
                           parameters: [Parameter("x", .numbers)], results: [Result("z", "number[]")]) { a in
                let net = a.network("self")!
                return a.push(try a.vm.withCallbacks { try net.outputs(a.get("x")!) })
            },
            NativeFunction(module: "", name: "gradient", summary: "∇f(x) by backpropagation (σ'(0) of a kink: the right derivative).",
                           parameters: [Parameter("x", .numbers)], results: [Result("g", "number[]")]) { a in
                let net = a.network("self")!
                return a.push(try a.vm.withCallbacks { try net.gradient(a.get("x")!) })
            },
            NativeFunction(module: "", name: "ibp", summary: "Interval bound propagation of a box: sound bounds on the pre-activations of every layer.",
                           parameters: [Parameter("box", .box)], results: [Result("layers", "table[]", "{ {lower = {...}, upper = {...}}, ... } per layer")]) { a in
                let net = a.network("self")!
                let box: (lower: [Double], upper: [Double]) = a.get("box")!
                try checkBox(box, inputs: net.inputSize, what: "box")
                let layers = try a.vm.withCallbacks { try net.intervalBounds(lower: box.lower, upper: box.upper) }
                let L = a.call.state
                lua_createtable(L, Int32(layers.count), 0)
                for (k, b) in layers.enumerated() {
                    a.call.pushRecord(["lower": b.l, "upper": b.u])
                    lua_rawseti(L, -2, lua_Integer(k + 1))
                }
                return 1
            },
            NativeFunction(module: "", name: "sizes", summary: "{n0, n1, ..., nd}.", results: [Result("sizes", "integer[]")]) { a in a.push(a.network("self")!.sizes) },
            NativeFunction(module: "", name: "depth", summary: "d, the number of affine layers.", results: [Result("d", "integer")]) { a in a.push(a.network("self")!.depth) },
            NativeFunction(module: "", name: "nonzeros", summary: "The stored nonzero weights.", results: [Result("n", "integer")]) { a in a.push(a.network("self")!.nonzeroWeights) },
            NativeFunction(module: "", name: "output_weights", summary: "cᵀW_d: the weights of the scalar output on the last hidden layer.",
                           results: [Result("w", "number[]")]) { a in a.push(a.network("self")!.outputWeights) },
            NativeFunction(module: "", name: "layer", summary: "Layer k (1..d): weights (out × in rows), bias, activation name, sizes and nonzeros.",
                           parameters: [Parameter("k", .integer(min: 1))], results: [Result("layer", "table")]) { a in
                let net = a.network("self")!
                let k: Int = a.get("k")!
                guard k <= net.depth else { throw LuaArgumentError(argument: 2, detail: "layer \(k) out of range 1..\(net.depth)") }
                let layer = net.layers[k - 1]
                let m = layer.matrix
                try MemoryBudget.machineDefault.check(Double(m.rows) * Double(m.cols) * 40, what: "layer \(k) as Lua tables")
                let dense = m.dense()
                let rows: [[Double]] = (0..<m.rows).map { i in Array(dense[(i * m.cols)..<((i + 1) * m.cols)]) }
                a.call.pushRecord(["weights": rows, "bias": layer.bias, "activation": layer.activation?.name,
                                   "rows": m.rows, "cols": m.cols, "nonzeros": m.nonzeroCount])
                return 1
            },
            NativeFunction(module: "", name: "with_output", summary: "The same network with another output selection.",
                           parameters: [Parameter("output", .output)], results: [Result("network", "lip.Network")]) { a in
                a.push(object: NetworkObject(try Self.withOutput(a.network("self")!, a.get("output"))))
            },
            NativeFunction(module: "", name: "with_activation", summary: "The same network with another activation on every hidden layer.",
                           parameters: [Parameter("activation", .activation)], results: [Result("network", "lip.Network")]) { a in
                a.push(object: NetworkObject(a.network("self")!.withActivation(a.get("activation")!)))
            },
            NativeFunction(module: "", name: "pruned", summary: "Random pruning for benchmarks: keep a fraction of every layer's weights, chosen uniformly (seeded).",
                           parameters: [Parameter("keep", .number(min: 0, max: 1), "fraction kept, in (0, 1]"),
                                        Parameter("seed", .seed, "random seed (default 0)", optional: true)],
                           results: [Result("network", "lip.Network")]) { a in
                let keep: Double = a.get("keep")!
                guard keep > 0 else { throw LuaArgumentError(argument: 2, detail: "keep must be in (0, 1], got 0") }
                return a.push(object: NetworkObject(try a.network("self")!.pruned(keep: keep, seed: a.get("seed") ?? 0)))
            },
            NativeFunction(module: "", name: "save", summary: "Saves to .safetensors (F64, state_dict names) or .json, recording each hidden layer's activation by its registered name (and the input shape when given), so lip.nn.load restores them.",
                           parameters: [Parameter("path", .string), Parameter("input_shape", .integers(min: 1, max: 1 << 30), "the per-sample input shape to record", optional: true)],
                           results: [Result("path", "string")]) { a in
                let path: String = a.get("path")!
                try NetworkFile.save(a.network("self")!, to: path, inputShape: a.get("input_shape"))
                return a.push(path)
            },
            NativeFunction(module: "", name: "info", summary: "sizes, depth, nonzeros, output, activations (per hidden layer), bias.",
                           results: [Result("info", "table")]) { a in
                let net = a.network("self")!
                a.call.pushRecord(["sizes": net.sizes, "depth": net.depth, "nonzeros": net.nonzeroWeights,
                                   "output": outputText(net.output),
                                   "activations": net.layers.dropLast().map { $0.activation?.name ?? "identity" },
                                   "bias": net.layers.contains { $0.bias != nil }])
                return 1
            },
        ]
    }
}
