"""Gamma-Gamma against Fader & Hardie's note 025 on CDNOW, and its input rules."""

import warnings

import clmkit
import numpy as np
import pandas as pd
import pytest
from btyd_reference import gammagamma_loglik


@pytest.fixture(scope="module")
def data():
    return clmkit.datasets.load_cdnow_summary(with_monetary_value=True)


@pytest.fixture(scope="module")
def gg(data):
    return clmkit.GammaGamma().fit(data)


def test_published_parameters_and_loglik(gg, published):
    ref = published["gammagamma_cdnow"]
    # Note 025 prints p = 6.25, q = 3.74, v = 15.44; the maximum (also lifetimes') is at
    # v = 15.4477, so v is held to 0.01 and p, q to their printed digits.
    assert round(gg.params_["p"], 2) == ref["params"]["p"]
    assert round(gg.params_["q"], 2) == ref["params"]["q"]
    assert gg.params_["v"] == pytest.approx(ref["params"]["v"], abs=0.01)
    assert gg.log_likelihood_ == pytest.approx(ref["log_likelihood"], abs=0.1)


def test_published_conditional_spend(gg, data, published):
    ref = published["gammagamma_cdnow"]["conditional_expected_average_value_first_10_customers"]
    got = gg.conditional_expected_spend(data["frequency"], data["monetary_value"]).iloc[:10]
    # The note prints the values truncated to cents (24.6586 -> 24.65).
    assert (np.floor(got.to_numpy() * 100) / 100).tolist() == ref


def test_loglik_and_spend_match_reference(gg, data):
    rep = data[data["frequency"] > 0]
    p = gg.params_.to_numpy()
    expected = gammagamma_loglik(p, rep["frequency"].to_numpy(), rep["monetary_value"].to_numpy())
    assert np.allclose(gg.individual_log_likelihood(rep), expected, rtol=1e-12)
    assert gg.log_likelihood_ == pytest.approx(expected.sum(), abs=1e-8)
    pp, q, v = p
    x, m = data["frequency"].to_numpy(), data["monetary_value"].to_numpy()
    direct = (q - 1) / (pp * x + q - 1) * pp * v / (q - 1) + pp * x / (pp * x + q - 1) * m
    assert np.allclose(gg.conditional_expected_spend(x, m), direct, rtol=1e-13)
    assert gg.expected_spend() == pytest.approx(pp * v / (q - 1))


def test_zero_frequency_rows_are_skipped(data):
    a = clmkit.GammaGamma().fit(data)
    b = clmkit.GammaGamma().fit(data[data["frequency"] > 0])
    assert np.array_equal(a.params_.to_numpy(), b.params_.to_numpy())
    assert a.n_customers_ == (data["frequency"] > 0).sum()


def test_nonpositive_monetary_value_is_rejected_with_count_and_filter(data):
    bad = data.copy()
    rows = np.flatnonzero(bad["frequency"].to_numpy() > 0)[[3, 10, 20]]
    bad.iloc[rows, bad.columns.get_loc("monetary_value")] = [0.0, -1.0, 0.0]
    with pytest.raises(
        ValueError, match=r"monetary_value: row \d+ .*3 repeat buyers.*drop_nonpositive=True"
    ):
        clmkit.GammaGamma().fit(bad)
    with pytest.warns(clmkit.ClmkitWarning, match="dropped 3 repeat buyers"):
        dropped = clmkit.GammaGamma().fit(bad, drop_nonpositive=True)
    assert dropped.n_customers_ == (data["frequency"] > 0).sum() - 3


def test_correlation_warning():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 20, 2000).astype(float)
    m = 5 * x + rng.gamma(2.0, 2.0, 2000)
    with pytest.warns(clmkit.ClmkitWarning, match="correlated"):
        clmkit.GammaGamma(penalizer=0.1).fit(x, m)


def test_no_warning_on_cdnow(data):
    with warnings.catch_warnings():
        warnings.simplefilter("error", clmkit.ClmkitWarning)
        clmkit.GammaGamma().fit(data)


def test_bad_input(gg):
    with pytest.raises(ValueError, match="frequency: row 1 .*whole"):
        clmkit.GammaGamma().fit([1, 1.5], [3.0, 4.0])
    with pytest.raises(ValueError, match="monetary_value: row 0 .*finite"):
        clmkit.GammaGamma().fit([1, 2], [np.nan, 4.0])
    with pytest.raises(ValueError, match="same length"):
        gg.conditional_expected_spend([1, 2], [3.0])
    with pytest.raises(ValueError, match="monetary_value: row 0"):
        gg.conditional_expected_spend([2], [-3.0])
    with pytest.raises(TypeError, match="monetary_value is required"):
        gg.conditional_expected_spend([2])
    s = gg.conditional_expected_spend(
        pd.Series([0, 3], index=["a", "b"]), pd.Series([0.0, 12.0], index=["a", "b"])
    )
    assert list(s.index) == ["a", "b"] and s["a"] == pytest.approx(gg.expected_spend())


def test_fit_is_the_maximum_of_the_reference_likelihood(data):
    """The Newton fit (no compression) sits at the optimum scipy finds on the per-row formula."""
    from scipy.optimize import minimize

    rep = data[data["frequency"] > 0]
    x, m = rep["frequency"].to_numpy(float), rep["monetary_value"].to_numpy(float)
    ours = clmkit.GammaGamma().fit(x, m)
    res = minimize(
        lambda u: -gammagamma_loglik(np.exp(u), x, m).sum(),
        np.zeros(3),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20000},
    )
    assert np.allclose(ours.params_.to_numpy(), np.exp(res.x), rtol=1e-4)
    assert ours.log_likelihood_ >= -res.fun - 1e-8
    # Doubling every customer by weight or by repetition gives the same fit.
    w = clmkit.GammaGamma().fit(x, m, weights=np.full(len(x), 2.0))
    r = clmkit.GammaGamma().fit(np.r_[x, x], np.r_[m, m])
    assert np.allclose(w.params_.to_numpy(), r.params_.to_numpy(), rtol=1e-10)
    assert w.log_likelihood_ == pytest.approx(2 * ours.log_likelihood_, rel=1e-12)
