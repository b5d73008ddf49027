#!/usr/bin/env bash
# The style check of CI: clang-format --dry-run --Werror (the repository's
# .clang-format) on the C++ files changed since a base, so that every change
# keeps the style without the whole tree being reformatted at once.
#
#   scripts/check-format.sh            files changed since the merge-base with main
#                                      (HEAD~1 on main itself), working tree included
#   scripts/check-format.sh BASE       files changed since BASE (a commit)
#   scripts/check-format.sh --all      every tracked C++ file
#
# Exit status 1 lists the files and the command that fixes them.
set -euo pipefail
cd "$(dirname "$0")/.."
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
command -v "$CLANG_FORMAT" >/dev/null || {
  echo "check-format: $CLANG_FORMAT not found (Debian package clang-format)" >&2
  exit 1
}
pattern='\.(cc|h|cpp|hpp)$'

if [[ ${1:-} == --all ]]; then
  mapfile -t files < <(git ls-files | grep -E "$pattern" || true)
  what="every tracked C++ file"
else
  base=${1:-}
  if [[ -z $base ]]; then
    head=$(git rev-parse HEAD)
    if git rev-parse -q --verify main >/dev/null && base=$(git merge-base main HEAD) &&
      [[ $base != "$head" ]]; then
      :
    elif git rev-parse -q --verify HEAD~1 >/dev/null; then
      base=HEAD~1
    else
      echo "check-format: no base to compare with (no main, no HEAD~1: a shallow clone?); pass BASE or --all" >&2
      exit 0
    fi
  fi
  git rev-parse -q --verify "$base^{commit}" >/dev/null || {
    echo "check-format: '$base' is not a commit" >&2
    exit 2
  }
  # Changed and still present, against the working tree; plus new untracked files.
  mapfile -t files < <({
    git diff --name-only --diff-filter=d "$base" --
    git ls-files --others --exclude-standard
  } | grep -E "$pattern" | sort -u || true)
  what="C++ files changed since $(git rev-parse --short "$base")"
fi

bad=()
for f in "${files[@]}"; do
  [[ -f $f ]] || continue
  "$CLANG_FORMAT" --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  echo "check-format: ${#bad[@]} of ${#files[@]} $what differ from .clang-format:" >&2
  printf '  %s\n' "${bad[@]}" >&2
  echo "fix: $CLANG_FORMAT -i ${bad[*]}" >&2
  exit 1
fi
echo "check-format: ${#files[@]} $what follow .clang-format"
