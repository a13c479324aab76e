import Foundation
import Testing
@testable import LipCore
@testable import LipIO

/// ONNX import against onnxruntime: models built with the onnx package from numpy weights
/// (scripts/tools/tests/onnx_models.py); liplua's forward pass must match onnxruntime's outputs
/// to 1e-5, and its gradient must match central finite differences of onnxruntime's outputs.
@Suite struct ONNXTests {
    static let cases = ["mlp_relu", "mlp_mixed", "cnn_bn_pool", "cnn_same_groups", "convtranspose_bn_after_act",
                        "fp16_weights", "mlp_float64", "conv_unroll"]

    @Test(arguments: cases) func forwardAndGradientMatchOnnxruntime(_ name: String) throws {
        guard let d = onnxOracle else { Issue.record("python3 with numpy, onnx, onnxruntime is needed (scripts/tools/setup --python)"); return }
        let oracle = Dictionary(uniqueKeysWithValues: try NPZ.read("\(d)/\(name).npz").map { ($0.name, $0) })
        let c = Int(oracle["c"]!.values[0])
        let loaded = try NetworkFile.load("\(d)/\(name).onnx", options: LoadOptions(output: .index(c)))
        let net = loaded.network
        let xs = rows(oracle["x"]!), ys = rows(oracle["y"]!), gs = rows(oracle["g"]!), gk = rows(oracle["gk"]!)
        var checked = 0, total = 0
        #expect(net.inputSize == xs[0].count)
        #expect(net.outputSize == ys[0].count)
        for (i, x) in xs.enumerated() {
            let y = try net.outputs(x)
            for j in y.indices { #expect(abs(y[j] - ys[i][j]) <= 1e-5 * max(1, abs(ys[i][j])), "\(name) sample \(i + 1) output \(j + 1): \(y[j]) vs onnxruntime \(ys[i][j])") }
            let g = try net.gradient(x)
            // float32 onnxruntime: where the forward and backward difference quotients disagree
            // (a ReLU kink inside the step, or rounding), the coordinate is skipped and counted.
            let (agree, tol) = name == "mlp_float64" ? (1e-4, 1e-6) : (3e-3, 3e-3)
            for j in g.indices {
                total += 1
                guard abs(gk[i][j]) <= agree * max(1, abs(gs[i][j])) else { continue }
                checked += 1
                #expect(abs(g[j] - gs[i][j]) <= tol * max(1, abs(gs[i][j])), "\(name) sample \(i + 1) ∂f/∂x\(j + 1): \(g[j]) vs finite differences \(gs[i][j])")
            }
        }
        #expect(Double(checked) >= 0.8 * Double(total), "\(name): only \(checked) of \(total) gradient coordinates had consistent finite differences")
        #expect(!loaded.report.description.isEmpty)
    }

    @Test func reportAndActivationsOfTheMixedModel() throws {
        guard let d = onnxOracle else { Issue.record("python3 with onnx is needed"); return }
        let r = try NetworkFile.load("\(d)/mlp_mixed.onnx", options: LoadOptions())
        // Tanh, LeakyRelu(0.2 as float32), Elu(0.7 as float32): carried exactly
        #expect(r.network.layers.dropLast().map { $0.activation!.name } == ["tanh", "leaky_relu(\(Double(Float(0.2))))", "elu(\(Double(Float(0.7))))"])
        #expect(r.report.layers.map(\.rows) == [7, 5, 4, 2])
        // explicit activation overrides the graph's
        let o = try NetworkFile.load("\(d)/mlp_mixed.onnx", options: LoadOptions(activation: .softplus))
        #expect(o.network.layers.dropLast().allSatisfy { $0.activation!.name == "softplus" })
        // an activation the resolver does not know is refused with the node named
        let m = message { try NetworkFile.load("\(d)/mlp_mixed.onnx", options: LoadOptions(resolveActivation: { n in
            if n == "tanh" { throw NetworkFileError.activation("unknown activation 'tanh'") }
            return try BuiltinActivations.resolve(n) })) }
        #expect(m.contains("(Tanh)") && m.contains("unknown activation 'tanh'"), "\(m)")
    }

    @Test func unrolledConvolutionEqualsNumpysDenseConvolution() throws {
        guard let d = onnxOracle else { Issue.record("python3 with onnx is needed"); return }
        let oracle = Dictionary(uniqueKeysWithValues: try NPZ.read("\(d)/conv_unroll.npz").map { ($0.name, $0) })
        let r = try NetworkFile.load("\(d)/conv_unroll.onnx", options: LoadOptions())
        let L = r.network.layers[0]
        let ref = oracle["conv_matrix"]!
        #expect(ref.shape == [L.outputSize, L.inputSize])
        // numpy's matrix is float64 of the float32 weights: exact equality
        #expect(L.matrix.dense() == ref.values)
        #expect(L.matrix.nonzeroCount == ref.values.filter { $0 != 0 }.count)
        #expect(!L.storedDense)
        #expect(r.report.layers[0].inputShape == [2, 5, 7] && r.report.layers[0].outputShape == [3, 3, 3])
        #expect(r.report.description.contains("sparse"))
    }

    @Test func unsupportedGraphsAreRefusedNamingTheNode() throws {
        guard let d = onnxOracle else { Issue.record("python3 with onnx is needed"); return }
        func m(_ f: String, _ o: LoadOptions = LoadOptions()) -> String { message { try NetworkFile.load("\(d)/\(f).onnx", options: o) } }
        let mp = m("refuse_maxpool")
        #expect(mp.contains("node 'pool1' (MaxPool)") && mp.contains("Gemm, MatMul"), "\(mp)")
        let res = m("refuse_residual")
        #expect(res.contains("node 'skip' (Add)") && res.contains("residual"), "\(res)")
        #expect(m("refuse_concat").contains("node 'cat' (Concat)"))
        let cyc = m("refuse_cycle")
        #expect(cyc.contains("cycle") && cyc.contains("loop_add"), "\(cyc)")
        let mi = m("refuse_missing_init")
        #expect(mi.contains("'Wmissing'") && mi.contains("node 'fc' (Gemm)"), "\(mi)")
        let sm = m("refuse_softmax")
        #expect(sm.contains("(Softmax)") && sm.contains("graph_output = \"logits\""), "\(sm)")
        // and the hint works
        let logits = try NetworkFile.load("\(d)/refuse_softmax.onnx", options: LoadOptions(graphOutput: "logits"))
        #expect(logits.network.sizes == [4, 4])
    }

    /// A state dict with convolutions, given input_shape and conv options (features.0: stride 2,
    /// padding 1; features.2: groups inferred), equals the ONNX import of the same model.
    @Test func stateDictConvolutionsEqualTheONNXImport() throws {
        guard let d = onnxOracle else { Issue.record("python3 with onnx is needed"); return }
        let ref = try NetworkFile.load("\(d)/cnn_statedict.onnx", options: LoadOptions()).network
        let m = message { try NetworkFile.load("\(d)/cnn_statedict.safetensors", options: LoadOptions()) }
        #expect(m.contains("input_shape"), "\(m)")
        let r = try NetworkFile.load("\(d)/cnn_statedict.safetensors", options: LoadOptions(
            inputShape: [1, 9, 9], conv: ["features.0": ConvSpec(stride: [2], padding: [1])]))
        #expect(r.network.sizes == ref.sizes)
        #expect(r.network.layers.map { $0.matrix } == ref.layers.map { $0.matrix })
        #expect(r.network.layers.map(\.bias) == ref.layers.map(\.bias))
        #expect(r.report.layers.map(\.outputShape) == [[4, 5, 5], [6, 3, 3], [3]])
    }

    /// The same MLP as ONNX, safetensors (Sequential names and custom names) and npz is the
    /// same network (weights compared exactly; all were written from the same float32 arrays).
    @Test func sameMLPFromEveryFormat() throws {
        guard let d = onnxOracle else { Issue.record("python3 with onnx is needed"); return }
        let ref = try NetworkFile.load("\(d)/mlp_relu.onnx", options: LoadOptions()).network
        for f in ["mlp_sequential.safetensors", "mlp_custom.safetensors", "mlp_custom.npz"] {
            let r = try NetworkFile.load("\(d)/\(f)", options: LoadOptions())
            #expect(r.network.layers.map { $0.matrix.dense() } == ref.layers.map { $0.matrix.dense() }, "\(f)")
            #expect(r.network.layers.map(\.bias) == ref.layers.map(\.bias), "\(f)")
            #expect(r.network.layers.dropLast().allSatisfy { $0.activation?.name == "relu" })
        }
    }

    /// The committed CNN (models/fashion-mnist-cnn-8-16.onnx): liplua's unrolled sparse network
    /// predicts the same classes as onnxruntime on Fashion-MNIST test images, with logits to 1e-5.
    @Test func committedCNNMatchesOnnxruntime() throws {
        let model = repoRoot + "/models/fashion-mnist-cnn-8-16.onnx"
        let images = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
        guard FileManager.default.fileExists(atPath: images) else { return }
        let n = 200
        let script = """
        import gzip, sys, numpy as np, onnxruntime as ort
        n = int(sys.argv[3])
        x = np.frombuffer(gzip.open(sys.argv[2]).read()[16:16 + 784 * n], np.uint8).reshape(n, 1, 28, 28).astype(np.float32) / 255
        y = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
        print(" ".join(repr(float(v)) for v in y.reshape(-1)))
        """
        guard let out = try runPython(["-c", script, model, images, String(n)]) else { Issue.record("python3 with onnxruntime is needed"); return }
        let ref = out.split(separator: " ").map { Double($0.trimmingCharacters(in: .whitespacesAndNewlines))! }
        let r = try NetworkFile.load(model, options: LoadOptions())
        #expect(r.network.sizes == [784, 1352, 576, 10])
        #expect(r.report.layers.map(\.nonzeros) == [12168, 41472, 5760])
        let x = try IDXFile.read(images)
        var agree = 0
        for i in 0..<n {
            // the float32 pixel / 255 that onnxruntime saw
            let px = try x.item(i).map { Double(Float($0) / 255) }
            let y = try r.network.outputs(px), yr = Array(ref[(10 * i)..<(10 * i + 10)])
            for j in 0..<10 { #expect(abs(y[j] - yr[j]) <= 1e-5 * max(1, abs(yr[j]))) }
            if y.indices.max(by: { y[$0] < y[$1] }) == yr.indices.max(by: { yr[$0] < yr[$1] }) { agree += 1 }
        }
        #expect(agree == n)
    }
}
