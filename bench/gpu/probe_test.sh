#!/usr/bin/env bash
# nvml_probe and probe_summary.py against the fake NVML with set physics:
# 100 W for 30 readings, 400 W for 30, 100 W after (one figure per read).
# The summary must find 100 W idle, 400 W under load, a power step within
# two readings of the load, and a counter that moves at every reading.
# Usage: probe_test.sh NVML_PROBE FAKE_NVML_LIBRARY SOURCE_DIR
set -euo pipefail
probe=$1 lib=$2 src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
power=$(python3 -c "print(','.join(['100000'] * 30 + ['400000'] * 30 + ['100000'] * 40))")
echo "gpu name=Probe uuid=GPU-1 power=$power energy=clock" >"$tmp/script"
FAKE_NVML_SCRIPT=$tmp/script "$probe" --interval-ms 10 --seconds 1 --nvml-library "$lib" \
  >"$tmp/probe.csv"
python3 - "$tmp/probe.csv" "$src" <<'PY'
import json, subprocess, sys
rows = open(sys.argv[1]).read().splitlines()
assert rows[0] == "t_s,device,power_mw,energy_mj,error", rows[0]
# The load starts at the 31st reading and ends at the 61st.
times = [float(r.split(",")[0]) for r in rows[1:]]
start, end = times[30], times[60]
out = subprocess.run([sys.executable, sys.argv[2] + "/bench/gpu/probe_summary.py", sys.argv[1],
                      str(start), str(end)], check=True, capture_output=True, text=True).stdout
s = json.loads(out)["gpu0"]
assert s["idle_mw"] == 100000 and s["burn_mw"] == 400000, s
assert s["power_rise_lag_s"] is not None and s["power_rise_lag_s"] < 0.025, s
assert s["counter_moves"] >= 90, s  # the clock counter advances between 10 ms reads
print("ok:", json.dumps(s))
PY
