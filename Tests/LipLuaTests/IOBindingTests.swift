import Foundation
import LipCore
import LipIO
import LipLua
import Testing

/// `lip.nn.load` from Lua: options, the report table, refusals as Lua errors, and activations
/// recorded in files resolved through the registries (a Lua-defined activation loads by name).
func str(_ v: LuaValue) -> String {
    switch v { case .string(let s): return s; case .boolean(let b): return b ? "true" : "false"; default: return "\(v)" }
}

@Suite struct IOBindingTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("LipIOTests/corpus/seeds").path

    @Test func loadsWithReportAndOptions() throws {
        let vm = try LuaVM()
        let r = try vm.run(string: """
            local net, rep = lip.nn.load("\(Self.corpus)/cnn.onnx", {output = 2})
            local l1 = rep.layers[1]
            return rep.format, #rep.layers, l1.rows, l1.cols, l1.nonzeros, l1.stored, l1.activation, rep.input_shape[3]
            """, chunkName: "=(io)")
        // cnn.onnx: Conv 1→2 3×3 stride 2 pad 1 on 1×6×6 → 2×3×3 = 18 rows, 36 columns
        #expect(r.count == 8)
        #expect(str(r[0]) == "onnx")
        #expect(r[1].doubleValue == 2 && r[2].doubleValue == 18 && r[3].doubleValue == 36)
        #expect((r[4].doubleValue ?? 0) > 0 && (r[4].doubleValue ?? 99) <= 18 * 9)
        #expect(str(r[5]) == "sparse" && str(r[6]) == "elu(0.5)" && r[7].doubleValue == 6)
    }

    @Test func ambiguousOrderIsALuaErrorAndLayersSettlesIt() throws {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("io-lua-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        var ts: [NamedTensor] = []
        for (k, n) in ["fc_hidden", "fc_in", "fc_out"].enumerated() {   // the writer's name order
            ts.append(NamedTensor(name: n + ".weight", shape: [3, 3], values: (0..<9).map { Double($0 + 10 * k) }))
        }
        try Data(try SafeTensors.serialize(ts, metadata: [(String, String)]())).write(to: URL(fileURLWithPath: d + "/sq.safetensors"))
        let vm = try LuaVM()
        let r = try vm.run(string: """
            local ok, err = pcall(lip.nn.load, "\(d)/sq.safetensors")
            local net, rep = lip.nn.load("\(d)/sq.safetensors", {layers = {"fc_in", "fc_hidden", "fc_out"}, activation = "tanh"})
            return ok, err, rep.order, rep.layers[1].activation
            """, chunkName: "=(io)")
        #expect(str(r[0]) == "false")
        #expect(str(r[1]).contains("ambiguous") && str(r[1]).contains("layers = {"))
        #expect(str(r[2]) == "the layers option" && str(r[3]) == "tanh")
    }

    @Test func fileActivationsGoThroughTheRegistry() throws {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("io-lua-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        let define = """
            lip.act.define { name = "my_act", f = function(x) return x / (1 + math.abs(x)) end,
              derivative = function(x) return 1 / ((1 + math.abs(x)) ^ 2) end, derivative_range = { 0, 1 },
              derivative_bounds = function(l, u)
                local function d(x) return 1 / ((1 + math.abs(x)) ^ 2) end
                local hi = (l <= 0 and u >= 0) and 1 or math.max(d(l), d(u))
                return math.min(d(l), d(u)) * (1 - 1e-12), hi
              end }
            """
        let saver = try LuaVM()
        _ = try saver.run(string: define + """
            local net = lip.nn.from_layers { layers = { { weights = { { 1, 2 } } }, { weights = { { 3 } } } }, activation = "my_act" }
            net:save("\(d)/n.json"); net:save("\(d)/n.safetensors")
            """, chunkName: "=(save)")
        let vm = try LuaVM()
        let load = """
            local out = {}
            for _, f in ipairs { "n.json", "n.safetensors" } do
              local ok, err = pcall(lip.nn.load, "\(d)/" .. f)
              out[#out + 1] = ok and lip.nn.load("\(d)/" .. f):info().activations[1] or err
            end
            return table.unpack(out)
            """
        let r = try vm.run(string: load, chunkName: "=(io)")
        #expect(str(r[0]).contains("unknown activation 'my_act'") && str(r[1]).contains("unknown activation 'my_act'"))
        _ = try vm.run(string: define, chunkName: "=(define)")
        let r2 = try vm.run(string: load, chunkName: "=(io)")
        #expect(str(r2[0]) == "my_act" && str(r2[1]) == "my_act")
        // built-ins with parameters come back as they were saved
        let r3 = try vm.run(string: """
            local net = lip.nn.random { sizes = { 2, 3, 3, 1 }, activation = lip.act.leaky_relu(0.2), seed = 1 }
            net:save("\(d)/l.safetensors")
            local back = lip.nn.load("\(d)/l.safetensors")
            return back:info().activations[2], back:forward { 0.3, -0.7 } == net:forward { 0.3, -0.7 }
            """, chunkName: "=(io)")
        #expect(str(r3[0]) == "leaky_relu(0.2)" && str(r3[1]) == "true")
    }
}
