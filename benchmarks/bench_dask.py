"""Benchmark: clmkit.dask.analyze out of core (issue 9).

20M simulated transactions (``clmkit.datasets.simulate_transactions``: the BG/NBD process
with CDNOW's parameters, ~2.6 transactions per customer, so ~7.7M customers), written chunk
by chunk as Parquet files (int64 ids, unsorted within a file) and processed end to end by
``clmkit.dask.analyze`` (summary, BG/NBD and Gamma-Gamma fits, P(alive), expected
purchases, CLV, RFM, stages, written to Parquet) on a ``distributed.LocalCluster`` of 2
worker processes whose memory limit is smaller than the log held in memory. Recorded: wall
time, the time of each step, every worker's peak resident memory (the kernel's high-water
mark VmHWM of the worker process, reset before the run) and the most a worker spilled to
disk. For comparison, in the same run: the in-memory clmkit pipeline (``clmkit.summarize``,
the same fits and scores) on a prefix of the log sized to fit in the workers' combined
memory budget (its peak memory is recorded beside the budget), and clmkit.dask on that
same prefix.

Run: ``python benchmarks/bench_dask.py``. Sizes: ``BENCH_DASK_TRANSACTIONS`` (default
20,000,000), ``BENCH_DASK_IN_MEMORY`` (default 4,000,000), ``BENCH_DASK_MEMORY_LIMIT``
(default 400MiB per worker); ``BENCH_QUICK=1`` is a smoke run (200k / 50k). The log is
generated once into ``benchmarks/_data/dask_log_<n>/`` (git-ignored) and reused.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import clmkit
from harness import DATA_DIR, Bench

CUSTOMERS_PER_CHUNK = 400_000  # ~1M transactions (~24 MiB in memory) per Parquet file
FILES_PER_CHUNK = 4  # ... written as 4 files of ~260k transactions
# Customer-table partitions per input file (the shuffle's output partitions).
PARTITIONS_PER_FILE = 1
P2P_BUFFERS = {"distributed.p2p.comm.buffer": "32 MiB", "distributed.p2p.storage.buffer": "32 MiB"}


def write_log(folder: Path, n_transactions: int, customers_per_chunk: int) -> int:
    """Writes the log as Parquet files: chunks of ``customers_per_chunk`` customers (disjoint
    ids, independent seeds, rows shuffled), each split into ``FILES_PER_CHUNK`` files of
    consecutive rows, without holding more than one chunk; returns the row count. A marker
    file makes later runs reuse the data."""
    marker = folder / "_complete"
    if marker.exists():
        return int(marker.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rows, chunk = 0, 0
    while rows < n_transactions:
        log = clmkit.datasets.simulate_transactions(customers_per_chunk, seed=1000 + chunk)
        log = log.iloc[: n_transactions - rows]
        log["customer_id"] += chunk * customers_per_chunk
        log = log.sample(frac=1.0, random_state=chunk)  # unsorted within a file
        write_pieces(log, folder, chunk)
        rows += len(log)
        chunk += 1
    marker.write_text(str(rows))
    return rows


def write_pieces(log, folder: Path, chunk: int) -> None:
    """One chunk as FILES_PER_CHUNK files of consecutive rows (~260k rows, 6 MiB in memory
    each: a Dask partition per file stays small next to the worker memory limit)."""
    bounds = [len(log) * i // FILES_PER_CHUNK for i in range(FILES_PER_CHUNK + 1)]
    for piece, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
        log.iloc[a:b].to_parquet(folder / f"part-{chunk:04d}-{piece}.parquet", index=False)


def _worker_peak_reset() -> bool:
    """Runs in a worker: resets the process's peak-RSS counter (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _worker_peak_mib() -> float:
    """Runs in a worker: the process's peak resident memory since the reset, MiB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


class WorkerMonitor:
    """Polls the scheduler's worker metrics: the most each worker spilled to disk and the
    set of worker addresses seen (a worker killed for memory would show up as a new one)."""

    def __init__(self, client, interval: float = 0.5) -> None:
        self.client, self.interval = client, interval
        self.spilled: dict = {}
        self.addresses: set = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                workers = self.client.scheduler_info(n_workers=-1)["workers"]
            except Exception:
                workers = {}
            for addr, info in workers.items():
                self.addresses.add(addr)
                disk = info.get("metrics", {}).get("spilled_bytes", {}).get("disk", 0)
                self.spilled[addr] = max(self.spilled.get(addr, 0), disk)
            time.sleep(self.interval)

    def __enter__(self) -> WorkerMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def in_memory_pipeline(log):
    """The steps of clmkit.dask.analyze, in memory."""
    summary = clmkit.summarize(log, "customer_id", "date", "amount")
    bg = clmkit.BetaGeo().fit(summary)
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    gg = clmkit.GammaGamma().fit(repeat)
    f, r, T = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    p_alive = bg.p_alive(f, r, T)
    bg.conditional_expected_purchases(365.0, f, r, T)
    clmkit.customer_lifetime_value(bg, gg, summary, horizon=12, period="30D", discount_rate=0.01)
    rfm = clmkit.rfm_scores(summary)
    clmkit.rfm_segments(rfm)
    clmkit.assign_stages(summary, p_alive=p_alive)
    return summary


def _peak_rss_call(fn):
    """(seconds, peak RSS growth in MiB) of one call of ``fn`` in this process."""
    from harness import _reset_peak_rss, _status_kb

    base = _status_kb("VmRSS") or 0
    _reset_peak_rss()
    started = time.perf_counter()
    fn()
    seconds = time.perf_counter() - started
    return seconds, max((_status_kb("VmHWM") or base) - base, 0) / 1024.0


def run_dask(b: Bench, client, ddf, label: str, npartitions: int) -> dict:
    """One clmkit.dask.analyze run, recorded with per-worker peak memory and spill."""
    import clmkit.dask

    out = Path(tempfile.mkdtemp(prefix="clmkit-dask-out-"))
    client.run(_worker_peak_reset)
    with WorkerMonitor(client) as monitor:
        started = time.perf_counter()
        result = clmkit.dask.analyze(
            ddf, "customer_id", "date", "amount", out=out / "customers", npartitions=npartitions
        )
        seconds = time.perf_counter() - started
    peaks = client.run(_worker_peak_mib)
    rows = sum(1 for _ in (out / "customers").glob("*.parquet"))
    shutil.rmtree(out, ignore_errors=True)
    b.record(
        label,
        seconds,
        steps={k: round(v, 2) for k, v in result.timings.items()},
        n_workers_seen=len(monitor.addresses),
        output_files=rows,
    )
    b.note(
        f"{label}: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items())
        + f" (write = scoring and writing the table); {len(monitor.addresses)} worker "
        f"processes seen (2 = no worker was restarted)"
    )
    memory = {f"worker_{i}_peak_rss_mb": round(v, 1) for i, v in enumerate(sorted(peaks.values()))}
    memory["max_spilled_to_disk_mb"] = round(max(monitor.spilled.values(), default=0) / 2**20, 1)
    b.record_memory(label, **memory)
    return memory


def _memory_limit_bytes(text: str) -> int:
    from dask.utils import parse_bytes

    return int(parse_bytes(text))


def main() -> None:
    import dask
    import dask.dataframe as dd
    import pandas as pd
    from distributed import Client, LocalCluster

    b = Bench("dask")
    env = os.environ.get
    n_total = int(env("BENCH_DASK_TRANSACTIONS") or b.pick(full=20_000_000, quick=200_000))
    n_memory = int(env("BENCH_DASK_IN_MEMORY") or b.pick(full=4_000_000, quick=50_000))
    per_chunk = min(CUSTOMERS_PER_CHUNK, max(n_total // 25, 1_000))
    memory_limit = env("BENCH_DASK_MEMORY_LIMIT") or "400MiB"
    # Dask's task shuffle keeps every piece as managed (spillable) memory; the p2p shuffle's
    # unmanaged buffers pushed workers past this limit at 20M rows.
    shuffle = env("BENCH_DASK_SHUFFLE") or "tasks"
    n_workers = 2
    folder = DATA_DIR / f"dask_log_{n_total}"
    cached = (folder / "_complete").exists()
    started = time.perf_counter()
    rows = write_log(folder, n_total, per_chunk)
    made = "cached" if cached else f"generated in {time.perf_counter() - started:.0f} s"
    files = sorted(folder.glob("*.parquet"))
    if env("BENCH_DASK_FILES"):  # a trial on the first files (partitions of the full size)
        files = files[: int(env("BENCH_DASK_FILES"))]
        rows = sum(pd.read_parquet(p, columns=["amount"]).shape[0] for p in files)
    in_memory_mib = rows * 3 * 8 / 2**20
    on_disk_mib = sum(p.stat().st_size for p in files) / 2**20
    limit_mib = _memory_limit_bytes(memory_limit) / 2**20
    b.note(
        f"log: {rows:,} transactions of the BG/NBD process with CDNOW's parameters "
        f"(~2.6 per customer) in {len(files)} Parquet files (one Dask partition each), "
        f"{on_disk_mib:.0f} MiB on disk, {in_memory_mib:.0f} MiB in memory as "
        f"int64/datetime64/float64 columns ({made} in benchmarks/_data, git-ignored)"
    )
    b.note(
        f"cluster: distributed.LocalCluster, {n_workers} worker processes x 1 thread, "
        f"memory_limit={memory_limit} per worker ({'below' if limit_mib < in_memory_mib else 'NOT below'} "
        f"the {in_memory_mib:.0f} MiB log; Dask spills to disk from 60% of the limit and "
        f"pauses a worker at 80%), {shuffle!r} shuffle, CLMKIT_NUM_THREADS=1 on the workers; peak "
        f"memory = VmHWM (kernel high-water mark) of each worker process"
    )

    # (With BENCH_DASK_SHUFFLE=p2p its default buffers, 1 GiB for sending and 100 MiB before
    # writing, are capped; the config reaches the workers through the nanny.)
    # read_parquet would fuse files smaller than 75 MB into one partition (dask-expr's
    # dataframe.parquet.minimum-partition-size): ~12 files per task here, past the limit.
    with (
        dask.config.set(
            {
                "dataframe.shuffle.method": shuffle,
                **P2P_BUFFERS,
                "dataframe.parquet.minimum-partition-size": 1,
            }
        ),
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            memory_limit=memory_limit,
            dashboard_address=None,
            env={"CLMKIT_NUM_THREADS": "1"},
            local_directory=tempfile.mkdtemp(prefix="clmkit-dask-"),
        ) as cluster,
        Client(cluster) as client,
    ):
        big = f"clmkit.dask.analyze {rows:,} transactions"
        run_dask(
            b,
            client,
            dd.read_parquet([str(p) for p in files]),
            big,
            PARTITIONS_PER_FILE * len(files),
        )

        # The in-memory comparison: the first files, up to n_memory transactions.
        take, count = [], 0
        for path in files:
            if count >= n_memory:
                break
            take.append(path)
            count += pd.read_parquet(path, columns=["amount"]).shape[0]
        small = f"{count:,} transactions"
        log = pd.concat([pd.read_parquet(p) for p in take], ignore_index=True)
        seconds, peak = _peak_rss_call(lambda: in_memory_pipeline(log))  # noqa: F821 (del-ed below)
        log_mb = log.memory_usage(deep=True).sum() / 2**20
        b.record(
            f"in-memory clmkit pipeline {small}",
            seconds,
            peak_rss_mb=peak,
            log_in_memory_mb=round(log_mb, 1),
        )
        del log
        run_dask(
            b,
            client,
            dd.read_parquet([str(p) for p in take]),
            f"clmkit.dask.analyze {small}",
            PARTITIONS_PER_FILE * len(take),
        )
        b.ratio(
            f"in-memory pipeline vs clmkit.dask.analyze ({n_workers} workers), {small}",
            f"clmkit.dask.analyze {small}",
            f"in-memory clmkit pipeline {small}",
        )
        budget = n_workers * _memory_limit_bytes(memory_limit) / 2**20
        b.note(
            f"in-memory comparison on the first {small}: log {log_mb:.0f} MiB + peak RSS "
            f"growth of the pipeline {peak:.0f} MiB = {log_mb + peak:.0f} MiB, against the "
            f"workers' combined budget of {budget:.0f} MiB (the full log alone is "
            f"{in_memory_mib:.0f} MiB before any work)"
        )
    b.save()


if __name__ == "__main__":
    main()
