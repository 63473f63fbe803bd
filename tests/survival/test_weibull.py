"""Weibull AFT: published Rossi fit, an independent numpy likelihood optimised by scipy,
standard errors from its numerical Hessian, predictions, bad input."""

import math

import clmkit
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

COLS = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]


def neg_loglik(theta, x, t, e):
    """Weibull log-likelihood with S = exp(-(t / lambda)^rho), written from the density."""
    lam = np.exp(x @ theta[:-1])
    rho = np.exp(theta[-1])
    z = (t / lam) ** rho
    log_h = np.log(rho) - np.log(lam) + (rho - 1) * (np.log(t) - np.log(lam))
    return -(e * log_h - z).sum()


def central_grad(f, theta, h, *args):
    g = np.empty(len(theta))
    for j in range(len(theta)):
        step = np.zeros(len(theta))
        step[j] = h
        g[j] = (f(theta + step, *args) - f(theta - step, *args)) / (2 * h)
    return g


def test_rossi_matches_published(published):
    ref = published["weibull_aft_rossi"]
    rossi = clmkit.datasets.load_rossi()
    wb = clmkit.WeibullAFT().fit(rossi, duration_col="week", event_col="arrest")
    for c, v in ref["log_lambda_coef"].items():
        assert wb.params_[("lambda_", c)] == pytest.approx(v, abs=1e-3)
    assert wb.params_[("rho_", "Intercept")] == pytest.approx(ref["log_rho_intercept"], abs=1e-3)
    assert wb.log_likelihood_ == pytest.approx(ref["log_likelihood"], abs=0.01)
    assert list(wb.summary.index.get_level_values(0)) == ["lambda_"] * 8 + ["rho_"]


def test_matches_independent_optimum_and_numerical_standard_errors():
    rossi = clmkit.datasets.load_rossi()
    wb = clmkit.WeibullAFT().fit(rossi, "week", "arrest")
    x = np.column_stack([rossi[COLS].to_numpy(float), np.ones(len(rossi))])
    t, e = rossi["week"].to_numpy(float), rossi["arrest"].to_numpy(float)
    theta = wb.params_.to_numpy()
    grad = central_grad(neg_loglik, theta, 1e-5, x, t, e)
    assert np.abs(grad).max() < 1e-4
    assert -neg_loglik(theta, x, t, e) == pytest.approx(wb.log_likelihood_, abs=1e-8)
    h = np.array(
        [
            central_grad(
                lambda th, j=j: central_grad(neg_loglik, th, 1e-4, x, t, e)[j], theta, 1e-4
            )
            for j in range(len(theta))
        ]
    )
    se = np.sqrt(np.diag(np.linalg.inv(0.5 * (h + h.T))))
    np.testing.assert_allclose(wb.standard_errors_.to_numpy(), se, rtol=2e-3)


def test_intercept_only_and_weights():
    rng = np.random.default_rng(0)
    t = rng.weibull(1.7, 400) * 5
    e = rng.integers(0, 2, 400)
    df = pd.DataFrame({"T": t, "E": e})
    wb = clmkit.WeibullAFT().fit(df, "T", "E")
    ref = minimize(neg_loglik, np.zeros(2), args=(np.ones((400, 1)), t, e), method="BFGS")
    np.testing.assert_allclose(wb.params_.to_numpy(), ref.x, atol=1e-4)
    reps = rng.integers(1, 3, 400)
    a = clmkit.WeibullAFT().fit(df.assign(w=reps), "T", "E", weights_col="w")
    b = clmkit.WeibullAFT().fit(df.loc[df.index.repeat(reps)], "T", "E")
    np.testing.assert_allclose(a.params_, b.params_, atol=1e-9)


def test_predictions_follow_the_closed_form():
    rossi = clmkit.datasets.load_rossi()
    wb = clmkit.WeibullAFT().fit(rossi, "week", "arrest")
    X = rossi.head(4)
    lam = np.exp(
        X[COLS].to_numpy(float) @ wb.lambda_.drop("Intercept").to_numpy() + wb.lambda_["Intercept"]
    )
    rho = math.exp(wb.rho_["Intercept"])
    sf = wb.predict_survival_function(X, times=[10, 52])
    np.testing.assert_allclose(
        sf.to_numpy(), np.exp(-((np.outer([10, 52], 1 / lam)) ** rho)), rtol=1e-12
    )
    med = wb.predict_median(X).to_numpy()
    np.testing.assert_allclose(np.exp(-((med / lam) ** rho)), 0.5, rtol=1e-12)
    cond = wb.predict_survival_function(X, times=[20], conditional_after=[10] * 4)
    full = wb.predict_survival_function(X, times=[10, 30]).to_numpy()
    np.testing.assert_allclose(cond.to_numpy()[0], full[1] / full[0], rtol=1e-12)


def test_bad_input():
    rossi = clmkit.datasets.load_rossi()
    with pytest.raises(ValueError, match=r"duration_col 'week': row 3.*must be > 0"):
        clmkit.WeibullAFT().fit(
            rossi.assign(week=rossi["week"].where(rossi.index != 3, 0)), "week", "arrest"
        )
    with pytest.raises(ValueError, match="'mar2' is a linear combination"):
        clmkit.WeibullAFT().fit(rossi.assign(mar2=2 * rossi["mar"]), "week", "arrest")
    with pytest.raises(ValueError, match="'k' is constant"):
        clmkit.WeibullAFT().fit(rossi.assign(k=1), "week", "arrest")
    with pytest.raises(ValueError, match="censored"):
        clmkit.WeibullAFT().fit(rossi.assign(arrest=0), "week", "arrest")
    with pytest.raises(TypeError, match="covariate 'g'"):
        clmkit.WeibullAFT().fit(rossi.assign(g="a"), "week", "arrest")


def test_thread_count_does_not_change_bits():
    rng = np.random.default_rng(1)
    n = 30_000
    df = pd.DataFrame(
        {"a": rng.normal(size=n), "T": rng.weibull(1.3, n) + 0.01, "E": rng.integers(0, 2, n)}
    )
    try:
        clmkit.set_num_threads(1)
        a = clmkit.WeibullAFT().fit(df, "T", "E").params_.to_numpy()
        clmkit.set_num_threads(2)
        b = clmkit.WeibullAFT().fit(df, "T", "E").params_.to_numpy()
    finally:
        clmkit.set_num_threads(2)
    assert a.tobytes() == b.tobytes()


def test_json_round_trip_is_exact():
    rossi = clmkit.datasets.load_rossi()
    wb = clmkit.WeibullAFT().fit(rossi, "week", "arrest")
    back = clmkit.WeibullAFT.from_json(wb.to_json())
    pd.testing.assert_frame_equal(back.summary, wb.summary)
    pd.testing.assert_series_equal(
        back.predict_median(rossi.head(3)), wb.predict_median(rossi.head(3))
    )
