"""Benchmark: ``clmkit report`` end to end and ``clmkit.analyze`` in memory (issue 19).

Simulates ``--customers`` customers (default 1M, ~2.85M transactions; ``BENCH_QUICK=1``: 10k)
with ``clmkit.datasets.simulate_transactions``, writes the log as Parquet and measures:

- ``clmkit report LOG --formats parquet`` in a fresh process: wall time, CPU time (with any
  child process), peak RSS of the largest process
  (``wait4``) and of all its processes together (sampled from ``/proc`` every 20 ms), and
  every step it reports on stderr with the CPU seconds the main process used (the steps
  compare on a shared machine by CPU time, not wall);
- the same with ``--formats parquet,csv`` (the CSV reported separately);
- ``clmkit.analyze`` on the log already in memory (a pyarrow Table): time and peak RSS;
- the same pipeline written with lifetimes + pandas in its pinned venv
  (``benchmarks/setup_peers.sh``): summary, RFM quintiles, MBG/NBD fit, P(alive) and expected
  purchases, Gamma-Gamma and CLV, Parquet out; the ratio is peer time / clmkit time.

Run: ``python benchmarks/bench_report.py [--customers N] [--no-peer]``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import clmkit
from harness import Bench

STEP = re.compile(r"^\[\s*[\d.]+ s\] (?P<step>.+) \((?P<sec>[\d.]+) s\)$")
STEP_CPU = re.compile(r"^step-cpu (?P<sec>[\d.]+) (?P<step>.+)$")

#: ``python -m clmkit`` with one more stderr line after each step: the process CPU seconds
#: (all threads) it used, so steps compare on a machine shared with other work.
CLI_WITH_STEP_CPU = """
import sys, time
import clmkit.cli.main
cli = sys.modules["clmkit.cli.main"]
shown = cli._Progress.__call__
last = [time.process_time()]
def progress(self, step, seconds):
    shown(self, step, seconds)
    now = time.process_time()
    print(f"step-cpu {now - last[0]:.3f} {step}", file=sys.stderr, flush=True)
    last[0] = now
cli._Progress.__call__ = progress
sys.exit(cli.console_main())
"""

PEER = """
import time
import numpy as np
import pandas as pd
from lifetimes import GammaGammaFitter, ModifiedBetaGeoFitter
from lifetimes.utils import summary_data_from_transaction_data

path, out = data["log"], data["out"]

def pipeline():
    log = pd.read_parquet(path, columns=["customer_id", "date", "amount"])
    s = summary_data_from_transaction_data(log, "customer_id", "date", "amount", freq="D")
    total = log.groupby("customer_id")["amount"].sum()
    inactivity = s["T"] - s["recency"]
    s["r_score"] = pd.qcut(inactivity.rank(method="first", ascending=False), 5, labels=False) + 1
    s["f_score"] = pd.qcut(s["frequency"].rank(method="first"), 5, labels=False) + 1
    s["m_score"] = pd.qcut(total.reindex(s.index).rank(method="first"), 5, labels=False) + 1
    mbg = ModifiedBetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    s["p_alive"] = mbg.conditional_probability_alive(s["frequency"], s["recency"], s["T"])
    s["expected_purchases_365d"] = mbg.conditional_expected_number_of_purchases_up_to_time(
        365, s["frequency"], s["recency"], s["T"])
    rep = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
    gg = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
    s["clv_365d"] = gg.customer_lifetime_value(
        mbg, s["frequency"], s["recency"], s["T"], s["monetary_value"].clip(lower=0),
        time=12, freq="D", discount_rate=0.01)
    s.to_parquet(out)
    return s

timeit("lifetimes + pandas pipeline, parquet out", pipeline, repeat=1, memory="rss")
"""


def _tree_memory_mb(pid: int) -> tuple[float, float]:
    """Resident memory (RSS) and proportional set size (PSS: shared library pages split
    between the processes that map them) of ``pid`` and its descendants, MiB."""
    rss = pss = 0.0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) / 1024
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) / 1024
            with open(f"/proc/{p}/task/{p}/children") as fh:
                todo += [int(c) for c in fh.read().split()]
        except (OSError, ValueError):
            continue
    return rss, pss


class TreeMemory(threading.Thread):
    """Samples the summed RSS and PSS of a process tree until the process ends (Linux
    ``/proc``). ``wait4``'s peak is per process, and a child started by ``fork`` + ``exec``
    inherits its parent's peak, so it cannot tell the memory of the run's processes together."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.done = pid, threading.Event()
        self.peak_rss_mb = self.peak_pss_mb = 0.0

    def run(self) -> None:
        while not self.done.is_set():
            rss, pss = _tree_memory_mb(self.pid)
            self.peak_rss_mb = max(self.peak_rss_mb, rss)
            self.peak_pss_mb = max(self.peak_pss_mb, pss)
            self.done.wait(0.02)


def run_cli(
    log_path: Path, out: Path, formats: str, sample_memory: bool
) -> tuple[float, float, float, TreeMemory, dict]:
    """Wall time, CPU time (user + sys, with any child process), peak RSS (MiB) of the largest
    process, the memory of all processes together (``sample_memory``) and the step timings
    ``{step: (wall, cpu)}``.

    Sampling the memory reads ``/proc/<pid>/smaps_rollup`` every 20 ms, which walks the page
    tables of a 1 GB process under its memory lock and slowed the run by ~15% on 2 cores:
    the times come from a run without sampling, the memory from a second run."""
    cmd = [sys.executable, "-c", CLI_WITH_STEP_CPU, "report", str(log_path)]
    cmd += ["--customer-id-col", "customer_id", "--datetime-col", "date"]
    cmd += ["--monetary-col", "amount", "--horizon", "365D", "--formats", formats]
    cmd += ["--out", str(out)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    tree = TreeMemory(proc.pid)
    if sample_memory:
        tree.start()
    stderr = proc.stderr.read() if proc.stderr else ""
    if sample_memory:
        tree.done.set()
        tree.join()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"clmkit report failed: {stderr.strip()[-2000:]}")
    steps: dict[str, tuple[float, float]] = {}
    wall_of: dict[str, float] = {}
    for line in stderr.splitlines():
        m = STEP.match(line.strip()) or STEP_CPU.match(line.strip())
        if m:
            name = "read input" if m["step"].startswith("read ") else m["step"]
            if m.re is STEP:
                wall_of[name] = float(m["sec"])
            else:
                steps[name] = (wall_of.get(name, float("nan")), float(m["sec"]))
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, tree, steps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--no-peer", action="store_true")
    args = parser.parse_args()
    b = Bench("report")
    n = args.customers or b.pick(1_000_000, 10_000)
    with tempfile.TemporaryDirectory() as tmp:
        log = clmkit.datasets.simulate_transactions(n, seed=7)
        # ".pq": the peer harness passes the path (it would load a ".parquet" itself)
        path = Path(tmp) / "log.pq"
        log.to_parquet(path)
        b.note(f"{len(log):,} transactions of {n:,} customers; {clmkit.get_num_threads()} threads")
        for formats in ("parquet", "parquet,csv"):
            out = Path(tmp) / f"out-{formats.replace(',', '-')}"
            # best of two runs, as timeit takes the minimum: the first may compile .pyc files
            # and fault in the extension after a build
            runs = []
            for _ in range(2):
                runs.append(run_cli(path, out, formats, sample_memory=False))
                shutil.rmtree(out)
            wall, cpu, rss, _, steps = min(runs, key=lambda r: r[0])
            *_, tree, _ = run_cli(path, out, formats, sample_memory=True)
            label = f"clmkit report end to end, {formats} out (incl. interpreter start)"
            b.record(label, wall, n_customers=n, cpu_s=round(cpu, 2))
            b.record_memory(
                label,
                peak_rss_mb=round(rss, 1),
                all_processes_peak_rss_mb=round(tree.peak_rss_mb, 1),
                all_processes_peak_pss_mb=round(tree.peak_pss_mb, 1),
            )
            for step, (sec, cpu_s) in steps.items():
                b.record(f"[{formats}] step: {step}", sec, n_customers=n, cpu_s=round(cpu_s, 3))
            sizes = {p.name: p.stat().st_size / 2**20 for p in out.iterdir()}
            b.note(f"{formats}: " + ", ".join(f"{k} {v:.1f} MiB" for k, v in sorted(sizes.items())))
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", clmkit.ClmkitWarning)
            b.time(
                "clmkit.analyze in memory",
                lambda: clmkit.analyze(table, "customer_id", "date", "amount", output="pandas"),
                repeat=1,
                memory="rss",  # one more call, measured for peak RSS (input table included)
            )
        if not args.no_peer:
            peer_out = Path(tmp) / "peer.out"
            b.run_peer("lifetimes", PEER, data={"log": str(path), "out": str(peer_out)})
            b.ratio(
                "lifetimes + pandas vs clmkit report (parquet out)",
                "lifetimes + pandas pipeline, parquet out",
                "clmkit report end to end, parquet out (incl. interpreter start)",
            )
    b.save()


if __name__ == "__main__":
    main()
