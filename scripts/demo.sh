#!/usr/bin/env bash
# The main job on generated data: a tracked command split into epochs, then
# the study's method end to end: generate PAMAP2 in the real format, run the
# quick sweep (the 16 setups of Table 1), and write its report as text and
# as a self-contained HTML page. Usage: scripts/demo.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
PT="$BUILD/bin/powertrain"
OUT=${DEMO_OUT:-out/demo}
mkdir -p "$OUT"

section() { printf '\n=== %s ===\n' "$*"; }

section "Sensors on this machine"
"$PT" devices

section "Tracking a command that prints its epochs"
"$PT" track --db "$OUT/track.db" -- sh -c 'for i in 1 2 3; do echo "Epoch $i"; sleep 1; done'

section "Generating PAMAP2 files in the real format"
if [ ! -d "$OUT/pamap2/Protocol" ]; then
  "$PT" synth pamap2 --out "$OUT/pamap2" --minutes 2
fi
"$PT" data check pamap2 "$OUT/pamap2"

section "The quick sweep: 16 setups of Table 1 (resumes if stopped)"
"$PT" sweep experiments/quick.toml --data "$OUT/pamap2" --db "$OUT/quick.db"
"$PT" status experiments/quick.toml --db "$OUT/quick.db"

section "The report"
"$PT" report "$OUT/quick.db"
"$PT" report "$OUT/quick.db" --format html --out "$OUT/report"
echo
echo "HTML report: $OUT/report/report.html (opens offline)"
