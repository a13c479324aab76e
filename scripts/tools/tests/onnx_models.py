#!/usr/bin/env python3
"""Oracle models for LipIO's ONNX import tests (Tests/LipIOTests/ONNXTests.swift).

    python3 scripts/tools/tests/onnx_models.py OUTDIR

For each case writes OUTDIR/<case>.onnx (built with the onnx package from numpy weights) and
OUTDIR/<case>.npz with random inputs x (n × features, flattened row-major), onnxruntime's
outputs y (n × outputs), and g: central finite differences of onnxruntime's output `c`
(n × features). Also writes the refusal cases (MaxPool, residual Add, Concat, cycle, missing
initializer, final Softmax) and, for the conv case, the dense matrix of the first convolution
computed by a direct numpy convolution (conv_matrix in <case>.npz).
Prints one line per case.
"""
import sys, os
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto as TP
import onnxruntime as ort

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(11)


def init(name, a, typed=False, dtype=np.float32):
    a = np.asarray(a, dtype=dtype)
    if typed:  # float_data / double_data fields instead of raw_data
        t = {np.float32: TP.FLOAT, np.float64: TP.DOUBLE}[dtype]
        return helper.make_tensor(name, t, a.shape, a.flatten().tolist(), raw=False)
    return numpy_helper.from_array(a, name)


def model(nodes, inits, in_shape, out_name="y", elem=TP.FLOAT, opset=17):
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", elem, ["N"] + list(in_shape))],
                          [helper.make_tensor_value_info(out_name, elem, None)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


_sessions = {}


def run(m, x):
    if id(m) not in _sessions:
        _sessions[id(m)] = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    return _sessions[id(m)].run(None, {"x": x})[0]


def save(name, m, in_shape, c=0, n=6, h=1e-3, dtype=np.float32, extra=None):
    path = os.path.join(out, name + ".onnx")
    onnx.save(m, path)
    feats = int(np.prod(in_shape))
    x = rng.uniform(-1, 1, (n,) + tuple(in_shape)).astype(dtype)
    y = run(m, x).reshape(n, -1).astype(np.float64)
    g = np.zeros((n, feats)); gk = np.zeros((n, feats))
    for i in range(n):
        y0 = float(run(m, x[i:i + 1])[0].reshape(-1)[c])
        for j in range(feats):
            xp = x[i:i + 1].copy().reshape(-1); xm = xp.copy()
            xp[j] += h; xm[j] -= h
            yp = float(run(m, xp.reshape((1,) + tuple(in_shape)))[0].reshape(-1)[c])
            ym = float(run(m, xm.reshape((1,) + tuple(in_shape)))[0].reshape(-1)[c])
            hp, hm = float(xp[j]) - float(x[i].reshape(-1)[j]), float(x[i].reshape(-1)[j]) - float(xm[j])
            g[i, j] = (yp - ym) / (hp + hm)
            # forward minus backward difference: large when a kink (ReLU) lies inside the step;
            # the test skips those coordinates
            gk[i, j] = (yp - y0) / hp - (y0 - ym) / hm
    np.savez(os.path.join(out, name + ".npz"), x=x.reshape(n, -1).astype(np.float64), y=y, g=g, gk=gk, c=np.array([float(c)]),
             **(extra or {}))
    print(name, y.shape[1])


def u(*shape, s=1.0):
    return rng.uniform(-s, s, shape).astype(np.float32)


# 1. MLP with Gemm (transB = 1, PyTorch's Linear) and ReLU
W1, b1, W2, b2, W3, b3 = u(8, 6), u(8), u(5, 8), u(5), u(3, 5), u(3)
mlp = model([helper.make_node("Gemm", ["x", "W1", "b1"], ["h1"], transB=1, name="fc1"),
             helper.make_node("Relu", ["h1"], ["a1"], name="act1"),
             helper.make_node("Gemm", ["a1", "W2", "b2"], ["h2"], transB=1, name="fc2"),
             helper.make_node("Relu", ["h2"], ["a2"], name="act2"),
             helper.make_node("Gemm", ["a2", "W3", "b3"], ["y"], transB=1, name="fc3")],
            [init("W1", W1), init("b1", b1), init("W2", W2), init("b2", b2), init("W3", W3), init("b3", b3)], [6])
save("mlp_relu", mlp, [6], c=1)
# the same weights as state dicts (float32 values, so the networks are identical)
from safetensors.numpy import save_file
seq = {"0.weight": W1, "0.bias": b1, "2.weight": W2, "2.bias": b2, "4.weight": W3, "4.bias": b3}
save_file(seq, os.path.join(out, "mlp_sequential.safetensors"))
custom = {"fc_in.weight": W1, "fc_in.bias": b1, "fc_hidden.weight": W2, "fc_hidden.bias": b2, "fc_out.weight": W3, "fc_out.bias": b3}
save_file(custom, os.path.join(out, "mlp_custom.safetensors"))
np.savez(os.path.join(out, "mlp_custom.npz"), **custom)

# 2. MatMul + Add, tanh, LeakyRelu(0.2), Gemm with alpha/beta and transB = 0, ELU(0.7), typed fields
A1, c1, A2, c2, B3, C3, W4 = u(6, 7), u(7), u(7, 5), u(5), u(5, 4), u(4), u(2, 4)
m2 = model([helper.make_node("MatMul", ["x", "A1"], ["m1"], name="mm1"), helper.make_node("Add", ["m1", "c1"], ["z1"], name="add1"),
            helper.make_node("Tanh", ["z1"], ["t1"]),
            helper.make_node("MatMul", ["t1", "A2"], ["m2"]), helper.make_node("Add", ["c2", "m2"], ["z2"]),
            helper.make_node("LeakyRelu", ["z2"], ["t2"], alpha=0.2),
            helper.make_node("Gemm", ["t2", "B3", "C3"], ["z3"], alpha=0.5, beta=2.0, name="gemm3"),
            helper.make_node("Elu", ["z3"], ["t3"], alpha=0.7),
            helper.make_node("Gemm", ["t3", "W4"], ["y"], transB=1)],
           [init("A1", A1, typed=True), init("c1", c1), init("A2", A2), init("c2", c2), init("B3", B3, typed=True), init("C3", C3), init("W4", W4)], [6])
save("mlp_mixed", m2, [6], c=0)


def conv2d(x, W, b, stride, pads, dil, group):
    """Direct numpy cross-correlation (oracle for the unrolling): x [C, H, W], pads [t, l, b, r]."""
    C, H, Wd = x.shape
    M, Cg, kH, kW = W.shape
    xp = np.pad(x, ((0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    OH = (H + pads[0] + pads[2] - dil[0] * (kH - 1) - 1) // stride[0] + 1
    OW = (Wd + pads[1] + pads[3] - dil[1] * (kW - 1) - 1) // stride[1] + 1
    y = np.zeros((M, OH, OW))
    Mg = M // group
    for m in range(M):
        g = m // Mg
        for oy in range(OH):
            for ox in range(OW):
                s = 0.0
                for cl in range(Cg):
                    for ky in range(kH):
                        for kx in range(kW):
                            s += W[m, cl, ky, kx] * xp[g * Cg + cl, oy * stride[0] + ky * dil[0], ox * stride[1] + kx * dil[1]]
                y[m, oy, ox] = s + (b[m] if b is not None else 0)
    return y


def conv_matrix(shape, W, stride, pads, dil, group):
    n = int(np.prod(shape))
    cols = [conv2d(e.reshape(shape), W.astype(np.float64), None, stride, pads, dil, group).reshape(-1) for e in np.eye(n)]
    return np.stack(cols, axis=1)


# 3. CNN: Conv(stride 2, pads 1) → BN → ReLU → Conv(group 2, asymmetric pads) → Softplus → AvgPool → Flatten → Gemm
K1, k1 = u(4, 1, 3, 3), u(4)
K2, k2 = u(6, 2, 3, 3), u(6)
bn = [rng.uniform(0.5, 1.5, 4).astype(np.float32), u(4), u(4), rng.uniform(0.2, 2, 4).astype(np.float32)]
G = u(3, 6 * 2 * 2)
cnn = model([helper.make_node("Conv", ["x", "K1", "k1"], ["c1"], strides=[2, 2], pads=[1, 1, 1, 1], name="conv1"),
             helper.make_node("BatchNormalization", ["c1", "s", "bb", "mu", "var"], ["n1"], epsilon=1e-3, name="bn1"),
             helper.make_node("Relu", ["n1"], ["a1"]),
             helper.make_node("Conv", ["a1", "K2", "k2"], ["c2"], group=2, pads=[0, 1, 1, 0], name="conv2"),
             helper.make_node("Softplus", ["c2"], ["a2"]),
             helper.make_node("AveragePool", ["a2"], ["p2"], kernel_shape=[2, 2], strides=[2, 2], name="pool"),
             helper.make_node("Flatten", ["p2"], ["f"]),
             helper.make_node("Gemm", ["f", "G"], ["y"], transB=1, name="head")],
            [init("K1", K1), init("k1", k1), init("s", bn[0]), init("bb", bn[1]), init("mu", bn[2]), init("var", bn[3]),
             init("K2", K2), init("k2", k2), init("G", G)], [1, 10, 10])
save("cnn_bn_pool", cnn, [1, 10, 10], c=2)

# 4. Conv with SAME_LOWER, stride 2, group 2 → Sigmoid → GlobalAveragePool → Flatten (shape arithmetic Reshape) → Gemm
K3 = u(4, 1, 3, 3)
G4, g4 = u(2, 4), u(2)
shape_nodes = [helper.make_node("Shape", ["a1"], ["sh"]), helper.make_node("Gather", ["sh", "zero"], ["n0"], axis=0),
               helper.make_node("Unsqueeze", ["n0", "ax0"], ["n0u"]), helper.make_node("Concat", ["n0u", "minus1"], ["tshape"], axis=0)]
m4 = model([helper.make_node("Conv", ["x", "K3"], ["c1"], strides=[2, 2], group=2, auto_pad="SAME_LOWER", name="conv_same"),
            helper.make_node("Sigmoid", ["c1"], ["a1"])] + shape_nodes + [
            helper.make_node("GlobalAveragePool", ["a1"], ["gp"]),
            helper.make_node("Reshape", ["gp", "tshape"], ["f"]),
            helper.make_node("Gemm", ["f", "G4", "g4"], ["y"], transB=1)],
           [init("K3", K3), init("G4", G4), init("g4", g4), numpy_helper.from_array(np.array(0, np.int64), "zero"),
            numpy_helper.from_array(np.array([0], np.int64), "ax0"), numpy_helper.from_array(np.array([-1], np.int64), "minus1")], [2, 7, 9])
save("cnn_same_groups", m4, [2, 7, 9], c=1)

# 5. A dilated conv; ConvTranspose (stride 2, pads 1, output_padding 1) after a ReLU; BatchNorm after an activation (folds forward)
K5, T5, t5 = u(3, 1, 3, 3), u(3, 2, 3, 3), u(2)
bn5 = [rng.uniform(0.5, 1.5, 3).astype(np.float32), u(3), u(3), rng.uniform(0.2, 2, 3).astype(np.float32)]
G5 = u(2, 2 * 8 * 8)
m5 = model([helper.make_node("Conv", ["x", "K5"], ["c1"], pads=[2, 2, 2, 2], strides=[2, 2], dilations=[2, 2]),
            helper.make_node("Relu", ["c1"], ["a1"]),
            helper.make_node("BatchNormalization", ["a1", "s", "bb", "mu", "var"], ["n1"]),
            helper.make_node("ConvTranspose", ["n1", "T5", "t5"], ["d1"], strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1], name="up"),
            helper.make_node("Tanh", ["d1"], ["a2"]),
            helper.make_node("Flatten", ["a2"], ["f"]),
            helper.make_node("Gemm", ["f", "G5"], ["y"], transB=1)],
           [init("K5", K5), init("s", bn5[0]), init("bb", bn5[1]), init("mu", bn5[2]), init("var", bn5[3]),
            init("T5", T5), init("t5", t5), init("G5", G5)], [1, 8, 8])
save("convtranspose_bn_after_act", m5, [1, 8, 8], c=0)

# 6. float16 weights behind Cast nodes (constant folding), and a model in float64
W6h = u(4, 5).astype(np.float16)
m6 = model([helper.make_node("Cast", ["W6h"], ["W6"], to=TP.FLOAT), helper.make_node("Gemm", ["x", "W6"], ["z"], transB=1),
            helper.make_node("Relu", ["z"], ["a"]), helper.make_node("MatMul", ["a", "V6"], ["y"])],
           [numpy_helper.from_array(W6h, "W6h"), init("V6", u(4, 2))], [5])
save("fp16_weights", m6, [5], c=1)
W7, b7, W8 = rng.uniform(-1, 1, (4, 3)), rng.uniform(-1, 1, 4), rng.uniform(-1, 1, (2, 4))
m7 = model([helper.make_node("Gemm", ["x", "W7", "b7"], ["z"], transB=1), helper.make_node("Relu", ["z"], ["a"]),
            helper.make_node("Gemm", ["a", "W8"], ["y"], transB=1)],
           [init("W7", W7, dtype=np.float64), init("b7", b7, dtype=np.float64), init("W8", W8, typed=True, dtype=np.float64)], [3], elem=TP.DOUBLE)
save("mlp_float64", m7, [3], c=0, dtype=np.float64, h=1e-6)

# 7. the unrolling oracle: one conv (stride 2, pads 1, dilation 1, group 1) then ReLU then a head
K9, k9 = u(3, 2, 3, 3), u(3)
G9 = u(2, 3 * 3 * 3)
m9 = model([helper.make_node("Conv", ["x", "K9", "k9"], ["c"], strides=[2, 2], pads=[1, 0, 1, 1], name="convA"),
            helper.make_node("Relu", ["c"], ["a"]), helper.make_node("Flatten", ["a"], ["f"]),
            helper.make_node("Gemm", ["f", "G9"], ["y"], transB=1)],
           [init("K9", K9), init("k9", k9), init("G9", G9)], [2, 5, 7])
save("conv_unroll", m9, [2, 5, 7], c=0, extra={"conv_matrix": conv_matrix((2, 5, 7), K9, (2, 2), (1, 0, 1, 1), (1, 1), 1)})

# 8. a CNN also saved as a PyTorch-style state dict (features.0 conv stride 2 padding 1, features.2 conv
# groups 2, classifier linear): loaded with input_shape and conv options it must equal the ONNX import
Ka, ka, Kb, kb, Lc, lc = u(4, 1, 3, 3), u(4), u(6, 2, 3, 3), u(6), u(3, 6 * 3 * 3), u(3)
m10 = model([helper.make_node("Conv", ["x", "Ka", "ka"], ["c1"], strides=[2, 2], pads=[1, 1, 1, 1]), helper.make_node("Relu", ["c1"], ["a1"]),
             helper.make_node("Conv", ["a1", "Kb", "kb"], ["c2"], group=2), helper.make_node("Relu", ["c2"], ["a2"]),
             helper.make_node("Flatten", ["a2"], ["f"]), helper.make_node("Gemm", ["f", "Lc", "lc"], ["y"], transB=1)],
            [init("Ka", Ka), init("ka", ka), init("Kb", Kb), init("kb", kb), init("Lc", Lc), init("lc", lc)], [1, 9, 9])
save("cnn_statedict", m10, [1, 9, 9], c=0, n=2)
save_file({"features.0.weight": Ka, "features.0.bias": ka, "features.2.weight": Kb, "features.2.bias": kb,
           "classifier.weight": Lc, "classifier.bias": lc}, os.path.join(out, "cnn_statedict.safetensors"))

# Refusals (not run through onnxruntime)
def refusal(name, nodes, inits, in_shape, out_name="y"):
    onnx.save(model(nodes, inits, in_shape, out_name), os.path.join(out, name + ".onnx"))
    print(name, "refusal")

Wr = u(4, 4)
refusal("refuse_maxpool", [helper.make_node("Conv", ["x", "K"], ["c"], name="c"), helper.make_node("MaxPool", ["c"], ["y"], kernel_shape=[2, 2], name="pool1")],
        [init("K", u(2, 1, 3, 3))], [1, 6, 6])
refusal("refuse_residual", [helper.make_node("Gemm", ["x", "W"], ["h"], transB=1), helper.make_node("Relu", ["h"], ["a"]),
                            helper.make_node("Add", ["a", "x"], ["y"], name="skip")], [init("W", Wr)], [4])
refusal("refuse_concat", [helper.make_node("Gemm", ["x", "W"], ["h"], transB=1), helper.make_node("Concat", ["h", "x"], ["y"], axis=1, name="cat")],
        [init("W", Wr)], [4])
refusal("refuse_cycle", [helper.make_node("Gemm", ["x", "W"], ["h"], transB=1, name="g1"), helper.make_node("Add", ["h", "y"], ["z"], name="loop_add"),
                         helper.make_node("Relu", ["z"], ["y"], name="loop_relu")], [init("W", Wr)], [4])
refusal("refuse_missing_init", [helper.make_node("Gemm", ["x", "Wmissing"], ["y"], transB=1, name="fc")], [], [4])
refusal("refuse_softmax", [helper.make_node("Gemm", ["x", "W"], ["logits"], transB=1, name="fc"), helper.make_node("Softmax", ["logits"], ["y"], name="sm")],
        [init("W", Wr)], [4])
