import Foundation
import LipCore
import LipIO
import LipLua
import Testing

/// `_lip.io.load` from Lua: options, the report table, refusals as Lua errors, and the
/// activation resolver hook (a Lua-defined activation loads by name).
func str(_ v: LuaValue) -> String {
    switch v { case .string(let s): return s; case .boolean(let b): return b ? "true" : "false"; default: return "\(v)" }
}

@Suite struct IOBindingTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("LipIOTests/corpus/seeds").path

    @Test func loadsWithReportAndOptions() throws {
        let vm = try LuaVM()
        let r = try vm.run(string: """
            local io = require("_lip").io
            local net, rep = io.load("\(Self.corpus)/cnn.onnx", {output = 2})
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
            local io = require("_lip").io
            local ok, err = pcall(io.load, "\(d)/sq.safetensors")
            local net, rep = io.load("\(d)/sq.safetensors", {layers = {"fc_in", "fc_hidden", "fc_out"}, activation = "tanh"})
            return ok, err, rep.order, rep.layers[1].activation
            """, chunkName: "=(io)")
        #expect(str(r[0]) == "false")
        #expect(str(r[1]).contains("ambiguous") && str(r[1]).contains("layers = {"))
        #expect(str(r[2]) == "the layers option" && str(r[3]) == "tanh")
    }

    @Test func fileActivationsGoThroughTheResolver() throws {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("io-lua-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        let mine = Activation.custom(name: "my_act", value: { $0 / (1 + abs($0)) }, derivative: { 1 / ((1 + abs($0)) * (1 + abs($0))) }, derivativeRange: 0...1)
        let net = try Network(layers: [try Layer(rows: [[1, 2]], activation: mine), try Layer(rows: [[3]])])
        try NetworkFile.save(net, to: d + "/n.json")
        let vm = try LuaVM()
        let code = """
            local ok, err = pcall(require("_lip").io.load, "\(d)/n.json")
            return ok, err
            """
        let r = try vm.run(string: code, chunkName: "=(io)")
        #expect(str(r[0]) == "false" && str(r[1]).contains("unknown activation 'my_act'"))
        vm.fileActivationResolver = { n in n == "my_act" ? mine : try BuiltinActivations.resolve(n) }
        let r2 = try vm.run(string: code, chunkName: "=(io)")
        #expect(str(r2[0]) == "true")
    }
}
