"""Tests of clmkit.summarize on tables large enough for the kernel's huge-page row buffer
(>= 4 MiB of customer rows), and of the validation fused into the kernel's fold (NaN/inf
values and NaT dates are found by the fold, then named by the Python checks)."""

from __future__ import annotations

import clmkit
import numpy as np
import pandas as pd
import pytest

DAY = pd.Timedelta(days=1)


def groupby_reference(log: pd.DataFrame) -> pd.DataFrame:
    """freq="D" summary by a pandas groupby (an independent implementation)."""
    end_p = log["date"].max().floor("D")
    df = pd.DataFrame(
        {"cid": log["customer_id"], "period": log["date"].dt.floor("D"), "amount": log["amount"]}
    )
    per = df.groupby(["cid", "period"], sort=True)["amount"].sum().reset_index()
    g = per.groupby("cid", sort=True)
    first, last, n = g["period"].min(), g["period"].max(), g.size().astype(float)
    total, first_value = g["amount"].sum(), g["amount"].first()
    repeat = n - 1
    monetary = ((total - first_value) / repeat.where(repeat > 0, 1)).where(repeat > 0, 0.0)
    times = log.groupby("customer_id")["date"]
    return pd.DataFrame(
        {
            "frequency": repeat,
            "recency": (last - first) / DAY,
            "T": (end_p - first) / DAY,
            "monetary_value": monetary,
            "n_periods": n,
            "total_value": total,
            "first_purchase": times.min(),
            "last_purchase": times.max(),
        }
    )


@pytest.fixture(scope="module")
def big_log() -> pd.DataFrame:
    # 80k customers: 80k rows of 64 bytes = 5 MiB, above the huge-page threshold.
    log = clmkit.datasets.simulate_transactions(80_000, seed=11)
    return log.assign(date=log["date"].astype("datetime64[us]"))


def test_large_table_matches_groupby_and_is_thread_independent(big_log):
    n = clmkit.get_num_threads()
    shuffled = big_log.sample(frac=1.0, random_state=3)
    try:
        clmkit.set_num_threads(1)
        one = clmkit.summarize(big_log, "customer_id", "date", "amount")
        one_shuffled = clmkit.summarize(shuffled, "customer_id", "date", "amount")
        clmkit.set_num_threads(2)
        two = clmkit.summarize(big_log, "customer_id", "date", "amount")
        two_shuffled = clmkit.summarize(shuffled, "customer_id", "date", "amount")
    finally:
        clmkit.set_num_threads(n)
    pd.testing.assert_frame_equal(one, two, check_exact=True)  # same bits for 1 and 2 threads
    pd.testing.assert_frame_equal(one_shuffled, two_shuffled, check_exact=True)
    sums = ["monetary_value", "total_value"]  # sums in another row order: last bits differ
    pd.testing.assert_frame_equal(
        one.drop(columns=sums), one_shuffled.drop(columns=sums), check_exact=True
    )
    pd.testing.assert_frame_equal(one[sums], one_shuffled[sums], rtol=1e-12)
    ref = groupby_reference(big_log)
    assert list(one.index) == list(ref.index)
    for col in ["frequency", "recency", "T", "n_periods"]:
        np.testing.assert_array_equal(one[col].to_numpy(), ref[col].to_numpy(), err_msg=col)
    for col in ["monetary_value", "total_value"]:
        np.testing.assert_allclose(
            one[col].to_numpy(), ref[col].to_numpy(), rtol=1e-12, atol=1e-9, err_msg=col
        )
    for col in ["first_purchase", "last_purchase"]:
        np.testing.assert_array_equal(one[col].to_numpy(), ref[col].to_numpy("datetime64[ns]"))
    np.testing.assert_array_equal(
        one["inactivity"].to_numpy(), (one["T"] - one["recency"]).to_numpy()
    )


def test_bad_value_in_a_large_log_names_column_row_and_index(big_log):
    log = big_log.set_axis([f"r{i}" for i in range(len(big_log))])
    log.iloc[70_001, log.columns.get_loc("amount")] = np.inf
    log.iloc[70_005, log.columns.get_loc("amount")] = np.nan
    message = r"monetary_value_col 'amount': row 70001 \(index 'r70001'\) has invalid value inf"
    with pytest.raises(ValueError, match=message):
        clmkit.summarize(log, "customer_id", "date", "amount")


def test_nat_in_a_non_ns_datetime_column_is_named(big_log):
    log = big_log.copy()
    log.loc[5_000, "date"] = pd.NaT
    assert log["date"].dtype == "datetime64[us]"
    with pytest.raises(ValueError, match=r"datetime_col 'date': row 5000 .*missing date \(NaT\)"):
        clmkit.summarize(log, "customer_id", "date", "amount")
    polars = pytest.importorskip("polars")
    with pytest.raises(ValueError, match=r"datetime_col 'date': row 5000"):
        clmkit.summarize(polars.from_pandas(log), "customer_id", "date", "amount")


def test_values_whose_sum_overflows_are_valid():
    log = pd.DataFrame(
        {
            "id": [1, 1, 2],
            "d": pd.to_datetime(["2020-01-01", "2020-01-03", "2020-01-02"]),
            "v": [1e308, 1e308, -1e308],
        }
    )
    s = clmkit.summarize(log, "id", "d", "v")
    assert s.loc[1, "frequency"] == 1.0
    assert np.isinf(s.loc[1, "total_value"])  # as summed: an overflow, not a bad input
    assert s.loc[2, "total_value"] == -1e308
