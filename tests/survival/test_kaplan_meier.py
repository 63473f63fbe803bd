"""Kaplan-Meier and Nelson-Aalen: R's published g3 values, brute-force product limits,
weights, left truncation, bad input and thread determinism."""

import warnings

import clmkit
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


def brute_km(t, e, w=None, entry=None):
    """Product limit written from the definition, O(n * distinct times)."""
    w = np.ones_like(t) if w is None else w
    entry = np.zeros_like(t) if entry is None else entry
    s, out = 1.0, {}
    for u in np.unique(np.concatenate([t, entry])):
        # at risk at u: entered before u (or at 0) and not yet removed
        at_risk = w[((entry < u) | (entry == 0)) & (t >= u)].sum()
        d = w[(t == u) & (e == 1)].sum()
        if d > 0:
            s *= 1 - d / at_risk
        out[u] = s
    return out


@pytest.mark.parametrize("group", ["RIT", "Control"])
def test_g3_survival_matches_r(published, group):
    ref = published["kaplan_meier_g3"]
    g3 = clmkit.datasets.load_g3()
    sub = g3[g3["group"] == group]
    km = clmkit.KaplanMeier().fit(sub["time"], sub["event"])
    for t, s in ref[f"group_{group}_survival"].items():
        assert km.predict(float(t)) == pytest.approx(s, abs=5e-4)


def test_g3_loglog_bounds_match_r(published):
    ref = published["kaplan_meier_g3"]
    g3 = clmkit.datasets.load_g3()
    sub = g3[g3["group"] == "Control"]
    km = clmkit.KaplanMeier(ci_transform="log-log").fit(sub["time"], sub["event"])
    ci = km.confidence_interval_
    for t, lo in ref["group_Control_loglog_95ci_lower"].items():
        assert ci.loc[float(t)].iloc[0] == pytest.approx(lo, abs=5e-5)
    for t, hi in ref["group_Control_loglog_95ci_upper"].items():
        assert ci.loc[float(t)].iloc[1] == pytest.approx(hi, abs=5e-4)
    assert km.median_survival_time_ == 32.0


def test_other_transforms_bracket_the_estimate():
    w = clmkit.datasets.load_waltons()
    for tr in ["log", "plain", "log-log"]:
        km = clmkit.KaplanMeier(ci_transform=tr).fit(w["T"], w["E"])
        s = km.survival_function_.iloc[:, 0].to_numpy()
        lo, hi = km.confidence_interval_.to_numpy().T
        assert (
            (lo <= s + 1e-12).all()
            and (s <= hi + 1e-12).all()
            and (hi <= 1).all()
            and (lo >= 0).all()
        )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 8), st.booleans(), st.integers(1, 3), st.integers(0, 8)),
        min_size=1,
        max_size=40,
    )
)
def test_matches_brute_force_with_weights_and_entry(rows):
    t = np.array([r[0] for r in rows], float)
    e = np.array([r[1] for r in rows], float)
    w = np.array([r[2] for r in rows], float)
    entry = np.minimum(np.array([r[3] for r in rows], float), t)
    # entering at one's own exit (event or censoring) is invalid, as R's Surv(entry, time)
    entry = np.where(entry == t, 0.0, entry)
    for kw in ({}, {"weights": w}, {"entry": entry}, {"weights": w, "entry": entry}):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", clmkit.ClmkitWarning)
            km = clmkit.KaplanMeier().fit(t, e, **kw)
        ref = brute_km(t, e, kw.get("weights"), kw.get("entry"))
        for u, s in ref.items():
            assert km.predict(u) == pytest.approx(s, abs=1e-12)


def test_weights_equal_replicated_rows():
    rng = np.random.default_rng(1)
    t = rng.integers(1, 20, 50).astype(float)
    e = rng.integers(0, 2, 50).astype(float)
    w = rng.integers(1, 4, 50)
    a = clmkit.KaplanMeier().fit(t, e, weights=w)
    b = clmkit.KaplanMeier().fit(np.repeat(t, w), np.repeat(e, w))
    pd.testing.assert_frame_equal(a.survival_function_, b.survival_function_)
    pd.testing.assert_frame_equal(a.confidence_interval_, b.confidence_interval_)


def test_event_table_and_timeline_start_at_zero():
    km = clmkit.KaplanMeier().fit([2, 2, 3, 5], [1, 0, 1, 1])
    tab = km.event_table
    assert list(tab.columns) == ["removed", "observed", "censored", "entrance", "at_risk"]
    assert tab.index.tolist() == [0.0, 2.0, 3.0, 5.0]
    assert tab["at_risk"].tolist() == [4, 4, 2, 1]
    assert tab["entrance"].tolist() == [4, 0, 0, 0]
    assert km.survival_function_.iloc[0, 0] == 1.0
    assert km.predict([0, 1, 2, 4, 10]).tolist() == pytest.approx([1, 1, 0.75, 0.375, 0])
    assert km.median_survival_time_ == 3.0
    assert clmkit.KaplanMeier().fit([1, 2], [1, 0]).median_survival_time_ == 1.0
    assert np.isinf(clmkit.KaplanMeier().fit([1, 2, 3], [1, 0, 0]).median_survival_time_)


def test_nelson_aalen_matches_hand_formula():
    t = np.array([1, 2, 2, 3, 4, 4, 5], float)
    e = np.array([1, 1, 0, 1, 1, 1, 0], float)
    na = clmkit.NelsonAalen().fit(t, e)
    expected = {
        1: 1 / 7,
        2: 1 / 7 + 1 / 6,
        3: 1 / 7 + 1 / 6 + 1 / 4,
        4: 1 / 7 + 1 / 6 + 1 / 4 + 2 / 3,
    }
    for u, h in expected.items():
        assert na.predict(u) == pytest.approx(h, abs=1e-14)
    var4 = sum(d * (n - d) / n**3 for d, n in [(1, 7), (1, 6), (1, 4), (2, 3)])
    assert na.variance_.loc[4.0] == pytest.approx(var4)
    lo, _hi = na.confidence_interval_.loc[4.0]
    assert lo == pytest.approx(
        expected[4] * np.exp(-1.959964 * np.sqrt(var4) / expected[4]), rel=1e-6
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"durations": [1, -2, 3]}, r"durations: row 1 .*-2"),
        ({"durations": [1, np.nan, 3]}, r"durations: row 1"),
        ({"event_observed": [1, 2, 0]}, r"event_observed: row 1 .*2"),
        ({"event_observed": [1, 0]}, "same length"),
        ({"weights": [1, 0, 1]}, r"weights: row 1"),
        ({"entry": [0, 5, 0]}, r"entry: row 1"),
        ({"entry": [0, 0, 3]}, r"entry: row 2 .*enter before its event"),
    ],
)
def test_bad_input(kwargs, match):
    args = {"durations": [1, 2, 3], "event_observed": [1, 0, 1], **kwargs}
    with pytest.raises(ValueError, match=match):
        clmkit.KaplanMeier().fit(**args)


def test_bad_types_and_options():
    with pytest.raises(TypeError, match="durations"):
        clmkit.KaplanMeier().fit(["a", "b"], [1, 1])
    with pytest.raises(ValueError, match="ci_transform"):
        clmkit.KaplanMeier(ci_transform="arcsin").fit([1, 2], [1, 1])


def test_inputs_are_not_modified():
    t = pd.Series([3, 1, 2], dtype="int32")
    e = np.array([True, False, True])
    t0, e0 = t.copy(), e.copy()
    clmkit.KaplanMeier().fit(t, e)
    pd.testing.assert_series_equal(t, t0)
    assert (e == e0).all()


def test_plot_without_matplotlib_says_how_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    km = clmkit.KaplanMeier().fit([1, 2, 3], [1, 1, 0])
    with pytest.raises(ImportError, match="pip install matplotlib"):
        km.plot()


def test_thread_count_does_not_change_bits():
    rng = np.random.default_rng(7)
    t = rng.exponential(10, 200_000).round(1)
    e = rng.integers(0, 2, t.size)
    w = rng.uniform(0.5, 2, t.size)
    try:
        clmkit.set_num_threads(1)
        a = clmkit.KaplanMeier().fit(t, e, weights=w).survival_function_.to_numpy()
        clmkit.set_num_threads(2)
        b = clmkit.KaplanMeier().fit(t, e, weights=w).survival_function_.to_numpy()
    finally:
        clmkit.set_num_threads(2)
    assert a.tobytes() == b.tobytes()


def test_left_truncation_and_nelson_aalen_agree_with_lifelines():
    lifelines = pytest.importorskip("lifelines")
    w = clmkit.datasets.load_waltons()
    rng = np.random.default_rng(0)
    entry = np.minimum(rng.integers(0, 30, len(w)), w["T"] - 1).clip(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ka = lifelines.KaplanMeierFitter().fit(w["T"], w["E"], entry=entry)
        na = lifelines.NelsonAalenFitter(nelson_aalen_smoothing=False).fit(
            w["T"], w["E"], entry=entry
        )
    kb = clmkit.KaplanMeier().fit(w["T"], w["E"], entry=entry)
    nb = clmkit.NelsonAalen().fit(w["T"], w["E"], entry=entry)
    np.testing.assert_allclose(kb.survival_function_, ka.survival_function_, atol=1e-12)
    np.testing.assert_allclose(kb.confidence_interval_, ka.confidence_interval_, atol=1e-12)
    np.testing.assert_allclose(nb.cumulative_hazard_, na.cumulative_hazard_, atol=1e-12)
    np.testing.assert_allclose(nb.confidence_interval_, na.confidence_interval_, atol=1e-12)
    np.testing.assert_array_equal(kb.event_table.to_numpy(), ka.event_table.to_numpy())


def test_json_round_trip_is_exact():
    w = clmkit.datasets.load_waltons()
    km = clmkit.KaplanMeier(alpha=0.1, ci_transform="log").fit(w["T"], w["E"], label="flies")
    back = clmkit.KaplanMeier.from_json(km.to_json())
    assert repr(back) == repr(km)
    pd.testing.assert_frame_equal(back.survival_function_, km.survival_function_)
    pd.testing.assert_frame_equal(back.confidence_interval_, km.confidence_interval_)
    assert back.median_survival_time_ == km.median_survival_time_
    na = clmkit.NelsonAalen().fit(w["T"], w["E"])
    assert clmkit.NelsonAalen.from_json(na.to_json()).predict(40.0) == na.predict(40.0)
