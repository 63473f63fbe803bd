"""Benchmark: clmkit.dask.analyze out of core (issue 9).

20M simulated transactions (clmkit.datasets.simulate_transactions, written chunk by chunk
as Parquet files, string-free int64 ids) processed end to end by ``clmkit.dask.analyze`` on a
``distributed.LocalCluster`` whose per-worker memory limit is smaller than the data, with
the wall time and the peak memory of every worker (sampled from the scheduler's worker
metrics). For comparison, in the same run: the in-memory pipeline (clmkit.summarize, BG/NBD
and Gamma-Gamma fits, scores) and clmkit.dask on the largest size that fits comfortably in
memory (``IN_MEMORY_TRANSACTIONS``), with the ratio of the two.

Run: ``python benchmarks/bench_dask.py`` (``BENCH_QUICK=1`` for a smoke run of ~200k
transactions). Data go to ``benchmarks/_data/dask_log/`` (regenerated when missing).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import DATA_DIR, Bench  # noqa: E402

import clmkit  # noqa: E402

TRANSACTIONS_PER_CUSTOMER = 2.6  # simulate_transactions' default process, measured


def write_log(folder: Path, n_transactions: int, customers_per_chunk: int) -> int:
    """Writes the log as Parquet files of ``customers_per_chunk`` customers each (disjoint
    ids, independent seeds) without holding more than one chunk; returns the row count."""
    marker = folder / f"_complete_{n_transactions}"
    if marker.exists():
        return int(marker.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rows, chunk = 0, 0
    while rows < n_transactions:
        log = clmkit.datasets.simulate_transactions(customers_per_chunk, seed=1000 + chunk)
        log["customer_id"] += chunk * customers_per_chunk
        log = log.sample(frac=1.0, random_state=chunk)  # unsorted within a file
        log.to_parquet(folder / f"part-{chunk:04d}.parquet", index=False)
        rows += len(log)
        chunk += 1
    marker.write_text(str(rows))
    return rows


class PeakWorkerMemory:
    """Polls the scheduler's per-worker memory metric; keeps each worker's maximum."""

    def __init__(self, client, interval: float = 0.25) -> None:
        self.client, self.interval = client, interval
        self.peaks: dict = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for addr, info in self.client.scheduler_info()["workers"].items():
                used = info.get("metrics", {}).get("memory", 0)
                self.peaks[addr] = max(self.peaks.get(addr, 0), used)
            time.sleep(self.interval)

    def __enter__(self) -> "PeakWorkerMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def in_memory_pipeline(log):
    summary = clmkit.summarize(log, "customer_id", "date", "amount")
    bg = clmkit.BetaGeo().fit(summary)
    gg = clmkit.GammaGamma().fit(summary[summary["frequency"] > 0])
    f, r, T = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    p_alive = bg.p_alive(f, r, T)
    clmkit.customer_lifetime_value(bg, gg, summary, horizon=12, period="30D", discount_rate=0.01)
    clmkit.rfm_scores(summary)
    clmkit.assign_stages(summary, p_alive=p_alive)
    return summary


def main() -> None:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    import clmkit.dask

    b = Bench("dask")
    n_total = b.pick(full=20_000_000, quick=200_000)
    n_memory = b.pick(full=5_000_000, quick=50_000)
    per_chunk = b.pick(full=400_000, quick=20_000)
    memory_limit = b.pick(full="600MiB", quick="400MiB")
    n_workers = 2
    folder = DATA_DIR / f"dask_log_{n_total}"
    rows = write_log(folder, n_total, per_chunk)
    data_bytes = rows * 3 * 8
    b.note(f"log: {rows:,} transactions in {len(list(folder.glob('*.parquet')))} Parquet files, "
           f"{data_bytes / 2**20:.0f} MiB as int64/datetime64/float64 columns; "
           f"{n_workers} workers with memory_limit={memory_limit} each")

    with LocalCluster(n_workers=n_workers, threads_per_worker=1, memory_limit=memory_limit,
                      dashboard_address=None, env={"CLMKIT_NUM_THREADS": "1"},
                      local_directory=tempfile.mkdtemp(prefix="clmkit-dask-")) as cluster, \
            Client(cluster) as client:
        out = Path(tempfile.mkdtemp(prefix="clmkit-dask-out-"))
        ddf = dd.read_parquet(str(folder))
        with PeakWorkerMemory(client) as peaks:
            started = time.perf_counter()
            result = clmkit.dask.analyze(ddf, "customer_id", "date", "amount",
                                         out=out / "customers")
            seconds = time.perf_counter() - started
        b.record(f"clmkit.dask.analyze {rows:,} transactions", seconds,
                 steps={k: round(v, 3) for k, v in result.timings.items()})
        b.record_memory(f"clmkit.dask.analyze {rows:,} transactions, peak worker memory",
                        **{f"worker_{i}_peak_mib": round(v / 2**20, 1)
                           for i, v in enumerate(sorted(peaks.peaks.values()))})
        shutil.rmtree(out, ignore_errors=True)

        # The largest in-memory comparison: the first files up to n_memory transactions.
        files = sorted(folder.glob("*.parquet"))
        import pandas as pd

        small = []
        for path in files:
            small.append(pd.read_parquet(path))
            if sum(len(s) for s in small) >= n_memory:
                break
        log = pd.concat(small, ignore_index=True)
        label = f"{len(log):,} transactions"
        b.time(f"in-memory clmkit pipeline {label}", lambda: in_memory_pipeline(log), repeat=1,
               memory=True)
        small_ddf = dd.from_pandas(log, npartitions=max(2, len(small)))
        out_small = Path(tempfile.mkdtemp(prefix="clmkit-dask-out-"))
        b.time(f"clmkit.dask.analyze {label}", lambda: clmkit.dask.analyze(
            small_ddf, "customer_id", "date", "amount", out=out_small / "c"), repeat=1)
        shutil.rmtree(out_small, ignore_errors=True)
        b.ratio(f"in-memory vs dask (LocalCluster, {n_workers} workers), {label}",
                f"clmkit.dask.analyze {label}", f"in-memory clmkit pipeline {label}")
    b.save()


if __name__ == "__main__":
    main()
