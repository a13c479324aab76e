#!/bin/sh
# Quick tests of scripts/tools/train_mnist.py: gradients, pruning masks, a short training run
# on synthetic IDX data (loss decreases, safetensors files load with the expected names),
# determinism, and a Fashion-MNIST subset run when the Debian package is installed; a tiny
# dense one-hidden-layer run (--hidden 24 --no-prune) and the committed dense networks, whose
# liplua logits must equal numpy's when a liplua binary is found ($LIPLUA, else
# .build/debug/liplua; scripts/tools/test builds it before running this).
# Prints "train: P passed, F failed"; exits non-zero on failure.
set -u
cd "$(dirname "$0")/../.." || exit 2
if ! python3 -c "import numpy, safetensors" 2>/dev/null; then
  echo "test_train.sh: needs python3 with numpy and safetensors (pip install safetensors)" >&2
  echo "train: 0 passed, 1 failed"
  exit 1
fi
exec python3 scripts/tools/tests/test_train_mnist.py
