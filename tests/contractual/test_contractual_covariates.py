"""Covariates on the churn probability (Fader & Hardie 2007, section 6): alpha_i =
alpha exp(x_i' gamma_alpha), beta_i = beta exp(x_i' gamma_beta), individual-level fits of the
sBG and the BdW, checked against an independent scipy likelihood."""

import warnings

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit.contractual import customer_table
from clmkit.exceptions import ClmkitWarning, InvalidValueError
from scipy import optimize
from scipy.special import betaln

TRUE = {"alpha": 1.1, "beta": 2.4, "c": 0.8, "ga": [0.6, -0.3], "gb": [-0.5, 0.25]}


def _simulate(kind, n, seed=5):
    """Customers whose churn probability theta_i ~ Beta(alpha_i, beta_i) depends on a flag
    and a normal covariate; a customer with theta survives t periods with probability
    (1 - theta)^(t^c); observed for 2..14 periods (right-censored)."""
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.integers(0, 2, n), rng.normal(0, 1, n)]).astype(float)
    a = TRUE["alpha"] * np.exp(x @ TRUE["ga"])
    b = TRUE["beta"] * np.exp(x @ TRUE["gb"])
    theta = rng.beta(a, b)
    c = TRUE["c"] if kind == "bdw" else 1.0
    # T = smallest t with (1 - theta)^(t^c) < u
    u = rng.uniform(size=n)
    life = np.ceil((np.log(u) / np.log1p(-theta)) ** (1 / c)).clip(1, 10_000)
    horizon = rng.integers(2, 15, n)
    churned = life <= horizon
    renewals = np.where(churned, life - 1, horizon)
    return pd.DataFrame(
        {"renewals": renewals, "churned": churned, "flag": x[:, 0], "score": x[:, 1]},
        index=pd.Index([f"c{i}" for i in range(n)], name="customer"),
    )


def _theta_ll(theta, frame, kind):
    """Independent log-likelihood (scipy betaln) at [ln a0, ln b0, (ln c,) ga, gb]."""
    x = frame[["flag", "score"]].to_numpy()
    nb = 3 if kind == "bdw" else 2
    a = np.exp(theta[0] + x @ theta[nb : nb + 2])
    b = np.exp(theta[1] + x @ theta[nb + 2 :])
    c = np.exp(theta[2]) if kind == "bdw" else 1.0
    r = frame["renewals"].to_numpy(float)
    log_s = lambda t: betaln(a, b + t**c) - betaln(a, b)
    churn = np.log(np.exp(log_s(r)) - np.exp(log_s(r + 1)))
    return float(np.where(frame["churned"], churn, log_s(r)).sum())


def _theta(model):
    base = np.log(model.params_.to_numpy())
    return np.concatenate([base, model.coefficients_.to_numpy()])


CLASSES = {"sbg": clmkit.ShiftedBetaGeometric, "bdw": clmkit.BetaDiscreteWeibull}


@pytest.mark.parametrize("kind", ["sbg", "bdw"])
def test_fit_maximises_an_independent_likelihood_and_recovers_the_truth(kind):
    frame = _simulate(kind, 6000)
    model = CLASSES[kind]().fit(frame, covariates=["flag", "score"])
    theta = _theta(model)
    assert model.converged_
    assert model.log_likelihood_ == pytest.approx(_theta_ll(theta, frame, kind), rel=1e-10)
    # the optimum of scipy's likelihood: its numerical gradient vanishes there
    grad = optimize.approx_fprime(theta, lambda t: _theta_ll(t, frame, kind), 1e-6)
    assert np.abs(grad).max() < 1e-2 * len(frame) ** 0.5
    # standard errors: the inverse of scipy's numerical Hessian at the optimum
    h = 1e-4
    hess = np.array(
        [
            (
                optimize.approx_fprime(theta + h * e, lambda t: _theta_ll(t, frame, kind), 1e-6)
                - optimize.approx_fprime(theta - h * e, lambda t: _theta_ll(t, frame, kind), 1e-6)
            )
            / (2 * h)
            for e in np.eye(len(theta))
        ]
    )
    se = np.sqrt(np.diag(np.linalg.inv(-(hess + hess.T) / 2)))
    rows = model.summary.loc[["alpha:flag", "alpha:score", "beta:flag", "beta:score"]]
    np.testing.assert_allclose(rows["se"], se[-4:], rtol=2e-2)
    # the truth within 4 standard errors
    truth = np.array(TRUE["ga"] + TRUE["gb"])
    assert np.all(np.abs(rows["coef"].to_numpy() - truth) < 4 * rows["se"].to_numpy())
    assert model.coefficients_.index.names == ["process", "covariate"]
    assert list(model.coefficients_.index) == [
        ("alpha", "flag"),
        ("alpha", "score"),
        ("beta", "flag"),
        ("beta", "score"),
    ]


@pytest.mark.parametrize("kind", ["sbg", "bdw"])
def test_all_zero_covariates_give_the_plain_fit(kind):
    frame = _simulate(kind, 3000, seed=9).assign(zero=0.0)
    plain = CLASSES[kind]().fit(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClmkitWarning)  # a zero column is not identified
        zero = CLASSES[kind]().fit(frame, covariates=["zero"])
    np.testing.assert_allclose(zero.params_, plain.params_, rtol=1e-10)
    assert zero.log_likelihood_ == pytest.approx(plain.log_likelihood_, rel=1e-12)
    assert (zero.coefficients_ == 0).all()


def test_per_customer_predictions_use_each_customers_parameters():
    frame = _simulate("sbg", 3000, seed=2)
    model = clmkit.ShiftedBetaGeometric().fit(frame, covariates=["flag", "score"])
    own = model.individual_params(["flag", "score"], frame)
    a, b = own["alpha"].to_numpy(), own["beta"].to_numpy()
    s = model.survival_function(3, covariates=["flag", "score"], data=frame)
    assert isinstance(s, pd.Series) and s.index.equals(frame.index)
    np.testing.assert_allclose(s, np.exp(betaln(a, b + 3) - betaln(a, b)), rtol=1e-12)
    r = frame["renewals"].to_numpy(float)
    rate = model.retention_rate(r + 1, covariates=["flag", "score"], data=frame)
    np.testing.assert_allclose(rate, (b + r) / (a + b + r), rtol=1e-12)
    # DERL of each customer is the plain sBG's at (alpha_i, beta_i): a direct sum
    derl = model.discounted_expected_residual_lifetime(
        r[:20], 0.05, covariates=frame[["flag", "score"]].iloc[:20]
    )
    for i in range(20):
        t = np.arange(r[i] + 1, r[i] + 4000)
        terms = np.exp(betaln(a[i], b[i] + t) - betaln(a[i], b[i] + r[i])) * 1.05 ** -(t - r[i] - 1)
        assert derl.iloc[i] == pytest.approx(terms.sum(), rel=1e-8)
    table = customer_table(model, frame, margin=2.0, discount_rate=0.05)
    active = ~frame["churned"].to_numpy()
    np.testing.assert_allclose(table["p_active_next_period"][active], rate[active], rtol=1e-12)
    assert table["value"].iloc[:20][active[:20]].to_numpy() == pytest.approx(
        2.0 * derl[active[:20]].to_numpy(), rel=1e-12
    )
    # customers who differ only in covariates get different values; the baseline is x = 0
    assert table["derl"][active].nunique() > 100


def test_summary_json_round_trip_polars_and_arrays_agree():
    frame = _simulate("bdw", 2500, seed=4)
    model = clmkit.BetaDiscreteWeibull().fit(frame, covariates=["flag", "score"])
    back = clmkit.BetaDiscreteWeibull.from_json(model.to_json())
    pd.testing.assert_series_equal(back.coefficients_, model.coefficients_)
    pd.testing.assert_frame_equal(back.summary, model.summary)
    pd.testing.assert_frame_equal(back.variance_matrix_, model.variance_matrix_)
    x = frame[["flag", "score"]].to_numpy()
    np.testing.assert_array_equal(
        back.discounted_expected_residual_lifetime(2, 0.02, covariates=x),
        model.discounted_expected_residual_lifetime(2, 0.02, covariates=x),
    )
    pl = pytest.importorskip("polars")
    by_polars = clmkit.BetaDiscreteWeibull().fit(
        pl.from_pandas(frame.reset_index()), covariates=["flag", "score"]
    )
    np.testing.assert_allclose(by_polars.coefficients_, model.coefficients_, rtol=1e-12)
    by_array = clmkit.BetaDiscreteWeibull().fit(
        renewals=frame["renewals"].to_numpy(), churned=frame["churned"].to_numpy(), covariates=x
    )
    assert list(by_array.coefficients_.index.get_level_values(1)) == ["x0", "x1"] * 2
    np.testing.assert_allclose(by_array.coefficients_, model.coefficients_, rtol=1e-12)
    s = model.summary
    assert list(s.index) == [
        "alpha",
        "beta",
        "c",
        "alpha:flag",
        "alpha:score",
        "beta:flag",
        "beta:score",
    ]
    assert (s["se"] > 0).all()


def test_bad_covariates_are_named_by_row_label_and_misuse_is_refused():
    frame = _simulate("sbg", 500, seed=1)
    frame.loc["c17", "score"] = np.nan
    with pytest.raises(InvalidValueError, match="c17"):
        clmkit.ShiftedBetaGeometric().fit(frame, covariates=["flag", "score"])
    with pytest.raises(ValueError, match="not a column"):
        clmkit.ShiftedBetaGeometric().fit(frame, covariates=["nope"])
    with pytest.raises(TypeError, match="individual customers"):
        clmkit.ShiftedBetaGeometric().fit(survivors=[100, 60, 40], covariates=[[1.0]])
    good = _simulate("sbg", 500, seed=1)
    model = clmkit.ShiftedBetaGeometric().fit(good, covariates=["flag", "score"])
    with pytest.raises(ValueError, match="2 covariates"):
        model.survival_function(2, covariates=np.ones((5, 3)))
    with pytest.raises(ValueError, match="rows"):
        clmkit.ShiftedBetaGeometric().fit(good, covariates=np.ones((3, 1)))
    plain = clmkit.ShiftedBetaGeometric().fit(good)
    with pytest.raises((TypeError, ValueError), match="covariates"):
        plain.survival_function(2, covariates=np.ones((5, 1)))
