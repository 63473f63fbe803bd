"""Numeric soundness and clear errors of the summary entry points (issue 18), each checked
against an independent reference (math.fsum, a pandas groupby, the native-order result)."""

import math

import clmkit
import numpy as np
import pandas as pd
import pytest


def _log(ids, days, values=None):
    df = pd.DataFrame({"id": ids, "d": pd.Timestamp("2020-01-01") + pd.to_timedelta(days, "D")})
    if values is not None:
        df["v"] = values
    return df


@pytest.mark.parametrize("order", [[0, 1, 2], [2, 1, 0], [1, 2, 0]])
def test_monetary_value_is_the_mean_of_the_repeats_after_a_huge_first_purchase(order):
    days, values = np.array([0, 1, 2]), np.array([1e13, 0.10, 0.20])
    log = _log([1, 1, 1], days[order], values[order])
    got = clmkit.summarize(log, "id", "d", "v").loc[1]
    reference = math.fsum([0.10, 0.20]) / 2  # the repeats alone, exactly rounded
    assert got["monetary_value"] == pytest.approx(reference, rel=1e-15, abs=0)
    assert got["total_value"] == pytest.approx(math.fsum(values), rel=1e-15)


def test_monetary_value_matches_a_groupby_of_the_repeat_periods():
    rng = np.random.default_rng(5)
    n = 400
    ids = rng.integers(0, 40, n)
    days = rng.integers(0, 60, n)
    values = np.where(rng.random(n) < 0.1, 1e12, rng.random(n))  # huge first buys at times
    log = _log(ids, days, values)
    got = clmkit.summarize(log, "id", "d", "v")
    per_day = log.groupby(["id", "d"])["v"].apply(math.fsum).reset_index().sort_values("d")
    first = per_day.groupby("id")["d"].transform("min")
    repeats = per_day[per_day["d"] > first].groupby("id")
    reference = (repeats["v"].apply(math.fsum) / repeats.size()).reindex(got.index).fillna(0.0)
    np.testing.assert_allclose(got["monetary_value"], reference, rtol=1e-12, atol=1e-15)


def test_calibration_end_before_the_data_is_an_error_naming_it():
    log = _log([1, 1, 2], [0, 5, 9])
    with pytest.raises(ValueError, match="calibration_period_end .* before the first"):
        clmkit.calibration_and_holdout(log, "id", "d", "2019-06-01", "2020-02-01")


@pytest.mark.parametrize(
    "call, arg",
    [
        (
            lambda t: clmkit.summarize(t, "id", "d", observation_period_end="2020-13-45"),
            "observation_period_end",
        ),
        (
            lambda t: clmkit.summarize(t, "id", "d", observation_period_end=[1, 2]),
            "observation_period_end",
        ),
        (
            lambda t: clmkit.calibration_and_holdout(t, "id", "d", "not a date"),
            "calibration_period_end",
        ),
        (
            lambda t: clmkit.calibration_and_holdout(t, "id", "d", "2020-01-03", "soon"),
            "observation_period_end",
        ),
        (
            lambda t: clmkit.summarize_discrete(t, "id", "d", observation_period_end="x"),
            "observation_period_end",
        ),
    ],
)
def test_unparseable_period_ends_name_the_argument(call, arg):
    with pytest.raises(ValueError) as info:
        call(_log([1, 1, 2], [0, 5, 9]))
    assert type(info.value) is ValueError  # not pandas' DateParseError
    assert str(info.value).startswith(f"{arg}=")


def _big_endian(a):
    return a.astype(a.dtype.newbyteorder(">"))


def test_big_endian_columns_are_numbers_in_every_summary_entry_point():
    native = _log(np.array([3, 3, 1, 3]), [0, 4, 2, 9], np.array([1.5, 2.0, 4.0, 0.25]))
    swapped = pd.DataFrame(
        {
            "id": _big_endian(native["id"].to_numpy()),
            "d": _big_endian(native["d"].to_numpy()),
            "v": _big_endian(native["v"].to_numpy()),
        }
    )
    assert not swapped["v"].dtype.isnative
    pd.testing.assert_frame_equal(
        clmkit.summarize(swapped, "id", "d", "v"), clmkit.summarize(native, "id", "d", "v")
    )
    pd.testing.assert_frame_equal(
        clmkit.calibration_and_holdout(swapped, "id", "d", "2020-01-05", monetary_value_col="v"),
        clmkit.calibration_and_holdout(native, "id", "d", "2020-01-05", monetary_value_col="v"),
    )
    pd.testing.assert_frame_equal(
        clmkit.summarize_discrete(swapped, "id", "d"), clmkit.summarize_discrete(native, "id", "d")
    )
    arrays = clmkit.summarize(None, swapped["id"].to_numpy(), native["d"], swapped["v"].to_numpy())
    pd.testing.assert_frame_equal(
        arrays, clmkit.summarize(None, native["id"], native["d"], native["v"]), check_names=False
    )


def test_two_dimensional_columns_and_length_mismatch_name_the_argument():
    d = pd.to_datetime(["2020-01-01", "2020-01-05"]).to_numpy()
    with pytest.raises(ValueError, match="customer_id_col must be a 1-dimensional array"):
        clmkit.summarize(None, np.ones((2, 2)), d)
    with pytest.raises(ValueError, match="monetary_value_col must be a 1-dimensional"):
        clmkit.summarize(None, [1, 2], d, np.ones((2, 1)))
    with pytest.raises(ValueError, match="customer_id_col has 3, datetime_col has 2"):
        clmkit.summarize(None, [1, 2, 3], d)
