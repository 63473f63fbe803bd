"""Fits whose maximum lies on the boundary of the parameter space, and Pareto/NBD near the
no-dropout limit (s -> 0, beta -> inf), where the 2F1 series argument tends to 1 (issue 18).

References: mpmath's hyp2f1 at 60 digits in Fader & Hardie's closed forms (independent of
the Rust series and quadrature).
"""

import time
import warnings

import clmkit
import numpy as np
import pytest
from clmkit import BetaGeo, ClmkitWarning, ConvergenceError, ParetoNBD

mp = pytest.importorskip("mpmath")
mp.mp.dps = 60

NEAR_BOUNDARY = dict(r=0.8, alpha=69.0, s=1e-6, beta=1e7)


def mp_terms(r, alpha, s, beta, x, tx, T):
    """(alive term, dead term) of the Pareto/NBD likelihood without the common factor
    Gamma(r+x) alpha^r beta^s / Gamma(r) (Fader & Hardie 2005 note, eq. 22-24), by mpmath."""
    r, alpha, s, beta, x, tx, T = (mp.mpf(v) for v in (r, alpha, s, beta, x, tx, T))
    a = r + s + x

    def big_a(u):
        if alpha >= beta:
            return mp.hyp2f1(a, s + 1, a + 1, (alpha - beta) / (alpha + u)) / (alpha + u) ** a
        return mp.hyp2f1(a, r + x, a + 1, (beta - alpha) / (beta + u)) / (beta + u) ** a

    alive = 1 / ((alpha + T) ** (r + x) * (beta + T) ** s)
    dead = s / a * (big_a(tx) - big_a(T))
    return alive, dead


CASES = [(0.0, 0.0, 100.0), (2.0, 30.0, 100.0), (10.0, 100.0, 200.0), (1.0, 5.0, 365.0)]


@pytest.mark.parametrize("params", [NEAR_BOUNDARY, dict(r=0.8, alpha=69.0, s=0.01, beta=1e5)])
def test_p_alive_near_the_no_dropout_boundary_against_mpmath(params):
    model = ParetoNBD.from_params(params)
    x, tx, T = (np.array(c) for c in zip(*CASES))
    got = model.p_alive(x, tx, T)
    assert np.all(np.isfinite(got))
    for g, case in zip(got, CASES):
        alive, dead = mp_terms(*params.values(), *case)
        # Compare the odds of death, dead / alive = 1 / p - 1, which is what is computed.
        want = float(dead / alive)
        assert abs((1 / g - 1) - want) <= 1e-9 * want + 1e-15, case


def test_log_likelihood_near_the_boundary_against_mpmath():
    p = NEAR_BOUNDARY
    model = ParetoNBD.from_params(p)
    x, tx, T = (np.array(c) for c in zip(*CASES))
    got = model.individual_log_likelihood(x, tx, T)
    for g, case in zip(got, CASES):
        alive, dead = mp_terms(*p.values(), *case)
        r, xx = mp.mpf(p["r"]), mp.mpf(case[0])
        want = (
            mp.loggamma(r + xx)
            - mp.loggamma(r)
            + r * mp.log(p["alpha"])
            + mp.mpf(p["s"]) * mp.log(p["beta"])
            + mp.log(alive + dead)
        )
        assert abs(g - float(want)) < 1e-10 * abs(float(want)), case


def test_conditional_expectation_near_the_boundary_is_finite_and_nbd_like():
    # With dropout switched off (s/beta ~ 1e-13) the Pareto/NBD forecast is the NBD's:
    # E[X(T, T+t) | x, T] = (r + x) t / (alpha + T).
    model = ParetoNBD.from_params(NEAR_BOUNDARY)
    x, tx, T = (np.array(c) for c in zip(*CASES))
    got = model.conditional_expected_purchases(30.0, x, tx, T)
    want = (0.8 + x) * 30.0 / (69.0 + T)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def no_dropout_log(n, seed):
    """An online-retail-like summary without dropout (daily units, a year of data): the
    Pareto/NBD maximum lies at the boundary of the parameter space."""
    rng = np.random.default_rng(seed)
    T = rng.integers(1, 374, n).astype(float)
    lam = rng.gamma(0.8, 1 / 69.0, n)
    x = rng.poisson(lam * T).astype(float)
    rec = np.where(x > 0, np.floor(T * rng.random(n) ** (1 / np.maximum(x, 1))), 0.0)
    return x, rec, T


def test_pareto_fit_at_the_boundary_returns_quickly_and_says_so():
    x, rec, T = no_dropout_log(2000, 1)
    start = time.perf_counter()
    with pytest.warns(ClmkitWarning, match="boundary of the parameter space"):
        fit = ParetoNBD().fit(x, rec, T)
    # Before: did not return (each 2F1 summed up to 2,000,000 terms per pattern).
    assert time.perf_counter() - start < 60
    assert not fit.converged_
    assert np.all(np.isfinite(fit.params_)) and np.all(fit.params_ > 0)
    assert fit.standard_errors_.isna().all()
    assert np.isfinite(fit.log_likelihood_)
    # max_iter bounds the whole multistart.
    start = time.perf_counter()
    with pytest.warns(ClmkitWarning):
        short = ParetoNBD(max_iter=10).fit(x, rec, T)
    assert short.n_iter_ <= 10
    assert time.perf_counter() - start < 20


def test_pareto_two_customer_fit_ends_inside_the_parameter_space():
    start = time.perf_counter()
    with pytest.warns(ClmkitWarning, match="boundary"):
        fit = ParetoNBD().fit(np.array([1.0, 3.0]), np.array([20.0, 30.0]), np.array([40.0, 40.0]))
    assert time.perf_counter() - start < 30  # before: minutes
    assert np.all(fit.params_ > 0) and np.all(np.isfinite(fit.params_))  # before: s = 0
    assert not fit.converged_


def test_a_tiny_budget_is_a_convergence_error_not_a_hang():
    x, rec, T = no_dropout_log(300, 2)
    with pytest.raises(ConvergenceError):
        ParetoNBD(max_iter=1).fit(x, rec, T)


def test_identical_customers_are_a_boundary_fit_with_nan_errors_and_no_numpy_warnings():
    f, r, T = np.full(50, 2.0), np.full(50, 20.0), np.full(50, 30.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = BetaGeo().fit(f, r, T)
    kinds = [w.category for w in caught]
    assert ClmkitWarning in kinds
    assert not any(issubclass(k, RuntimeWarning) for k in kinds), kinds  # numpy overflow
    assert "boundary" in str(caught[kinds.index(ClmkitWarning)].message)
    assert not fit.converged_  # before: True with [0, inf] intervals
    assert fit.standard_errors_.isna().all()
    assert fit.confidence_intervals_.isna().all().all()


@pytest.mark.parametrize("cls", [clmkit.BetaGeo, clmkit.ParetoNBD, clmkit.ModifiedBetaGeo])
def test_interior_fits_stay_silent_and_converged(cls):
    data = clmkit.datasets.load_cdnow_summary()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ClmkitWarning)
        fit = cls().fit(data)
    assert fit.converged_
    assert fit.standard_errors_.notna().all()
