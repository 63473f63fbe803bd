"""Benchmark: ``clmkit report`` end to end (issue 8) on a simulated log.

Simulates ``--customers`` customers (default 1M; ``BENCH_QUICK=1``: 10k) with
``clmkit.datasets.simulate_transactions``, writes the log as Parquet, runs the CLI
``python -m clmkit report LOG --out DIR`` in a fresh process and records the wall time of
the whole command and every step it reports on stderr (read, summary, RFM, model fits,
predictions, CLV, stages, stage history, writing the four outputs).

Run: ``python benchmarks/bench_report.py [--customers N]``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import clmkit
from harness import Bench

STEP = re.compile(r"^\[\s*[\d.]+ s\] (?P<step>.+) \((?P<sec>[\d.]+) s\)$")


def run_cli(log_path: Path, out: Path) -> tuple[float, dict]:
    """Wall time of the CLI and its per-step timings (parsed from its progress lines)."""
    cmd = [
        sys.executable,
        "-m",
        "clmkit",
        "report",
        str(log_path),
        "--customer-id-col",
        "customer_id",
        "--datetime-col",
        "date",
        "--monetary-col",
        "amount",
        "--horizon",
        "365D",
        "--out",
        str(out),
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"clmkit report failed: {proc.stderr.strip()}")
    steps = {}
    for line in proc.stderr.splitlines():
        m = STEP.match(line.strip())
        if m:
            name = "read input" if m["step"].startswith("read ") else m["step"]
            steps[name] = float(m["sec"])
    return wall, steps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=None)
    args = parser.parse_args()
    b = Bench("report")
    n = args.customers or b.pick(1_000_000, 10_000)
    with tempfile.TemporaryDirectory() as tmp:
        log = clmkit.datasets.simulate_transactions(n, seed=7)
        path = Path(tmp) / "log.parquet"
        log.to_parquet(path)
        b.note(f"{len(log):,} transactions of {n:,} customers; {clmkit.get_num_threads()} threads")
        wall, steps = run_cli(path, Path(tmp) / "out")
        b.record("clmkit report end to end (incl. interpreter start)", wall, n_customers=n)
        for step, sec in steps.items():
            b.record(f"step: {step}", sec, n_customers=n)
        sizes = {p.name: p.stat().st_size / 2**20 for p in (Path(tmp) / "out").iterdir()}
        b.note("output sizes (MiB): " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(sizes.items())))
    b.save()


if __name__ == "__main__":
    main()
