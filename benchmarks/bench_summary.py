"""Benchmark: the per-customer transaction summary (issues 2 and 11).

clmkit.summarize on simulated logs (clmkit.datasets.simulate_transactions, ~2.6 transactions
per customer) of 100k and 1M customers, against, in the same run:

- lifetimes 0.11.3 ``summary_data_from_transaction_data`` (own venv, numpy<2),
- a hand-written pandas groupby,
- the idiomatic polars LAZY query and the duckdb SQL query computing the same summary
  (frequency / recency / T / monetary_value with lifetimes' semantics at freq="D"),
  each on its own native input (polars DataFrame; Arrow table for duckdb);
- clmkit on pandas input and on polars input;

and the peak memory of clmkit.summarize against the size of the input arrays (fresh process).
Before timing, every implementation is checked to give clmkit's numbers on a small log.

Run: ``python benchmarks/bench_summary.py`` (``BENCH_QUICK=1`` for a smoke run).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import clmkit
from harness import Bench

COLS = ["frequency", "recency", "T", "monetary_value"]
DAY = pd.Timedelta(days=1)


# --- the peers ----------------------------------------------------------------------------


def pandas_summary(log: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """Hand-written pandas: floor to days, merge same-day rows, then per-customer aggregates."""
    end_p = end.floor("D")
    df = pd.DataFrame(
        {
            "customer_id": log["customer_id"],
            "period": log["date"].dt.floor("D"),
            "amount": log["amount"],
        }
    )
    df = df[df["period"] <= end_p]
    per = df.groupby(["customer_id", "period"], sort=True)["amount"].sum().reset_index()
    g = per.groupby("customer_id", sort=True)
    first, last, n = g["period"].min(), g["period"].max(), g.size()
    total, first_value = g["amount"].sum(), g["amount"].first()  # rows sorted by period
    repeat = n - 1
    monetary = ((total - first_value) / repeat.where(repeat > 0, 1)).where(repeat > 0, 0.0)
    return pd.DataFrame(
        {
            "frequency": repeat.astype(float),
            "recency": (last - first) / DAY,
            "T": (end_p - first) / DAY,
            "monetary_value": monetary,
        }
    )


def polars_query(lf, end: dt.datetime):
    """The idiomatic polars lazy query (collected by the caller)."""
    import polars as pl

    end_p = dt.datetime(end.year, end.month, end.day)
    n = pl.col("n_periods")
    return (
        lf.select("customer_id", pl.col("date").dt.truncate("1d").alias("period"), "amount")
        .filter(pl.col("period") <= end_p)
        .group_by("customer_id", "period")
        .agg(pl.col("amount").sum())
        .group_by("customer_id")
        .agg(
            pl.col("period").min().alias("first"),
            pl.col("period").max().alias("last"),
            pl.len().alias("n_periods"),
            pl.col("amount").sum().alias("total"),
            pl.col("amount").get(pl.col("period").arg_min()).alias("first_value"),
        )
        .select(
            "customer_id",
            (n - 1).cast(pl.Float64).alias("frequency"),
            ((pl.col("last") - pl.col("first")).dt.total_days()).cast(pl.Float64).alias("recency"),
            ((pl.lit(end_p) - pl.col("first")).dt.total_days()).cast(pl.Float64).alias("T"),
            pl.when(n > 1)
            .then((pl.col("total") - pl.col("first_value")) / (n - 1))
            .otherwise(0.0)
            .alias("monetary_value"),
        )
        .sort("customer_id")
    )


DUCKDB_SQL = """
WITH periods AS (
    SELECT customer_id, date_trunc('day', date) AS period, sum(amount) AS amount
    FROM log
    WHERE date_trunc('day', date) <= TIMESTAMP '{end}'
    GROUP BY customer_id, period
)
SELECT customer_id,
       CAST(count(*) - 1 AS DOUBLE) AS frequency,
       CAST(date_diff('day', min(period), max(period)) AS DOUBLE) AS recency,
       CAST(date_diff('day', min(period), TIMESTAMP '{end}') AS DOUBLE) AS T,
       CASE WHEN count(*) > 1
            THEN (sum(amount) - arg_min(amount, period)) / (count(*) - 1) ELSE 0 END
           AS monetary_value
FROM periods
GROUP BY customer_id
ORDER BY customer_id
"""


def duckdb_query(con, end: dt.datetime):
    """The duckdb SQL query; returns an Arrow table (duckdb's cheapest result format)."""
    sql = DUCKDB_SQL.format(end=end.strftime("%Y-%m-%d"))
    rel = con.sql(sql)
    return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()


LIFETIMES_CODE = """
from lifetimes.utils import summary_data_from_transaction_data as lt_summary
import pandas as pd
for name, log in sorted(data.items()):
    end = log["date"].max()
    run = lambda: lt_summary(log, "customer_id", "date", monetary_value_col="amount",
                             observation_period_end=end, freq="D")
    if name.startswith("check"):
        save_output(name, run())
    else:
        timeit(f"lifetimes {name}", run, repeat=REPEAT, n_rows=len(log))
"""


# --- checks -------------------------------------------------------------------------------


def _assert_same(name: str, got: pd.DataFrame, ref: pd.DataFrame) -> None:
    got = got.reindex(columns=COLS)
    assert list(got.index) == list(ref.index), f"{name}: customer ids differ"
    for col in COLS:
        np.testing.assert_allclose(
            got[col].to_numpy(float),
            ref[col].to_numpy(float),
            rtol=1e-9,
            atol=1e-9,
            err_msg=f"{name}: column {col}",
        )


def check_agreement(b: Bench, duck, pl) -> None:
    """Every implementation gives clmkit's frequency/recency/T/monetary_value on a small log."""
    log = clmkit.datasets.simulate_transactions(3000, seed=7)
    log = log.sample(frac=1.0, random_state=1).reset_index(drop=True)  # unsorted input
    end = log["date"].max()
    ref = clmkit.summarize(log, "customer_id", "date", "amount")[COLS]
    _assert_same("pandas groupby", pandas_summary(log, end), ref)
    pl_log = pl.from_pandas(log)
    got = clmkit.summarize(pl_log, "customer_id", "date", "amount")  # polars in -> polars out
    _assert_same("clmkit(polars)", got.to_pandas().set_index("customer_id"), ref)
    _assert_same(
        "polars lazy",
        polars_query(pl_log.lazy(), end.to_pydatetime())
        .collect()
        .to_pandas()
        .set_index("customer_id"),
        ref,
    )
    con = duck.connect()
    con.register("log", pl_log.to_arrow())
    _assert_same(
        "duckdb", duckdb_query(con, end.to_pydatetime()).to_pandas().set_index("customer_id"), ref
    )
    res = b.run_peer("lifetimes", code="REPEAT = 1\n" + LIFETIMES_CODE, data={"check": log})
    lt = pd.read_parquet(res["outputs"]["check"])
    _assert_same("lifetimes 0.11.3", lt, ref)
    b.note(
        "agreement check passed: lifetimes 0.11.3, pandas groupby, polars lazy, duckdb and "
        "clmkit on polars input give clmkit's frequency/recency/T/monetary_value "
        "(rtol 1e-9) on a shuffled 3000-customer log"
    )


# --- memory -------------------------------------------------------------------------------

MEMORY_CODE = """
import clmkit
def output_mb(out):
    if hasattr(out, "estimated_size"):
        return out.estimated_size() / 2**20
    return out.memory_usage(index=True, deep=True).sum() / 2**20
for name, log in sorted(data.items()):
    in_bytes = sum(log[c].to_numpy().nbytes for c in ["customer_id", "date", "amount"])
    result(f"input_mb {name}", in_bytes / 2**20)
    if KIND == "polars":
        import polars as pl
        log = pl.from_pandas(log)
    # No warm-up: memory freed by an earlier call could be reused and hide the peak.
    memory(f"clmkit {KIND} {name}", lambda: clmkit.summarize(log, "customer_id", "date", "amount"))
    result(f"output_mb clmkit {KIND} {name}",
           output_mb(clmkit.summarize(log, "customer_id", "date", "amount")))
"""


def bench_memory(b: Bench, logs: dict) -> None:
    """One fresh process per size and input kind, so no allocation is reused."""
    for tag, log in logs.items():
        for kind in ("pandas", "polars"):
            res = b.run_peer("main", code=f"KIND = {kind!r}\n" + MEMORY_CODE, data={tag: log})
            _record_memory(b, res)


def _record_memory(b: Bench, res: dict) -> None:
    for key, value in res["results"].items():
        if not key.startswith("memory:"):
            continue
        label = key.split(":", 1)[1]
        size = label.rsplit(" ", 1)[1]
        in_mb = res["results"][f"input_mb {size}"]
        out_mb = res["results"][f"output_mb {label}"]
        peak = value["peak_rss_mb"]
        b.record_memory(
            label,
            input_mb=in_mb,
            output_mb=out_mb,
            peak_rss_mb=peak,
            tracemalloc_peak_mb=value.get("tracemalloc_peak_mb"),
            peak_over_input=peak / in_mb,
            peak_minus_output_mb=peak - out_mb,
        )
        b.note(
            f"peak memory of {label}: {peak:.0f} MiB RSS growth (fresh process) for "
            f"{in_mb:.0f} MiB of input arrays = {peak / in_mb:.2f}x the input (issue 2 "
            f"target <= 2x); the result itself is {out_mb:.0f} MiB, so the working memory "
            f"beyond the result is {peak - out_mb:.0f} MiB"
        )


# --- main ---------------------------------------------------------------------------------


def main() -> None:
    import duckdb
    import polars as pl

    b = Bench("summary")
    check_agreement(b, duckdb, pl)
    sizes = b.pick(full=[100_000, 1_000_000], quick=[10_000])
    if os.environ.get("BENCH_SUMMARY_SIZES"):  # e.g. "100000" for a partial run
        sizes = [int(x) for x in os.environ["BENCH_SUMMARY_SIZES"].split(",")]
    repeat = b.pick(full=9, quick=2)
    logs = {}
    for n in sizes:
        tag = f"{n // 1000}k" if n < 1_000_000 else f"{n // 1_000_000}M"
        log = clmkit.datasets.simulate_transactions(n, seed=42)
        logs[tag] = log
        end = log["date"].max()
        meta = {"n_customers": n, "n_rows": len(log)}
        pl_log = pl.from_pandas(log)
        con = duckdb.connect()
        con.register("log", pl_log.to_arrow())

        b.time(
            f"clmkit {tag}",
            lambda: clmkit.summarize(log, "customer_id", "date", "amount"),
            repeat=repeat,
            warmup=True,
            **meta,
        )
        b.time(
            f"clmkit(polars in) {tag}",
            lambda: clmkit.summarize(pl_log, "customer_id", "date", "amount"),
            repeat=repeat,
            warmup=True,
            **meta,
        )
        threads = clmkit.get_num_threads()
        clmkit.set_num_threads(1)
        b.time(
            f"clmkit 1 thread {tag}",
            lambda: clmkit.summarize(log, "customer_id", "date", "amount"),
            repeat=repeat,
            warmup=True,
            **meta,
        )
        clmkit.set_num_threads(threads)
        shuffled = log.sample(frac=1.0, random_state=0).reset_index(drop=True)
        b.time(
            f"clmkit shuffled {tag}",
            lambda: clmkit.summarize(shuffled, "customer_id", "date", "amount"),  # noqa: F821
            repeat=repeat,
            warmup=True,
            **meta,
        )
        del shuffled
        b.time(f"pandas groupby {tag}", lambda: pandas_summary(log, end), repeat=3, **meta)
        lf = pl_log.lazy()
        b.time(
            f"polars lazy {tag}",
            lambda: polars_query(lf, end.to_pydatetime()).collect(),
            repeat=repeat,
            warmup=True,
            **meta,
        )
        b.time(
            f"duckdb {tag}",
            lambda: duckdb_query(con, end.to_pydatetime()),
            repeat=repeat,
            warmup=True,
            **meta,
        )
        con.close()

    lt_repeat = b.pick(full=1, quick=1)
    b.run_peer("lifetimes", code=f"REPEAT = {lt_repeat}\n" + LIFETIMES_CODE, data=logs)
    for tag in logs:
        b.ratio(
            f"vs lifetimes, {tag}",
            f"lifetimes {tag}",
            f"clmkit {tag}",
            target=50 if tag == "1M" else None,
        )
        b.ratio(
            f"vs pandas groupby, {tag}",
            f"pandas groupby {tag}",
            f"clmkit {tag}",
            target=10 if tag == "1M" else None,
        )
        b.ratio(f"shuffled log: vs duckdb, {tag}", f"duckdb {tag}", f"clmkit shuffled {tag}")
        for peer in ("polars lazy", "duckdb"):
            b.ratio(
                f"polars input: vs {peer}, {tag}",
                f"{peer} {tag}",
                f"clmkit(polars in) {tag}",
                target=4 if tag == "1M" else None,
            )
    bench_memory(b, logs)
    b.note(
        "The simulated logs are sorted by date, as transaction logs usually are; "
        "'clmkit shuffled' is the same log in random row order, where clmkit must recount "
        "the distinct purchase periods of customers whose rows arrive out of time order "
        "(a sort of those rows); the peers do not depend on row order."
    )
    b.note(
        "Peers produce the same table as clmkit's core columns, sorted by customer id "
        "(clmkit also returns n_periods, first/last purchase, total_value, inactivity, "
        "gap_before_last). duckdb's time includes fetching the result as Arrow; polars' "
        "collect() returns a polars DataFrame; clmkit returns a pandas DataFrame for pandas "
        "input and a polars DataFrame for polars input (conversion included)."
    )
    b.save()


if __name__ == "__main__":
    main()
