#!/usr/bin/env bash
# Every test: the style of the changed files, the sanitizer builds (ASan+UBSan on the LibTorch-free core,
# ThreadSanitizer on the sampler), the fuzzers for a bounded time, then the
# whole suite of the main build through ctest, whose summary closes the run.
# Called by `make test` after the main build; usage: scripts/test.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
JOBS=${JOBS:-$(nproc)}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

section() { printf '\n=== %s ===\n' "$*"; }

section "Style: clang-format of the C++ files changed (scripts/check-format.sh)"
scripts/check-format.sh

section "ASan + UBSan: core library and its tests (no LibTorch)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPOWERTRAIN_WITH_TORCH=OFF \
  -DPOWERTRAIN_BUILD_BENCH=OFF -DPOWERTRAIN_SANITIZE=address,undefined >/dev/null
cmake --build build-asan -j "$JOBS"
ctest --test-dir build-asan --output-on-failure -j "$JOBS"

section "ThreadSanitizer: the sampler and tracker"
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPOWERTRAIN_WITH_TORCH=OFF \
  -DPOWERTRAIN_BUILD_BENCH=OFF -DPOWERTRAIN_SANITIZE=thread >/dev/null
cmake --build build-tsan -j "$JOBS" --target tracker_test tracker_store_test tracker_sink_test track_cli_test
ctest --test-dir build-tsan --output-on-failure -j "$JOBS" -R '^(Tracker|TrackerOptions|TrackerStore|TrackerSink|TrackerSlowSensor|TrackCli)\.'

if [ -x scripts/fuzz.sh ]; then
  section "Fuzzers (bounded time each)"
  scripts/fuzz.sh
fi

section "Slurm: the sweep as a job array on a real single-node Slurm"
# Skips (with its reason) when not root or the Slurm packages are missing.
timeout 600 scripts/slurm-test.sh "$BUILD/bin/powertrain"

section "All tests of the main build"
ctest --test-dir "$BUILD" --output-on-failure -j "$JOBS"
