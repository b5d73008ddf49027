#!/usr/bin/env bash
# Runs the data benchmarks and their Python peers on the same files and
# prints the ratios (C++ / peer, per core; best of 3 on both sides).
#   bench/data/run.sh BUILD_DIR
# Needs BUILD_DIR/bench/bench_data and BUILD_DIR/bin/powertrain (to generate
# the data once into BUILD_DIR/bench-data, or $PT_BENCH_DATA).
set -euo pipefail
BUILD=${1:?usage: bench/data/run.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
DATA=${PT_BENCH_DATA:-$BUILD/bench-data}
bench=$BUILD/bench/bench_data
powertrain=$BUILD/bin/powertrain
for f in "$bench" "$powertrain"; do
  [ -x "$f" ] || { echo "missing $f: cmake --build $BUILD --target bench_data powertrain_cli" >&2; exit 1; }
done
export PT_BENCH_PAMAP2_DIR=$DATA/pamap2 PT_BENCH_CELEBA_DIR=$DATA/celeba
if [ ! -f "$PT_BENCH_PAMAP2_DIR/Protocol/subject101.dat" ]; then
  "$powertrain" synth pamap2 --out "$PT_BENCH_PAMAP2_DIR" --subjects 101 --minutes 62.7
fi
if [ ! -f "$PT_BENCH_CELEBA_DIR/list_attr_celeba.txt" ]; then
  "$powertrain" synth celeba --out "$PT_BENCH_CELEBA_DIR" --identities 20 --images-per-identity 25
  # The two real CelebA images join the generated ones where they are at hand.
  real=$here/../../../shared/data/celeba/img_align_celeba
  [ -d "$real" ] && cp "$real"/*.jpg "$PT_BENCH_CELEBA_DIR/img_align_celeba/" || true
fi
pamap2_file=$PT_BENCH_PAMAP2_DIR/Protocol/subject101.dat
jpegs=$PT_BENCH_CELEBA_DIR/img_align_celeba
echo "PAMAP2 file: $pamap2_file ($(wc -l <"$pamap2_file") rows, $(du -m "$pamap2_file" | cut -f1) MB)"
echo "JPEGs: $(ls "$jpegs" | wc -l) in $jpegs"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$bench" --benchmark_repetitions=3 --benchmark_format=json --benchmark_out="$out/cpp.json" \
  --benchmark_out_format=json >"$out/cpp.txt"
/usr/bin/python3 "$here/peer_pamap2.py" "$pamap2_file" 3 >"$out/pandas.json"
for size in 64 128 224; do
  /usr/bin/python3 "$here/peer_jpeg.py" "$jpegs" --size $size >"$out/pillow_$size.json"
  /usr/bin/python3 "$here/peer_jpeg.py" "$jpegs" --size $size --draft >"$out/pillow_draft_$size.json"
done

/usr/bin/python3 - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
cpp = json.load(open(os.path.join(out, "cpp.json")))
SCALE = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
def rates(name):
    """Best (cpu, wall) items per second over the repetitions."""
    runs = [b for b in cpp["benchmarks"] if b.get("run_type") == "iteration"
            and b["run_name"].split("/min_time")[0] == name and "items" in b]
    if not runs:
        return float("nan"), float("nan")
    cpu = max(b["items"] / (b["cpu_time"] * SCALE[b["time_unit"]]) for b in runs)
    wall = max(b["items"] / (b["real_time"] * SCALE[b["time_unit"]]) for b in runs)
    return cpu, wall
peer = lambda f: json.loads(open(os.path.join(out, f)).read())
print()
print("machine: %d CPUs at %s MHz, load average %s; every figure single-threaded (per core)."
      % (cpp["context"]["num_cpus"], cpp["context"].get("mhz_per_cpu", "?"),
         " ".join("%.1f" % x for x in cpp["context"].get("load_avg", []))))
print("Ratios use CPU time (robust on a busy machine); wall-time ratios in brackets.")
pandas = peer("pandas.json")
cpu, wall = rates("BM_Pamap2ParseFile")
print("PAMAP2 parse, %d rows: powertrain %.0f rows/s, pandas %s %.0f rows/s: %.2fx [wall %.2fx] (goal >= 3x)"
      % (pandas["rows"], cpu, pandas["pandas"], pandas["rows_per_cpu_s"], cpu / pandas["rows_per_cpu_s"],
         wall / pandas["rows_per_s"]))
for size in (64, 128, 224):
    cpu, wall = rates("BM_JpegDecodeResize/%d" % size)
    plain, draft = peer("pillow_%d.json" % size), peer("pillow_draft_%d.json" % size)
    print("JPEG decode+resize to %3d: powertrain %.0f img/s, Pillow %s %.0f img/s: %.2fx [wall %.2fx] (goal >= 1.5x);"
          " Pillow with draft() %.0f img/s: %.2fx [wall %.2fx]"
          % (size, cpu, plain["pillow"], plain["images_per_cpu_s"], cpu / plain["images_per_cpu_s"],
             wall / plain["images_per_s"], draft["images_per_cpu_s"], cpu / draft["images_per_cpu_s"],
             wall / draft["images_per_s"]))
print("Pipeline delivery per core (CPU time; wall in brackets):")
for name, unit, what in [("BM_Pamap2Preprocess/1", "windows", "PAMAP2 preprocess (parse..z-score), 100 Hz, windows of 100"),
                         ("BM_Pamap2Preprocess/3", "windows", "PAMAP2 preprocess, downsampled to 33 Hz, windows of 32"),
                         ("BM_Pamap2CachedLoad", "windows", "PAMAP2 load from the cache"),
                         ("BM_Pamap2Batches", "windows", "PAMAP2 shuffled batches of 256 from memory"),
                         ("BM_CelebaFillBatch/64/0", "images", "CelebA batches of 64 at 64x64, decoding"),
                         ("BM_CelebaFillBatch/64/1", "images", "CelebA batches of 64 at 64x64, uint8 cache warm"),
                         ("BM_CelebaFillBatch/224/0", "images", "CelebA batches of 64 at 224x224, decoding"),
                         ("BM_CelebaFillBatch/224/1", "images", "CelebA batches of 64 at 224x224, uint8 cache warm")]:
    cpu, wall = rates(name)
    print("  %-60s %10.0f %s/s [%.0f]" % (what, cpu, unit, wall))
PY
