import Foundation
import Testing
@testable import LipCore
@testable import LipIO

/// Files written by numpy and by the safetensors Python package load to the same weights;
/// malformed files give errors naming the problem; the shared test vectors load and match
/// their README.
@Suite struct NetworkFileTests {
    static func tempDir() throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("liplua-core-io-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// Runs python3 (with numpy and safetensors); nil (and a printed note) when unavailable.
    static func python(_ script: String, _ args: [String]) throws -> String? {
        guard let out = try runPython(["-c", script] + args) else {
            print("SKIP: python3 with numpy and safetensors is needed for the file-format tests (scripts/tools/setup --python)")
            return nil
        }
        return out
    }

    static let writer = """
import sys, json, struct, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(7)
W1 = rng.uniform(-1, 1, (4, 3)); b1 = rng.uniform(-1, 1, 4)
W2 = rng.uniform(-1, 1, (2, 4)); b2 = rng.uniform(-1, 1, 2)
np.savez(d + '/ref.npz', W1=W1, b1=b1, W2=W2, b2=b2)
np.savez(d + '/stored_statedict.npz', **{'0.weight': W1, '0.bias': b1, '2.weight': W2, '2.bias': b2})
np.savez_compressed(d + '/deflated.npz', W1=W1, b1=b1, W2=np.asfortranarray(W2), b2=b2)
np.savez_compressed(d + '/f32.npz', W1=W1.astype(np.float32), W2=W2.astype(np.float32))
np.savez(d + '/f16.npz', W1=W1.astype(np.float16), W2=W2.astype(np.float16))
np.savez(d + '/f16ref.npz', W1=W1.astype(np.float16).astype(np.float64), W2=W2.astype(np.float16).astype(np.float64))
np.savez(d + '/f32ref.npz', W1=W1.astype(np.float32).astype(np.float64), W2=W2.astype(np.float32).astype(np.float64))
from safetensors.numpy import save_file
sd = {'0.weight': W1, '0.bias': b1, '2.weight': W2, '2.bias': b2}
save_file(sd, d + '/f64.safetensors')
save_file({k: v.astype(np.float32) for k, v in sd.items()}, d + '/f32.safetensors')
save_file({k: v.astype(np.float16) for k, v in sd.items()}, d + '/f16.safetensors')
save_file({'layers.10.weight': W2, 'layers.2.weight': W1}, d + '/natural_order.safetensors')
save_file({'0.weight': W1.astype(np.int64)}, d + '/int.safetensors')
save_file({'W1': W1, 'W3': W2}, d + '/missing.safetensors')
save_file({'W1': W1, 'W2': W2, 'extra': b1}, d + '/extra.safetensors')
save_file({'W1': W1, 'W2': W2[:, :3].copy()}, d + '/shape.safetensors')
bad = W2.copy(); bad[1, 2] = np.nan
save_file({'0.weight': W1, '2.weight': bad}, d + '/nan.safetensors')
# bf16 by hand: the upper 16 bits of float32 (truncation)
hdr, blobs, off = {}, [], 0
ref = {}
for k, v in sd.items():
    bits = (v.astype(np.float32).view(np.uint32) >> 16).astype('<u2')
    ref[k] = (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    raw = bits.tobytes()
    hdr[k] = {'dtype': 'BF16', 'shape': list(v.shape), 'data_offsets': [off, off + len(raw)]}
    blobs.append(raw); off += len(raw)
h = json.dumps(hdr).encode()
h += b' ' * ((8 - len(h) % 8) % 8)
open(d + '/bf16.safetensors', 'wb').write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
np.savez(d + '/bf16ref.npz', **{k.replace('.', '_'): v for k, v in ref.items()})
print('ok')
"""

    static func weights(_ n: Network) -> [[Double]] { n.layers.map { $0.matrix.dense() } }
    static func biases(_ n: Network) -> [[Double]?] { n.layers.map(\.bias) }

    @Test func filesWrittenByNumpyAndSafetensorsLoad() throws {
        let d = try Self.tempDir()
        guard try Self.python(Self.writer, [d]) != nil else { return }
        let ref = try NetworkFile.load(d + "/ref.npz", activation: .elu())
        #expect(ref.sizes == [3, 4, 2])
        #expect(ref.layers[0].bias != nil)
        for f in ["stored_statedict.npz", "deflated.npz", "f64.safetensors"] {
            let n = try NetworkFile.load("\(d)/\(f)", activation: .elu())
            #expect(Self.weights(n) == Self.weights(ref), "\(f)")
            #expect(Self.biases(n) == Self.biases(ref), "\(f)")
        }
        // reduced precision: exact equality with python's own rounding
        let f32ref = try NetworkFile.load(d + "/f32ref.npz", activation: .elu())
        #expect(Self.weights(try NetworkFile.load(d + "/f32.npz", activation: .elu())) == Self.weights(f32ref))
        let f32st = try NetworkFile.load(d + "/f32.safetensors", activation: .elu())
        #expect(Self.weights(f32st) == Self.weights(f32ref))
        #expect(f32st.layers[0].bias! == ref.layers[0].bias!.map { Double(Float($0)) })
        let f16ref = try NetworkFile.load(d + "/f16ref.npz", activation: .elu())
        #expect(Self.weights(try NetworkFile.load(d + "/f16.npz", activation: .elu())) == Self.weights(f16ref))
        #expect(Self.weights(try NetworkFile.load(d + "/f16.safetensors", activation: .elu())) == Self.weights(f16ref))
        let bf = try NetworkFile.load(d + "/bf16.safetensors", activation: .elu())
        let bfref = Dictionary(uniqueKeysWithValues: try NPZ.read(d + "/bf16ref.npz").map { ($0.name, $0.values) })
        #expect(bf.layers[0].matrix.dense() == bfref["0_weight"]!)
        #expect(bf.layers[1].matrix.dense() == bfref["2_weight"]!)
        #expect(bf.layers[1].bias! == bfref["2_bias"]!)
        #expect(Self.weights(bf) != Self.weights(ref))
        // natural order of prefixes: layers.2 before layers.10
        let nat = try NetworkFile.load(d + "/natural_order.safetensors", activation: .elu())
        #expect(Self.weights(nat) == Self.weights(ref))
        // round trips through our writers
        for f in ["rt.safetensors", "rt.json"] {
            try NetworkFile.save(ref, to: "\(d)/\(f)")
            let back = try NetworkFile.load("\(d)/\(f)", activation: .elu())
            #expect(Self.weights(back) == Self.weights(ref) && Self.biases(back) == Self.biases(ref), "\(f)")
        }
        // our safetensors file read back by the Python package
        let check = try Self.python("import sys; from safetensors.numpy import load_file; import numpy as np; t = load_file(sys.argv[1]); r = np.load(sys.argv[2]); print(sorted(t), float(abs(t['2.weight'] - r['W2']).max()))", [d + "/rt.safetensors", d + "/ref.npz"])
        #expect(check?.trimmingCharacters(in: .whitespacesAndNewlines) == "['0.bias', '0.weight', '2.bias', '2.weight'] 0.0")
        // sparse JSON round trip
        let sp = try Network.random(sizes: [6, 6, 1], sparsity: 3, seed: 1)
        try NetworkFile.save(sp, to: d + "/sparse.json")
        #expect(Self.weights(try NetworkFile.load(d + "/sparse.json", activation: .elu())) == Self.weights(sp))
    }

    @Test func malformedFilesGiveNamedErrors() throws {
        let d = try Self.tempDir()
        guard try Self.python(Self.writer, [d]) != nil else { return }
        func message(_ f: String) -> String {
            do { _ = try NetworkFile.load("\(d)/\(f)", activation: .relu); return "no error" } catch { return "\(error)" }
        }
        #expect(message("int.safetensors").contains("tensor '0.weight' has dtype I64"))
        #expect(message("missing.safetensors").contains("tensor 'W2' is missing"))
        #expect(message("extra.safetensors").contains("unexpected tensor 'extra'"))
        #expect(message("shape.safetensors").contains("tensor 'W2'"))
        #expect(message("shape.safetensors").contains("has 3 inputs"))
        let nan = message("nan.safetensors")
        #expect(nan.contains("tensor '2.weight'") && nan.contains("nan") && nan.contains("[1, 2]"))
        #expect(message("nothere.npz").contains("cannot read"))
        // truncations
        for f in ["f64.safetensors", "deflated.npz", "ref.npz"] {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(d)/\(f)")))
            for cut in [4, bytes.count / 2, bytes.count - 30] {
                let out = "\(d)/cut\(cut)-\(f)"
                try Data(bytes[0..<cut]).write(to: URL(fileURLWithPath: out))
                let m = message("cut\(cut)-\(f)")
                #expect(m.contains("truncated") || m.contains("corrupt") || m.contains("not a zip"), "\(f) cut at \(cut): \(m)")
            }
        }
        // a flipped byte inside deflated data: CRC or zlib complains
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(d)/deflated.npz")))
        bytes[60] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: "\(d)/flipped.npz"))
        let fm = message("flipped.npz")
        #expect(fm.contains("corrupt") || fm.contains("CRC"), "\(fm)")
        // header length beyond the file
        try Data([0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D]).write(to: URL(fileURLWithPath: "\(d)/hdr.safetensors"))
        #expect(message("hdr.safetensors").contains("truncated"))
        // output index out of range
        do { _ = try NetworkFile.load(d + "/ref.npz", activation: .relu, output: .index(5)); Issue.record("no error") }
        catch { #expect("\(error)".contains("output 6 is out of range")) }
    }

    /// The reference networks (copied from the project's shared test vectors into Tests/data).
    static let testdata = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("data").path

    @Test func sharedTestVectorsMatchTheirReadme() throws {
        let cases: [(String, [Int], Double)] = [("ref-3-3-1-dense.npz", [3, 3, 1], 0.8335035358),
                                                ("ref-20-20-1-s5.npz", [20, 20, 1], 1.9393403717),
                                                ("ref-10-10-10-1-s3.npz", [10, 10, 10, 1], 0.5174453835)]
        for (f, sizes, ubp) in cases {
            let net = try NetworkFile.load("\(Self.testdata)/\(f)", activation: .elu())
            #expect(net.sizes == sizes)
            #expect(abs(try productBound(net, norm: .linf) - ubp) < 5e-10, "\(f)")
        }
        let small = try NetworkFile.load("\(Self.testdata)/ref-3-3-1-dense.npz", activation: .elu())
        let p = try makeLipschitzProblem(small, norm: .linf)
        #expect(abs(try exactMaximum(p).value - 0.7136063103) < 5e-10)
        // LBS of the README (10,000 points of [−5, 5]^3) reaches the exact maximum on this net
        let lbs = try sampledLowerBound(small, norm: .linf, samples: 2000, box: ([-5, -5, -5], [5, 5, 5]), seed: 1).value
        #expect(lbs <= 0.7136063103 + 1e-9 && lbs > 0.6)
        // README lower bounds for the larger vectors are below the product bound and our LBS is ≤ LiPopt's value
        let n20 = try NetworkFile.load("\(Self.testdata)/ref-20-20-1-s5.npz", activation: .elu())
        let l20 = try sampledLowerBound(n20, norm: .linf, samples: 2000, box: ([Double](repeating: -5, count: 20), [Double](repeating: 5, count: 20)), seed: 2).value
        #expect(l20 <= 0.4770071652)
        #expect(l20 > 0.3)
    }
}
