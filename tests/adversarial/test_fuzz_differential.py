"""Hypothesis differential fuzzing: ``summarize`` and ``rfm_scores`` against references
written here in plain pandas from lifetimes' documented semantics.

- summary (``freq="D"``): a customer's purchase days; ``frequency`` = days with a purchase
  after the first, ``recency`` = days from the first purchase day to the last, ``T`` = days
  from the first purchase day to the observation end, ``monetary_value`` = mean of the daily
  totals after the first day (0 without repeats), ``total_value`` = sum of all amounts.
- rfm (``method="rank"``): pandas' ``qcut`` of ``rank(method="first")`` into ``bins``
  scores; recency (inactivity) is scored in reverse, so the most recent get the top score.
"""

from __future__ import annotations

import clmkit
import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

START = pd.Timestamp("2024-01-01")


@st.composite
def transaction_logs(draw: st.DrawFn, min_customers: int = 1) -> pd.DataFrame:
    n = draw(st.integers(min_customers, 60))
    ids = draw(st.lists(st.integers(0, 25), min_size=n, max_size=n))
    minutes = draw(st.lists(st.integers(0, 200 * 24 * 60), min_size=n, max_size=n))
    cents = draw(st.lists(st.integers(-500, 1_000_000), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "customer_id": [f"c{i:03d}" for i in ids],
            "date": START + pd.to_timedelta(minutes, unit="min"),
            "amount": np.array(cents, dtype=float) / 100.0,
        }
    )


def reference_summary(log: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    daily = (
        log.assign(day=log["date"].dt.floor("D"))
        .groupby(["customer_id", "day"], as_index=False)["amount"]
        .sum()
        .sort_values(["customer_id", "day"])
    )
    rows = {}
    for customer, g in daily.groupby("customer_id"):
        first, last = g["day"].iloc[0], g["day"].iloc[-1]
        repeats = g["amount"].iloc[1:]
        rows[customer] = {
            "frequency": float(len(g) - 1),
            "recency": (last - first).days,
            "T": (end.floor("D") - first).days,
            "monetary_value": float(repeats.mean()) if len(repeats) else 0.0,
            "total_value": float(log.loc[log["customer_id"] == customer, "amount"].sum()),
        }
    return pd.DataFrame.from_dict(rows, orient="index").sort_index()


def reference_scores(values: pd.Series, bins: int, reverse: bool) -> np.ndarray:
    scores = pd.qcut(values.rank(method="first"), bins, labels=False) + 1
    return (bins + 1 - scores if reverse else scores).to_numpy(dtype=int)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=transaction_logs())
def test_summarize_matches_the_pandas_reference(log: pd.DataFrame) -> None:
    end = log["date"].max()
    got = clmkit.summarize(log, "customer_id", "date", "amount", observation_period_end=end)
    want = reference_summary(log, end)
    got = got.sort_index()
    assert got.index.tolist() == want.index.tolist()
    for col in ("frequency", "recency", "T"):
        np.testing.assert_array_equal(got[col].to_numpy(), want[col].to_numpy(), err_msg=col)
    for col in ("monetary_value", "total_value"):
        np.testing.assert_allclose(
            got[col].to_numpy(), want[col].to_numpy(), rtol=1e-12, atol=1e-9, err_msg=col
        )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=transaction_logs(min_customers=6), bins=st.integers(2, 6))
def test_rfm_scores_match_the_pandas_reference(log: pd.DataFrame, bins: int) -> None:
    summary = clmkit.summarize(log, "customer_id", "date", "amount")
    # fewer customers than bins: qcut has no answer to compare with
    assume(len(summary) >= bins)
    got = clmkit.rfm_scores(summary, method="rank", bins=bins, monetary_col="total_value")
    assert got.index.tolist() == summary.index.tolist()
    for score, col, reverse in (
        ("r_score", "inactivity", True),
        ("f_score", "frequency", False),
        ("m_score", "total_value", False),
    ):
        want = reference_scores(summary[col], bins, reverse)
        np.testing.assert_array_equal(got[score].astype(int).to_numpy(), want, err_msg=score)
    # the input summary is left as it was
    assert list(summary.columns) == list(
        clmkit.summarize(log, "customer_id", "date", "amount").columns
    )
