"""Benchmark: lifecycle stages (issue 7).

1. ``clmkit.assign_stages`` on 10M customers vs the equivalent numpy ``np.select`` +
   pandas Categorical code (target 10x).
2. ``clmkit.stage_history`` for 1M customers x 12 monthly snapshots (simulated BG/NBD log,
   ``clmkit.datasets.simulate_transactions``) vs a pandas loop that re-summarises the log
   per snapshot and applies the same rules (target 20x).

Both peers are first checked to give clmkit's stages on a small input.
Run: ``python benchmarks/bench_stages.py`` (``BENCH_QUICK=1`` for a smoke run).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import clmkit
from harness import Bench

DAY = pd.Timedelta(days=1)
STAGES = ["prospect", "new", "growing", "mature", "at_risk", "churned", "reactivated"]


def synthetic_summary(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_periods = rng.geometric(0.4, n).astype(float)
    T = rng.uniform(0, 730, n)
    recency = np.where(n_periods > 1, T * rng.uniform(0, 1, n), 0.0)
    ipt = recency / np.maximum(n_periods - 1, 1)
    gap = np.where(n_periods > 1, ipt * rng.uniform(0.2, 3, n), np.nan)
    gap = np.minimum(gap, recency)
    return pd.DataFrame(
        {
            "frequency": n_periods - 1,
            "recency": recency,
            "T": T,
            "n_periods": n_periods,
            "inactivity": T - recency,
            "gap_before_last": gap,
        }
    )


def np_select_stages(s: pd.DataFrame, sc: clmkit.StageScheme) -> pd.Categorical:
    """The same rules written the usual way: numpy conditions and np.select."""
    repeats = s["n_periods"].to_numpy() - 1
    recency, T = s["recency"].to_numpy(), s["T"].to_numpy()
    inact = T - recency
    ipt = np.where(repeats > 0, recency / np.maximum(repeats, 1), sc.median_ipt)
    conds = [
        inact > sc.churn_window,
        inact > sc.at_risk_factor * ipt,
        s["gap_before_last"].to_numpy() > sc.churn_window,
        sc.new_window >= T,
        repeats == 0,
        sc.maturity_window > T,
    ]
    labels = np.select(
        conds, ["churned", "at_risk", "reactivated", "new", "new", "growing"], "mature"
    )
    return pd.Categorical(labels, categories=STAGES, ordered=True)


def pandas_history(log: pd.DataFrame, snapshots, sc: clmkit.StageScheme) -> pd.DataFrame:
    """A pandas loop that summarises the log at each snapshot, then applies the rules."""
    out = []
    for snap in snapshots:
        end = pd.Timestamp(snap).floor("D")
        day = log["date"].dt.floor("D")
        df = pd.DataFrame({"customer_id": log["customer_id"], "period": day})[day <= end]
        per = df.drop_duplicates().sort_values(["customer_id", "period"])
        per["prev"] = per.groupby("customer_id")["period"].shift(1)
        g = per.groupby("customer_id", sort=True)["period"]
        first, n = g.min(), g.size()
        lastrow = per.drop_duplicates("customer_id", keep="last").set_index("customer_id")
        s = pd.DataFrame(
            {
                "n_periods": n.astype(float),
                "recency": (lastrow["period"] - first) / DAY,
                "T": (end - first) / DAY,
                "gap_before_last": (lastrow["period"] - lastrow["prev"]) / DAY,
            }
        )
        out.append(
            pd.DataFrame(
                {
                    "customer_id": s.index,
                    "snapshot": pd.Timestamp(snap),
                    "stage": np_select_stages(s, sc),
                }
            )
        )
    return pd.concat(out, ignore_index=True).sort_values(["customer_id", "snapshot"], kind="stable")


def check_peers() -> None:
    s = synthetic_summary(20_000, seed=1)
    sc = clmkit.StageScheme().resolve(s)
    got = clmkit.assign_stages(s, scheme=sc)
    assert (got.astype(str).to_numpy() == np.asarray(np_select_stages(s, sc)).astype(str)).all()
    log = clmkit.datasets.simulate_transactions(3_000, seed=2)
    snaps = pd.date_range("2020-03-31", periods=12, freq="ME")
    h = clmkit.stage_history(log, snaps, "customer_id", "date")
    ref = pandas_history(log, snaps, h.attrs["clmkit"]["scheme"])
    assert h["stage"].astype(str).tolist() == ref["stage"].astype(str).tolist()


def bench_assign(b: Bench) -> None:
    n = b.pick(full=10_000_000, quick=10_000)
    s = synthetic_summary(n)
    sc = clmkit.StageScheme().resolve(s)
    b.time(
        f"clmkit assign_stages {n}",
        lambda: clmkit.assign_stages(s, scheme=sc),
        repeat=3,
        memory="rss",
        n_customers=n,
    )
    b.time(f"numpy np.select {n}", lambda: np_select_stages(s, sc), repeat=3, n_customers=n)
    b.ratio(
        "assign_stages vs np.select", f"numpy np.select {n}", f"clmkit assign_stages {n}", target=10
    )


def bench_history(b: Bench) -> None:
    m = b.pick(full=1_000_000, quick=10_000)
    log = clmkit.datasets.simulate_transactions(m, seed=0)
    snaps = pd.date_range("2020-03-31", periods=12, freq="ME")
    h = clmkit.stage_history(log, snaps, "customer_id", "date")
    scheme = h.attrs["clmkit"]["scheme"]
    b.time(
        f"clmkit stage_history {m}x12",
        lambda: clmkit.stage_history(log, snaps, "customer_id", "date", scheme=scheme),
        repeat=3,
        memory="rss",
        n_customers=m,
        n_transactions=len(log),
    )
    b.time(
        f"pandas loop {m}x12",
        lambda: pandas_history(log, snaps, scheme),
        repeat=b.pick(full=1, quick=2),
        n_customers=m,
    )
    b.ratio(
        "stage_history vs pandas loop",
        f"pandas loop {m}x12",
        f"clmkit stage_history {m}x12",
        target=20,
    )
    b.note(
        f"stage_history: {len(log)} transactions, {len(h)} (customer, snapshot) rows; "
        "windows derived once at the last snapshot and passed to both sides."
    )


def main() -> None:
    b = Bench("stages")
    check_peers()
    bench_assign(b)
    bench_history(b)
    b.note(f"threads: {clmkit.get_num_threads()}")
    b.save()


if __name__ == "__main__":
    main()
