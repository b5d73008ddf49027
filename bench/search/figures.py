"""The benchmark's figures from the grid's and the search's databases.

usage: figures.py GRID_DB SEARCH_DB PREDICTIONS_JSON TARGET
TARGET is the search's (0.85, or best-X): here it is made absolute from the
grid's measured best validation score, the truth the search is judged by.
"""
import json
import os
import sqlite3
import sys

grid_db, search_db, predictions_json, target_text = sys.argv[1:5]


def epochs(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    runs = {r[0]: (r[1], r[2]) for r in con.execute(
        "SELECT id, batch_size, learning_rate FROM runs")}
    rows = con.execute(
        "SELECT run_id, epoch, metric, energy_mwh, source, partial FROM epochs "
        "ORDER BY run_id, epoch").fetchall()
    return runs, rows


grid_runs, grid_rows = epochs(grid_db)
_, search_rows = epochs(search_db)
sources = sorted({r[4] for r in grid_rows + search_rows})
grid_mwh = sum(r[3] for r in grid_rows if not r[5])
# Every row the search wrote, partial ones too: that energy was spent.
search_mwh = sum(r[3] for r in search_rows)

best = max(r[2] for r in grid_rows if r[2] is not None and not r[5])
if target_text.startswith("best-"):
    target = best - float(target_text[5:])
else:
    target = float(target_text)

# Energy to the target per setup, measured in the grid: the epochs up to the
# first whose validation score reaches it.
to_target = {}
for run_id, (bs, lr) in grid_runs.items():
    spent = 0.0
    for r in grid_rows:
        if r[0] != run_id or r[5]:
            continue
        spent += r[3]
        if r[2] is not None and r[2] >= target:
            to_target[(bs, lr)] = spent
            break
cheapest = min(to_target.items(), key=lambda kv: kv[1]) if to_target else None

report_dir = os.path.dirname(predictions_json)
search_json = os.path.join(report_dir, "search-" + os.path.splitext(
    os.path.basename(search_db))[0] + ".json")
with open(search_json) as f:
    search = json.load(f)
chosen = search.get("chosen")
print(f"energy: {', '.join(sources)} (as the sensors this machine has give it; "
      "modelled = the power model, not a measurement)")
print(f"grid (16 setups, full runs): {grid_mwh:.2f} mWh; search spent {search_mwh:.2f} mWh "
      f"= {100 * search_mwh / grid_mwh:.1f} % of the grid (goal <= 40 %)")
grid_epochs = sum(1 for r in grid_rows if not r[5])
print(f"epochs trained: search {len(search_rows)}, grid {grid_epochs} "
      f"= {100 * len(search_rows) / grid_epochs:.1f} % (independent of the machine's load)")
print(f"target: {target:.4f} (grid's measured best {best:.4f}, {target_text}); "
      f"the search aimed at {search['target_score']:.4f} (from its predicted best)")
if chosen:
    key = (chosen["batch_size"], chosen["learning_rate"])
    e = to_target.get(key)
    print(f"chosen: setup {chosen['setup']} (bs {key[0]}, lr {key[1]:g}), "
          f"predicted energy to target {chosen['predicted_energy_to_target_mwh']}")
    if cheapest:
        (cbs, clr), ce = cheapest
        if e is None:
            print(f"  in the grid the chosen setup never reached {target:.4f}; the cheapest "
                  f"setup (bs {cbs}, lr {clr:g}) needed {ce:.2f} mWh")
        else:
            print(f"  in the grid: {e:.2f} mWh to target; the cheapest setup (bs {cbs}, "
                  f"lr {clr:g}) {ce:.2f} mWh: chosen / cheapest = {e / ce:.2f} (goal <= 1.10)")
else:
    print("the search chose nothing (not finished)")
with open(predictions_json) as f:
    pred = json.load(f)
print("median |error| of the predicted total energy of the grid's runs (ours / baseline):")
for s in pred["summary"]:
    if s["setup"] == "all":
        print(f"  after {s['after']:<9} {100 * s['ours_median_abs_error']:6.1f} % / "
              f"{100 * s['baseline_median_abs_error']:6.1f} %   ({s['runs']} runs)")
