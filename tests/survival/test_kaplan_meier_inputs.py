"""Kaplan-Meier / Nelson-Aalen input paths: event flags read in place (bool, int, float, none),
integer durations, the one-pass validation of the kernel (errors worded by the Python
validators, first bad row and pandas index label), lazily converted ``event_observed_``, and
the hashing and sorting event tables against a numpy reference."""

import warnings

import clmkit
import numpy as np
import pandas as pd
import pytest


def numpy_km(t, e, w=None):
    """Product limit by np.unique/bincount: S and Greenwood's sum at each distinct time."""
    w = np.ones(len(t)) if w is None else np.asarray(w, float)
    times, inv = np.unique(t, return_inverse=True)
    d = np.bincount(inv, weights=w * e)
    removed = np.bincount(inv, weights=w)
    n = w.sum() - np.concatenate([[0.0], np.cumsum(removed)[:-1]])
    s = np.cumprod(1 - d / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.cumsum(np.where(d > 0, d / (n * (n - d)), 0.0))
    return times, s, g


def fit_all(t, e=None, **kw):
    return clmkit.KaplanMeier().fit(t, e, **kw), clmkit.NelsonAalen().fit(t, e, **kw)


def assert_same_fit(a, b):
    (ka, na), (kb, nb) = a, b
    for x, y in [
        (ka.survival_function_, kb.survival_function_),
        (ka.confidence_interval_, kb.confidence_interval_),
        (ka.event_table, kb.event_table),
        (na.cumulative_hazard_, nb.cumulative_hazard_),
        (na.confidence_interval_, nb.confidence_interval_),
    ]:
        pd.testing.assert_frame_equal(x, y, check_exact=True)
    assert ka.median_survival_time_ == kb.median_survival_time_


@pytest.mark.parametrize("decimals", [0, 2])
def test_every_event_dtype_gives_identical_fits(decimals):
    rng = np.random.default_rng(11)
    t = rng.exponential(20, 150_000).round(decimals)
    flags = rng.random(t.size) < 0.6
    ref = fit_all(t, flags.astype(float))
    for e in [
        flags,
        flags.astype(np.int64),
        flags.astype(np.int32),
        flags.astype(np.int8),
        pd.Series(flags),
        pd.Series(flags.astype(np.int64)),
        pd.Series(flags, dtype="boolean"),
        pd.Series(flags.astype(np.int64), dtype="Int64"),
        flags.tolist(),
        flags.astype(np.int64)[::1],
    ]:
        assert_same_fit(fit_all(t, e), ref)
    ones = fit_all(t, np.ones(t.size))
    assert_same_fit(fit_all(t, None), ones)


def test_integer_durations_equal_their_float_values():
    rng = np.random.default_rng(12)
    days = rng.integers(0, 400, 100_000)
    e = rng.integers(0, 2, days.size)
    ref = fit_all(days.astype(float), e)
    for d in [days, days.astype(np.int32), days.astype(np.uint16), pd.Series(days), days.tolist()]:
        assert_same_fit(fit_all(d, e), ref)
    km = clmkit.KaplanMeier().fit(days, e)
    assert km.durations_.dtype == np.float64 and (km.durations_ == days).all()


@pytest.mark.parametrize("n, decimals", [(120_000, 1), (5_000, 0), (200_000, None)])
def test_hashed_and_sorted_tables_match_a_numpy_reference(n, decimals):
    """Tied times take the hashing pass, mostly distinct ones the sort: both against np.unique."""
    rng = np.random.default_rng(n)
    t = rng.exponential(10, n)
    t = t if decimals is None else t.round(decimals)
    e = rng.integers(0, 2, n)
    w = rng.uniform(0.5, 2.0, n)
    for kw in ({}, {"weights": w}):
        km = clmkit.KaplanMeier().fit(t, e, **kw)
        times, s, g = numpy_km(t, e, kw.get("weights"))
        got = km.survival_function_.iloc[:, 0]
        if times[0] > 0:
            assert got.iloc[0] == 1.0 and got.index[0] == 0.0
            got = got.iloc[1:]
        np.testing.assert_array_equal(got.index.to_numpy(), times)
        # at-risk weights are total - running sums: summation order moves the last bits
        np.testing.assert_allclose(got.to_numpy(), s, rtol=1e-9, atol=1e-11)
        # the last times empty the risk set: n - d there carries the rounding of a sum of 1e5
        # weights, which d / (n (n - d)) amplifies (hence the last row out and rtol 1e-6)
        gw = km.variance_log_survival_.to_numpy()[-len(times) : -1]
        np.testing.assert_allclose(gw, g[:-1], rtol=1e-6)
        tab = km.event_table
        assert (
            tab["entrance"].iloc[0]
            == tab["at_risk"].iloc[0]
            == pytest.approx(kw.get("weights", np.ones(n)).sum())
        )


def test_thread_count_does_not_change_bits_for_any_input_path():
    rng = np.random.default_rng(13)
    t = rng.exponential(10, 300_000).round(1)
    e = rng.random(t.size) < 0.5
    w = rng.uniform(0.5, 2, t.size)
    cases = [dict(e=e), dict(e=e.astype(np.int64), weights=w), dict(e=None, weights=w)]
    try:
        fits = {}
        for threads in (1, 2):
            clmkit.set_num_threads(threads)
            fits[threads] = [fit_all(t, **c) for c in cases]
    finally:
        clmkit.set_num_threads(2)
    for a, b in zip(fits[1], fits[2]):
        assert_same_fit(a, b)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"durations": [1.0, -2.0, 3.0]}, "durations: row 1 has invalid value -2.0 (must be >= 0)"),
        (
            {"durations": np.array([1.0, np.inf, 3.0])},
            "durations: row 1 has invalid value inf (must be finite)",
        ),
        (
            {"durations": np.array([1, 2, -3])},
            "durations: row 2 has invalid value -3.0 (must be >= 0)",
        ),
        (
            {"durations": pd.Series([1.0, np.nan, 3.0], index=["a", "b", "c"])},
            "durations: row 1 (index 'b') has invalid value nan (must be finite)",
        ),
        (
            {"event_observed": np.array([1, 2, 0])},
            "event_observed: row 1 has invalid value 2.0 (must be 0 or 1 (or bool))",
        ),
        (
            {"event_observed": pd.Series([1.0, 0.0, 0.5], index=[10, 20, 30])},
            "event_observed: row 2 (index 30) has invalid value 0.5 (must be 0 or 1 (or bool))",
        ),
        (
            {"event_observed": np.array([1, 0], dtype=np.int32)},
            "arrays must have the same length: durations has 3, event_observed has 2",
        ),
        (
            {"weights": np.array([1.0, 0.0, 1.0])},
            "weights: row 1 has invalid value 0.0 (must be > 0)",
        ),
        (
            {"weights": np.array([1.0, np.nan, 1.0])},
            "weights: row 1 has invalid value nan (must be finite)",
        ),
        (
            {"durations": np.array([], dtype=float), "event_observed": np.array([], dtype=bool)},
            "durations is empty",
        ),
    ],
)
def test_errors_keep_the_python_wording(kwargs, message):
    args = {"durations": np.array([1.0, 2.0, 3.0]), "event_observed": np.array([1, 0, 1]), **kwargs}
    for cls in (clmkit.KaplanMeier, clmkit.NelsonAalen):
        with pytest.raises(ValueError) as err:
            cls().fit(**args)
        assert str(err.value) == message


def test_first_bad_row_of_a_large_input_and_durations_before_events():
    n = 400_000
    t = np.full(n, 2.0)
    e = np.ones(n, dtype=np.int64)
    t[321_987] = -1.0
    t[390_000] = np.nan
    e[5] = 3  # a bad event in an earlier chunk: durations are checked first, as before
    # and (as before) non-finite values before negative ones
    with pytest.raises(ValueError, match=r"^durations: row 390000 has invalid value nan"):
        clmkit.KaplanMeier().fit(t, e)
    t[390_000] = 1.0
    with pytest.raises(ValueError, match=r"^durations: row 321987 has invalid value -1\.0"):
        clmkit.KaplanMeier().fit(t, e)
    t[321_987] = 1.0
    with pytest.raises(ValueError, match=r"^event_observed: row 5 has invalid value 3\.0"):
        clmkit.KaplanMeier().fit(t, e)


def test_event_observed_is_float_on_access_and_refits_reset_it():
    km = clmkit.KaplanMeier().fit([3, 1, 2], np.array([True, False, True]))
    assert km.event_observed_.dtype == np.float64 and km.event_observed_.tolist() == [1.0, 0.0, 1.0]
    km.fit([3, 1], None)
    assert km.event_observed_.tolist() == [1.0, 1.0]
    e = np.array([0.0, 1.0])
    assert clmkit.NelsonAalen().fit([1.0, 2.0], e).event_observed_ is e
    with pytest.raises(AttributeError):
        clmkit.KaplanMeier().event_observed_


def test_bool_and_int_inputs_are_not_modified_and_all_censored_warns():
    t = np.array([3, 1, 2, 2], dtype=np.int64)
    e = np.array([False, False, False, False])
    t0, e0 = t.copy(), e.copy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        km = clmkit.KaplanMeier().fit(t, e)
    assert any("every observation is censored" in str(w.message) for w in caught)
    assert (t == t0).all() and (e == e0).all() and t.dtype == np.int64
    assert (km.survival_function_.iloc[:, 0] == 1.0).all()


def test_strided_columns_and_frames_give_the_same_fit():
    rng = np.random.default_rng(14)
    block = np.column_stack([rng.exponential(5, 20_000).round(1), rng.integers(0, 2, 20_000)])
    frame = pd.DataFrame(block, columns=["T", "E"])  # one 2-d float block: strided columns
    ref = fit_all(np.ascontiguousarray(block[:, 0]), np.ascontiguousarray(block[:, 1]))
    assert_same_fit(fit_all(block[:, 0], block[:, 1]), ref)
    assert_same_fit(fit_all(frame["T"], frame["E"]), ref)
    assert_same_fit(fit_all(block[::-1, 0][::-1], block[:, 1].astype(np.int64)), ref)
