"""The Python module against stand-ins whose physics the test sets.

A small PyTorch loop runs under powertrain.Tracker for three epochs while
the C++ tracker samples

  NVML   the fake libnvidia-ml (tests/fixtures): a steady 100 W, with an
         energy counter that advances at 100 W on the clock;
  model  a fake /proc at 40 % utilisation with cpu_tdp_w=100 and 16 GiB of
         RAM: 40 W + 6 W.

Each epoch's mean power is compared with the truth (1 %), its energy with
power x duration (equation 1, to rounding), the epochs' sum with the run's
total, and the database's rows (sqlite3) with what Python was given.

Run by ctest with PYTHONPATH=<build>/python and POWERTRAIN_FAKE_NVML set.
"""

import math
import os
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import unittest

import powertrain

try:
    import torch
except ImportError:  # said plainly: this test is about a PyTorch loop
    sys.exit("test_tracker.py: python3-torch is not installed for " + sys.executable +
             " (scripts/setup.sh installs it)")

FAKE_NVML = os.environ.get("POWERTRAIN_FAKE_NVML", "")
INTERVAL_S = 0.05
EPOCHS = 3


def train_and_validate(t, epochs, min_epoch_s=0.3):
    """A small regression net trained on made-up data; every epoch lasts at
    least min_epoch_s so that it holds several samples."""
    torch.manual_seed(0)
    torch.set_num_threads(1)
    x = torch.randn(256, 16)
    y = x @ torch.randn(16, 1) + 0.1 * torch.randn(256, 1)
    model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    records, losses = [], []
    for _ in range(epochs):
        t.phase("train")
        loss = None
        while True:
            for i in range(0, 256, 32):
                opt.zero_grad()
                loss = torch.nn.functional.mse_loss(model(x[i:i + 32]), y[i:i + 32])
                loss.backward()
                opt.step()
            if t.current.duration_s >= min_epoch_s * 0.7:
                break
        t.phase("validate")
        with torch.no_grad():
            val = torch.nn.functional.mse_loss(model(x), y).item()
        while t.current.duration_s < min_epoch_s:
            with torch.no_grad():
                model(x)
        losses.append((loss.item(), val))
        records.append(t.epoch(train_loss=loss.item(), val_loss=val, metric=1.0 / (1.0 + val)))
    return records, losses


class ProcStatWriter:
    """A fake /proc whose /proc/stat is busy `busy` of the time at every
    instant, rewritten by a process of its own (no GIL shared with the
    loop), 1e6 jiffies a second."""

    def __init__(self, root, busy):
        os.makedirs(os.path.join(root, "proc"))
        self.proc = os.path.join(root, "proc")
        with open(os.path.join(self.proc, "cpuinfo"), "w") as f:
            f.write("processor\t: 0\nmodel name\t: Truth CPU 9000\n")
        with open(os.path.join(self.proc, "meminfo"), "w") as f:
            f.write("MemTotal:       16777216 kB\nMemFree:  1 kB\nMemAvailable:   12582912 kB\n")
        script = textwrap.dedent("""
            import os, sys, time
            path, busy = sys.argv[1], float(sys.argv[2])
            def text(t):
                total = 1e6 * t + 1e6
                user = busy * total
                return ("cpu  %015.0f 000000000000000 000000000000000 %015.0f "
                        "000000000000000 000000000000000 000000000000000 000000000000000 0 0\\n"
                        % (user, total - user)).encode()
            with open(path, "wb") as f:
                f.write(text(0))
            fd = os.open(path, os.O_WRONLY)
            t0 = time.monotonic()
            print("ready", flush=True)
            while True:
                os.pwrite(fd, text(time.monotonic() - t0), 0)
                time.sleep(0.0005)
        """)
        self.writer = subprocess.Popen(
            [sys.executable, "-c", script, os.path.join(self.proc, "stat"), str(busy)],
            stdout=subprocess.PIPE, text=True)
        assert self.writer.stdout.readline().strip() == "ready"

    def close(self):
        self.writer.kill()
        self.writer.wait()
        self.writer.stdout.close()


def counter_tolerance_j(duration_s):
    """The counter's energy against 100 W x duration: 1 %, plus 50 ms at
    100 W. The tracker stamps a boundary's time just before it reads the
    counter; on a loaded machine (two cores, parallel builds) a thread can
    lose tens of milliseconds between the two, at each end of the span.
    (Mean power, from the power readings, has no such error: 1 % flat.)"""
    return 0.01 * 100.0 * duration_s + 100.0 * 0.05


def rows(db, sql, *args):
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(sql, args)]
    finally:
        con.close()


class SteadyHundredWattGpu(unittest.TestCase):
    def setUp(self):
        self.assertTrue(FAKE_NVML and os.path.exists(FAKE_NVML),
                        "POWERTRAIN_FAKE_NVML must name the built fake NVML library")
        self.dir = tempfile.TemporaryDirectory()
        script = os.path.join(self.dir.name, "gpus.txt")
        with open(script, "w") as f:
            f.write("gpu name=Steady power=100000 energy=clock\n")
        os.environ["FAKE_NVML_SCRIPT"] = script  # read by the fake's nvmlInit_v2
        self.db = os.path.join(self.dir.name, "runs.db")

    def tearDown(self):
        self.dir.cleanup()

    def tracker(self, **kw):
        return powertrain.Tracker(interval=INTERVAL_S, sensors=["nvml"], nvml_library=FAKE_NVML,
                                  **kw)

    def test_pytorch_loop_per_epoch_energy_against_the_truth_and_the_db(self):
        with self.tracker(db=self.db, name="mlp demo") as t:
            records, losses = train_and_validate(t, EPOCHS)
            during = [e.energy_j for e in t.epochs]  # readable while the run goes on
        total = t.total

        self.assertEqual([e.epoch for e in records], [1, 2, 3])
        self.assertEqual(during, [e.energy_j for e in records])
        for e, (train_loss, val_loss) in zip(records, losses):
            # The truth: 100 W; the counter advances 100 J a second.
            self.assertAlmostEqual(e.mean_power_w, 100.0, delta=1.0, msg=e)
            self.assertAlmostEqual(e.counter_energy_j, 100.0 * e.duration_s,
                                   delta=counter_tolerance_j(e.duration_s), msg=e)
            # Equation 1: energy is mean power times duration, J and mWh alike.
            self.assertAlmostEqual(e.energy_j, e.mean_power_w * e.duration_s,
                                   delta=1e-9 * e.energy_j)
            self.assertAlmostEqual(e.energy_mwh * 3.6, e.energy_j, delta=1e-9 * e.energy_j)
            self.assertGreaterEqual(e.duration_s, 0.3)
            self.assertGreaterEqual(e.n_samples, 1)
            self.assertEqual(e.method, "counter")
            self.assertEqual(e.device, "nvml:gpu0")
            self.assertEqual(e.interval_s, INTERVAL_S)
            self.assertAlmostEqual(e.components_j["gpu"], e.energy_j, delta=1e-9 * e.energy_j)
            self.assertEqual((e.train_loss, e.val_loss), (train_loss, val_loss))
            d = e.as_dict()
            self.assertEqual((d["energy_j"], d["mean_power_w"], d["method"]),
                             (e.energy_j, e.mean_power_w, "counter"))

        # The epochs are part of the run: their sum is at most its total, and
        # the run, in and out of epochs, was at 100 W too.
        epochs_j = sum(e.energy_j for e in records)
        self.assertLessEqual(epochs_j, total.energy_j * (1 + 1e-9))
        self.assertLessEqual(sum(e.duration_s for e in records), total.duration_s)
        self.assertAlmostEqual(total.mean_power_w, 100.0, delta=1.0)
        self.assertAlmostEqual(total.counter_energy_j, 100.0 * total.duration_s,
                               delta=counter_tolerance_j(total.duration_s))
        self.assertIsNone(total.epoch)
        self.assertEqual((total.method, total.device), ("counter", "nvml:gpu0"))
        self.assertEqual([e.energy_j for e in t.epochs], [e.energy_j for e in records])

        # The database holds the same figures.
        self.assertIsInstance(t.run_id, int)
        run = rows(self.db, "SELECT * FROM runs WHERE id = ?", t.run_id)[0]
        self.assertEqual((run["kind"], run["command"], run["status"], run["sensors"]),
                         ("python", "mlp demo", "done", "nvml"))
        self.assertEqual(run["interval_s"], INTERVAL_S)
        db_epochs = rows(self.db, "SELECT * FROM epochs WHERE run_id = ? AND partial = 0 "
                         "ORDER BY epoch", t.run_id)
        self.assertEqual(len(db_epochs), EPOCHS)
        for row, e in zip(db_epochs, records):
            self.assertEqual(row["epoch"], e.epoch)
            self.assertAlmostEqual(row["energy_mwh"], e.energy_mwh, delta=1e-9 * e.energy_mwh)
            self.assertAlmostEqual(row["mean_power_mw"], e.mean_power_w * 1000, delta=1e-6)
            self.assertAlmostEqual(row["duration_s"], e.duration_s, delta=1e-9)
            self.assertAlmostEqual(row["counter_energy_mwh"] * 3.6, e.counter_energy_j,
                                   delta=1e-9 * e.counter_energy_j)
            self.assertEqual(row["source"], "counter")
            self.assertEqual((row["train_loss"], row["val_loss"]), (e.train_loss, e.val_loss))
        whole = rows(self.db, "SELECT * FROM run_energy WHERE run_id = ?", t.run_id)[0]
        self.assertAlmostEqual(whole["energy_mwh"], total.energy_mwh, delta=1e-9 * total.energy_mwh)
        self.assertAlmostEqual(sum(r["energy_mwh"] for r in db_epochs) + whole["outside_mwh"],
                               whole["energy_mwh"], delta=1e-9 * whole["energy_mwh"])
        n_samples = rows(self.db, "SELECT count(*) AS n FROM samples WHERE run_id = ?",
                         t.run_id)[0]["n"]
        # Every reading an epoch used is in the database (and those outside epochs).
        self.assertGreaterEqual(n_samples, sum(e.n_samples for e in records))

    def test_an_exception_stops_the_tracker_and_records_the_run_as_failed(self):
        with self.assertRaises(ZeroDivisionError):
            with self.tracker(db=self.db) as t:
                t.phase("train")
                1 / 0
        self.assertFalse(t.running)
        run = rows(self.db, "SELECT * FROM runs WHERE id = ?", t.run_id)[0]
        self.assertEqual(run["status"], "failed")
        self.assertEqual(run["error"], "ZeroDivisionError: division by zero")
        self.assertIsNotNone(run["ended_at"])
        # The partial epoch and the whole run were still written.
        self.assertEqual(len(rows(self.db, "SELECT * FROM run_energy WHERE run_id = ?",
                                  t.run_id)), 1)
        self.assertEqual([r["epoch"] for r in rows(self.db, "SELECT epoch FROM epochs "
                                                   "WHERE run_id = ?", t.run_id)], [1])

    def test_a_tracker_dropped_without_stop_records_the_run_as_failed(self):
        t = self.tracker(db=self.db)
        t.start()
        t.phase("train")
        run_id = t.run_id
        del t  # the last reference: the C++ destructor stops the sampler
        run = rows(self.db, "SELECT * FROM runs WHERE id = ?", run_id)[0]
        self.assertEqual((run["status"], run["error"]),
                         ("failed", "the Tracker was destroyed without stop()"))
        self.assertEqual(len(rows(self.db, "SELECT * FROM run_energy WHERE run_id = ?", run_id)), 1)

    def test_epochs_without_phase_calls_tile_the_run(self):
        with self.tracker(db=self.db) as t:
            for _ in range(2):
                while t.current.duration_s < 0.15:
                    torch.randn(64, 64) @ torch.randn(64, 64)
                t.epoch()
        self.assertEqual([e.epoch for e in t.epochs], [1, 2])
        for e in t.epochs:
            self.assertAlmostEqual(e.mean_power_w, 100.0, delta=1.0)
        # Epochs and the time outside them (before epoch 1's first reading,
        # between two epochs' boundary readings, after the last) make the run.
        whole = rows(self.db, "SELECT * FROM run_energy WHERE run_id = ?", t.run_id)[0]
        epochs_mwh = sum(e.energy_mwh for e in t.epochs)
        self.assertAlmostEqual(epochs_mwh + whole["outside_mwh"], whole["energy_mwh"],
                               delta=1e-9 * whole["energy_mwh"])

    def test_without_a_database_the_figures_stay_in_memory(self):
        with self.tracker() as t:
            self.assertIsNone(t.run_id)
            self.assertIsNone(t.db)
            train_and_validate(t, 1, min_epoch_s=0.2)
        (e,) = t.epochs
        self.assertAlmostEqual(e.mean_power_w, 100.0, delta=1.0)
        self.assertFalse(os.path.exists(self.db))


class ModelSensorWithFakeProc(unittest.TestCase):
    def test_forty_percent_of_a_hundred_watt_cpu_and_sixteen_gib(self):
        with tempfile.TemporaryDirectory() as d:
            proc = ProcStatWriter(d, 0.4)
            try:
                with powertrain.Tracker(interval=INTERVAL_S, sensors="model", cpu_tdp_w=100,
                                        proc_root=proc.proc, db=os.path.join(d, "m.db")) as t:
                    records, _ = train_and_validate(t, 2, min_epoch_s=0.3)
            finally:
                proc.close()
            # 100 W TDP x 40 % + 16 GiB x 3/8 W per GiB = 40 W + 6 W.
            for e in records:
                self.assertAlmostEqual(e.mean_power_w, 46.0, delta=0.46, msg=e)
                self.assertEqual(e.method, "modelled")
                self.assertAlmostEqual(e.components_j["modelled_cpu"], 40.0 * e.duration_s,
                                       delta=0.01 * 40.0 * e.duration_s)
                self.assertAlmostEqual(e.components_j["modelled_ram"], 6.0 * e.duration_s,
                                       delta=0.01 * 6.0 * e.duration_s)
                self.assertIsNone(e.counter_energy_j)
            db_rows = rows(os.path.join(d, "m.db"), "SELECT * FROM epochs WHERE run_id = ? "
                           "ORDER BY epoch", t.run_id)
            self.assertEqual([r["mean_power_mw"] for r in db_rows],
                             [e.mean_power_w * 1000 for e in records])


class BadOptions(unittest.TestCase):
    def test_an_interval_of_zero_is_a_value_error_naming_it(self):
        with tempfile.TemporaryDirectory() as d:
            db = os.path.join(d, "never.db")
            with self.assertRaises(ValueError) as cm:
                powertrain.Tracker(interval=0, db=db)
            self.assertRegex(str(cm.exception),
                             r"^sampling interval 0(\.0+)? s is out of range \(0\.01 to 60 s\)$")
            # Bad options are refused before anything is recorded.
            self.assertFalse(os.path.exists(db))
        with self.assertRaisesRegex(ValueError, r"sampling interval 120(\.0+)? s"):
            powertrain.Tracker(interval=120)

    def test_other_bad_options(self):
        with self.assertRaisesRegex(ValueError, r"unknown sensor 'bogus' \(known: nvml, .*model"):
            powertrain.Tracker(sensors=["bogus"])
        with self.assertRaisesRegex(ValueError, r"^cpu_tdp_w=-5: must be a power above 0 W"):
            powertrain.Tracker(sensors=["model"], cpu_tdp_w=-5)
        with self.assertRaisesRegex(ValueError, r"^PUE 0\.5(0*) is out of range"):
            powertrain.Tracker(pue=0.5)
        with self.assertRaisesRegex(RuntimeError, r"sensor 'nvml' is not available"):
            powertrain.Tracker(sensors=["nvml"], nvml_library="/nonexistent/libnvidia-ml.so.1")
        # The sensor options reach the sensors: each names the path it was given.
        with self.assertRaisesRegex(RuntimeError, r"sensor 'rapl' is not available: .*"
                                    r"/nonexistent/powercap.*/nonexistent/hwmon"):
            powertrain.Tracker(sensors="rapl", rapl_root="/nonexistent/powercap",
                               hwmon_root="/nonexistent/hwmon")
        with self.assertRaisesRegex(RuntimeError, r"sensor 'model' is not available: .*"
                                    r"/nonexistent/proc/stat"):
            powertrain.Tracker(sensors="model", proc_root="/nonexistent/proc", cpu_tdp_w=100)
        with self.assertRaisesRegex(ValueError, r"^sensors has an empty name$"):
            powertrain.Tracker(sensors="model,")
        with self.assertRaisesRegex(RuntimeError, r"/nonexistent/dir/runs\.db"):
            powertrain.Tracker(sensors=["model"], cpu_tdp_w=100, db="/nonexistent/dir/runs.db")
        with self.assertRaisesRegex(TypeError, "interval"):
            powertrain.Tracker(interval="fast")

    def test_calls_out_of_order_and_a_bad_phase(self):
        t = powertrain.Tracker(sensors=["model"], cpu_tdp_w=100, interval=INTERVAL_S)
        with self.assertRaisesRegex(RuntimeError, r"^epoch\(\) before start\(\)"):
            t.epoch()
        with t:
            with self.assertRaisesRegex(ValueError, "lunch"):
                t.phase("lunch")
        with self.assertRaisesRegex(RuntimeError, r"^phase\(\) after stop\(\)"):
            t.phase("train")


if __name__ == "__main__":
    unittest.main(verbosity=2)
