#!/usr/bin/env python3
"""Per epoch of every `train` run in a powertrain database: the GPU energy by
NVML's counter, by the samples taken every 100 ms (the run's interval), and
by every 10th of those samples (1 s), side by side, with their gaps to the
counter. Equation 1 (mean power x epoch time) for both sampled figures.

  python3 bench/gpu/energy_compare.py RUNS.db > energy.json
"""
import json
import sqlite3
import sys


def epoch_rows(con, run_id, interval_s):
    every = max(1, round(1.0 / interval_s))
    for epoch, duration, rate in con.execute(
            "SELECT epoch, duration_s, samples_per_s FROM epochs WHERE run_id=? ORDER BY epoch",
            (run_id,)):
        for device, sampled, counter, n in con.execute(
                "SELECT device, energy_mwh, counter_energy_mwh, n_samples FROM epoch_energy "
                "WHERE run_id=? AND epoch=? AND sensor='nvml'", (run_id, epoch)):
            powers = [p for (p,) in con.execute(
                "SELECT power_mw FROM samples WHERE run_id=? AND epoch=? AND sensor='nvml' "
                "AND device=? AND power_mw IS NOT NULL ORDER BY mono_s",
                (run_id, epoch, device))]
            one_s = powers[::every]
            e_1s = sum(one_s) / len(one_s) * duration / 3600 if one_s else None
            gap = (lambda e: None if e is None or not counter else 100 * (e - counter) / counter)
            yield {"epoch": epoch, "device": device, "duration_s": duration,
                   "samples_per_s": rate, "counter_mwh": counter,
                   "sampled_100ms_mwh": sampled, "n_100ms": n,
                   "sampled_1s_mwh": e_1s, "n_1s": len(one_s),
                   "gap_100ms_pct": gap(sampled), "gap_1s_pct": gap(e_1s)}


def main():
    con = sqlite3.connect(sys.argv[1])
    runs = []
    for run_id, task, batch, interval, device, config in con.execute(
            "SELECT id, task, batch_size, interval_s, device, config FROM runs "
            "WHERE kind='train' ORDER BY id"):
        cfg = json.loads(config or "{}")
        runs.append({"run": run_id, "task": task, "batch_size": batch, "device": device,
                     "interval_s": interval, "step": cfg.get("step"),
                     "epochs": list(epoch_rows(con, run_id, interval))})
    print(json.dumps(runs, indent=1))


if __name__ == "__main__":
    main()
