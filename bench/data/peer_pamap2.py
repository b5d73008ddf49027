#!/usr/bin/python3
"""Peer of BM_Pamap2ParseFile: pandas.read_csv(sep=' ', header=None) on the
same PAMAP2 subject file. Prints one JSON line with rows per second of wall and of CPU time."""
import json
import sys
import time

import pandas


def main():
    path = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    times, cpu_times = [], []
    rows = 0
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        frame = pandas.read_csv(path, sep=' ', header=None)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
        rows = len(frame)
        assert frame.shape[1] == 54, frame.shape
    best = min(times)
    print(json.dumps({"peer": "pandas.read_csv", "pandas": pandas.__version__, "rows": rows,
                      "best_s": best, "mean_s": sum(times) / len(times), "rows_per_s": rows / best,
                      "best_cpu_s": min(cpu_times), "rows_per_cpu_s": rows / min(cpu_times)}))


if __name__ == "__main__":
    main()
