"""Covariate BTYD and spend likelihoods against an independent reference (issue 21).

First the reference checks itself: every closed form at per-customer parameters equals the
same likelihood integrated by quadrature over the latent heterogeneity (and, for the
Pareto/NBD, mpmath's hypergeometric closed form). Then clmkit's covariate fits are held to
the reference: the total and per-customer log-likelihood at the fitted parameters and
coefficients (1e-8 relative: both sides are double-precision closed forms or 1e-12 quadrature
of a few hundred terms, so 1e-8 leaves four orders of magnitude for rounding), and the
reference's finite-difference gradient vanishes at clmkit's optimum.
"""

from __future__ import annotations

from functools import cache

import clmkit
import numpy as np
import pytest
from clmkit.datasets import simulate_covariate_summary
from covariate_reference import (
    CLOSED_FORMS,
    LINKS,
    bgbb_loglik_quad,
    bgnbd_loglik_quad,
    customer_params,
    fd_gradient,
    gammagamma_loglik_quad,
    paretonbd_loglik_hyp2f1,
    paretonbd_loglik_mpmath,
)

# The comparisons with clmkit need the covariate engine (branch covcore, issue 21).
needs_engine = pytest.mark.skipif(
    not hasattr(clmkit, "lr_test"), reason="the covariate engine is not in this build"
)

RNG = np.random.default_rng(20261206)
N = 8
Z = {"web": RNG.integers(0, 2, N).astype(float), "age": RNG.normal(size=N)}
X = np.array([0, 1, 2, 4, 7, 12, 25, 60], dtype=float)
T = np.array([30, 45, 39, 52, 20, 39, 80, 60], dtype=float)
TX = np.where(X > 0, T * RNG.uniform(0.1, 1.0, N), 0.0)


def params(model, base, coefs):
    return customer_params(model, base, coefs, Z, N)


@pytest.mark.parametrize(
    "model, base, coefs",
    [
        (
            "bgnbd",
            {"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4},
            {
                "purchase": {"web": 0.4, "age": -0.3},
                "dropout_a": {"web": -0.6},
                "dropout_b": {"age": 0.2},
            },
        ),
        ("bgnbd", {"r": 2.0, "alpha": 9.0, "a": 3.0, "b": 0.4}, {"dropout_b": {"age": 0.7}}),
        (
            "mbgnbd",
            {"r": 0.5, "alpha": 6.0, "a": 0.5, "b": 3.0},
            {"purchase": {"age": 0.5}, "dropout_a": {"web": 0.3}},
        ),
    ],
)
def test_bgnbd_closed_forms_equal_the_beta_mixture_integral(model, base, coefs):
    p = params(model, base, coefs)
    closed = CLOSED_FORMS[model](p, X, TX, T)
    brute = bgnbd_loglik_quad(p, X, TX, T, modified=model == "mbgnbd")
    np.testing.assert_allclose(closed, brute, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("beta", [11.7, 3.0])  # alpha_i above and below beta_i
def test_paretonbd_dropout_time_integral_equals_the_hypergeometric_form(beta):
    base = {"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": beta}
    p = params("paretonbd", base, {"purchase": {"web": 0.5}, "dropout": {"age": -0.8}})
    np.testing.assert_allclose(
        CLOSED_FORMS["paretonbd"](p, X, TX, T), paretonbd_loglik_mpmath(p, X, TX, T), rtol=1e-11
    )


def test_bgbb_closed_form_equals_quadrature_over_both_beta_mixtures():
    base = {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.78}
    coefs = {
        "purchase_alpha": {"web": 0.3},
        "purchase_beta": {"age": -0.2},
        "dropout_gamma": {"age": 0.4},
        "dropout_delta": {"web": 0.5},
    }
    n = np.array([6, 6, 6, 4, 6, 10, 3, 6], dtype=float)
    tx = np.array([0, 1, 5, 4, 6, 9, 2, 3], dtype=float)
    x = np.array([0, 1, 3, 2, 6, 5, 1, 3], dtype=float)
    p = params("bgbb", base, coefs)
    np.testing.assert_allclose(
        CLOSED_FORMS["bgbb"](p, x, tx, n), bgbb_loglik_quad(p, x, tx, n), rtol=1e-11
    )


def test_gammagamma_covariate_closed_form_equals_the_integral_over_nu():
    # the NEW closed form: the scale of nu's gamma distribution depends on the covariates
    p = params(
        "gammagamma", {"p": 6.25, "q": 3.74, "v": 15.44}, {"spend": {"web": 0.4, "age": -0.7}}
    )
    x = np.array([1, 2, 3, 7, 20, 100, 1, 4], dtype=float)
    m = np.array([10, 35, 20, 5, 40, 25, 0.5, 300], dtype=float)
    np.testing.assert_allclose(
        CLOSED_FORMS["gammagamma"](p, x, m), gammagamma_loglik_quad(p, x, m), rtol=1e-11
    )


def test_links_follow_fader_hardie_and_pymc_signs():
    base = {"r": 1.0, "alpha": 2.0, "s": 1.0, "beta": 3.0}
    p = customer_params(
        "paretonbd", base, {"purchase": {"age": 0.5}, "dropout": {"age": 0.25}}, Z, N
    )
    np.testing.assert_allclose(p["alpha"], 2.0 * np.exp(-0.5 * Z["age"]), rtol=1e-15)
    np.testing.assert_allclose(p["beta"], 3.0 * np.exp(-0.25 * Z["age"]), rtol=1e-15)
    np.testing.assert_array_equal(p["r"], 1.0)


# ------------------------------------------------------------ clmkit against the reference
BGNBD_BASE = {"r": 0.8, "alpha": 4.0, "a": 0.9, "b": 3.0}
SETUPS = {
    "bgnbd": (
        clmkit.BetaGeo,
        BGNBD_BASE,
        {
            "purchase": {"web": 0.5, "age": -0.3},
            "dropout_a": {"web": -0.4},
            "dropout_b": {"age": 0.3},
        },
    ),
    "mbgnbd": (
        clmkit.ModifiedBetaGeo,
        BGNBD_BASE,
        {
            "purchase": {"web": 0.5, "age": -0.3},
            "dropout_a": {"web": 0.4},
            "dropout_b": {"age": 0.3},
        },
    ),
    "paretonbd": (
        clmkit.ParetoNBD,
        {"r": 0.8, "alpha": 4.0, "s": 0.8, "beta": 12.0},
        {"purchase": {"web": 0.5, "age": -0.3}, "dropout": {"web": -0.4, "age": 0.3}},
    ),
    "bgbb": (
        clmkit.BetaGeoBetaBinom,
        {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.78},
        {
            "purchase_alpha": {"web": 0.5},
            "purchase_beta": {"age": 0.3},
            "dropout_delta": {"web": 0.6},
        },
    ),
    "gammagamma": (
        clmkit.GammaGamma,
        {"p": 6.0, "q": 4.0, "v": 15.0},
        {"spend": {"web": 0.4, "age": -0.3}},
    ),
}
N_FIT = 1500
DATA_COLUMNS = {
    "bgbb": ("frequency", "recency", "n_periods"),
    "gammagamma": ("frequency", "monetary_value"),
}


@cache
def fitted(key):
    """Simulated customers with two covariates, and clmkit's fit with both on every process."""
    cls, base, coefs = SETUPS[key]
    rng = np.random.default_rng([7, len(key)])
    cov = {"web": (rng.random(N_FIT) < 0.4).astype(float), "age": rng.normal(size=N_FIT)}
    if key == "gammagamma":
        sim = simulate_covariate_summary(
            "bgnbd", N_FIT, {**BGNBD_BASE, **base}, {"spend": coefs["spend"]}, cov, T=60.0, seed=3
        )
        data = sim[sim["frequency"] > 0].reset_index(drop=True)
        model = cls().fit(data, spend_covariates=["web", "age"])
    else:
        horizon = 10 if key == "bgbb" else rng.uniform(26.0, 78.0, N_FIT)
        data = simulate_covariate_summary(key, N_FIT, base, coefs, cov, T=horizon, seed=3)
        model = cls().fit(
            data, purchase_covariates=["web", "age"], dropout_covariates=["web", "age"]
        )
    return model, data


def reference_total(key, model, data, theta=None):
    """The reference's total log-likelihood at clmkit's estimates, or at ``theta`` = (log
    base parameters, coefficients) in the order of ``params_`` then ``coefficients_``."""
    names = list(model.params_.index)
    keys = list(model.coefficients_.index)
    if theta is None:
        theta = np.concatenate([np.log(model.params_.to_numpy()), model.coefficients_.to_numpy()])
    base = dict(zip(names, np.exp(theta[: len(names)])))
    coefs = {}
    for (block, cov), value in zip(keys, theta[len(names) :]):
        coefs.setdefault(block, {})[cov] = value
    columns = [
        data[c].to_numpy(float) for c in DATA_COLUMNS.get(key, ("frequency", "recency", "T"))
    ]
    covariates = {c: data[c].to_numpy(float) for c in ("web", "age")}
    p = customer_params(key, base, coefs, covariates, len(data))
    fn = paretonbd_loglik_hyp2f1 if key == "paretonbd" else CLOSED_FORMS[key]
    return np.asarray(fn(p, *columns))


@needs_engine
@pytest.mark.parametrize("key", sorted(SETUPS))
def test_clmkit_log_likelihood_equals_the_reference_at_the_fit(key):
    model, data = fitted(key)
    assert model.converged_
    blocks = {block for block, _ in LINKS[key].values()}
    assert set(model.coefficients_.index) == {(b, c) for b in blocks for c in ("web", "age")}
    per_customer = reference_total(key, model, data)
    np.testing.assert_allclose(model.log_likelihood_, per_customer.sum(), rtol=1e-8)
    if key == "paretonbd":  # the vectorised closed form used here equals the quadrature
        cols = [data[c].to_numpy(float) for c in ("frequency", "recency", "T")]
        coefs = {}
        for (block, cov), value in model.coefficients_.items():
            coefs.setdefault(block, {})[cov] = value
        p = customer_params(key, dict(model.params_), coefs, data, len(data))
        np.testing.assert_allclose(per_customer, CLOSED_FORMS[key](p, *cols), rtol=1e-10)


@needs_engine
@pytest.mark.parametrize("key", sorted(SETUPS))
def test_reference_gradient_vanishes_at_clmkit_optimum(key):
    # clmkit's analytic gradient drove the fit to its optimum; the reference's finite-difference
    # gradient (an independent route) must vanish there, and be clearly non-zero nearby.
    model, data = fitted(key)
    theta = np.concatenate([np.log(model.params_.to_numpy()), model.coefficients_.to_numpy()])

    def f(th):
        return reference_total(key, model, data, th).sum()

    n = len(data)
    grad = fd_gradient(f, theta) / n
    assert np.max(np.abs(grad)) < 1e-6, grad
    shifted = theta.copy()
    shifted[-1] += 0.05
    assert np.max(np.abs(fd_gradient(f, shifted) / n)) > 1e-3
