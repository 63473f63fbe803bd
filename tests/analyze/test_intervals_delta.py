"""The CLV interval of analyze(): the fit's normal approximation carried by the delta method,
checked against drawing parameters from the same approximation (predict_interval)."""

import warnings

import clmkit
import numpy as np
import pytest
from clmkit.analyze.intervals import clv_interval, log_purchase_se
from clmkit.analyze.patterns import patterns_of


@pytest.fixture(scope="module")
def fitted():
    summary = clmkit.summarize(clmkit.datasets.load_cdnow_master(), "customer_id", "date")
    return clmkit.ModifiedBetaGeo().fit(summary), summary


def test_delta_method_matches_parameter_draws(fitted):
    model, summary = fitted
    rows = summary.iloc[[0, 2, 5, 17, 40]]
    f, r, T = (rows[c].to_numpy() for c in ("frequency", "recency", "T"))
    se = log_purchase_se(model, 365.0, f, r, T)
    iv = model.predict_interval(
        "conditional_expected_purchases", 365.0, f, r, T,
        level=0.9, n_boot=4000, seed=3, method="parametric",
    )  # fmt: skip
    # independent reference: the 90% interval of log E over 4000 parameter draws
    draws = np.log(iv["upper"] / iv["lower"]).to_numpy() / (2 * 1.6448536269514722)
    np.testing.assert_allclose(se, draws, rtol=0.08)


def test_interval_brackets_and_scales_clv(fitted):
    model, summary = fitted
    clv = np.linspace(1.0, 50.0, len(summary))
    low, high = clv_interval(model, clv, summary, 365.0, 0.9)
    assert (low < clv).all() and (clv < high).all()
    # relative bounds are the same for customers with the same pattern
    pat = patterns_of(summary)
    rel = high / clv
    first = np.zeros(len(pat.f), dtype=int)
    first[pat.inverse[::-1]] = np.arange(len(clv))[::-1]
    np.testing.assert_allclose(rel, rel[first][pat.inverse], rtol=1e-12)
    # a wider level gives a wider interval
    low99, high99 = clv_interval(model, clv, summary, 365.0, 0.99)
    assert (low99 < low).all() and (high99 > high).all()


def test_patterns_equal_row_by_row_evaluation(fitted):
    model, summary = fitted
    pat = patterns_of(summary)
    assert len(pat.f) < len(summary)
    f, r, T = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    np.testing.assert_array_equal(
        pat.expand(model.p_alive(pat.f, pat.r, pat.T)), model.p_alive(f, r, T)
    )
    # non-integer data take the general path
    frac = summary.assign(T=summary["T"] + 0.5)
    pf = patterns_of(frac)
    np.testing.assert_array_equal(pf.T[pf.inverse], frac["T"].to_numpy())


def test_no_interval_without_a_finite_covariance(fitted):
    model, summary = fitted
    broken = clmkit.ModifiedBetaGeo.from_params(dict(model.params_))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="covariance"):
            clv_interval(broken, np.ones(len(summary)), summary, 365.0, 0.9)


def test_patterns_and_expected_purchases_given_by_the_caller_change_nothing():
    """analyze passes the patterns and expected purchases it already has: same bounds."""
    s = clmkit.summarize(clmkit.datasets.load_cdnow_sample(), "customer_id", "date")
    model = clmkit.ModifiedBetaGeo().fit(s)
    clv = np.linspace(1.0, 50.0, len(s))
    pat = patterns_of(s)
    expected = np.asarray(
        model.conditional_expected_purchases(365.0, s["frequency"], s["recency"], s["T"])
    )
    ref = clv_interval(model, clv, s, 365.0, 0.9)
    got = clv_interval(model, clv, s, 365.0, 0.9, pat, expected)
    for a, b in zip(ref, got):
        np.testing.assert_allclose(a, b, rtol=1e-12)
