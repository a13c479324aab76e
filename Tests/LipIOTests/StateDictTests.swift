import Foundation
import Testing
@testable import LipCore
@testable import LipIO

/// Layer order from the model, never from sorting; activations recorded and restored.
@Suite struct StateDictTests {
    /// Square layers fc_in/fc_hidden/fc_out: numpy computes the forward pass in the true order
    /// (in → hidden → out) on fixed points; safetensors (whose writer sorts names) and npz in a
    /// non-forward member order are refused with the candidates and the layers hint; with
    /// layers = {...} the network matches numpy.
    static let writer = """
import sys, numpy as np
from safetensors.numpy import save_file
d = sys.argv[1]
rng = np.random.default_rng(3)
W = {k: rng.uniform(-1, 1, (4, 4)) for k in ("fc_in", "fc_hidden", "fc_out")}
b = {k: rng.uniform(-1, 1, 4) for k in W}
sd = {}
for k in ("fc_in", "fc_hidden", "fc_out"): sd[k + ".weight"] = W[k]; sd[k + ".bias"] = b[k]
save_file(sd, d + "/square.safetensors")
np.savez(d + "/square_forward.npz", **sd)
bad = {}
for k in ("fc_hidden", "fc_in", "fc_out"): bad[k + ".weight"] = W[k]; bad[k + ".bias"] = b[k]
np.savez(d + "/square_hidden_first.npz", **bad)
x = rng.uniform(-1, 1, (5, 4))
h = x
for k in ("fc_in", "fc_hidden"): h = np.maximum(h @ W[k].T + b[k], 0)
y = h @ W["fc_out"].T + b["fc_out"]
np.savez(d + "/square_oracle.npz", x=x, y=y)
# nn.Sequential with BatchNorm1d after the first Linear (eval mode, eps 1e-5), torch-free:
W1, b1, W2, b2 = rng.uniform(-1, 1, (5, 3)), rng.uniform(-1, 1, 5), rng.uniform(-1, 1, (2, 5)), rng.uniform(-1, 1, 2)
g, be, mu, var = rng.uniform(0.5, 2, 5), rng.uniform(-1, 1, 5), rng.uniform(-1, 1, 5), rng.uniform(0.1, 2, 5)
save_file({"0.weight": W1, "0.bias": b1, "1.weight": g, "1.bias": be, "1.running_mean": mu, "1.running_var": var,
           "1.num_batches_tracked": np.array([7.0]), "3.weight": W2, "3.bias": b2}, d + "/bn.safetensors")
z = (x[:, :3] @ W1.T + b1 - mu) / np.sqrt(var + 1e-5) * g + be
np.savez(d + "/bn_oracle.npz", x=x[:, :3], y=np.maximum(z, 0) @ W2.T + b2)
print("ok")
"""

    static func check(_ net: Network, _ oracle: String) throws {
        let o = Dictionary(uniqueKeysWithValues: try NPZ.read(oracle).map { ($0.name, $0) })
        for (x, y) in zip(rows(o["x"]!), rows(o["y"]!)) {
            let out = try net.outputs(x)
            for j in y.indices { #expect(abs(out[j] - y[j]) <= 1e-12 * max(1, abs(y[j]))) }
        }
    }

    @Test func ambiguousOrderIsRefusedAndTheLayersOptionLoadsIt() throws {
        let d = try freshDir("order")
        guard try runPython(["-c", Self.writer, d]) != nil else { Issue.record("python3 with numpy and safetensors is needed"); return }
        let m = message { try NetworkFile.load(d + "/square.safetensors", options: LoadOptions()) }
        #expect(m.contains("ambiguous") && m.contains("layers = {") && m.contains("fc_in → fc_hidden → fc_out") && m.contains("sorts tensors by name"), "\(m)")
        #expect(m.contains("6 orders"), "\(m)")
        let m2 = message { try NetworkFile.load(d + "/square_hidden_first.npz", options: LoadOptions()) }
        #expect(m2.contains("ambiguous") && m2.contains("'fc_in' is named as the first layer"), "\(m2)")
        let order = ["fc_in", "fc_hidden", "fc_out"]
        for f in ["square.safetensors", "square_hidden_first.npz"] {
            let r = try NetworkFile.load("\(d)/\(f)", options: LoadOptions(layers: order))
            try Self.check(r.network, d + "/square_oracle.npz")
            #expect(r.report.order == "the layers option")
        }
        // npz in forward (registration) order: accepted, with a note that shapes allow more
        let r = try NetworkFile.load(d + "/square_forward.npz", options: LoadOptions())
        try Self.check(r.network, d + "/square_oracle.npz")
        #expect(r.report.notes.contains { $0.contains("6 orders") })
        // a wrong layers list is named
        #expect(message { try NetworkFile.load(d + "/square.safetensors", options: LoadOptions(layers: ["fc_in", "fc_out"])) }.contains("leaves out 'fc_hidden'"))
        #expect(message { try NetworkFile.load(d + "/square.safetensors", options: LoadOptions(layers: ["fc_in", "fc_x", "fc_out"])) }.contains("'fc_x', which is not a module"))
    }

    @Test func batchNormInAStateDictIsFolded() throws {
        let d = try freshDir("bn")
        guard try runPython(["-c", Self.writer, d]) != nil else { Issue.record("python3 with numpy and safetensors is needed"); return }
        let r = try NetworkFile.load(d + "/bn.safetensors", options: LoadOptions())
        #expect(r.network.sizes == [3, 5, 2])
        #expect(r.report.layers[0].parts.contains { $0.contains("BatchNorm '1'") })
        try Self.check(r.network, d + "/bn_oracle.npz")
    }

    /// Saved networks come back with their activations (ELU, tanh, leaky ReLU with α, a
    /// user-defined name through the resolver), in both formats liplua writes.
    @Test func savedActivationsLoadBack() throws {
        let d = try freshDir("acts")
        let mine = Activation.custom(name: "my_soft", value: { log1p(exp($0)) }, derivative: { 1 / (1 + exp(-$0)) }, derivativeRange: 0...1)
        let net = try Network(layers: [
            try Layer(rows: [[1, -2, 0.5], [0.25, 1, -1]], bias: [0.1, -0.2], activation: .elu()),
            try Layer(rows: [[1, 2], [-1, 0.5], [0.3, 0.3]], bias: nil, activation: .tanh),
            try Layer(rows: [[0.7, -0.1, 2]], bias: [0.05], activation: .leakyReLU(0.2)),
            try Layer(rows: [[1.5]], bias: nil, activation: mine),
            try Layer(rows: [[2], [-3]], bias: [1, 1]),
        ], output: .index(1))
        let resolver: ActivationResolver = { n in n == "my_soft" ? mine : try BuiltinActivations.resolve(n) }
        let points: [[Double]] = [[0.3, -1, 2], [-2, 0.5, 0.1], [1, 1, 1]]
        for f in ["a.safetensors", "a.json"] {
            try NetworkFile.save(net, to: "\(d)/\(f)", inputShape: [3])
            let r = try NetworkFile.load("\(d)/\(f)", options: LoadOptions(resolveActivation: resolver, output: .index(1)))
            #expect(r.network.layers.dropLast().map { $0.activation!.name } == ["elu", "tanh", "leaky_relu(0.2)", "my_soft"], "\(f)")
            #expect(r.report.inputShape == [3])
            for x in points { #expect(try r.network.forward(x) == (try net.forward(x)), "\(f)") }
            // a name the resolver does not know: refused, naming it
            let m = message { try NetworkFile.load("\(d)/\(f)", options: LoadOptions()) }
            #expect(m.contains("unknown activation 'my_soft'") && m.contains("hidden layer 4") || m.contains("layer 4"), "\(m)")
            // the explicit activation overrides
            let o = try NetworkFile.load("\(d)/\(f)", options: LoadOptions(activation: .relu))
            #expect(o.network.layers.dropLast().allSatisfy { $0.activation!.name == "relu" })
        }
        // the safetensors header keeps model order (our writer), read back in that order
        let c = try SafeTensors.parseContents(try [UInt8](Data(contentsOf: URL(fileURLWithPath: d + "/a.safetensors"))), source: "a")
        #expect(c.tensors.map(\.name) == ["0.weight", "0.bias", "2.weight", "4.weight", "4.bias", "6.weight", "8.weight", "8.bias"])
        #expect(c.metadataKeys.first == "format")
    }

    /// Output indices in messages are 1-based.
    @Test func outputMessagesAreOneBased() throws {
        let d = try freshDir("out")
        try NetworkFile.save(try Network(weights: [[[1, 2]], [[1], [2]]], activation: .relu), to: d + "/n.json")
        let m = message { try NetworkFile.load(d + "/n.json", options: LoadOptions(output: .index(2))) }
        #expect(m.contains("output 3 is out of range") && m.contains("numbered 1..2"), "\(m)")
    }

    /// The ordered JSON reader: key order, exact numbers, and its refusals.
    @Test func orderedJSON() throws {
        let v = try OrderedJSON.parse(Array(#"{"b": 1, "a": [0.1, 1e-320, -0], "c": "\u00e9\n"}"#.utf8), source: "t")
        #expect(v.objectEntries!.map(\.key) == ["b", "a", "c"])
        #expect(v["a"]!.array!.map { $0.double! } == [0.1, 1e-320, -0.0])
        #expect(v["c"]!.string == "é\n")
        #expect(v["b"]!.int == 1)
        for bad in ["{\"a\": NaN}", "[1,]", "{\"a\" 1}", "[01]", "\"\\x\"", String(repeating: "[", count: 100)] {
            #expect(message { try OrderedJSON.parse(Array(bad.utf8), source: "t") }.contains("invalid JSON"), "\(bad)")
        }
    }
}
