#!/usr/bin/env python3
"""Quick tests of scripts/tools/train_mnist.py (a few seconds; no pytest needed).

Run: python3 scripts/tools/tests/test_train_mnist.py  (or scripts/tools/test_train.sh).
Prints one line per test and a final "train: P passed, F failed"; exits 1 on failure.
Also collectable by pytest (the test_* functions take no arguments).
"""

import argparse
import gzip
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import traceback

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(os.path.dirname(HERE), "train_mnist.py")
sys.path.insert(0, os.path.dirname(HERE))
import train_mnist as tm  # noqa: E402

NAMES = ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]


def write_idx(path, array, compress=False):
    """IDX writer written from the format definition (independent of the reader)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    head = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", s) for s in array.shape)
    raw = head + array.tobytes()
    with open(path, "wb") as fh:
        fh.write(gzip.compress(raw) if compress else raw)


def synthetic_dataset(directory, n_train=600, n_test=200, seed=1):
    """Learnable 28×28 classes: class c lights a 6×6 block at a class-specific place,
    on top of uniform noise; gzip for train files, plain for test files."""
    rng = np.random.default_rng(seed)

    def make(n):
        y = rng.integers(0, 10, size=n).astype(np.uint8)
        x = rng.integers(0, 90, size=(n, 28, 28)).astype(np.uint8)
        for i, c in enumerate(y):
            r, col = 2 + 8 * (c // 4), 2 + 6 * (c % 4)
            x[i, r:r + 6, col:col + 6] = 200 + rng.integers(0, 55)
        return x, y

    xtr, ytr = make(n_train)
    xte, yte = make(n_test)
    write_idx(os.path.join(directory, "train-images-idx3-ubyte.gz"), xtr, compress=True)
    write_idx(os.path.join(directory, "train-labels-idx1-ubyte.gz"), ytr, compress=True)
    write_idx(os.path.join(directory, "t10k-images-idx3-ubyte"), xte)
    write_idx(os.path.join(directory, "t10k-labels.idx1-ubyte"), yte)  # dotted spelling
    return xtr, ytr, xte, yte


def reference_forward(tensors, x, kind):
    """A plain float64 forward pass over the saved tensors (the oracle for accuracy); the
    Linear layers are found by their names 0., 2., 4., ... (any depth)."""
    a = x.astype(np.float64)
    layers = sorted(int(n.split(".")[0]) for n in tensors if n.endswith(".weight"))
    assert layers == list(range(0, 2 * len(layers), 2)), layers
    for layer in layers:
        w = tensors[f"{layer}.weight"].astype(np.float64)
        b = tensors[f"{layer}.bias"].astype(np.float64)
        a = a @ w.T + b
        if layer != layers[-1]:
            a = np.maximum(a, 0) if kind == "relu" else np.where(a > 0, a, np.exp(a) - 1)
    return a


def safetensors_header(path):
    """The JSON header of a safetensors file, parsed from the format definition (8-byte
    little-endian length, then JSON)."""
    with open(path, "rb") as fh:
        n = struct.unpack("<Q", fh.read(8))[0]
        return json.loads(fh.read(n))


def liplua_binary():
    """The liplua executable for the cross-checks: $LIPLUA, else .build/debug/liplua in this
    checkout; None when neither exists (the checks then say they skipped)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
    for p in (os.environ.get("LIPLUA"), os.path.join(root, ".build", "debug", "liplua")):
        if p and os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None


def liplua_outputs(binary, model, images, count):
    """liplua's logits for the first `count` images of an IDX file (lip.nn.load, net:outputs,
    lip.data.image), as a float64 array [count, outputs], and the network's sizes."""
    code = (
        "local net = lip.nn.load(arg[1]); local data = require 'lip.data'; "
        "local imgs = data.idx(arg[2]); "
        "print('sizes ' .. table.concat(net:sizes(), ' ')); "
        "for i = 1, tonumber(arg[3]) do local y = net:outputs(data.image(imgs, i)); "
        "local t = {}; for j = 1, #y do t[j] = string.format('%.17g', y[j]) end; "
        "print(table.concat(t, ' ')) end")
    with tempfile.TemporaryDirectory() as d:
        script = os.path.join(d, "outputs.lua")
        with open(script, "w") as fh:
            fh.write(code + "\n")
        r = subprocess.run([binary, script, model, images, str(count)], capture_output=True,
                           text=True, timeout=120)
    assert r.returncode == 0, (r.stdout, r.stderr)
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("sizes "), lines[:2]
    sizes = [int(v) for v in lines[0].split()[1:]]
    return np.array([[float(v) for v in ln.split()] for ln in lines[1:]]), sizes


def quick_args(data, out, **over):
    argv = ["--data", data, "--out", out, "--epochs", "4", "--retrain-epochs", "2",
            "--prune-steps", "2", "--keep", "0.05", "--batch", "32", "--seed", "3"]
    args = tm.parse_args(argv)
    for k, v in over.items():
        setattr(args, k, v)
    return args


def test_idx_reader_plain_gzip_and_errors():
    with tempfile.TemporaryDirectory() as d:
        a = (np.arange(2 * 3 * 4) * 7 % 256).astype(np.uint8).reshape(2, 3, 4)
        write_idx(os.path.join(d, "a"), a)
        write_idx(os.path.join(d, "a.gz"), a, compress=True)
        assert np.array_equal(tm.read_idx(os.path.join(d, "a")), a)
        assert np.array_equal(tm.read_idx(os.path.join(d, "a.gz")), a)
        raw = open(os.path.join(d, "a"), "rb").read()
        with open(os.path.join(d, "cut"), "wb") as fh:
            fh.write(raw[:-3])
        try:
            tm.read_idx(os.path.join(d, "cut"))
        except ValueError as e:
            assert "truncated" in str(e)
        else:
            raise AssertionError("a truncated IDX file was accepted")


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    # The paper's 784-300-100-10, a one-hidden-layer net and a three-hidden-layer one.
    for sizes, kind in [(tm.SIZES, "relu"), (tm.SIZES, "elu"), ((784, 12, 10), "relu"),
                        ((784, 7, 5, 6, 10), "elu")]:
        params = [p.astype(np.float64) for p in tm.init_params(rng, sizes)]
        x = rng.uniform(0, 1, size=(5, 784))
        y = rng.integers(0, 10, size=5)
        _, grads = tm.loss_and_grads(params, x, y, kind)
        assert [g.shape for g in grads] == [p.shape for p in params]
        h = 1e-6
        for pi in range(len(params)):
            for _ in range(4):
                idx = tuple(rng.integers(0, s) for s in params[pi].shape)
                old = params[pi][idx]
                params[pi][idx] = old + h
                lp, _ = tm.loss_and_grads(params, x, y, kind)
                params[pi][idx] = old - h
                lm, _ = tm.loss_and_grads(params, x, y, kind)
                params[pi][idx] = old
                fd = (lp - lm) / (2 * h)
                assert abs(fd - grads[pi][idx]) <= 1e-5 + 1e-4 * abs(fd), (kind, pi, idx, fd, grads[pi][idx])


def test_magnitude_masks_keep_the_largest():
    rng = np.random.default_rng(5)
    params = tm.init_params(rng)
    total = sum(p.size for p in params[0::2])
    g = tm.magnitude_masks(params, 0.05, "global")
    kept = sum(int(m.sum()) for m in g[0::2])
    assert kept == math.ceil(0.05 * total) and g[1] is None and g[3] is None and g[5] is None
    # Every kept |w| is at least every dropped |w| (over all matrices).
    kept_min = min(float(np.abs(p)[m == 1].min()) for p, m in zip(params[0::2], g[0::2]))
    dropped_max = max(float(np.abs(p)[m == 0].max()) for p, m in zip(params[0::2], g[0::2]))
    assert kept_min >= dropped_max
    lay = tm.magnitude_masks(params, 0.05, "layer")
    for p, m in zip(params[0::2], lay[0::2]):
        assert int(m.sum()) == math.ceil(0.05 * p.size)
        assert float(np.abs(p)[m == 1].min()) >= float(np.abs(p)[m == 0].max())


def test_training_run_synthetic():
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, "data")
        os.makedirs(data)
        _, _, xte, yte = synthetic_dataset(data)
        for kind in ("relu", "elu"):
            out = os.path.join(d, "out-" + kind)
            path, side = tm.train(quick_args(data, out, activation=kind), log=lambda s: None)
            hist = side["loss_history"]
            assert len(hist) == 4 and hist[-1] < 0.5 * hist[0], hist
            assert all(b < a for a, b in zip(hist, hist[1:])), hist
            assert side["test_accuracy_dense"] > 0.9, side["test_accuracy_dense"]
            assert side["test_accuracy_pruned"] > 0.5, side["test_accuracy_pruned"]

            from safetensors.numpy import load_file
            t = load_file(path)
            assert sorted(t) == sorted(NAMES)
            shapes = {"0.weight": (300, 784), "0.bias": (300,), "2.weight": (100, 300),
                      "2.bias": (100,), "4.weight": (10, 100), "4.bias": (10,)}
            for n in NAMES:
                assert t[n].shape == shapes[n] and t[n].dtype == np.float32, n
            nnz = sum(int(np.count_nonzero(t[n])) for n in NAMES[0::2])
            assert nnz == math.ceil(0.05 * 266200) == side["nonzero_weights"]["total"], nnz
            # Accuracy recomputed from the file by an independent forward pass.
            x = xte.reshape(-1, 784).astype(np.float64) / 255.0
            acc = float(np.mean(np.argmax(reference_forward(t, x, kind), axis=1) == yte))
            assert abs(acc - side["test_accuracy_pruned"]) < 1e-12, (acc, side)
            on_disk = json.load(open(path[:-len(".safetensors")] + ".json"))
            assert on_disk["activation"].startswith(kind) and on_disk["seed"] == 3
            assert on_disk["command"].startswith("python3 ")


def test_dense_one_hidden_layer_synthetic():
    """--hidden 24 --no-prune: a dense 784-24-10 network, named like the committed
    fashion-mnist-500-relu-dense; every weight kept, accuracy recomputed from the file, the
    same bytes for the same seed, and (when a built liplua is found) liplua's logits equal a
    float64 numpy forward pass of the file."""
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, "data")
        os.makedirs(data)
        _, _, xte, yte = synthetic_dataset(data, n_train=400, n_test=100)
        from safetensors.numpy import load_file
        paths = []
        for r in range(2):
            args = tm.parse_args(["--data", data, "--out", os.path.join(d, f"r{r}"),
                                  "--hidden", "24", "--no-prune", "--activation", "relu",
                                  "--epochs", "4", "--batch", "32", "--seed", "3"])
            path, side = tm.train(args, log=lambda s: None)
            paths.append(path)
        assert os.path.basename(path) == "mnist-24-relu-dense.safetensors", path
        assert not os.path.exists(path.replace("-dense", "-pruned"))
        # Deterministic: the same tensors and header. (Not the same bytes: the safetensors
        # package writes the metadata keys in hash order.)
        t, t2 = load_file(paths[0]), load_file(paths[1])
        assert sorted(t) == sorted(t2) and all(np.array_equal(t[n], t2[n]) for n in t)
        assert safetensors_header(paths[0]) == safetensors_header(paths[1])
        assert safetensors_header(path)["__metadata__"] == {
            "format": "pt", "activation": "relu", "activations": '["relu"]'}
        shapes = {"0.weight": (24, 784), "0.bias": (24,), "2.weight": (10, 24), "2.bias": (10,)}
        assert {n: a.shape for n, a in t.items()} == shapes, {n: a.shape for n, a in t.items()}
        assert all(a.dtype == np.float32 for a in t.values())
        assert int(np.count_nonzero(t["0.weight"])) == 24 * 784  # not pruned
        hist = side["loss_history"]
        assert len(hist) == 4 and hist[-1] < 0.5 * hist[0], hist
        x = xte.reshape(-1, 784).astype(np.float64) / 255.0
        acc = float(np.mean(np.argmax(reference_forward(t, x, "relu"), axis=1) == yte))
        assert abs(acc - side["test_accuracy_dense"]) < 1e-12 and acc > 0.9, (acc, side)
        on_disk = json.load(open(path[:-len(".safetensors")] + ".json"))
        assert on_disk["architecture"].startswith("784-24-10 ")
        assert on_disk["pruning"] == "none (dense)" and "test_accuracy_pruned" not in on_disk
        assert on_disk["nonzero_weights"] == {"total": 24 * 784 + 10 * 24, "of": 24 * 784 + 10 * 24}
        assert on_disk["parameters"] == 24 * 785 + 10 * 25 and on_disk["dtype"] == "float32"
        assert "--no-prune" in on_disk["command"] and on_disk["train_cpu_seconds"] >= 0

        binary = liplua_binary()
        if binary is None:
            print("  (liplua cross-check skipped: no $LIPLUA and no .build/debug/liplua)")
            return
        ys, sizes = liplua_outputs(binary, path, os.path.join(data, "t10k-images-idx3-ubyte"), 20)
        assert sizes == [784, 24, 10], sizes
        # liplua reads pixel / 255 in double; the oracle is the same in float64.
        ref = reference_forward(t, x[:20], "relu")
        assert np.allclose(ys, ref, rtol=1e-9, atol=1e-9), np.abs(ys - ref).max()


def test_committed_dense_models_match_liplua():
    """The committed dense 784-500-10 / 784-1024-10 networks: shapes, float32, no zero
    pruning, and liplua's logits on the 16 committed test images equal numpy's."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
    models = os.path.join(root, "models")
    images = os.path.join(models, "fashion-mnist-t10k-first16-images-idx3-ubyte")
    labels = os.path.join(models, "fashion-mnist-t10k-first16-labels-idx1-ubyte")
    from safetensors.numpy import load_file
    binary = liplua_binary()
    checked = 0
    for width in (500, 1024):
        path = os.path.join(models, f"fashion-mnist-{width}-relu-dense.safetensors")
        if not os.path.exists(path):
            continue
        t = load_file(path)
        assert {n: a.shape for n, a in t.items()} == {
            "0.weight": (width, 784), "0.bias": (width,), "2.weight": (10, width),
            "2.bias": (10,)}, path
        side = json.load(open(path[:-len(".safetensors")] + ".json"))
        assert side["pruning"] == "none (dense)" and side["test_accuracy_dense"] > 0.85, side
        x = tm.read_idx(images).reshape(-1, 784).astype(np.float64) / 255.0
        y = tm.read_idx(labels).astype(np.int64)
        ref = reference_forward(t, x, "relu")
        # Predictions of the float32 training forward pass (the script's own accuracy code).
        f32 = [a for n in ("0.weight", "0.bias", "2.weight", "2.bias") for a in [t[n]]]
        logits32, _ = tm.forward(f32, x.astype(np.float32), "relu")
        assert np.array_equal(np.argmax(logits32, axis=1), np.argmax(ref, axis=1))
        assert int(np.sum(np.argmax(ref, axis=1) == y)) >= 12, (np.argmax(ref, axis=1), y)
        if binary is not None:
            ys, sizes = liplua_outputs(binary, path, images, 16)
            assert sizes == [784, width, 10], sizes
            assert np.allclose(ys, ref, rtol=1e-9, atol=1e-9), np.abs(ys - ref).max()
            assert np.array_equal(np.argmax(ys, axis=1), np.argmax(ref, axis=1))
        checked += 1
    assert checked >= 1, "models/fashion-mnist-500-relu-dense.safetensors is missing"
    if binary is None:
        print("  (liplua cross-check skipped: no $LIPLUA and no .build/debug/liplua)")


def test_cli_rejects_bad_widths():
    for bad in (["--hidden", "0"], ["--hidden", "500,x"], ["--hidden", ""],
                ["--arch", "cnn", "--hidden", "500"], ["--arch", "cnn", "--no-prune"]):
        r = subprocess.run([sys.executable, SCRIPT] + bad, capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 2 and ("--hidden" in r.stderr or "hidden widths" in r.stderr), (bad, r.stderr)
    a = tm.parse_args(["--hidden", "500", "--no_prune"])  # both spellings of the flag
    assert a.hidden == (500,) and a.no_prune
    assert tm.parse_args([]).hidden == (300, 100) and not tm.parse_args([]).no_prune


def test_deterministic_for_a_seed():
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, "data")
        os.makedirs(data)
        synthetic_dataset(data, n_train=200, n_test=50)
        from safetensors.numpy import load_file
        runs = []
        for r in range(2):
            args = quick_args(data, os.path.join(d, f"r{r}"), activation="elu", epochs=1,
                              retrain_epochs=1)
            path, _ = tm.train(args, log=lambda s: None)
            runs.append(load_file(path))
        for n in NAMES:
            assert np.array_equal(runs[0][n], runs[1][n]), n


def test_cli_fashion_subset():
    if not os.path.isdir(tm.FASHION_DIR):
        print("  (skipped: dataset-fashion-mnist not installed)")
        return
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run([sys.executable, SCRIPT, "--subset", "1500", "--epochs", "3",
                            "--retrain-epochs", "1", "--prune-steps", "2", "--activation",
                            "relu", "--out", d], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        side = json.load(open(os.path.join(d, "fashion-mnist-300-100-relu-pruned.json")))
        assert side["train_images"] == 1500 and side["dataset"].startswith("Fashion-MNIST")
        assert side["loss_history"][-1] < side["loss_history"][0]
        assert side["test_accuracy_dense"] > 0.6, side
        assert "dense" in r.stdout and "pruned" in r.stdout


def test_cli_reports_missing_data():
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run([sys.executable, SCRIPT, "--data", d, "--out", d],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode != 0
        assert "train-images-idx3-ubyte" in r.stderr and "--data" in r.stderr, r.stderr


def main():
    tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_") and callable(f)]
    passed = failed = 0
    for name, f in tests:
        try:
            f()
            print(f"ok   {name}")
            passed += 1
        except Exception:
            print(f"FAIL {name}")
            traceback.print_exc()
            failed += 1
    print(f"train: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
