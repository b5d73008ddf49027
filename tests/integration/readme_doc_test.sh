#!/usr/bin/env bash
# The README cannot drift from the program.
#
# usage: readme_doc_test.sh POWERTRAIN_BINARY SOURCE_DIR
#
# 1. Runs every ```sh block of README.md and docs/*.md that follows a line
#    starting with `<!-- doc-test` (the convention: such a block holds only
#    `powertrain` commands on generated data, each one line, quick). Each line
#    runs with bash in one fresh folder (experiments/ linked in), in order, and
#    must exit 0.
# 2. Checks every `powertrain ...` line of every ```sh block of those files,
#    runnable or not: its subcommands exist, and each --option it gives
#    appears in that subcommand's --help (for track, up to its command).
set -u
bin=$(readlink -f "$1")
src=$(readlink -f "$2")
files=("$src/README.md" "$src"/docs/*.md)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin" "$work/run"
ln -s "$bin" "$work/bin/powertrain"
ln -s "$src/experiments" "$work/run/experiments"
export PATH="$work/bin:$PATH"
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# Prints "FILE:LINE<TAB>RUNNABLE<TAB>TEXT" for every line of every ```sh block.
sh_lines() {
  awk '
    /^<!-- doc-test/ { marked = 1; next }
    /^```sh[[:space:]]*$/ { inblock = 1; runnable = marked; marked = 0; next }
    /^```/ { inblock = 0; marked = 0; next }
    inblock { printf "%s:%d\t%d\t%s\n", FILENAME, FNR, runnable, $0; next }
    NF { marked = 0 }
  ' "$@"
}

# 1. The runnable blocks.
ran=0
while IFS=$'\t' read -r where runnable text; do
  [[ $runnable == 1 ]] || continue
  [[ $text =~ ^[[:space:]]*(#|$) ]] && continue
  if [[ ! $text =~ ^powertrain[[:space:]] ]]; then
    fail "$where: a doc-test block runs only powertrain commands: $text"
    continue
  fi
  if ! out=$(cd "$work/run" && timeout 60 bash -c "$text" 2>&1); then
    fail "$where: exited non-zero: $text"$'\n'"$out"
  fi
  ran=$((ran + 1))
done < <(sh_lines "${files[@]}")
if ((ran < 5)); then fail "only $ran runnable README/docs commands found (expected the first-look block)"; fi

# 2. Every powertrain line names real subcommands and options.
checked=0
while IFS=$'\t' read -r where runnable text; do
  line=${text%%#*}
  read -r -a words <<<"$line"
  [[ ${#words[@]} -gt 0 && ${words[0]} == powertrain ]] || continue
  path=()
  help=$(powertrain --help 2>&1)
  i=1
  # Walk down while the next word is a subcommand listed in the help.
  while ((i < ${#words[@]})); do
    w=${words[i]}
    [[ $w == -* ]] && break
    sub_list=$(awk '/^Subcommands:/ { on = 1; next } on && NF { print $1 }' <<<"$help")
    if grep -qx -- "$w" <<<"$sub_list"; then
      path+=("$w")
      help=$(powertrain "${path[@]}" --help 2>&1)
      i=$((i + 1))
    else
      [[ -n $sub_list ]] && fail "$where: '$w' is not a subcommand of 'powertrain ${path[*]}': $text"
      break
    fi
  done
  if [[ ${path[0]:-} == train ]] && ! [[ -x $(dirname "$bin")/powertrain-torch ]]; then
    continue  # no powertrain-torch here to ask for train's options
  fi
  for ((; i < ${#words[@]}; i++)); do
    w=${words[i]}
    [[ $w == -- ]] && break
    if [[ $w == --* ]]; then
      opt=${w%%=*}
      if ! grep -Eq -- "(^|[ ,])${opt}([ ,=]|\$)" <<<"$help"; then
        fail "$where: 'powertrain ${path[*]}' has no option $opt: $text"
      fi
      # An option that takes a value (its help line shows a TYPE) skips it.
      if [[ $w != *=* ]] && grep -Eq -- "^ +([^ ]+,)?${opt} [A-Z]" <<<"$help"; then
        i=$((i + 1))
      fi
    elif [[ ${path[0]:-} == track ]]; then
      break  # track's command begins: its options are its own
    fi
  done
  checked=$((checked + 1))
done < <(sh_lines "${files[@]}")
if ((checked < 10)); then fail "only $checked powertrain lines checked"; fi

echo "ran $ran runnable lines, checked $checked powertrain lines; $failures failure(s)"
((failures == 0))
