#!/usr/bin/env bash
# Load time and peak memory of LipIO's ONNX import (issue 11's measurement):
#   - an ONNX 784-1024-1024-10 ReLU MLP (random float32 weights, written by the onnx package),
#   - the committed Fashion-MNIST CNN (models/fashion-mnist-cnn-8-16.onnx), unrolled to sparse layers.
# Each load runs in a fresh liplua process (peak RSS = getrusage of that process, which includes
# the Lua runtime's baseline; the baseline alone is printed first).
#   bash scripts/tools/bench_io.sh [path/to/liplua]     (default: a release build, built if missing)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${1:-.build/release/liplua}"
[ -x "$bin" ] || swift build -c release --product liplua >&2
dir=$(mktemp -d /tmp/liplua-bench-io.XXXXXX)
python3 - "$dir/mlp-784-1024-1024-10.onnx" <<'PY'
import sys, numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto as TP
rng = np.random.default_rng(0)
sizes = [784, 1024, 1024, 10]
nodes, inits, cur = [], [], "x"
for k in range(3):
    W = rng.uniform(-1, 1, (sizes[k + 1], sizes[k])).astype(np.float32) / np.sqrt(sizes[k])
    inits += [numpy_helper.from_array(W, f"W{k}"), numpy_helper.from_array(np.zeros(sizes[k + 1], np.float32), f"b{k}")]
    nodes.append(helper.make_node("Gemm", [cur, f"W{k}", f"b{k}"], [f"z{k}"], transB=1)); cur = f"z{k}"
    if k < 2: nodes.append(helper.make_node("Relu", [cur], [f"a{k}"])); cur = f"a{k}"
nodes[-1].output[0] = "y"
g = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TP.FLOAT, ["N", 784])], [helper.make_tensor_value_info("y", TP.FLOAT, ["N", 10])], inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]); m.ir_version = 8
onnx.save(m, sys.argv[1])
PY
cat > "$dir/load.lua" <<'LUA'
local path = ...
local _lip = require("_lip")
local t0, c0 = _lip.clock(), os.clock()
local rss0 = _lip.peak_rss()
if path == "-" then print(string.format("baseline: peak RSS %.1f MB", rss0 / 1e6)) return end
local net, rep = _lip.io.load(path)
local wall, cpu = _lip.clock() - t0, os.clock() - c0
print(string.format("%s: load %.3f s wall, %.3f s CPU, peak RSS %.1f MB", path:match("[^/]+$"), wall, cpu, _lip.peak_rss() / 1e6))
print(rep.summary)
LUA
"$bin" "$dir/load.lua" -
"$bin" "$dir/load.lua" "$dir/mlp-784-1024-1024-10.onnx"
ls -l "$dir/mlp-784-1024-1024-10.onnx" | awk '{print "  file size " $5 " bytes"}'
[ -f models/fashion-mnist-cnn-8-16.onnx ] && "$bin" "$dir/load.lua" models/fashion-mnist-cnn-8-16.onnx
rm -rf "$dir"
