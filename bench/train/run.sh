#!/bin/sh
# Training speed, C++ (powertrain's trainer) against Python PyTorch (Debian's
# python3-torch, the same 1.13 LibTorch), same model, data shape, batch size
# and thread count, one after the other in this run.
#   bench/train/run.sh BUILD_DIR [THREADS]
set -eu
build=${1:?usage: run.sh BUILD_DIR [THREADS]}
threads=${2:-2}
here=$(cd "$(dirname "$0")" && pwd)
bench="$build/bench/train_bench"
[ -x "$bench" ] || { echo "run.sh: $bench not built (cmake --build $build --target train_bench)" >&2; exit 1; }

compare() {  # name, then the shared arguments
  name=$1; shift
  cpp=$("$bench" --threads "$threads" "$@")
  py=$(/usr/bin/python3 "$here/train_peer.py" --threads "$threads" "$@")
  /usr/bin/python3 - "$name" "$cpp" "$py" <<'PY'
import json, sys
name, cpp, py = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
print(f"{name}: C++ {cpp['samples_per_s']:.1f} samples/s, Python {py['samples_per_s']:.1f} samples/s, "
      f"ratio {cpp['samples_per_s'] / py['samples_per_s']:.2f}x; "
      f"C++ data wait {100 * cpp['data_wait_share']:.2f}% of step time "
      f"(Python slicing {100 * py['data_wait_share']:.2f}%)")
print("  cpp    ", json.dumps(cpp))
print("  python ", json.dumps(py))
PY
}

echo "threads: $threads; $(nproc) cores; $(/usr/bin/python3 -c 'import torch; print("torch", torch.__version__)')"
# Each side runs 3 epochs and reports its best epoch after the first (warm-up).
compare "PAMAP2 CNN, batch 64" --model pamap2 --batch-size 64 --epochs 3 --samples 4096
compare "ResNet18 64x64, batch 64" --model resnet18 --batch-size 64 --epochs 3 --samples 256
