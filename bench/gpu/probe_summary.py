#!/usr/bin/env python3
"""Summary of nvml_probe's CSV through idle / burn / idle: per device, how
often the energy counter moves, mean power per phase, and how long after the
burn starts (and stops) the power figure and the counter's power cross half
of the idle-to-burn step.

  python3 bench/gpu/probe_summary.py probe.csv BURN_START_S BURN_END_S
"""
import csv
import json
import statistics
import sys


def crossing(times, values, after, level, rising):
    for t, v in zip(times, values):
        if t >= after and ((v >= level) if rising else (v <= level)):
            return t - after
    return None


def summarise(rows, start, end):
    t = [r[0] for r in rows]
    p = [r[1] for r in rows]
    e = [r[2] for r in rows]
    changes = [t[i] for i in range(1, len(t)) if e[i] is not None and e[i - 1] is not None
               and e[i] != e[i - 1]]
    steps = [b - a for a, b in zip(changes, changes[1:])]
    counter_w = []  # power from the counter between its moves
    for i in range(1, len(changes)):
        a = t.index(changes[i - 1])
        b = t.index(changes[i])
        counter_w.append(((t[a] + t[b]) / 2, (e[b] - e[a]) / (t[b] - t[a])))
    idle = statistics.mean(v for x, v in zip(t, p) if x < start and v is not None)
    # The burn's level once a 1 s average has caught up (half the burn if shorter).
    settle = min(1.0, (end - start) / 2)
    burn = statistics.mean(v for x, v in zip(t, p) if start + settle < x < end and v is not None)
    half = (idle + burn) / 2
    ct = [c[0] for c in counter_w]
    cv = [c[1] for c in counter_w]
    return {"readings": len(rows), "idle_mw": idle, "burn_mw": burn,
            "counter_moves": len(changes),
            "counter_period_ms": 1000 * statistics.median(steps) if steps else None,
            "power_rise_lag_s": crossing(t, p, start, half, True),
            "power_fall_lag_s": crossing(t, p, end, half, False),
            "counter_rise_lag_s": crossing(ct, cv, start, half, True),
            "counter_fall_lag_s": crossing(ct, cv, end, half, False)}


def main():
    path, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    devices = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            if row["error"] or not row["power_mw"]:
                continue
            energy = float(row["energy_mj"]) if row["energy_mj"] else None
            devices.setdefault(row["device"], []).append(
                (float(row["t_s"]), float(row["power_mw"]), energy))
    print(json.dumps({d: summarise(r, start, end) for d, r in devices.items()}, indent=1))


if __name__ == "__main__":
    main()
