import CLua
import Foundation
import LipControl
import LipCore
import LipIO

// `_lip.io.load`: LipIO's loader with every option, returning the network and its load report.
// `lip.nn.load(path, {...})` should delegate here (see Sources/LipIO/README.md, "Lua binding").

/// Holds the activation resolver files' activation names go through (boxed for `LuaVM.extra`).
final class ActivationResolverBox { let resolve: ActivationResolver; init(_ r: @escaping ActivationResolver) { resolve = r } }

extension LuaVM {
    /// How `_lip.io.load` turns an activation name recorded in a file into an activation. The
    /// default knows the built-ins (with "leaky_relu(α)" and "elu(α)"); the activation registry
    /// should install a resolver that also finds `lip.act.define`d activations by name.
    public var fileActivationResolver: ActivationResolver {
        get { (extra["fileActivationResolver"] as? ActivationResolverBox)?.resolve ?? BuiltinActivations.resolver }
        set { extra["fileActivationResolver"] = ActivationResolverBox(newValue) }
    }

    func installIO() {
        register(module: "io", name: "load", doc: """
            _lip.io.load(path, { activation = a, output = 1 | {margin = {i, j}} | c, layers = {"fc_in", ...},
                                 input_shape = {1, 28, 28}, conv = {stride = 2, padding = 1} | {[module] = {...}},
                                 graph_output = "logits", bn_eps = 1e-5, max_memory = bytes }) -> network, report
            Loads a network from ONNX (recommended: graph, activations, convolutions, BatchNorm),
            safetensors, numpy .npz or liplua JSON; the format comes from the file's first bytes.
            Activations recorded in the file are restored by name (activation = ... overrides all).
            State dicts: the layer order comes from the file, never from sorting names; when it is
            ambiguous the load is refused and layers = {...} (module names in forward order) settles
            it. Convolutions in a state dict need input_shape (per sample) and conv options (stride,
            padding, dilation, groups; one table for all or one per module name). Convolutions and
            average pools become sparse layers. report: format, order, input_shape, notes, summary,
            layers = {{index, rows, cols, nonzeros, dense_entries, input_shape, output_shape, parts,
            activation}, ...}. Output indices are 1-based.
            """) { c in
            let path = try c.string(1)
            let o = try c.options(2, allowed: ["activation", "output", "layers", "input_shape", "conv", "graph_output", "bn_eps", "max_memory"])
            var opts = LoadOptions(resolveActivation: c.vm.fileActivationResolver)
            opts.activation = try o.withField("activation", readActivation)
            opts.layers = try o.strings("layers")
            if let s = try o.integers("input_shape") {
                guard !s.isEmpty, s.allSatisfy({ $0 >= 1 && $0 <= 1 << 30 }) else {
                    throw LuaArgumentError(argument: 2, detail: "input_shape must hold positive sizes, e.g. {1, 28, 28} (per sample, no batch dimension)")
                }
                opts.inputShape = s
            }
            opts.graphOutput = try o.string("graph_output")
            if let e = try o.number("bn_eps") {
                guard e.isFinite, e >= 0 else { throw LuaArgumentError(argument: 2, detail: "bn_eps must be a finite number ≥ 0") }
                opts.batchNormEpsilon = e
            }
            if let m = try o.number("max_memory") {
                guard m.isFinite, m > 0 else { throw LuaArgumentError(argument: 2, detail: "max_memory must be a positive number of bytes") }
                opts.limits.budget = MemoryBudget(bytes: m)
            }
            if let conv = try o.withField("conv", readConvOptions) { opts.conv = conv }
            let loaded = try NetworkFile.load(path, options: opts)
            var net = loaded.network
            if let out = try o.withField("output", { L, i in try readOutput(L, i, outputs: net.outputSize) }) {
                if case .index(let i) = out, i >= net.outputSize {
                    throw LuaArgumentError(argument: 2, detail: "output \(i + 1) is out of range: the network has \(net.outputSize) output\(net.outputSize == 1 ? "" : "s"), numbered 1..\(net.outputSize)")
                }
                net = try net.withOutput(out)
            }
            _ = c.pushNetwork(net)
            let r = loaded.report
            let layers: [LuaValue] = r.layers.map { L in
                var t: [String: LuaValue] = [
                    "index": .integer(Int64(L.index)), "rows": .integer(Int64(L.rows)), "cols": .integer(Int64(L.cols)),
                    "nonzeros": .integer(Int64(L.nonzeros)), "dense_entries": .integer(Int64(L.denseEntries)),
                    "input_shape": .array(L.inputShape.map { .integer(Int64($0)) }),
                    "output_shape": .array(L.outputShape.map { .integer(Int64($0)) }),
                    "parts": .array(L.parts.map { .string($0) }), "stored": .string(L.storedDense ? "dense" : "sparse")]
                if let a = L.activation { t["activation"] = .string(a) }
                return .table(t)
            }
            _ = c.pushRecord(["format": r.format.rawValue, "order": r.order, "notes": r.notes, "summary": r.description,
                              "input_shape": r.inputShape, "layers": LuaValue.array(layers)])
            return 2
        }
    }
}

/// conv = {stride = s, padding = p, dilation = d, groups = g} (every convolution; numbers or
/// per-axis tables) or {[module name] = {...}, ...}.
func readConvOptions(_ L: OpaquePointer, _ i: Int32) throws -> [String: ConvSpec] {
    guard lua_type(L, i) == LUA_TTABLE else { throw LuaRead.Problem(expected: "table {stride =, padding =, dilation =, groups =}", L, i) }
    let t = lua_absindex(L, i)
    let keys = ["stride", "padding", "dilation", "groups"]
    func spec(_ t: Int32, _ what: String) throws -> ConvSpec {
        var s = ConvSpec()
        lua_pushnil(L)
        while lua_next(L, t) != 0 {
            defer { lua_settop(L, -2) }
            guard lua_type(L, -2) == LUA_TSTRING, keys.contains(LuaCall.stringAt(L, -2)) else {
                throw LuaRead.Problem("\(what): unknown key (allowed: \(keys.joined(separator: ", ")))")
            }
            let k = LuaCall.stringAt(L, -2)
            let v: [Int] = lua_type(L, -1) == LUA_TNUMBER ? [try LuaRead.integer(L, -1)] : try LuaRead.integers(L, -1)
            guard !v.isEmpty, v.count <= 3, v.allSatisfy({ $0 >= (k == "padding" ? 0 : 1) && $0 <= 1 << 20 }) else {
                throw LuaRead.Problem("\(what).\(k) = \(v): \(k == "padding" ? "nonnegative" : "positive") integers expected")
            }
            switch k {
            case "stride": s.stride = v
            case "padding": s.padding = v
            case "dilation": s.dilation = v
            default: s.groups = v[0]
            }
        }
        return s
    }
    // one spec for all, or one per module
    lua_pushnil(L)
    var perModule = false
    while lua_next(L, t) != 0 {
        if lua_type(L, -1) == LUA_TTABLE && lua_type(L, -2) == LUA_TSTRING && !keys.contains(LuaCall.stringAt(L, -2)) { perModule = true }
        lua_settop(L, -2)
    }
    guard perModule else { return ["*": try spec(t, "conv")] }
    var out: [String: ConvSpec] = [:]
    lua_pushnil(L)
    while lua_next(L, t) != 0 {
        defer { lua_settop(L, -2) }
        guard lua_type(L, -2) == LUA_TSTRING, lua_type(L, -1) == LUA_TTABLE else { throw LuaRead.Problem("conv: {[module name] = {stride =, padding =}, ...} expected") }
        let name = LuaCall.stringAt(L, -2)
        out[name] = try spec(lua_absindex(L, -1), "conv['\(name)']")
    }
    return out
}
