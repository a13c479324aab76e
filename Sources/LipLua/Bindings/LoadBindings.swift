import CLua
import LipControl
import LipCore
import LipIO

// Loading networks from files: the options of lip.nn.load, declared once, and the call into
// LipIO's loader (ONNX, safetensors, npz, JSON; activations resolved through the registries).

extension LuaVM {
    static let convType = ArgType(annotation: "table", phrase: "{stride =, padding =, dilation =, groups =} or {[module] = {...}}") { c, i in
        try readConvOptions(c.state, i)
    }

    static let loadFields: [Field] = [
        Field("activation", .activation, "the hidden activation of every layer, overriding what the file records (state dicts record none: relu then)", default: "the file's, else relu"),
        Field("output", .output, "the scalar output: an index (from 1), {margin = {i, j}} or a vector c", default: "1"),
        Field("layers", .strings, "state dicts: the module names in forward order (settles an ambiguous order)", default: "from the file"),
        Field("input_shape", .integers(min: 1, max: 1 << 30), "the per-sample input shape, e.g. {1, 28, 28} (state-dict convolutions; fills symbolic ONNX dimensions)", default: "from the file"),
        Field("conv", convType, "state-dict convolutions: {stride =, padding =, dilation =, groups =} for all, or per module name", default: "none"),
        Field("graph_output", .string, "ONNX: the tensor to import up to (e.g. the logits before a Softmax)", default: "the graph's output"),
        Field("bn_eps", .number(min: 0), "BatchNorm ε for state dicts", default: "1e-5"),
        Field("max_memory", .bytes, "refuse files whose network would need more memory", default: "a third of this machine's memory"),
    ]

    /// Loads a file for lip.nn.load: returns the network and the load report.
    static func loadNetwork(_ a: Arguments) throws -> LoadedNetwork {
        let vm = a.vm
        var opts = LoadOptions(resolveActivation: { name in try vm.registries.activation(name) })
        opts.activation = a.get("activation")
        opts.layers = a.get("layers")
        opts.inputShape = a.get("input_shape")
        opts.graphOutput = a.get("graph_output")
        if let e: Double = a.get("bn_eps") { opts.batchNormEpsilon = e }
        if let m: Double = a.get("max_memory") { opts.limits.budget = MemoryBudget(bytes: m) }
        if let conv: [String: ConvSpec] = a.get("conv") { opts.conv = conv }
        return try vm.withCallbacks { try NetworkFile.load(a.get("path")!, options: opts) }
    }

    /// The load report as a Lua table.
    static func pushLoadReport(_ a: Arguments, _ r: LoadReport) {
        let layers: [LuaValue] = r.layers.map { L in
            var t: [String: LuaValue] = [
                "index": .integer(Int64(L.index)), "rows": .integer(Int64(L.rows)), "cols": .integer(Int64(L.cols)),
                "nonzeros": .integer(Int64(L.nonzeros)), "dense_entries": .integer(Int64(L.denseEntries)),
                "input_shape": .array(L.inputShape.map { .integer(Int64($0)) }),
                "output_shape": .array(L.outputShape.map { .integer(Int64($0)) }),
                "parts": .array(L.parts.map { .string($0) }), "stored": .string(L.storedDense ? "dense" : "sparse")]
            if let act = L.activation { t["activation"] = .string(act) }
            return .table(t)
        }
        a.call.pushRecord(["format": r.format.rawValue, "order": r.order, "notes": r.notes, "summary": r.description,
                           "input_shape": r.inputShape, "layers": LuaValue.array(layers)])
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
