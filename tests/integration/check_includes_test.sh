#!/usr/bin/env bash
# scripts/check-includes.sh on made-up trees whose answer is known: a clean
# graph passes; a -> b -> c -> a fails naming that cycle and the include
# line of each edge; a private "b/x.h" include counts like "powertrain/b/x.h".
#
# usage: check_includes_test.sh SOURCE_DIR
set -u
script=$(readlink -f "$1")/scripts/check-includes.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
mkdir -p "$work"/src/{a,b,c} "$work"/include/powertrain/{a,b,c}
echo '#include "powertrain/b/b.h"' >"$work/src/a/a.cc"
echo '#include "c/private.h"' >"$work/include/powertrain/b/b.h"
echo '#include "powertrain/a/a.h"  // a module of its own' >"$work/src/c/c.cc"
echo '#include "powertrain/nosuch/x.h"' >>"$work/src/c/c.cc"

out=$(bash "$script" "$work" 2>&1) && fail "a -> b -> c -> a passed: $out"
grep -q '^CYCLE: a -> b -> c -> a$' <<<"$out" || fail "cycle not named: $out"
grep -q 'b -> c: include/powertrain/b/b.h:1: #include "c/private.h"' <<<"$out" ||
  fail "edge b -> c without its include line: $out"
grep -q '1 include cycle' <<<"$out" || fail "count: $out"

echo '// no include of a any more' >"$work/src/c/c.cc"
out=$(bash "$script" "$work" 2>&1) || fail "a -> b -> c failed: $out"
grep -q '^  a -> b$' <<<"$out" || fail "graph not printed: $out"

echo "$failures failure(s)"
((failures == 0))
