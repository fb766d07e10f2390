#!/usr/bin/env bash
# Installs the reference trainer's dependencies from Debian: PyTorch 1.13 (CPU), onnx, numpy,
# pytest, OpenBLAS (Debian's torch links the reference BLAS by default: ~8× slower matmuls), and
# sentencepiece (the golden token ids of test/tokenizers, models/tokenizer_fixture.py).
# Idempotent: does nothing when they are already importable.
set -euo pipefail
PY=${TRIT_PYTHON:-/usr/bin/python3}
if "$PY" -c "import torch, onnx, numpy, pytest, sentencepiece" 2>/dev/null && [ -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 -o "$(uname -m)" != x86_64 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "models/setup.sh: need root (or sudo) to apt-get install python3-torch python3-onnx python3-numpy python3-pytest python3-sentencepiece libopenblas0-pthread" >&2; exit 1; }
  SUDO=sudo
fi
echo "models/setup.sh: installing python3-torch python3-onnx python3-numpy python3-pytest python3-sentencepiece libopenblas0-pthread (Debian)…" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  python3-torch python3-onnx python3-numpy python3-pytest python3-sentencepiece libopenblas0-pthread >/dev/null
"$PY" -c "import torch, onnx, numpy, pytest; print('models/setup.sh: torch', torch.__version__, 'onnx', onnx.__version__)" >&2
