#!/usr/bin/env bash
# Every benchmark of bench/, each against its peer in the same run:
#   the sampler (CPU per read, share of a core at 1 s / 100 ms / 10 ms),
#   data (PAMAP2 parsing vs pandas, JPEG decode+resize vs Pillow),
#   training (C++ trainer vs Python PyTorch, same threads),
#   `track -- true` (wall time and peak RSS of the program without LibTorch).
# Usage: scripts/bench.sh BUILD_DIR   (make bench installs the peers first)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
THREADS=${THREADS:-2}

section() { printf '\n=== %s ===\n' "$*"; }

section "Sampler: $BUILD/bench/sampler_bench"
"$BUILD/bench/sampler_bench"

section "track -- true: bench/track/track_startup.py $BUILD/bin/powertrain"
python3 bench/track/track_startup.py "$BUILD/bin/powertrain"

section "Data: bench/data/run.sh $BUILD"
bench/data/run.sh "$BUILD"

if [ -x "$BUILD/bench/train_bench" ]; then
  section "Training: bench/train/run.sh $BUILD $THREADS"
  bench/train/run.sh "$BUILD" "$THREADS"
fi
