#!/usr/bin/env bash
# No include cycle between modules. The module graph has an edge A -> B for
# every `#include "powertrain/B/..."` (or the private "B/...") in a file of
# src/A/ or include/powertrain/A/; a cycle (A includes B, B includes A, or
# longer) fails, printed with one include line per edge. `make test` runs it
# (ctest include_cycles_test).
#
#   scripts/check-includes.sh [SOURCE_DIR]
set -euo pipefail
exec python3 - "${1:-$(dirname "$0")/..}" <<'PY'
import os, re, sys

root = os.path.abspath(sys.argv[1])
modules = sorted(
    d for d in os.listdir(os.path.join(root, "src"))
    if os.path.isdir(os.path.join(root, "src", d)))
include_re = re.compile(r'^\s*#\s*include\s+"(?:powertrain/)?([a-z_]+)/[^"]+"')
edges = {m: {} for m in modules}  # a -> {b: "file:line: text"}


def scan(folder, module):
    for dirpath, _, names in os.walk(folder):
        for name in sorted(names):
            if not name.endswith((".h", ".cc", ".hpp", ".cpp")):
                continue
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8", errors="replace") as f:
                for n, line in enumerate(f, 1):
                    m = include_re.match(line)
                    if m and m.group(1) in edges and m.group(1) != module:
                        where = f"{os.path.relpath(path, root)}:{n}: {line.strip()}"
                        edges[module].setdefault(m.group(1), where)


for m in modules:
    scan(os.path.join(root, "src", m), m)
    scan(os.path.join(root, "include", "powertrain", m), m)

# Strongly connected components (Tarjan); each with more than one module
# holds a cycle.
index, low, stack, on, sccs = {}, {}, [], set(), []


def connect(v):
    index[v] = low[v] = len(index)
    stack.append(v)
    on.add(v)
    for w in sorted(edges[v]):
        if w not in index:
            connect(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        scc = []
        while True:
            w = stack.pop()
            on.discard(w)
            scc.append(w)
            if w == v:
                break
        sccs.append(sorted(scc))


for v in modules:
    if v not in index:
        connect(v)


def cycle_in(scc):
    # Shortest cycle through the component's first module (breadth first).
    start, members = scc[0], set(scc)
    prev, frontier = {start: None}, [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(edges[v]):
                if w not in members:
                    continue
                if w == start:
                    path = [v]
                    while prev[path[-1]] is not None:
                        path.append(prev[path[-1]])
                    return list(reversed(path)) + [start]
                if w not in prev:
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    return [start]


print("module graph (A -> modules A includes):")
for m in modules:
    print(f"  {m} -> {', '.join(sorted(edges[m])) or '(none)'}")
cycles = [s for s in sccs if len(s) > 1]
for scc in cycles:
    path = cycle_in(scc)
    print(f"CYCLE: {' -> '.join(path)}" +
          (f"  (modules in the cycle: {', '.join(scc)})" if len(scc) > len(path) - 1 else ""))
    for a, b in zip(path, path[1:]):
        print(f"  {a} -> {b}: {edges[a][b]}")
if cycles:
    print(f"check-includes: {len(cycles)} include cycle(s) between modules")
    sys.exit(1)
print("check-includes: no include cycle between modules")
PY
