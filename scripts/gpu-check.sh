#!/usr/bin/env bash
# The prepared device check of issue 16: one command, about 8 minutes on an
# NVIDIA H100/H200 machine (PyTorch, CMake, ninja; no network), results as
# JSON and logs. Each step is time-boxed; one failing does not stop the rest.
#
#   scripts/gpu-deps.sh                      # first, on a machine with network
#   scripts/gpu-check.sh [--out DIR]         # on the GPU machine ($OUT by default)
#   scripts/gpu-check.sh --selftest --out DIR   # no build, no GPU: bookkeeping only
#
# Options:
#   --out DIR       where summary.json and logs.tgz go (default $OUT, else ./gpu-check-out)
#   --budget S      seconds for all steps together (default 480)
#   --only A,B      run only these steps; --skip A,B  leave these out
#   --python PY     the Python with PyTorch (default python3)
#   --selftest      run the bookkeeping (arguments, steps, timeouts, JSON) without
#                   building; steps that need a GPU or the build are skipped with why
#
# Steps: env, build (Release, ninja, LibTorch from PyTorch, deps from .gpu-deps),
# devices, visible (CUDA_VISIBLE_DEVICES=k measures board k), train-* (PAMAP2
# CNN and ResNet18 at 64 px, batch 64 and 4096, 2 epochs each, energy sampled
# every 100 ms beside the counter), energy (counter vs 100 ms vs 1 s per
# epoch), amp (--amp bf16), probe (10 ms NVML readings through idle / burn /
# idle), track (a Python PyTorch GPU script), throughput (C++ eager and CUDA
# graphs vs Python PyTorch, PAMAP2 CNN at batch 64).
#
# Output (at most a few files, rewritten after every step so that a kill
# still leaves them): summary.json (every step's status, seconds, reason and
# log tail, plus the results), logs.tgz (every log, the database, the CSVs).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/gpu-check-out}
budget=480
only=""
skip=""
python=python3
selftest=0

usage() { sed -n '2,31p' "$0"; }
die() {
  echo "gpu-check: $*" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=${2:?--out needs a folder}; shift 2 ;;
    --budget) budget=${2:?--budget needs seconds}; shift 2 ;;
    --only) only=${2:?--only needs step names}; shift 2 ;;
    --skip) skip=${2:?--skip needs step names}; shift 2 ;;
    --python) python=${2:?--python needs a program}; shift 2 ;;
    --selftest) selftest=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
case "$budget" in '' | *[!0-9]*) die "--budget must be whole seconds, got '$budget'" ;; esac

mkdir -p "$out" || die "cannot make $out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX") || die "no temporary folder"
build=$root/build-gpu
bin=$build/bin/powertrain
db=$work/train.db
start_s=$(date +%s)
: >"$work/steps.tsv"

# --- GPU and build state ---------------------------------------------------
gpu_reason=""
gpu_count=0
if ! command -v nvidia-smi >/dev/null 2>&1; then
  gpu_reason="no NVIDIA GPU: nvidia-smi not found"
elif ! gpu_count=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU '); then
  gpu_reason="no NVIDIA GPU: nvidia-smi lists none"
  gpu_count=0
elif [ "$gpu_count" -eq 0 ]; then
  gpu_reason="no NVIDIA GPU: nvidia-smi lists none"
fi
[ "$selftest" = 1 ] && [ -z "$gpu_reason" ] && gpu_reason="--selftest: GPU steps are not run"
build_reason=""

wanted() {
  local name=$1
  if [ -n "$only" ] && [[ ",$only," != *",$name,"* ]]; then return 1; fi
  if [[ ",$skip," == *",$name,"* ]]; then return 1; fi
  return 0
}

record() {  # name status seconds reason; the summary is rewritten after a step that ran
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4//$'\t'/ }" >>"$work/steps.tsv"
  [ "$2" = skipped ] || write_summary
}

# step NAME TIMEOUT NEEDS COMMAND...   NEEDS: none | build | gpu (gpu implies build)
step() {
  local name=$1 limit=$2 needs=$3
  shift 3
  wanted "$name" || return 0
  local reason=""
  if [ "$needs" = gpu ] && [ -n "$gpu_reason" ]; then reason=$gpu_reason; fi
  if [ -z "$reason" ] && [ "$needs" != none ] && [ -n "$build_reason" ]; then
    reason=$build_reason
  fi
  local left=$((budget - ($(date +%s) - start_s)))
  if [ -z "$reason" ] && [ "$left" -le 5 ]; then reason="out of time (budget ${budget} s)"; fi
  if [ -n "$reason" ]; then
    echo "== $name: skipped ($reason)"
    record "$name" skipped 0 "$reason"
    return 0
  fi
  [ "$limit" -gt $((left - 5)) ] && limit=$((left - 5))
  echo "== $name (at most ${limit} s)"
  local t0 rc status why=""
  t0=$(date +%s)
  timeout --kill-after=5 "$limit" bash -c "$*" >"$work/$name.log" 2>&1
  rc=$?
  case $rc in
    0) status=ok ;;
    124 | 137) status=timeout; why="stopped after ${limit} s" ;;
    *) status=failed; why="exit $rc" ;;
  esac
  echo "   $status ($(($(date +%s) - t0)) s) $why"
  record "$name" "$status" $(($(date +%s) - t0)) "$why"
}

write_summary() {
  "$python" - "$work" "$out" "$budget" "$gpu_reason" "$selftest" <<'PY' || true
import json, os, sys, tarfile
work, out, budget, gpu_reason, selftest = sys.argv[1:6]
steps = []
for line in open(os.path.join(work, "steps.tsv")):
    name, status, seconds, reason = line.rstrip("\n").split("\t")
    log = os.path.join(work, name + ".log")
    tail = open(log, errors="replace").read()[-1500:] if os.path.exists(log) else ""
    steps.append({"name": name, "status": status, "seconds": int(seconds), "reason": reason,
                  "log_tail": tail})
results = {}
for name in ("env", "energy", "probe", "throughput", "visible"):
    path = os.path.join(work, name + ".json")
    if os.path.exists(path):
        try:
            results[name] = json.load(open(path))
        except ValueError as e:
            results[name] = {"unreadable": str(e)}
counts = {s: sum(1 for x in steps if x["status"] == s)
          for s in ("ok", "failed", "timeout", "skipped")}
summary = {"selftest": selftest == "1", "budget_s": int(budget),
           "gpu": {"present": not gpu_reason, "reason": gpu_reason},
           "counts": counts, "steps": steps, "results": results}
tmp = os.path.join(out, ".summary.json.tmp")
json.dump(summary, open(tmp, "w"), indent=1)
os.replace(tmp, os.path.join(out, "summary.json"))
with tarfile.open(os.path.join(out, "logs.tgz"), "w:gz") as tar:
    for f in sorted(os.listdir(work)):
        tar.add(os.path.join(work, f), arcname="gpu-check/" + f)
PY
}

# --- the steps ---------------------------------------------------------------
export PT_ROOT=$root PT_BIN=$bin PT_DB=$db PT_WORK=$work PT_PY=$python PT_BUILD=$build

step env 30 none '
  { echo "{"; echo "\"nproc\": $(nproc),";
    echo "\"nvidia_smi\": $(nvidia-smi --query-gpu=index,name,uuid,pci.bus_id,driver_version,power.limit --format=csv,noheader 2>&1 | "$PT_PY" -c "import json,sys; print(json.dumps(sys.stdin.read()))"),";
    echo "\"torch\": $("$PT_PY" -c "import json,torch; print(json.dumps({\"version\": torch.__version__, \"cuda\": torch.version.cuda, \"cxx11_abi\": bool(torch._C._GLIBCXX_USE_CXX11_ABI), \"gpus\": torch.cuda.device_count()}))" 2>/dev/null || echo null),";
    echo "\"cmake\": \"$(cmake --version 2>/dev/null | head -1)\""; echo "}"; } >"$PT_WORK/env.json"
  cat "$PT_WORK/env.json"'

if [ "$selftest" = 1 ]; then
  build_reason="--selftest: nothing is built"
  step build 1 build true
  # Bookkeeping checks: a failing step and a step over its time do not stop the rest.
  step selftest-ok 5 none 'echo fine'
  step selftest-fail 5 none 'echo "about to fail"; exit 3'
  step selftest-timeout 1 none 'sleep 30'
else
  if [ ! -f "$root/.gpu-deps/deps.cmake" ]; then
    build_reason="no .gpu-deps/deps.cmake: run scripts/gpu-deps.sh where there is network, carry .gpu-deps"
  fi
  step build 300 none '
    set -e
    test -f "$PT_ROOT/.gpu-deps/deps.cmake" || { echo "no .gpu-deps (scripts/gpu-deps.sh)"; exit 2; }
    # torch'"'"'s CMake looks for the CUDA toolkit (nvcc) of the machine.
    if [ -x /usr/local/cuda/bin/nvcc ]; then export PATH=/usr/local/cuda/bin:$PATH CUDA_HOME=/usr/local/cuda; fi
    command -v nvcc && nvcc --version | tail -2
    configure() {
      cmake -S "$PT_ROOT" -B "$PT_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DPOWERTRAIN_TORCH_FROM_PYTHON=ON -DPOWERTRAIN_TORCH_PYTHON="$PT_PY" \
        -DPOWERTRAIN_BUILD_TESTS=OFF -DPOWERTRAIN_BUILD_BENCH=ON \
        -DCMAKE_PROJECT_INCLUDE_BEFORE="$PT_ROOT/.gpu-deps/deps.cmake" "$@"
    }
    targets="powertrain_cli powertrain_torch_cli nvml_probe"
    configure -DPOWERTRAIN_CUDA_CODE=ON
    if ! cmake --build "$PT_BUILD" -j "$(nproc)" --target $targets; then
      echo "BUILD FALLBACK: the build failed; building again without the CUDA-only code (no side-stream copies, no CUDA graphs)"
      configure -DPOWERTRAIN_CUDA_CODE=OFF
      cmake --build "$PT_BUILD" -j "$(nproc)" --target $targets
    fi'
  if ! grep -q $'^build\tok\t' "$work/steps.tsv"; then
    [ -z "$build_reason" ] && build_reason="the build failed (build.log)"
  fi
fi

step devices 20 gpu '"$PT_BIN" devices'

step visible 30 gpu '
  n=$(nvidia-smi -L | grep -c "^GPU ")
  echo "[" >"$PT_WORK/visible.json"
  for k in $(seq 0 $((n - 1))); do
    smi=$(nvidia-smi -i "$k" --query-gpu=uuid,pci.bus_id --format=csv,noheader)
    seen=$(CUDA_VISIBLE_DEVICES=$k "$PT_BIN" devices 2>&1 | tr "\n" " ")
    "$PT_PY" -c "import json,sys; print(json.dumps({\"k\": int(sys.argv[1]), \"nvidia_smi\": sys.argv[2], \"devices\": sys.argv[3]}) + (\",\" if int(sys.argv[1]) < int(sys.argv[4]) - 1 else \"\"))" "$k" "$smi" "$seen" "$n" >>"$PT_WORK/visible.json"
  done
  echo "]" >>"$PT_WORK/visible.json"; cat "$PT_WORK/visible.json"'

# Two epochs on generated data; energy from NVML alone, sampled every 100 ms.
train_cmd='"$PT_BIN" train --device cuda --max-epochs 2 --patience 0 --lr 0.001 --sensors nvml --interval 0.1 --db "$PT_DB" --generated-test 0'
pamap2='--task pamap2 --generated-train 131072 --generated-val 8192'
resnet='--task celeba-identity --image-size 64 --identities 40 --generated-train 32768 --generated-val 2048'
step train-pamap2-bs64 60 gpu "$train_cmd $pamap2 --batch-size 64"
step train-pamap2-bs4096 45 gpu "$train_cmd $pamap2 --batch-size 4096"
step train-resnet18-bs64 90 gpu "$train_cmd $resnet --batch-size 64"
step train-resnet18-bs4096 60 gpu "$train_cmd $resnet --batch-size 4096"
step energy 20 gpu '"$PT_PY" "$PT_ROOT/bench/gpu/energy_compare.py" "$PT_DB" >"$PT_WORK/energy.json" && cat "$PT_WORK/energy.json"'
step amp 45 gpu "$train_cmd $pamap2 --batch-size 4096 --amp bf16"

step probe 40 gpu '
  t0=$("$PT_PY" -c "import time; print(time.time())")
  "$PT_BUILD/bench/nvml_probe" --interval-ms 10 --seconds 14 >"$PT_WORK/probe.csv" &
  probe=$!
  sleep 2
  "$PT_PY" "$PT_ROOT/bench/gpu/burn.py" --seconds 4 >"$PT_WORK/burn.txt"
  wait $probe
  cat "$PT_WORK/burn.txt"
  read -r start end < <("$PT_PY" -c "import json,sys; b=json.loads(open(sys.argv[1]).read().splitlines()[-1]); print(b[\"start\"]-float(sys.argv[2]), b[\"end\"]-float(sys.argv[2]))" "$PT_WORK/burn.txt" "$t0")
  "$PT_PY" "$PT_ROOT/bench/gpu/probe_summary.py" "$PT_WORK/probe.csv" "$start" "$end" >"$PT_WORK/probe.json"
  cat "$PT_WORK/probe.json"'

step track 60 gpu '"$PT_BIN" track --db "$PT_WORK/track.db" --interval 0.1 --epoch-regex "epoch (\\d+)" -- \
  "$PT_PY" "$PT_ROOT/bench/gpu/pamap2_cnn.py" --device cuda --batch-size 256 --epochs 2 --train 65536'

step throughput 120 gpu '
  set -e
  "$PT_PY" "$PT_ROOT/bench/gpu/pamap2_cnn.py" --device cuda --batch-size 64 --epochs 2 --train 131072 | tee "$PT_WORK/python.txt"
  '"$train_cmd $pamap2"' --batch-size 64 --cuda-graphs | tee "$PT_WORK/graphs.txt"
  "$PT_PY" - "$PT_WORK" <<'"'"'PY'"'"'
import json, os, re, sys
work = sys.argv[1]
def last_rate(path):
    rates = re.findall(r"([0-9.]+) samples/s", open(path).read())
    return float(rates[-1]) if rates else None
python = json.loads(open(os.path.join(work, "python.txt")).read().splitlines()[-1])
eager = last_rate(os.path.join(work, "train-pamap2-bs64.log"))
graphs = last_rate(os.path.join(work, "graphs.txt"))
py = python["samples_per_s"][-1]
result = {"batch_size": 64, "python_eager": py, "cpp_eager": eager, "cpp_cuda_graphs": graphs,
          "cpp_eager_over_python": eager / py if eager else None,
          "cpp_graphs_over_python": graphs / py if graphs else None, "goal": 1.3}
json.dump(result, open(os.path.join(work, "throughput.json"), "w"), indent=1)
print(json.dumps(result, indent=1))
PY'

write_summary
echo "gpu-check: $(grep -c $'\tok\t' "$work/steps.tsv") ok, $(grep -c $'\tfailed\t' "$work/steps.tsv") failed," \
  "$(grep -c $'\ttimeout\t' "$work/steps.tsv") timed out, $(grep -c $'\tskipped\t' "$work/steps.tsv") skipped;" \
  "$out/summary.json"
rm -rf "$work"
exit 0
