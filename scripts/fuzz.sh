#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/fuzz_*.cc) with clang in build-fuzz and
# runs each for a bounded time. A crash, a sanitizer report or an unexpected
# exception fails the script.
#   scripts/fuzz.sh                 # 20 s per target
#   FUZZ_SECONDS=60 scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${FUZZ_BUILD:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-20}
JOBS=${JOBS:-$(nproc)}

# The library is instrumented too (fuzzer-no-link), so that libFuzzer sees
# coverage inside the parsers, not only in the target's thin wrapper.
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
  -DPOWERTRAIN_BUILD_FUZZ=ON -DPOWERTRAIN_WITH_TORCH=OFF \
  -DPOWERTRAIN_BUILD_TESTS=OFF -DPOWERTRAIN_BUILD_BENCH=OFF >/dev/null

#   FUZZ_TARGETS="fuzz_jpeg fuzz_experiment_toml" scripts/fuzz.sh   # only these
targets=()
for src in fuzz/fuzz_*.cc; do
  targets+=("$(basename "$src" .cc)")
done
if [ -n "${FUZZ_TARGETS:-}" ]; then
  read -ra targets <<<"$FUZZ_TARGETS"
fi
cmake --build "$BUILD" -j "$JOBS" --target "${targets[@]}" jpeg_seeds

# Seed corpora: small valid inputs (and the real CelebA excerpt's first lines
# when ../shared/data is there), so that the fuzzer starts from the formats.
shared=../shared/data/celeba
seed() {  # seed TARGET NAME < text
  mkdir -p "$BUILD/corpus/$1"
  cat >"$BUILD/corpus/$1/$2"
}
row="8.38 0 104 30 2.37223 8.60074 3.51048 2.43954 8.76165 3.35465 -0.0922174 0.0568115 -0.0158445 14.6806 -69.2128 -5.58905 1 0 0 0"
row="$row 31.8125 0.23808 9.80003 -1.68896 0.265304 9.81549 -1.41344 0.00506495 -0.00678097 -0.00566295 0.47196 -51.0499 43.2903 1 0 0 0"
row="$row 30.3125 9.65918 -1.65569 -0.0997967 9.64689 -1.55576 0.310404 0.00830026 0.00925038 -0.0175803 -61.1888 -38.9599 -58.1438 1 0 0 0"
printf '%s\n%s\n' "$row" "${row/104/NaN}" | seed fuzz_pamap2_line valid.dat
printf '8.39 1 NaN 1e-5 NaN\n' | seed fuzz_pamap2_line short.dat
names="5_o_Clock_Shadow Arched_Eyebrows Attractive Bags_Under_Eyes Bald Bangs Big_Lips Big_Nose Black_Hair Blond_Hair Blurry Brown_Hair Bushy_Eyebrows Chubby Double_Chin Eyeglasses Goatee Gray_Hair Heavy_Makeup High_Cheekbones Male Mouth_Slightly_Open Mustache Narrow_Eyes No_Beard Oval_Face Pale_Skin Pointy_Nose Receding_Hairline Rosy_Cheeks Sideburns Smiling Straight_Hair Wavy_Hair Wearing_Earrings Wearing_Hat Wearing_Lipstick Wearing_Necklace Wearing_Necktie Young"
values=$(for _ in $(seq 40); do printf ' -1'; done)
printf '1\r\n%s \r\n000001.jpg%s\r\n' "$names" "$values" | seed fuzz_celeba_attributes valid.txt
printf 'image_id identity\n000001.jpg 2880\n000002.jpg 2937\n' | seed fuzz_celeba_identities header.txt
printf '000001.jpg 0\n000002.jpg 1\n000003.jpg 2' | seed fuzz_celeba_partition valid.txt
mkdir -p "$BUILD/corpus/fuzz_jpeg"
"$BUILD/fuzz/jpeg_seeds" "$BUILD/corpus/fuzz_jpeg"
for toml in experiments/*.toml; do
  seed fuzz_experiment_toml "$(basename "$toml")" <"$toml"
done
if [ -d "$shared" ]; then
  head -c 3000 "$shared/list_attr_celeba.txt" | seed fuzz_celeba_attributes real.txt
  head -n 50 "$shared/identity_CelebA.txt" | seed fuzz_celeba_identities real.txt
  head -n 50 "$shared/list_eval_partition.txt" | seed fuzz_celeba_partition real.txt
fi

status=0
for t in "${targets[@]}"; do
  mkdir -p "$BUILD/corpus/$t" "$BUILD/artifacts/$t"
  echo "== $t: ${SECONDS_EACH} s"
  if ! "$BUILD/fuzz/$t" -max_total_time="$SECONDS_EACH" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$BUILD/artifacts/$t/" -print_final_stats=1 "$BUILD/corpus/$t" 2>"$BUILD/$t.log"; then
    echo "FAILED: $t (log: $BUILD/$t.log, input in $BUILD/artifacts/$t/)"
    tail -n 30 "$BUILD/$t.log"
    status=1
  else
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$BUILD/$t.log" | tr '\n' ' '
    echo
  fi
done
exit $status
