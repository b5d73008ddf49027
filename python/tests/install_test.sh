#!/usr/bin/env bash
# `cmake --install` puts the Python module in the prefix's site folder
# (lib/python3.X/dist-packages for Debian's interpreter), and the installed
# copy, not the build tree's, imports and measures.
#
# usage: install_test.sh BUILD_DIR PYTHON SITE_DIR
set -u
build=$(readlink -f "$1")
python=$2
site=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! cmake --install "$build" --component python --prefix "$work/p" >"$work/log" 2>&1; then
  echo "FAIL: cmake --install: $(cat "$work/log")" >&2
  exit 1
fi
cd "$work" || exit 1
PYTHONPATH="$work/p/$site" "$python" - "$work/p/$site" <<'PY'
import os, sys
import powertrain
where = os.path.dirname(os.path.realpath(powertrain.__file__))
assert where == os.path.realpath(sys.argv[1]), f"imported from {where}, not {sys.argv[1]}"
t = powertrain.Tracker(interval=0.05, sensors="model", cpu_tdp_w=100)
with t:
    e = t.epoch()
# energy is mean power x duration, whatever the machine's utilisation
assert abs(e.energy_j - e.mean_power_w * e.duration_s) <= 1e-9 * max(e.energy_j, 1e-9), e
assert e.method == "modelled" and e.device == "model:cpu,model:ram", e
print("installed module at", where, "measured", e)
PY
