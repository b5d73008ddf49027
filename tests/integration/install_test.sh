#!/usr/bin/env bash
# `make install`'s second half (cmake --install) puts the program, its man page,
# its bash completion and the library package (headers, libraries, CMake and
# pkg-config files; examples_test builds against them) where they belong, under --prefix and DESTDIR, and
# the installed program runs.
#
# usage: install_test.sh BUILD_DIR
set -u
build=$(readlink -f "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

cmake --install "$build" --prefix "$work/p" >"$work/log" 2>&1 || fail "cmake --install: $(cat "$work/log")"
for f in bin/powertrain share/man/man1/powertrain.1 share/bash-completion/completions/powertrain; do
  [[ -f $work/p/$f ]] || fail "not installed: $f"
done
# The library package: headers, one static library per module, the CMake
# package (config, version, targets) and pkg-config files.
for f in include/powertrain/energy/tracker.h include/powertrain/store/store.h \
  lib/libpowertrain_util.a lib/libpowertrain_energy.a lib/libpowertrain_store.a \
  lib/libpowertrain_data.a lib/libpowertrain_report.a lib/libpowertrain_sweep.a \
  lib/cmake/powertrain/powertrainConfig.cmake lib/cmake/powertrain/powertrainConfigVersion.cmake \
  lib/cmake/powertrain/powertrainTargets.cmake lib/pkgconfig/powertrain.pc \
  lib/pkgconfig/powertrain-energy.pc; do
  [[ -f $work/p/$f ]] || fail "not installed: $f"
done
# Every quoted include of an installed header is installed too.
while IFS= read -r line; do
  inc=${line#*\"}
  inc=${inc%%\"*}
  [[ -f $work/p/include/$inc ]] || fail "installed header includes $inc, not installed: $line"
done < <(grep -rn '#include "' "$work/p/include" || true)
if [[ -x $build/bin/powertrain-torch ]]; then
  [[ -f $work/p/lib/libpowertrain_train.a ]] || fail "powertrain-torch built but not libpowertrain_train.a"
  [[ -x $work/p/bin/powertrain-torch ]] || fail "powertrain-torch built but not installed"
fi
# powertrain starts without LibTorch (powertrain-torch carries it).
if command -v ldd >/dev/null && ldd "$work/p/bin/powertrain" | grep -E 'libtorch|libc10'; then
  fail "installed powertrain links LibTorch"
fi
out=$("$work/p/bin/powertrain" devices 2>&1) || fail "installed powertrain devices failed: $out"
grep -q '^model  *available' <<<"$out" || fail "installed powertrain devices lists no model sensor: $out"

# The man page is valid roff that names every subcommand.
if command -v groff >/dev/null && command -v col >/dev/null; then
  page=$(groff -man -Tutf8 -ww "$work/p/share/man/man1/powertrain.1" 2>"$work/warn" | col -b)
  [[ -s $work/warn ]] && fail "groff warns: $(cat "$work/warn")"
  for cmd in devices track train sweep status merge report export synth data; do
    grep -q "^ *$cmd " <<<"$page" || fail "man page has no section for $cmd"
  done
fi

# The completion completes subcommands and an option of track.
# shellcheck disable=SC1091
source "$work/p/share/bash-completion/completions/powertrain"
COMP_WORDS=(powertrain tr) COMP_CWORD=1 COMPREPLY=()
_powertrain
[[ "${COMPREPLY[*]}" == "track train" ]] || fail "completion of 'tr': ${COMPREPLY[*]}"
COMP_WORDS=(powertrain track --epoch-a) COMP_CWORD=2 COMPREPLY=()
_powertrain
[[ "${COMPREPLY[*]}" == "--epoch-at" ]] || fail "completion of 'track --epoch-a': ${COMPREPLY[*]}"
# Once track's command has begun (no `--` needed), its options are not track's.
COMP_WORDS=(powertrain track --db x.db python3 --epoch-a) COMP_CWORD=5 COMPREPLY=()
_powertrain
[[ -z "${COMPREPLY[*]}" ]] || fail "completion after track's command: ${COMPREPLY[*]}"

# DESTDIR stages the same tree under another root.
DESTDIR="$work/stage" cmake --install "$build" --prefix /usr/local >"$work/log" 2>&1 ||
  fail "cmake --install with DESTDIR: $(cat "$work/log")"
[[ -x $work/stage/usr/local/bin/powertrain ]] || fail "DESTDIR not honoured"

echo "$failures failure(s)"
((failures == 0))
