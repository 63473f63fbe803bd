"""Cohort retention and period retention rates vs plain pandas references."""

import clmkit
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


def random_log(seed, n_customers=60, n=600):
    rng = np.random.default_rng(seed)
    dates = pd.Timestamp("2019-11-15") + pd.to_timedelta(rng.integers(0, 600 * 24, n), unit="h")
    return pd.DataFrame({"cust": rng.integers(0, n_customers, n), "when": dates})


def pandas_cohort_reference(log, cohort_freq, period_freq):
    df = log.copy()
    first = df.groupby("cust")["when"].transform("min")
    df["cohort"] = first.dt.to_period(cohort_freq)
    start = first.dt.to_period(period_freq)
    df["k"] = (df["when"].dt.to_period(period_freq) - start).apply(lambda x: x.n)
    active = (
        df.drop_duplicates(["cust", "k"])
        .groupby(["cohort", "k"])["cust"]
        .nunique()
        .unstack(fill_value=0)
    )
    last = log["when"].max().to_period(period_freq)
    cust = df.drop_duplicates("cust").assign(
        h=lambda d: (last - start[d.index]).apply(lambda x: x.n)
    )
    horizon = int(cust["h"].max()) + 1
    active = active.reindex(columns=range(horizon), fill_value=0)
    observable = pd.DataFrame(
        {k: (cust["h"] >= k).groupby(cust["cohort"]).sum() for k in range(horizon)}
    )
    share = active / observable.where(observable > 0)
    return share


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from([("M", "M"), ("Q", "M"), ("M", "W"), ("Y", "Q")]))
def test_cohort_retention_equals_pandas_reference(seed, freqs):
    log = random_log(seed)
    got = clmkit.cohort_retention(log, "cust", "when", cohort_freq=freqs[0], period_freq=freqs[1])
    ref = pandas_cohort_reference(log, *freqs)
    np.testing.assert_array_equal(got.index.astype(str), ref.index.astype(str))
    np.testing.assert_allclose(got.to_numpy(), ref.to_numpy(), rtol=1e-12, equal_nan=True)
    assert (got.iloc[:, 0] == 1.0).all()
    sizes = log.groupby("cust")["when"].min().dt.to_period(freqs[0]).value_counts().sort_index()
    assert got.attrs["cohort_size"].tolist() == sizes.tolist()


def test_counts_option_and_bad_freq():
    log = random_log(1)
    counts = clmkit.cohort_retention(log, "cust", "when", values="count")
    assert counts.iloc[:, 0].sum() == log["cust"].nunique()
    with pytest.raises(ValueError, match="period frequency"):
        clmkit.cohort_retention(log, "cust", "when", period_freq="fortnight")
    with pytest.raises(ValueError, match="values"):
        clmkit.cohort_retention(log, "cust", "when", values="ratio")
    with pytest.raises(ValueError, match="customer_id_col"):
        clmkit.cohort_retention(log, "customer", "when")


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from(["M", "W", "Q"]))
def test_retention_rate_equals_pandas_reference(seed, freq):
    log = random_log(seed)
    got = clmkit.retention_rate(log, "cust", "when", period_freq=freq)
    period = log["when"].dt.to_period(freq)
    sets = log.groupby(period)["cust"].apply(set)
    full = pd.period_range(period.min(), period.max(), freq=freq)
    sets = sets.reindex(full).apply(lambda s: s if isinstance(s, set) else set())
    seen: set = set()
    for i, p in enumerate(full):
        row = got.loc[p]
        assert row["active"] == len(sets[p])
        assert row["new"] == len(sets[p] - seen)
        seen |= sets[p]
        if i == 0:
            assert np.isnan(row["retention_rate"])
            continue
        prev = sets[full[i - 1]]
        assert row["retained"] == len(prev & sets[p])
        if prev:
            assert row["retention_rate"] == pytest.approx(
                len(prev & sets[p]) / len(prev), rel=1e-12
            )
            assert row["churn_rate"] == pytest.approx(
                1 - len(prev & sets[p]) / len(prev), rel=1e-12
            )
