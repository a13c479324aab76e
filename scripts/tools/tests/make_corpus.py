#!/usr/bin/env python3
"""Writes LipIO's committed test corpus (Tests/LipIOTests/corpus):

  seeds/    small real files, written by numpy, safetensors and onnx: the fuzz harness mutates them
  hostile/  the decompression bombs of the hostile-file tests (a 1 MB npz whose member inflates
            to 1 GiB of zeros, i.e. a 134M-input network; a gzip IDX file inflating to 256 MiB)

    python3 scripts/tools/tests/make_corpus.py [DIR]

Deterministic (fixed seeds). The bombs take ~10 s of CPU to compress; git stores them small.
"""
import gzip, io, json, os, struct, sys, zipfile
import numpy as np

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../../Tests/LipIOTests/corpus")
seeds, hostile = os.path.join(root, "seeds"), os.path.join(root, "hostile")
os.makedirs(seeds, exist_ok=True); os.makedirs(hostile, exist_ok=True)
rng = np.random.default_rng(5)
W1, b1, W2, b2 = rng.uniform(-1, 1, (4, 3)), rng.uniform(-1, 1, 4), rng.uniform(-1, 1, (2, 4)), rng.uniform(-1, 1, 2)

from safetensors.numpy import save_file
save_file({"0.weight": W1, "0.bias": b1, "2.weight": W2, "2.bias": b2}, f"{seeds}/sequential.safetensors")
save_file({"fc1.weight": W1.astype(np.float32), "fc2.weight": W2.astype(np.float16)}, f"{seeds}/mixed-dtypes.safetensors",
          metadata={"format": "liplua", "activations": "[\"elu\"]", "layers": "[\"fc1\", \"fc2\"]"})
np.savez(f"{seeds}/w-scheme.npz", W1=W1, b1=b1, W2=W2, b2=b2)
np.savez_compressed(f"{seeds}/statedict-deflated.npz", **{"0.weight": W1.astype(np.float32), "0.bias": b1, "2.weight": np.asfortranarray(W2)})
with open(f"{seeds}/dense.json", "w") as f:
    json.dump({"format": "liplua-network", "version": 1, "activation": "tanh", "input_shape": [3],
               "layers": [{"weight": W1.tolist(), "bias": b1.tolist()}, {"weight": W2.tolist(), "bias": b2.tolist(), "activation": None}][:1] +
                         [{"sparse": {"rows": 2, "cols": 4, "entries": [[0, 1, 0.5], [1, 3, -2.0]]}, "bias": [0.0, 1.0]}]}, f)
def idx(shape, arr, code):
    return bytes([0, 0, code, len(shape)]) + b"".join(struct.pack(">I", s) for s in shape) + arr.tobytes()
open(f"{seeds}/images.idx", "wb").write(idx((3, 4, 4), rng.integers(0, 256, (3, 4, 4)).astype(np.uint8), 0x08))
open(f"{seeds}/floats.idx", "wb").write(idx((5,), rng.uniform(-1, 1, 5).astype(">f4"), 0x0D))
with gzip.GzipFile(f"{seeds}/labels.idx.gz", "wb", mtime=0) as g:
    g.write(idx((6,), np.arange(6, dtype=np.uint8), 0x08))

import onnx
from onnx import helper, numpy_helper, TensorProto as TP
def model(nodes, inits, shape):
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TP.FLOAT, ["N"] + shape)],
                          [helper.make_tensor_value_info("y", TP.FLOAT, None)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]); m.ir_version = 8
    return m
f32 = lambda a, n: numpy_helper.from_array(np.asarray(a, np.float32), n)
onnx.save(model([helper.make_node("Gemm", ["x", "W1", "b1"], ["h"], transB=1), helper.make_node("Relu", ["h"], ["a"]),
                 helper.make_node("Gemm", ["a", "W2", "b2"], ["y"], transB=1)],
                [f32(W1, "W1"), f32(b1, "b1"), f32(W2, "W2"), f32(b2, "b2")], [3]), f"{seeds}/mlp.onnx")
onnx.save(model([helper.make_node("Conv", ["x", "K", "kb"], ["c"], strides=[2, 2], pads=[1, 1, 1, 1]),
                 helper.make_node("BatchNormalization", ["c", "s", "bb", "mu", "var"], ["n"]), helper.make_node("Elu", ["n"], ["a"], alpha=0.5),
                 helper.make_node("AveragePool", ["a"], ["p"], kernel_shape=[2, 2]), helper.make_node("Flatten", ["p"], ["f"]),
                 helper.make_node("Gemm", ["f", "G"], ["y"], transB=1)],
                [f32(rng.uniform(-1, 1, (2, 1, 3, 3)), "K"), f32([0.1, -0.1], "kb"), f32([1, 2], "s"), f32([0, 1], "bb"),
                 f32([0.5, -0.5], "mu"), f32([1, 0.5], "var"), f32(rng.uniform(-1, 1, (3, 2 * 2 * 2)), "G")], [1, 6, 6]), f"{seeds}/cnn.onnx")

# hostile: the 1 MB zip bomb (one member W1.npy of shape (1, 134217728) float64 = 1 GiB of zeros)
hdr = io.BytesIO(); np.lib.format.write_array_header_1_0(hdr, {"descr": "<f8", "fortran_order": False, "shape": (1, 134217728)})
zero = bytes(1 << 20)
with zipfile.ZipFile(f"{hostile}/zip-bomb-1MB.npz", "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
    info = zipfile.ZipInfo("W1.npy", date_time=(2020, 1, 1, 0, 0, 0)); info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=True) as f:
        f.write(hdr.getvalue())
        for _ in range(1024): f.write(zero)
# hostile: a gzip IDX file whose header announces 268435456 uint8 values (256 MiB of zeros)
with gzip.GzipFile(f"{hostile}/idx-gzip-bomb.idx.gz", "wb", compresslevel=9, mtime=0) as g:
    g.write(bytes([0, 0, 0x08, 1]) + struct.pack(">I", 1 << 28))
    for _ in range(256): g.write(zero)
for d in (seeds, hostile):
    for n in sorted(os.listdir(d)): print(f"{os.path.basename(d)}/{n}", os.path.getsize(os.path.join(d, n)))
