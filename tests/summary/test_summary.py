"""Tests of clmkit.summarize / calibration_and_holdout against the CDNOW reference summary and
a brute-force pure-Python implementation of lifetimes' semantics."""

from __future__ import annotations

import clmkit
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

UNIT_DAYS = {"H": 1 / 24, "D": 1.0, "W": 7.0, "M": 30.436875, "Y": 365.2425}
PANDAS_PERIOD = {"H": "h", "D": "D", "W": "W", "M": "M", "Y": "Y"}


def brute_force_summary(log, freq, multiplier, include_first, end):
    """lifetimes' summary_data_from_transaction_data, written as plain loops over rows."""
    period = PANDAS_PERIOD[freq]
    floor = lambda ts: pd.Period(ts, period).to_timestamp()
    end_start = floor(end)
    per_customer: dict = {}
    for cid, ts, value in zip(log["cid"], log["ts"], log["value"]):
        start = floor(ts)
        if start > end_start:
            continue
        periods = per_customer.setdefault(cid, {})
        periods[start] = periods.get(start, 0.0) + value
    unit = pd.Timedelta(days=UNIT_DAYS[freq])
    rows = {}
    for cid in sorted(per_customer):
        periods = per_customer[cid]
        starts = sorted(periods)
        sums = [periods[s] for s in starts]
        repeat = sums if include_first else sums[1:]
        rows[cid] = {
            "frequency": float(len(repeat)),
            "recency": (starts[-1] - starts[0]) / unit / multiplier,
            "T": (end_start - starts[0]) / unit / multiplier,
            "monetary_value": float(np.mean(repeat)) if repeat else 0.0,
            "n_periods": float(len(starts)),
            "total_value": float(sum(sums)),
            "gap_before_last": (starts[-1] - starts[-2]) / unit / multiplier
            if len(starts) > 1
            else np.nan,
        }
    return pd.DataFrame.from_dict(rows, orient="index")


@st.composite
def logs(draw):
    n = draw(st.integers(1, 40))
    ids = draw(st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=n, max_size=n))
    offsets = draw(st.lists(st.integers(0, 2 * 365 * 24), min_size=n, max_size=n))
    values = draw(
        st.lists(
            st.floats(-50, 500, allow_nan=False).map(lambda v: round(v, 2)), min_size=n, max_size=n
        )
    )
    ts = pd.Timestamp("2019-12-30") + pd.to_timedelta(offsets, unit="h")
    return pd.DataFrame({"cid": ids, "ts": ts, "value": values})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    log=logs(),
    freq=st.sampled_from(["H", "D", "W", "M", "Y"]),
    multiplier=st.sampled_from([1.0, 7.0, 2.5]),
    include_first=st.booleans(),
    end_shift=st.one_of(st.none(), st.integers(0, 400 * 24)),
)
def test_matches_brute_force(log, freq, multiplier, include_first, end_shift):
    end = log["ts"].max() if end_shift is None else log["ts"].min() + pd.Timedelta(hours=end_shift)
    got = clmkit.summarize(
        log,
        "cid",
        "ts",
        "value",
        observation_period_end=end,
        freq=freq,
        freq_multiplier=multiplier,
        include_first_transaction=include_first,
    )
    want = brute_force_summary(log, freq, multiplier, include_first, end)
    assert list(got.index) == list(want.index)
    for col in want.columns:
        np.testing.assert_allclose(
            got[col].to_numpy(), want[col].to_numpy(), rtol=1e-12, atol=1e-9, err_msg=col
        )
    np.testing.assert_allclose(got["inactivity"], got["T"] - got["recency"])


def test_cdnow_sample_matches_published_summary():
    log = clmkit.datasets.load_cdnow_sample()
    got = clmkit.summarize(
        log, "customer_id", "date", observation_period_end="1997-09-30", freq="D", freq_multiplier=7
    )
    ref = clmkit.datasets.load_cdnow_summary()
    assert got.index.equals(ref.index)
    np.testing.assert_array_equal(got["frequency"], ref["frequency"])
    np.testing.assert_allclose(got["T"], ref["T"], atol=0.005)
    np.testing.assert_allclose(got["recency"], ref["recency"], atol=0.005)
    assert got.attrs["clmkit"]["freq"] == "D" and got.attrs["clmkit"]["multiplier"] == 7.0


def test_cdnow_monetary_value_matches_published_zbar():
    log = clmkit.datasets.load_cdnow_sample()
    got = clmkit.summarize(
        log,
        "customer_id",
        "date",
        "amount",
        observation_period_end="1997-09-30",
        freq="D",
        freq_multiplier=7,
    )
    ref = clmkit.datasets.load_cdnow_summary(with_monetary_value=True)
    np.testing.assert_allclose(got["monetary_value"], ref["monetary_value"], atol=0.005)


def test_unsorted_duplicated_input_and_input_not_modified():
    log = clmkit.datasets.simulate_transactions(300, seed=3)
    shuffled = pd.concat([log, log.iloc[:50]]).sample(frac=1.0, random_state=1)
    before = shuffled.copy()
    a = clmkit.summarize(shuffled, "customer_id", "date", "amount")
    pd.testing.assert_frame_equal(shuffled, before)
    b = clmkit.summarize(shuffled.sort_values("date"), "customer_id", "date", "amount")
    pd.testing.assert_frame_equal(a, b)


def test_arrays_instead_of_a_frame():
    log = clmkit.datasets.simulate_transactions(200, seed=4)
    a = clmkit.summarize(log, "customer_id", "date", "amount")
    b = clmkit.summarize(
        None, log["customer_id"].to_numpy(), log["date"].to_numpy(), log["amount"].to_numpy()
    )
    np.testing.assert_allclose(
        a[["frequency", "recency", "T", "monetary_value"]],
        b[["frequency", "recency", "T", "monetary_value"]],
    )


def test_string_dates_with_format_and_timezones():
    log = pd.DataFrame({"id": [1, 1, 2], "d": ["01/02/2020", "15/02/2020", "03/03/2020"]})
    s = clmkit.summarize(log, "id", "d", datetime_format="%d/%m/%Y")
    assert s.loc[1, "recency"] == 14 and s.loc[1, "T"] == 31
    tz = pd.DataFrame(
        {
            "id": [1, 1],
            "d": pd.to_datetime(["2020-01-01 23:30", "2020-01-02 00:30"]).tz_localize(
                "Europe/Berlin"
            ),
        }
    )
    s = clmkit.summarize(tz, "id", "d")
    # 22:30 and 23:30 UTC fall on one UTC day
    assert s.loc[1, "frequency"] == 0
    assert str(s["first_purchase"].dt.tz) == "Europe/Berlin"


def test_other_datetime_units_and_int_dtypes():
    log = clmkit.datasets.simulate_transactions(100, seed=5)
    ref = clmkit.summarize(log, "customer_id", "date", "amount")
    other = log.assign(
        date=log["date"].astype("datetime64[s]"),
        customer_id=log["customer_id"].astype("int32"),
        amount=(log["amount"] * 100).round().astype("int64"),
    )
    got = clmkit.summarize(other, "customer_id", "date", "amount")
    np.testing.assert_allclose(got["monetary_value"], ref["monetary_value"] * 100, rtol=1e-9)
    np.testing.assert_array_equal(got["T"], ref["T"])


def test_empty_input_gives_empty_summary_with_columns():
    empty = pd.DataFrame(
        {
            "id": pd.Series([], dtype="int64"),
            "d": pd.Series([], dtype="datetime64[ns]"),
            "v": pd.Series([], dtype="float64"),
        }
    )
    s = clmkit.summarize(empty, "id", "d", "v")
    assert len(s) == 0
    assert list(s.columns[:4]) == ["frequency", "recency", "T", "monetary_value"]


def test_threads_give_identical_results():
    log = clmkit.datasets.simulate_transactions(20_000, seed=6)
    n = clmkit.get_num_threads()
    try:
        clmkit.set_num_threads(1)
        one = clmkit.summarize(log, "customer_id", "date", "amount")
        clmkit.set_num_threads(3)
        three = clmkit.summarize(log, "customer_id", "date", "amount")
    finally:
        clmkit.set_num_threads(n)
    pd.testing.assert_frame_equal(one, three)


@pytest.mark.parametrize(
    "column, value, message",
    [
        ("d", pd.NaT, "datetime_col 'd': row 1"),
        ("id", None, "customer_id_col 'id': row 1"),
        ("v", np.nan, "monetary_value_col 'v': row 1"),
        ("v", np.inf, "monetary_value_col 'v': row 1"),
    ],
)
def test_bad_values_name_column_and_row(column, value, message):
    log = pd.DataFrame(
        {"id": [1.0, 2.0, 3.0], "d": pd.to_datetime(["2020-01-01"] * 3), "v": [1.0, 2.0, 3.0]}
    )
    log[column] = log[column].astype(object)
    log.loc[1, column] = value
    with pytest.raises(ValueError, match=message):
        clmkit.summarize(log, "id", "d", "v")


def test_unparseable_date_names_row_and_value():
    log = pd.DataFrame({"id": [1, 2], "d": ["2020-01-01", "not a date"]})
    with pytest.raises(ValueError, match="datetime_col 'd': row 1 has invalid value 'not a date'"):
        clmkit.summarize(log, "id", "d")


def test_unknown_column_lists_available_ones():
    log = pd.DataFrame({"id": [1], "d": pd.to_datetime(["2020-01-01"])})
    with pytest.raises(
        ValueError, match=r"datetime_col='date' is not a column; available columns: \['id', 'd'\]"
    ):
        clmkit.summarize(log, "id", "date")


def test_observation_end_before_first_transaction():
    log = pd.DataFrame({"id": [1], "d": pd.to_datetime(["2020-01-10"])})
    with pytest.raises(ValueError, match="before the first transaction"):
        clmkit.summarize(log, "id", "d", observation_period_end="2020-01-01")


def test_bad_options():
    log = pd.DataFrame({"id": [1], "d": pd.to_datetime(["2020-01-10"])})
    with pytest.raises(ValueError, match="freq: unknown frequency 'Q'"):
        clmkit.summarize(log, "id", "d", freq="Q")
    with pytest.raises(ValueError, match="freq_multiplier"):
        clmkit.summarize(log, "id", "d", freq_multiplier=0)
    with pytest.raises(TypeError, match="must be numeric"):
        clmkit.summarize(log.assign(v=["x"]), "id", "d", "v")


def test_negative_and_zero_amounts_are_summed_as_given():
    log = pd.DataFrame(
        {
            "id": [1, 1, 1],
            "d": pd.to_datetime(["2020-01-01", "2020-01-05", "2020-01-05"]),
            "v": [10.0, -4.0, 0.0],
        }
    )
    s = clmkit.summarize(log, "id", "d", "v")
    assert s.loc[1, "monetary_value"] == -4.0 and s.loc[1, "total_value"] == 6.0


# --- calibration and holdout --------------------------------------------------------------------


def brute_force_holdout(log, cal_end, obs_end):
    hold = log[(log["ts"] > cal_end) & (log["ts"] <= obs_end)]
    freq = hold.assign(day=hold["ts"].dt.floor("D")).groupby("cid")["day"].nunique()
    mean = hold.groupby("cid")["value"].mean()
    return freq, mean


def test_calibration_and_holdout_matches_brute_force():
    log = clmkit.datasets.simulate_transactions(500, seed=8).rename(
        columns={"customer_id": "cid", "date": "ts", "amount": "value"}
    )
    cal_end, obs_end = pd.Timestamp("2021-01-01"), pd.Timestamp("2021-09-01")
    ch = clmkit.calibration_and_holdout(
        log, "cid", "ts", cal_end, obs_end, monetary_value_col="value"
    )
    cal = clmkit.summarize(
        log[log["ts"] <= cal_end], "cid", "ts", "value", observation_period_end=cal_end
    )
    np.testing.assert_array_equal(ch["frequency_cal"], cal["frequency"])
    np.testing.assert_array_equal(ch["T_cal"], cal["T"])
    freq, mean = brute_force_holdout(log, cal_end, obs_end)
    np.testing.assert_array_equal(ch["frequency_holdout"], freq.reindex(ch.index).fillna(0))
    np.testing.assert_allclose(ch["monetary_value_holdout"], mean.reindex(ch.index).fillna(0))
    assert (ch["duration_holdout"] == (obs_end - cal_end).days).all()
    assert list(ch.columns) == [
        "frequency_cal",
        "recency_cal",
        "T_cal",
        "monetary_value_cal",
        "frequency_holdout",
        "monetary_value_holdout",
        "duration_holdout",
    ]


def test_holdout_without_transactions_is_an_error():
    log = pd.DataFrame({"id": [1, 2], "d": pd.to_datetime(["2020-01-01", "2020-01-05"])})
    with pytest.raises(ValueError, match="holds no transaction"):
        clmkit.calibration_and_holdout(log, "id", "d", "2020-01-10", "2020-02-01")
