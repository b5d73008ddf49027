#!/usr/bin/env bash
# The energy-aware search against the whole grid, on generated PAMAP2 with a
# fixed seed: runs the 4x4 grid once (a sweep) and the search once, both
# with real training (powertrain-torch, threads as in search.toml), then
# prints the search's spent energy as a share of the grid's, the chosen
# setup's energy to the target against the grid's cheapest, and the median
# errors of the predicted run energy (ours and the Carbontracker baseline).
#   bench/search/run.sh BUILD_DIR [OUT_DIR] [TARGET]
# BUILD_DIR must hold bin/powertrain and bin/powertrain-torch (a build with
# LibTorch). Energy comes from whatever sensor the machine has; without
# RAPL or NVML it is the power model's (modelled), as the figures say. The
# grid and the search run one after the other: on a machine shared with
# other work, their epochs' durations (and so their energy) differ with its
# load; the epoch counts printed beside do not.
set -euo pipefail
BUILD=${1:?usage: bench/search/run.sh BUILD_DIR [OUT_DIR] [TARGET]}
OUT=${2:-$BUILD/bench-search}
TARGET=${3:-best-0.02}
here=$(cd "$(dirname "$0")" && pwd)
pt=$BUILD/bin/powertrain
for f in "$pt" "$BUILD/bin/powertrain-torch"; do
  [ -x "$f" ] || { echo "missing $f: build with -DPOWERTRAIN_WITH_TORCH=ON" >&2; exit 1; }
done
mkdir -p "$OUT"
DATA=$OUT/pamap2
[ -f "$DATA/Protocol/subject101.dat" ] ||
  "$pt" synth pamap2 --out "$DATA" --minutes 2 --seed 7 >/dev/null
# Fresh databases each time: the figures are of one grid and one search.
rm -f "$OUT"/grid.db* "$OUT"/search.db*
start=$(date +%s)
"$pt" sweep "$here/search.toml" --data "$DATA" --db "$OUT/grid.db" --order fixed >"$OUT/grid.log"
mid=$(date +%s)
"$pt" search "$here/search.toml" --data "$DATA" --db "$OUT/search.db" --target "$TARGET" \
  >"$OUT/search.log"
end=$(date +%s)
rm -rf "$OUT/report" && mkdir -p "$OUT/report"
"$pt" report "$OUT/grid.db" "$OUT/search.db" --format json --out "$OUT/report" >/dev/null
echo "grid: $((mid - start)) s, search: $((end - mid)) s (wall); logs in $OUT"
/usr/bin/python3 "$here/figures.py" "$OUT/grid.db" "$OUT/search.db" \
  "$OUT/report/predictions.json" "$TARGET"
