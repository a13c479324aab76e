#!/usr/bin/env python3
"""Train and prune the 784-300-100-10 network of the LiPopt paper's MNIST experiment.

Other MLP widths with ``--hidden`` (e.g. ``--hidden 500`` for 784-500-10, any number of
hidden layers), and dense networks without pruning with ``--no-prune`` (the networks of the
SDP benchmarks: ``--hidden 500 --no-prune`` writes <dataset>-500-<act>-dense.safetensors).
Sequential names continue the same way (``0.``, ``2.``, ``4.``, ... one per Linear).

The network is f(x) = W_3 σ(W_2 σ(W_1 x + b_1) + b_2) + b_3 with x ∈ [0,1]^784 (pixel / 255,
row-major 28×28), σ = ReLU or ELU(α=1), written as a torch ``nn.Sequential`` would name it:
``0.weight``, ``0.bias`` (300×784, 300), ``2.weight``, ``2.bias`` (100×300, 100),
``4.weight``, ``4.bias`` (10×100, 10); weights are stored [out, in] in float32.

Procedure (numpy only; deterministic for a fixed seed, BLAS build and thread count):
  1. PyTorch's default initialisation U(−1/√fan_in, 1/√fan_in) for weights and biases.
  2. Adam (lr 1e-3, β = (0.9, 0.999)), mini-batches of 128, softmax cross entropy,
     ``--epochs`` passes over the training set.
  3. Iterative magnitude pruning (biases are not pruned): the kept fraction goes
     1 → ``--keep`` geometrically over ``--prune-steps`` steps; at each step the
     smallest-magnitude weights are zeroed, ranked over all three weight matrices together
     (``--prune-scope global``, default) or within each matrix (``layer``); the mask is kept
     fixed and the network is retrained for ``--retrain-epochs`` epochs (gradients and Adam
     moments are masked, so pruned weights stay exactly 0.0).
  4. Test accuracy is reported before and after pruning; the pruned network is written as
     safetensors with a JSON sidecar describing how it was made.

Data: ``--data DIR`` with MNIST IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-
ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]; the names with a dot,
``train-images.idx3-ubyte``, are accepted too). Without ``--data`` the Debian package
``dataset-fashion-mnist`` (/usr/share/datasets/fashion-mnist) is used.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gzip
import json
import os
import platform
import shlex
import struct
import sys
import time

import numpy as np

FASHION_DIR = "/usr/share/datasets/fashion-mnist"
SIZES = (784, 300, 100, 10)


# --------------------------------------------------------------------------------------------
# IDX files
# --------------------------------------------------------------------------------------------

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed, detected by its magic bytes)."""
    with open(path, "rb") as fh:
        raw = fh.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: not an IDX file (the first two bytes must be zero)")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_TYPES:
        raise ValueError(f"{path}: unknown IDX element type 0x{code:02x}")
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"{path}: truncated IDX header ({ndim} dimensions announced)")
    shape = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    dtype = np.dtype(_IDX_TYPES[code])
    count = int(np.prod(shape)) if ndim else 1
    body = raw[4 + 4 * ndim:]
    if len(body) < count * dtype.itemsize:
        raise ValueError(f"{path}: truncated IDX data: {len(body)} bytes for shape {shape}, "
                         f"need {count * dtype.itemsize}")
    return np.frombuffer(body, dtype=dtype, count=count).reshape(shape)


def _find(directory: str, stem: str) -> str:
    # stem like "train-images-idx3-ubyte"; also accept "train-images.idx3-ubyte".
    dotted = stem.replace("-idx", ".idx")
    for name in (stem, stem + ".gz", dotted, dotted + ".gz"):
        p = os.path.join(directory, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(
        f"{directory}: no {stem}[.gz] found; pass --data DIR with the four MNIST IDX files "
        f"(train-images, train-labels, t10k-images, t10k-labels)")


def load_dataset(directory: str):
    """Return (x_train, y_train, x_test, y_test); x in [0,1] float32 of shape (n, 784)."""
    out = []
    for split in ("train", "t10k"):
        images = read_idx(_find(directory, f"{split}-images-idx3-ubyte"))
        labels = read_idx(_find(directory, f"{split}-labels-idx1-ubyte"))
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise ValueError(f"{directory}: {split} images have shape {images.shape}, "
                             f"expected (n, 28, 28)")
        if labels.shape != (images.shape[0],):
            raise ValueError(f"{directory}: {split} labels shape {labels.shape} does not match "
                             f"{images.shape[0]} images")
        x = images.reshape(images.shape[0], 784).astype(np.float32) / np.float32(255.0)
        y = labels.astype(np.int64)
        if y.min() < 0 or y.max() > 9:
            raise ValueError(f"{directory}: {split} labels outside 0..9")
        out += [x, y]
    return tuple(out)


# --------------------------------------------------------------------------------------------
# The network
# --------------------------------------------------------------------------------------------

def init_params(rng: np.random.Generator, sizes=SIZES):
    """PyTorch nn.Linear default: W, b ~ U(−1/√fan_in, 1/√fan_in), layer by layer for the
    widths ``sizes`` (input, hidden..., output)."""
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / np.sqrt(n_in)
        w = rng.uniform(-bound, bound, size=(n_out, n_in)).astype(np.float32)
        b = rng.uniform(-bound, bound, size=(n_out,)).astype(np.float32)
        params += [w, b]
    return params


def act(z, kind):
    if kind == "relu":
        return np.maximum(z, 0.0)
    # ELU(α=1): z for z > 0, exp(z) − 1 otherwise.
    return np.where(z > 0, z, np.expm1(np.minimum(z, 0.0)))


def act_grad(z, a, kind):
    if kind == "relu":
        return (z > 0).astype(z.dtype)
    # ELU'(z) = 1 for z > 0, exp(z) = a + 1 otherwise.
    return np.where(z > 0, np.float32(1.0), a + np.float32(1.0))


def forward(params, x, kind):
    """Logits of the MLP with parameters [W_1, b_1, ..., W_L, b_L] (any depth L ≥ 1), and the
    cache (x, z_1, a_1, ..., z_{L−1}, a_{L−1}) for the backward pass."""
    depth = len(params) // 2
    cache = [x]
    a = x
    for l in range(depth - 1):
        z = a @ params[2 * l].T + params[2 * l + 1]
        a = act(z, kind)
        cache += [z, a]
    logits = a @ params[-2].T + params[-1]
    return logits, tuple(cache)


def loss_and_grads(params, x, y, kind):
    """Mean softmax cross entropy and its gradients with respect to every parameter."""
    depth = len(params) // 2
    logits, cache = forward(params, x, kind)
    m = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - m)
    s = e.sum(axis=1, keepdims=True)
    n = x.shape[0]
    loss = float(np.mean(np.log(s[:, 0]) + m[:, 0] - logits[np.arange(n), y]))
    g = e / s
    g[np.arange(n), y] -= 1.0
    g /= np.float32(n)
    grads = [None] * len(params)
    d = g                       # ∂loss/∂z_l for the current layer l, from the last one down
    for l in range(depth - 1, -1, -1):
        a_prev = cache[2 * l]   # x for l = 0, else a_l
        grads[2 * l] = d.T @ a_prev
        grads[2 * l + 1] = d.sum(axis=0)
        if l > 0:
            d = (d @ params[2 * l]) * act_grad(cache[2 * l - 1], a_prev, kind)
    return loss, grads


def accuracy(params, x, y, kind, batch=2000):
    correct = 0
    for i in range(0, x.shape[0], batch):
        logits, _ = forward(params, x[i:i + batch], kind)
        correct += int(np.sum(np.argmax(logits, axis=1) == y[i:i + batch]))
    return correct / x.shape[0]


class Adam:
    def __init__(self, params, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
        self.lr, self.b1, self.b2, self.eps = lr, b1, b2, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, params, grads, masks):
        self.t += 1
        c1 = 1.0 - self.b1 ** self.t
        c2 = 1.0 - self.b2 ** self.t
        step = np.float32(self.lr * np.sqrt(c2) / c1)
        for p, g, m, v, mask in zip(params, grads, self.m, self.v, masks):
            if mask is not None:
                g *= mask
            m *= np.float32(self.b1)
            m += np.float32(1.0 - self.b1) * g
            v *= np.float32(self.b2)
            v += np.float32(1.0 - self.b2) * (g * g)
            p -= step * m / (np.sqrt(v) + np.float32(self.eps))
            if mask is not None:
                p *= mask


def run_epochs(params, masks, opt, x, y, kind, epochs, batch, rng, log, label):
    """Train in place; returns the list of mean losses per epoch."""
    history = []
    n = x.shape[0]
    for epoch in range(epochs):
        order = rng.permutation(n)
        total, count = 0.0, 0
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            loss, grads = loss_and_grads(params, x[idx], y[idx], kind)
            opt.step(params, grads, masks)
            total += loss * len(idx)
            count += len(idx)
        history.append(total / count)
        log(f"  {label} epoch {epoch + 1}/{epochs}: loss {history[-1]:.4f}")
    return history


def magnitude_masks(params, keep, scope="layer"):
    """Masks keeping the largest |w|: ceil(keep·size) per weight matrix (scope "layer"),
    or ceil(keep·total) over all weight matrices together (scope "global").
    Ties are broken by position (stable sort), so the result is deterministic."""
    weights = params[0::2]
    if scope == "global":
        flat = np.concatenate([np.abs(w).ravel() for w in weights])
        k = max(1, int(np.ceil(keep * flat.size)))
        mask = np.zeros(flat.size, dtype=np.float32)
        mask[np.argsort(-flat, kind="stable")[:k]] = 1.0
        parts, start = [], 0
        for w in weights:
            parts.append(mask[start:start + w.size].reshape(w.shape))
            start += w.size
    else:
        parts = []
        for w in weights:
            k = max(1, int(np.ceil(keep * w.size)))
            mask = np.zeros(w.size, dtype=np.float32)
            mask[np.argsort(-np.abs(w).ravel(), kind="stable")[:k]] = 1.0
            parts.append(mask.reshape(w.shape))
    out = []
    for m in parts:
        out += [m, None]  # biases are not pruned
    return out


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------

def train(args, log=print):
    try:
        import safetensors.numpy as stnp
    except ImportError:
        sys.exit("train_mnist.py: the Python package 'safetensors' is missing; "
                 "install it with `pip install safetensors`")

    if args.data:
        data_dir, dataset = args.data, f"MNIST IDX files from {args.data}"
    else:
        if not os.path.isdir(FASHION_DIR):
            sys.exit(f"train_mnist.py: {FASHION_DIR} is missing; install it with "
                     f"`apt-get install -y dataset-fashion-mnist` or pass --data DIR")
        data_dir, dataset = FASHION_DIR, "Fashion-MNIST (Debian dataset-fashion-mnist)"
    x_train, y_train, x_test, y_test = load_dataset(data_dir)
    if args.subset:
        x_train, y_train = x_train[:args.subset], y_train[:args.subset]
        x_test, y_test = x_test[:args.subset], y_test[:args.subset]
        dataset += f", first {args.subset} train / test images"
    if not 0.0 < args.keep <= 1.0:
        sys.exit("train_mnist.py: --keep must be in (0, 1], e.g. 0.05 for 5% of the weights")
    hidden = tuple(getattr(args, "hidden", SIZES[1:-1]))
    sizes = (784,) + hidden + (10,)
    arch = "-".join(str(k) for k in sizes)
    prune = not getattr(args, "no_prune", False)

    rng = np.random.default_rng(args.seed)
    params = init_params(rng, sizes)
    masks = [None] * len(params)
    opt = Adam(params, lr=args.lr)
    t0 = time.perf_counter()
    c0 = time.process_time()
    log(f"{args.activation}: training {arch} on {x_train.shape[0]} images")
    history = run_epochs(params, masks, opt, x_train, y_train, args.activation,
                         args.epochs, args.batch, rng, log, "dense")
    acc_dense = accuracy(params, x_test, y_test, args.activation)
    log(f"{args.activation}: dense test accuracy {acc_dense:.4f}")

    dense = [p.copy() for p in params]
    steps = max(1, args.prune_steps)
    schedule = [args.keep ** ((i + 1) / steps) for i in range(steps)] if prune else []
    prune_history = []
    for keep in schedule:
        masks = magnitude_masks(params, keep, args.prune_scope)
        for p, m in zip(params, masks):
            if m is not None:
                p *= m
        opt = Adam(params, lr=args.lr)  # fresh moments after each pruning step
        h = run_epochs(params, masks, opt, x_train, y_train, args.activation,
                       args.retrain_epochs, args.batch, rng, log, f"keep {keep:.3f}")
        prune_history.append({"keep": keep, "loss": h,
                              "test_accuracy": accuracy(params, x_test, y_test,
                                                        args.activation)})
        log(f"{args.activation}: keep {keep:.3f}: test accuracy "
            f"{prune_history[-1]['test_accuracy']:.4f}")
    acc_pruned = accuracy(params, x_test, y_test, args.activation) if prune else acc_dense
    seconds = time.perf_counter() - t0
    cpu_seconds = time.process_time() - c0

    # nn.Sequential names: Linear modules at 0, 2, 4, ... (an activation module between).
    names = [f"{2 * l}.{k}" for l in range(len(sizes) - 1) for k in ("weight", "bias")]
    tensors = {n: np.ascontiguousarray(p, dtype=np.float32) for n, p in zip(names, params)}
    weights = [tensors[n] for n in names[0::2]]
    nnz = [int(np.count_nonzero(w)) for w in weights]
    total = sum(w.size for w in weights)

    os.makedirs(args.out, exist_ok=True)
    stem = "-".join(str(k) for k in hidden)
    base = args.name or f"{'mnist' if args.data else 'fashion-mnist'}-{stem}-{args.activation}"
    meta = {"format": "pt", "activation": args.activation,
            "activations": json.dumps([args.activation] * len(hidden))}
    path = os.path.join(args.out, f"{base}-{'pruned' if prune else 'dense'}.safetensors")
    stnp.save_file(tensors, path, metadata=meta)
    if args.save_dense and prune:
        stnp.save_file({n: np.ascontiguousarray(p) for n, p in zip(names, dense)},
                       os.path.join(args.out, f"{base}-dense.safetensors"), metadata=meta)
    modules = ", ".join(f"{i} Linear" if i % 2 == 0 else f"{i} act"
                        for i in range(2 * len(sizes) - 3))
    sidecar = {
        "architecture": f"{arch} (nn.Sequential: {modules})",
        "activation": args.activation if args.activation == "relu" else "elu (alpha = 1)",
        "input": "pixels / 255 in [0,1], flattened row-major 28x28",
        "dtype": "float32",
        "dataset": dataset,
        "train_images": int(x_train.shape[0]),
        "test_images": int(x_test.shape[0]),
        "test_accuracy_dense": acc_dense,
    }
    if prune:
        sidecar.update({
            "test_accuracy_pruned": acc_pruned,
            "kept_fraction": sum(nnz) / total,
            "nonzero_weights": {**{n: k for n, k in zip(names[0::2], nnz)},
                                "total": sum(nnz), "of": total},
            "pruning": f"iterative {args.prune_scope} magnitude pruning, keep schedule "
                       f"{[round(k, 4) for k in schedule]}, {args.retrain_epochs} retraining "
                       f"epoch(s) per step with the mask fixed; biases not pruned",
        })
    else:
        sidecar.update({"parameters": int(sum(p.size for p in params)),
                        "nonzero_weights": {"total": sum(nnz), "of": total},
                        "pruning": "none (dense)"})
    sidecar.update({
        "optimizer": f"Adam lr {args.lr}, batch {args.batch}",
        "epochs": args.epochs,
    })
    if prune:
        sidecar.update({"retrain_epochs": args.retrain_epochs, "prune_steps": steps})
    sidecar.update({
        "seed": args.seed,
        "loss_history": history,
    })
    if prune:
        sidecar["prune_history"] = prune_history
    sidecar.update({
        "train_seconds": round(seconds, 1),
        "train_cpu_seconds": round(cpu_seconds, 1),
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": "python3 " + " ".join(shlex.quote(a) for a in [sys.argv[0]] + args.argv),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} "
                   f"{platform.release()}",
        "numpy": np.__version__,
        "python": platform.python_version(),
    })
    with open(path[:-len(".safetensors")] + ".json", "w") as fh:
        json.dump(sidecar, fh, indent=2)
        fh.write("\n")
    if prune:
        log(f"{args.activation}: dense {acc_dense:.4f} → pruned {acc_pruned:.4f} "
            f"({sum(nnz)}/{total} weights kept) in {seconds:.1f} s "
            f"({cpu_seconds:.1f} s CPU); wrote {path}")
    else:
        log(f"{args.activation}: {arch} dense (not pruned): test accuracy {acc_dense:.4f} "
            f"in {seconds:.1f} s ({cpu_seconds:.1f} s CPU); wrote {path}")
    return path, sidecar


# --------------------------------------------------------------------------------------------
# The convolutional benchmark network (--arch cnn): conv 1→8 3×3 stride 2, ReLU, conv 8→16
# 3×3 stride 2, ReLU, linear 576→10 (no padding: 28 → 13 → 6). Written as ONNX.
# --------------------------------------------------------------------------------------------

CNN_CHANNELS = (1, 8, 16)


def cnn_init(rng):
    """PyTorch's default init for Conv2d/Linear: U(−1/√fan_in, 1/√fan_in), fan_in = C·k·k."""
    params = []
    for cin, cout in zip(CNN_CHANNELS[:-1], CNN_CHANNELS[1:]):
        bound = 1.0 / np.sqrt(cin * 9)
        params += [rng.uniform(-bound, bound, (cout, cin, 3, 3)).astype(np.float32),
                   rng.uniform(-bound, bound, cout).astype(np.float32)]
    bound = 1.0 / np.sqrt(16 * 6 * 6)
    params += [rng.uniform(-bound, bound, (10, 576)).astype(np.float32),
               rng.uniform(-bound, bound, 10).astype(np.float32)]
    return params


def _patches(x):
    """x [B, C, H, W] → patches [B·OH·OW, C·9] of the 3×3 stride-2 windows (no padding)."""
    w = np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(2, 3))[:, :, ::2, ::2]
    B, C, OH, OW = w.shape[:4]
    return np.ascontiguousarray(w.transpose(0, 2, 3, 1, 4, 5)).reshape(B * OH * OW, C * 9), (B, C, OH, OW)


def _conv(x, W, b):
    P, (B, C, OH, OW) = _patches(x)
    out = P @ W.reshape(W.shape[0], -1).T + b
    return out.reshape(B, OH, OW, -1).transpose(0, 3, 1, 2), P


def _conv_back(dout, P, W, xshape):
    B, M, OH, OW = dout.shape
    d = dout.transpose(0, 2, 3, 1).reshape(-1, M)
    dW = (d.T @ P).reshape(W.shape)
    db = d.sum(axis=0)
    dP = (d @ W.reshape(M, -1)).reshape(B, OH, OW, xshape[1], 3, 3)
    dx = np.zeros(xshape, dtype=dout.dtype)
    for ky in range(3):
        for kx in range(3):
            dx[:, :, ky:ky + 2 * OH:2, kx:kx + 2 * OW:2] += dP[:, :, :, :, ky, kx].transpose(0, 3, 1, 2)
    return dx, dW, db


def cnn_forward(params, x):
    W1, b1, W2, b2, W3, b3 = params
    x = x.reshape(-1, 1, 28, 28)
    z1, P1 = _conv(x, W1, b1); a1 = np.maximum(z1, 0)
    z2, P2 = _conv(a1, W2, b2); a2 = np.maximum(z2, 0)
    f = a2.reshape(a2.shape[0], -1)
    return f @ W3.T + b3, (x, z1, P1, a1, z2, P2, f)


def cnn_loss_and_grads(params, x, y):
    W1, b1, W2, b2, W3, b3 = params
    logits, (x4, z1, P1, a1, z2, P2, f) = cnn_forward(params, x)
    logits = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(logits); p /= p.sum(axis=1, keepdims=True)
    n = x.shape[0]
    loss = float(-np.mean(np.log(p[np.arange(n), y] + 1e-12)))
    d = p; d[np.arange(n), y] -= 1; d /= n
    gW3, gb3 = d.T @ f, d.sum(axis=0)
    da2 = (d @ W3).reshape(z2.shape) * (z2 > 0)
    da1, gW2, gb2 = _conv_back(da2, P2, W2, a1.shape)
    _, gW1, gb1 = _conv_back(da1 * (z1 > 0), P1, W1, x4.shape)
    return loss, [g.astype(np.float32) for g in (gW1, gb1, gW2, gb2, gW3, gb3)]


def cnn_accuracy(params, x, y, batch=2000):
    return sum(int(np.sum(np.argmax(cnn_forward(params, x[i:i + batch])[0], axis=1) == y[i:i + batch]))
               for i in range(0, x.shape[0], batch)) / x.shape[0]


def write_cnn_onnx(params, path):
    import onnx
    from onnx import helper, numpy_helper, TensorProto
    W1, b1, W2, b2, W3, b3 = params
    nodes = [helper.make_node("Conv", ["input", "conv1.weight", "conv1.bias"], ["z1"], strides=[2, 2], kernel_shape=[3, 3], name="conv1"),
             helper.make_node("Relu", ["z1"], ["a1"], name="relu1"),
             helper.make_node("Conv", ["a1", "conv2.weight", "conv2.bias"], ["z2"], strides=[2, 2], kernel_shape=[3, 3], name="conv2"),
             helper.make_node("Relu", ["z2"], ["a2"], name="relu2"),
             helper.make_node("Flatten", ["a2"], ["f"], axis=1, name="flatten"),
             helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["logits"], transB=1, name="fc")]
    inits = [numpy_helper.from_array(np.ascontiguousarray(a, dtype=np.float32), n) for n, a in
             zip(["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc.weight", "fc.bias"], params)]
    g = helper.make_graph(nodes, "fashion_mnist_cnn",
                          [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 28, 28])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="liplua train_mnist.py")
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, path)


def train_cnn(args, log=print):
    if args.data:
        data_dir, dataset = args.data, f"MNIST IDX files from {args.data}"
    else:
        if not os.path.isdir(FASHION_DIR):
            sys.exit(f"train_mnist.py: {FASHION_DIR} is missing; install it with "
                     f"`apt-get install -y dataset-fashion-mnist` or pass --data DIR")
        data_dir, dataset = FASHION_DIR, "Fashion-MNIST (Debian dataset-fashion-mnist)"
    x_train, y_train, x_test, y_test = load_dataset(data_dir)
    if args.subset:
        x_train, y_train = x_train[:args.subset], y_train[:args.subset]
        x_test, y_test = x_test[:args.subset], y_test[:args.subset]
        dataset += f", first {args.subset} train / test images"
    rng = np.random.default_rng(args.seed)
    params = cnn_init(rng)
    opt = Adam(params, lr=args.lr)
    t0 = time.perf_counter()
    history = []
    n = x_train.shape[0]
    for epoch in range(args.epochs):
        order = rng.permutation(n)
        total = 0.0
        for i in range(0, n, args.batch):
            idx = order[i:i + args.batch]
            loss, grads = cnn_loss_and_grads(params, x_train[idx], y_train[idx])
            opt.step(params, grads, [None] * len(params))
            total += loss * len(idx)
        history.append(total / n)
        log(f"  cnn epoch {epoch + 1}/{args.epochs}: loss {history[-1]:.4f}")
    acc = cnn_accuracy(params, x_test, y_test)
    seconds = time.perf_counter() - t0
    os.makedirs(args.out, exist_ok=True)
    base = args.name or f"{'mnist' if args.data else 'fashion-mnist'}-cnn-8-16"
    path = os.path.join(args.out, base + ".onnx")
    write_cnn_onnx(params, path)
    sidecar = {
        "architecture": "Conv(1→8, 3×3, stride 2) → ReLU → Conv(8→16, 3×3, stride 2) → ReLU → Flatten → Linear(576→10); no padding (28 → 13 → 6)",
        "input": "pixels / 255 in [0,1], shape [N, 1, 28, 28]",
        "dataset": dataset,
        "train_images": int(x_train.shape[0]), "test_images": int(x_test.shape[0]),
        "test_accuracy": acc,
        "parameters": int(sum(p.size for p in params)),
        "optimizer": f"Adam lr {args.lr}, batch {args.batch}", "epochs": args.epochs, "seed": args.seed,
        "loss_history": history, "train_seconds": round(seconds, 1),
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": "python3 " + " ".join(shlex.quote(a) for a in [sys.argv[0]] + args.argv),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "numpy": np.__version__, "python": platform.python_version(),
    }
    with open(path[:-len(".onnx")] + ".json", "w") as fh:
        json.dump(sidecar, fh, indent=2)
        fh.write("\n")
    log(f"cnn: test accuracy {acc:.4f} in {seconds:.1f} s; wrote {path}")
    return path, sidecar


def _widths(text):
    """--hidden: comma-separated positive hidden-layer widths, e.g. "300,100" or "500"."""
    try:
        widths = tuple(int(t) for t in text.split(","))
    except ValueError:
        widths = ()
    if not widths or any(w < 1 or w > 1_000_000 for w in widths):
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a list of hidden widths; write e.g. 300,100 or 500")
    return widths


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="directory with MNIST IDX files (default: Fashion-MNIST "
                                   "from the Debian package dataset-fashion-mnist)")
    ap.add_argument("--arch", choices=["mlp", "cnn"], default="mlp",
                    help="mlp: the pruned 784-300-100-10 (safetensors; other widths with "
                         "--hidden, unpruned with --no-prune); cnn: the convolutional "
                         "benchmark network (ONNX, ReLU, not pruned)")
    ap.add_argument("--hidden", type=_widths, default=None, metavar="W[,W...]",
                    help="mlp hidden-layer widths, comma-separated (300,100); "
                         "e.g. 500 for a 784-500-10 network")
    ap.add_argument("--no-prune", "--no_prune", dest="no_prune", action="store_true",
                    help="mlp: train only, no pruning; writes <stem>-dense.safetensors "
                         "(the pruning options are then ignored)")
    ap.add_argument("--activation", choices=["relu", "elu", "both"], default="both")
    ap.add_argument("--epochs", type=int, default=12, help="dense training epochs (12)")
    ap.add_argument("--retrain-epochs", type=int, default=3,
                    help="retraining epochs after each pruning step (3)")
    ap.add_argument("--prune-steps", type=int, default=5,
                    help="pruning steps from 100%% to --keep, geometric (5)")
    ap.add_argument("--keep", type=float, default=0.05,
                    help="fraction of each weight matrix kept (0.05)")
    ap.add_argument("--prune-scope", choices=["global", "layer"], default="global",
                    help="rank magnitudes over all weight matrices together (global, "
                         "default) or within each matrix (layer)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--subset", type=int, default=0,
                    help="use only the first N train and test images (quick tests)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="models", help="output directory (models)")
    ap.add_argument("--name", help="file stem (default <dataset>-<hidden widths>-<activation>, "
                                   "e.g. fashion-mnist-300-100-relu)")
    ap.add_argument("--save-dense", action="store_true",
                    help="also write the network before pruning")
    args = ap.parse_args(argv)
    if args.arch == "cnn" and (args.hidden is not None or args.no_prune):
        ap.error("--hidden and --no-prune are for --arch mlp (the cnn is never pruned)")
    if args.hidden is None:
        args.hidden = SIZES[1:-1]
    args.argv = list(argv)
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.arch == "cnn":
        train_cnn(args, log=lambda s: print(s, flush=True))
        return
    kinds = ["relu", "elu"] if args.activation == "both" else [args.activation]
    if args.name and len(kinds) > 1:
        sys.exit("train_mnist.py: --name needs a single --activation")
    for kind in kinds:
        sub = argparse.Namespace(**vars(args))
        sub.activation = kind
        train(sub, log=lambda s: print(s, flush=True))


if __name__ == "__main__":
    main()
