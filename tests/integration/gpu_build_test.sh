#!/usr/bin/env bash
# The GPU build path's parts that run without a GPU or network:
#  1. cmake/TorchFromPython.cmake asks a (stand-in) Python for LibTorch's
#     prefix, C++ ABI, version and CUDA, and names a Python without torch;
#  2. scripts/gpu-deps.sh unpacks .deb files into a prefix whose deps.cmake
#     makes pkg-config find them there (a .deb built here, no download);
#  3. scripts/gpu-check.sh --selftest: arguments, step bookkeeping, a failing
#     and a timed-out step that do not stop the rest, GPU steps skipped with
#     the reason, summary.json written.
# Usage: gpu_build_test.sh SOURCE_DIR
set -euo pipefail
src=$(cd "${1:?source dir}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# --- 1. TorchFromPython ---------------------------------------------------------
cat >"$tmp/python-torch" <<'EOF'
#!/bin/sh
printf '/opt/fake/torch/share/cmake\n1\n2.11.0+cu130\n13.0\n'
EOF
cat >"$tmp/python-cpu" <<'EOF'
#!/bin/sh
printf '/usr/lib/python3/torch/share/cmake\n0\n1.13.1\n\n'
EOF
cat >"$tmp/python-none" <<'EOF'
#!/bin/sh
echo "ModuleNotFoundError: No module named 'torch'" >&2
exit 1
EOF
chmod +x "$tmp"/python-*
cat >"$tmp/query.cmake" <<EOF
include("$src/cmake/TorchFromPython.cmake")
powertrain_query_python_torch("\${PY}" T)
message("prefix=\${T_PREFIX} abi=\${T_ABI} version=\${T_VERSION} cuda=\${T_CUDA}")
EOF
got=$(cmake -DPY="$tmp/python-torch" -P "$tmp/query.cmake" 2>&1)
[ "$got" = "prefix=/opt/fake/torch/share/cmake abi=1 version=2.11.0+cu130 cuda=13.0" ] ||
  fail "torch query: $got"
got=$(cmake -DPY="$tmp/python-cpu" -P "$tmp/query.cmake" 2>&1)
[ "$got" = "prefix=/usr/lib/python3/torch/share/cmake abi=0 version=1.13.1 cuda=" ] ||
  fail "CPU torch query: $got"
if got=$(cmake -DPY="$tmp/python-none" -P "$tmp/query.cmake" 2>&1); then
  fail "a Python without torch was accepted: $got"
fi
got=$(echo "$got" | tr -s ' \n' '  ')  # CMake wraps its messages
[[ "$got" == *"python-none' cannot import torch"*"No module named 'torch'"* ]] ||
  fail "no clear error for a Python without torch: $got"
# The whole project configured through the hook, with Debian's LibTorch as the
# "PyTorch" (where libtorch-dev is installed): the prefix is used and every
# target gets the ABI flag; a pre-C++11-ABI PyTorch is refused with why.
debian_torch=/usr/lib/x86_64-linux-gnu/cmake
if [ -f "$debian_torch/Torch/TorchConfig.cmake" ]; then
  printf '#!/bin/sh\nprintf "%s\\n%s\\n1.13.1\\n\\n"\n' "$debian_torch" 1 >"$tmp/python-debian"
  printf '#!/bin/sh\nprintf "%s\\n%s\\n1.13.1\\n\\n"\n' "$debian_torch" 0 >"$tmp/python-old-abi"
  chmod +x "$tmp/python-debian" "$tmp/python-old-abi"
  flags=(-G Ninja -DPOWERTRAIN_TORCH_FROM_PYTHON=ON -DPOWERTRAIN_BUILD_TESTS=OFF
    -DPOWERTRAIN_BUILD_BENCH=OFF)
  cmake -S "$src" -B "$tmp/cfg" "${flags[@]}" -DPOWERTRAIN_TORCH_PYTHON="$tmp/python-debian" \
    >"$tmp/cfg.log" 2>&1 || fail "configure through the hook: $(tail -20 "$tmp/cfg.log")"
  grep -q "LibTorch from $tmp/python-debian: PyTorch 1.13.1, CUDA '', C++11 ABI 1" "$tmp/cfg.log" ||
    fail "no LibTorch line: $(cat "$tmp/cfg.log")"
  grep -q "^Torch_DIR:PATH=$debian_torch/Torch" "$tmp/cfg/CMakeCache.txt" || fail "Torch_DIR"
  grep -q -- "-D_GLIBCXX_USE_CXX11_ABI=1" "$tmp/cfg/build.ninja" || fail "no ABI flag"
  if cmake -S "$src" -B "$tmp/cfg0" "${flags[@]}" -DPOWERTRAIN_TORCH_PYTHON="$tmp/python-old-abi" \
    >"$tmp/cfg0.log" 2>&1; then
    fail "a pre-C++11-ABI PyTorch was accepted"
  fi
  tr -s ' \n' '  ' <"$tmp/cfg0.log" | grep -q "uses the pre-C++11 ABI" || fail "$(cat "$tmp/cfg0.log")"
fi
echo "ok: TorchFromPython"

# --- 2. gpu-deps.sh unpack -----------------------------------------------------
pkg=$tmp/pkg
mkdir -p "$pkg/DEBIAN" "$pkg/usr/include" "$pkg/usr/lib/x86_64-linux-gnu/pkgconfig"
printf 'Package: libfake-dev\nVersion: 1.2-3\nArchitecture: all\nMaintainer: t <t@t>\nDescription: t\n' \
  >"$pkg/DEBIAN/control"
echo '#define FAKE 1' >"$pkg/usr/include/fake.h"
printf 'prefix=/usr\nincludedir=${prefix}/include\nlibdir=/usr/lib/x86_64-linux-gnu\nName: fake\nDescription: t\nVersion: 1.2\nCflags: -I${includedir}\n' \
  >"$pkg/usr/lib/x86_64-linux-gnu/pkgconfig/fake.pc"
mkdir -p "$tmp/debs"
dpkg-deb --build "$pkg" "$tmp/debs/libfake-dev_1.2-3_all.deb" >/dev/null
"$src/scripts/gpu-deps.sh" --from "$tmp/debs" --dest "$tmp/deps" >/dev/null
[ -f "$tmp/deps/usr/include/fake.h" ] || fail "gpu-deps did not unpack the header"
grep -q '^libfake-dev 1.2-3 [0-9a-f]\{64\}$' "$tmp/deps/manifest.txt" ||
  fail "manifest: $(cat "$tmp/deps/manifest.txt")"
# A project that includes deps.cmake finds the package in the prefix, moved elsewhere.
mv "$tmp/deps" "$tmp/moved-deps"
mkdir -p "$tmp/proj"
cat >"$tmp/proj/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.18)
project(p NONE)
find_package(PkgConfig REQUIRED)
pkg_check_modules(FAKE REQUIRED fake)
message(STATUS "FAKE_INCLUDEDIR=${FAKE_INCLUDEDIR}")
EOF
got=$(cmake -S "$tmp/proj" -B "$tmp/proj/b" -DCMAKE_PROJECT_INCLUDE_BEFORE="$tmp/moved-deps/deps.cmake" 2>&1) ||
  fail "deps.cmake project: $got"
[[ "$got" == *"FAKE_INCLUDEDIR=$tmp/moved-deps/usr/include"* ]] || fail "pkg-config path: $got"
if "$src/scripts/gpu-deps.sh" --from "$tmp/nowhere" --dest "$tmp/d2" 2>"$tmp/err"; then
  fail "a missing --from folder was accepted"
fi
grep -q "no folder '$tmp/nowhere'" "$tmp/err" || fail "unclear error: $(cat "$tmp/err")"
echo "ok: gpu-deps"

# --- 3. gpu-check.sh --selftest ------------------------------------------------
if "$src/scripts/gpu-check.sh" --bogus 2>"$tmp/err"; then fail "--bogus accepted"; fi
grep -q "unknown argument '--bogus'" "$tmp/err" || fail "unclear error: $(cat "$tmp/err")"
if "$src/scripts/gpu-check.sh" --budget soon 2>"$tmp/err"; then fail "--budget soon accepted"; fi
"$src/scripts/gpu-check.sh" --selftest --out "$tmp/out" >"$tmp/check.log" ||
  fail "selftest exit $?: $(cat "$tmp/check.log")"
python3 - "$tmp/out/summary.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
steps = {x["name"]: x for x in s["steps"]}
def want(name, status, reason=""):
    x = steps.get(name)
    assert x, f"no step {name}"
    assert x["status"] == status, f"{name}: {x['status']} != {status}"
    assert reason in x["reason"], f"{name}: reason {x['reason']!r} lacks {reason!r}"
want("selftest-ok", "ok")
want("selftest-fail", "failed", "exit 3")
assert "about to fail" in steps["selftest-fail"]["log_tail"]
want("selftest-timeout", "timeout", "stopped after 1 s")
want("build", "skipped", "--selftest")
for name in ("devices", "visible", "train-pamap2-bs64", "train-pamap2-bs4096",
             "train-resnet18-bs64", "train-resnet18-bs4096", "energy", "amp", "probe",
             "track", "throughput"):
    want(name, "skipped", "GPU")
assert s["selftest"] is True and s["gpu"]["present"] is False
n = len(steps)
assert s["counts"] == {"ok": 2, "failed": 1, "timeout": 1, "skipped": n - 4}, s["counts"]
EOF
tar tzf "$tmp/out/logs.tgz" | grep -q 'gpu-check/selftest-fail.log' || fail "logs.tgz lacks the logs"
echo "ok: gpu-check --selftest"
