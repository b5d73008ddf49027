#!/usr/bin/env bash
# examples/ built as a user builds them: the build tree installed into a
# temporary prefix, each example configured as a fresh CMake project with
# find_package(powertrain COMPONENTS energy), built, and run on a stand-in GPU
# with set physics (the fake NVML library: a steady 100 W with a counter that
# advances at 100 W). Each epoch's energy must be its power times its time
# (from the same output line, within the printed rounding) and the power the
# stand-in's 100 W. Also: pkg-config builds the torch-free example, and
# find_package fails cleanly for an unknown or unbuilt component.
#
# usage: examples_test.sh BUILD_DIR SOURCE_DIR FAKE_NVML_LIBRARY core|torch
set -u
build=$(readlink -f "$1")
src=$(readlink -f "$2")
fake_nvml=$(readlink -f "$3")
mode=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }

cxx=$(cache CMAKE_CXX_COMPILER)
sanitize=$(cache POWERTRAIN_SANITIZE)
flags="-Wall -Wextra -Werror"
[[ -n $sanitize ]] && flags="$flags -fsanitize=$sanitize"
cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx"
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="${sanitize:+-fsanitize=$sanitize}"
  -DCMAKE_PREFIX_PATH="$work/p")
command -v ccache >/dev/null && cmake_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

cmake --install "$build" --prefix "$work/p" >"$work/log" 2>&1 || {
  echo "FAIL: cmake --install: $(cat "$work/log")" >&2
  exit 1
}
# (install_test checks the installed files one by one.)

echo 'gpu name=Steady uuid=GPU-100W power=100000 energy=clock' >"$work/gpu.txt"
export FAKE_NVML_SCRIPT=$work/gpu.txt
sensor_args=(--sensor nvml --nvml-library "$fake_nvml" --epochs 3)

# check_epochs NAME OUTPUT: three epoch lines, E = P t / 3600 per line, P = 100 W.
check_epochs() {
  local name=$1 out=$2
  echo "--- $name:"
  echo "$out"
  local n
  n=$(grep -c '^epoch [0-9]*: ' <<<"$out")
  [[ $n == 3 ]] || fail "$name: $n epoch lines, not 3"
  grep -q '^sensors: nvml' <<<"$out" || fail "$name: not measured by nvml"
  # epoch K: T s, P W, E mWh (...): printed to 1e-6; E's error from rounding
  # T and P is below 1e-6 * (P + T) / 3.6 + 5e-7.
  awk -v name="$name" '/^epoch [0-9]+: / {
      t = $3; p = $5; e = $7; k = $2 + 0
      if (k != ++seen) { printf "FAIL: %s: epoch %d where %d was due\n", name, k, seen; bad = 1 }
      if (t < 0.01) { printf "FAIL: %s: epoch %d lasted %s s\n", name, k, t; bad = 1 }
      truth = p * t / 3.6
      tol = 1e-6 * (p + t) / 3.6 + 1e-6
      if (e - truth > tol || truth - e > tol) {
        printf "FAIL: %s: epoch %d energy %s mWh, but %s W x %s s = %.6f mWh\n", name, k, e, p, t, truth; bad = 1
      }
      if (p < 99.9999 || p > 100.0001) { printf "FAIL: %s: epoch %d power %s W, stand-in draws 100 W\n", name, k, p; bad = 1 }
    }
    END { exit bad }' <<<"$out" >&2 || failures=$((failures + 1))
}

# build_example NAME: configure and build examples/NAME against the prefix.
build_example() {
  local name=$1
  shift
  if ! cmake -S "$src/examples/$name" -B "$work/$name" "${cmake_args[@]}" "$@" >"$work/log" 2>&1 ||
    ! cmake --build "$work/$name" >>"$work/log" 2>&1; then
    fail "example $name does not build: $(tail -30 "$work/log")"
    return 1
  fi
}

if [[ $mode == core ]]; then
  if build_example tracker_minimal; then
    out=$("$work/tracker_minimal/tracker_minimal" "${sensor_args[@]}" --seconds 0.3 2>&1) ||
      fail "tracker_minimal failed: $out"
    check_epochs tracker_minimal "$out"
    # A tracker-only program takes none of the other modules' libraries.
    if command -v ldd >/dev/null; then
      libs=$(ldd "$work/tracker_minimal/tracker_minimal")
      for lib in libtorch libc10 libturbojpeg libtomlplusplus; do
        grep -q "$lib" <<<"$libs" && fail "tracker_minimal links $lib: $libs"
      done
    fi
  fi

  # pkg-config: the same program from one compiler line.
  if command -v pkg-config >/dev/null; then
    pc=$(PKG_CONFIG_PATH=$work/p/lib/pkgconfig pkg-config --cflags --libs powertrain-energy 2>&1) ||
      fail "pkg-config powertrain-energy: $pc"
    # shellcheck disable=SC2086
    "$cxx" $flags ${sanitize:+-fsanitize=$sanitize} -o "$work/pc_minimal" \
      "$src/examples/tracker_minimal/main.cc" $pc >"$work/log" 2>&1 ||
      fail "pkg-config build: $(tail -30 "$work/log")"
    if [[ -x $work/pc_minimal ]]; then
      out=$("$work/pc_minimal" "${sensor_args[@]}" --seconds 0.2 2>&1) || fail "pkg-config build failed: $out"
      check_epochs "tracker_minimal (pkg-config)" "$out"
    fi
  fi

  # find_package fails with a message, not a CMake error, for components it
  # does not have.
  mkdir -p "$work/bad"
  # shellcheck disable=SC2016
  printf 'cmake_minimum_required(VERSION 3.18)\nproject(bad NONE)\nfind_package(powertrain REQUIRED COMPONENTS %s)\n' \
    '${WANT}' >"$work/bad/CMakeLists.txt"
  out=$(cmake -S "$work/bad" -B "$work/bad/b1" -DWANT=nosuch -DCMAKE_PREFIX_PATH="$work/p" 2>&1) &&
    fail "find_package(powertrain COMPONENTS nosuch) succeeded"
  grep -q "unknown component 'nosuch'" <<<"$out" || fail "unknown component: $out"
  if [[ ! -f $work/p/lib/libpowertrain_train.a ]]; then
    out=$(cmake -S "$work/bad" -B "$work/bad/b2" -DWANT=train -DCMAKE_PREFIX_PATH="$work/p" 2>&1) &&
      fail "find_package(powertrain COMPONENTS train) succeeded on a tree built without LibTorch"
    grep -q "component 'train' was not built" <<<"$out" || fail "unbuilt component: $out"
  fi
else
  torch_dir=$(cache Torch_DIR)
  if build_example torch_training -DTorch_DIR="$torch_dir"; then
    out=$("$work/torch_training/torch_training" "${sensor_args[@]}" 2>&1) || fail "torch_training failed: $out"
    check_epochs torch_training "$out"
    # The loop learns: the last epoch's validation loss is below the first's.
    awk '/^epoch / { l[++n] = $NF } END { exit !(n == 3 && l[3] < l[1]) }' <<<"$out" ||
      fail "torch_training: validation loss did not fall"
  fi
fi

echo "$failures failure(s)"
((failures == 0))
