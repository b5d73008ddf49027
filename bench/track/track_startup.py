#!/usr/bin/env python3
"""Wall time and peak resident memory of `powertrain track -- true`.

The cost `track` adds to the shortest possible command: program start-up
(dynamic loading), opening the database, one sensor reading, the child, and
the table. Each run is one fork/exec of powertrain, timed from spawn to
wait4() and measured by wait4()'s rusage (ru_maxrss: the peak resident set
of powertrain itself and, being its own child, `true`; the larger of the two).

    python3 bench/track/track_startup.py build/bin/powertrain [--runs 20]

Prints one line per statistic and a JSON line for scripts.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time


def one_run(binary, db):
    argv = [binary, "track", "--db", db, "--", "true"]
    devnull = os.open(os.devnull, os.O_WRONLY)
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        try:
            os.execv(binary, argv)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    os.close(devnull)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed with status {status}")
    return wall, usage.ru_maxrss / 1024.0  # KiB -> MiB


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "bench.db")
        one_run(args.binary, db)  # warm the page cache and create the database
        walls, rss = [], []
        for _ in range(args.runs):
            w, r = one_run(args.binary, db)
            walls.append(w)
            rss.append(r)
    print(f"track -- true: {args.runs} runs of {args.binary}")
    print(f"  wall   median {statistics.median(walls) * 1000:.1f} ms, "
          f"min {min(walls) * 1000:.1f} ms, max {max(walls) * 1000:.1f} ms")
    print(f"  peak RSS median {statistics.median(rss):.1f} MiB, max {max(rss):.1f} MiB")
    print(json.dumps({"binary": args.binary, "runs": args.runs,
                      "wall_ms_median": round(statistics.median(walls) * 1000, 2),
                      "wall_ms_min": round(min(walls) * 1000, 2),
                      "peak_rss_mib_median": round(statistics.median(rss), 2),
                      "peak_rss_mib_max": round(max(rss), 2)}))


if __name__ == "__main__":
    main()
