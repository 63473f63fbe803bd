"""Covariate fits everywhere a plain fit goes (issue 21): ``generate``, the new-customer
quantities, BG/BB's and Pareto/NBD's own predictions, ``time_to_expected_purchases`` and
``evaluate_holdout``.

The reference of every prediction is the plain model evaluated at the customer's own
parameters, built by ``from_params`` from the links written out independently in
``covariates_reference`` (Fader & Hardie 2007 with pymc-marketing's signs). ``generate`` is
checked by refitting what it simulates: the coefficients it was given come back within
3.5 standard errors of the refit, and with all covariates 0 it draws exactly the plain
model's customers.
"""

import warnings

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit.datasets import simulate_covariate_summary
from covariates_reference import customer_params as _customer_params

COUNT = (clmkit.BetaGeo, clmkit.ModifiedBetaGeo, clmkit.ParetoNBD)
COEFS = {
    "bgnbd": {"purchase": {"web": 0.5, "age": -0.3}, "dropout_a": {"web": -0.4}},
    "mbgnbd": {"purchase": {"web": 0.5, "age": -0.3}, "dropout_a": {"web": -0.4}},
    "paretonbd": {"purchase": {"web": 0.5, "age": -0.3}, "dropout": {"web": -0.4}},
    "bgbb": {"purchase_alpha": {"web": 0.5}, "dropout_gamma": {"web": -0.4}},
}
PARAMS = {
    "bgnbd": {"r": 0.8, "alpha": 4.0, "a": 0.9, "b": 3.0},
    "mbgnbd": {"r": 0.8, "alpha": 4.0, "a": 0.9, "b": 3.0},
    "paretonbd": {"r": 0.8, "alpha": 4.0, "s": 0.8, "beta": 12.0},
    "bgbb": {"alpha": 1.2, "beta": 0.8, "gamma": 0.6, "delta": 2.5},
}
CLASSES = {
    "bgnbd": clmkit.BetaGeo,
    "mbgnbd": clmkit.ModifiedBetaGeo,
    "paretonbd": clmkit.ParetoNBD,
    "bgbb": clmkit.BetaGeoBetaBinom,
}


def _covariates(n, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"web": (rng.random(n) < 0.4).astype(float), "age": rng.normal(size=n)})


def _fit(kind, n=3000, seed=1):
    """A covariate fit of ``kind`` to data simulated with the known ``COEFS``."""
    cov = _covariates(n, seed)
    length = 10 if kind == "bgbb" else np.random.default_rng(seed).uniform(26, 78, n)
    data = simulate_covariate_summary(kind, n, PARAMS[kind], COEFS[kind], cov, T=length, seed=seed)
    purchase = ["web"] if kind == "bgbb" else ["web", "age"]
    model = CLASSES[kind]().fit(data, purchase_covariates=purchase, dropout_covariates=["web"])
    return model, data


@pytest.fixture(scope="module")
def fits():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clmkit.ClmkitWarning)
        return {kind: _fit(kind) for kind in CLASSES}


def _plain(model, p):
    return type(model).from_params(dict(zip(model.params_.index, p)))


def _processes(model):
    names = list(model._state.covariates[0])
    purchase, dropout = model._state.covariates[1], model._state.covariates[2]
    return names, {"purchase_covariates": list(purchase), "dropout_covariates": list(dropout)}


@pytest.mark.parametrize("kind", list(CLASSES))
def test_generate_simulates_the_coefficients_a_refit_recovers(fits, kind):
    model, _ = fits[kind]
    names, processes = _processes(model)
    n = 20_000
    cov = _covariates(n, 99)[names]
    length = 10 if kind == "bgbb" else 52.0
    sim = model.generate(n, length, seed=7, covariates=cov)
    assert len(sim) == n
    np.testing.assert_array_equal(sim[names].to_numpy(), cov.to_numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clmkit.ClmkitWarning)
        refit = type(model)().fit(sim, **processes)
    truth = model.coefficients_
    gap = (refit.coefficients_ - truth).abs()
    assert (gap < 3.5 * refit.coefficient_standard_errors_).all(), (truth, refit.summary)
    base_gap = (refit.params_ - model.params_).abs()
    assert (base_gap < 3.5 * refit.standard_errors_).all(), (model.params_, refit.summary)


@pytest.mark.parametrize("kind", list(CLASSES))
def test_generate_draws_each_customer_at_their_own_parameters(fits, kind):
    model, _ = fits[kind]
    names, _ = _processes(model)
    length = 10 if kind == "bgbb" else 30.0
    zero = model.generate(300, length, seed=3, covariates=dict.fromkeys(names, 0.0))
    plain = _plain(model, model.params_.to_numpy()).generate(300, length, seed=3)
    # With every covariate 0 the customers are the plain model's, draw for draw.
    pd.testing.assert_frame_equal(zero.drop(columns=names), plain)
    # One profile: the latent rates are drawn at that profile's parameters. The mean of the
    # Gamma(r, alpha_i) purchase rate (or Beta(alpha_i, beta_i) probability) is checked
    # against its closed form over many customers (4 standard errors).
    z = np.array([[1.0] + [0.5] * (len(names) - 1)])
    p = _customer_params(model, z)[0]
    sim = model.generate(40_000, length, seed=5, covariates=z)
    latent = sim["p"] if kind == "bgbb" else sim["lambda"]
    if kind == "bgbb":
        a, b = p[0], p[1]
        mean, var = a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))
    else:
        mean, var = p[0] / p[1], p[0] / p[1] ** 2
    assert abs(latent.mean() - mean) < 4 * np.sqrt(var / len(sim))


def test_generate_arguments_are_checked(fits):
    model, _ = fits["bgnbd"]
    with pytest.raises(ValueError, match="generate needs covariates="):
        model.generate(10, 30.0, seed=1)
    with pytest.raises(ValueError, match="one row per simulated customer"):
        model.generate(10, 30.0, seed=1, covariates=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="lacks the fitted columns"):
        model.generate(10, 30.0, seed=1, covariates={"web": 1.0})
    plain = clmkit.BetaGeo.from_params([0.5, 3.0, 0.8, 2.0])
    with pytest.raises(ValueError, match="fitted with covariates"):
        plain.generate(10, 30.0, seed=1, covariates={"web": 1.0})


@pytest.mark.parametrize("kind", ["bgnbd", "mbgnbd", "paretonbd"])
def test_new_customer_quantities_take_a_covariate_profile(fits, kind):
    model, _ = fits[kind]
    names, _ = _processes(model)
    z = np.array([[0.0, 0.0], [1.0, -1.2], [0.0, 2.0]])[:, : len(names)]
    probs = model.probability_of_n_purchases(26.0, 2, covariates=z)
    expected = model.expected_purchases([5.0, 26.0, 52.0], covariates=z[:1])
    for i, p in enumerate(_customer_params(model, z)):
        plain = _plain(model, p)
        assert probs[i] == pytest.approx(plain.probability_of_n_purchases(26.0, 2), rel=1e-10)
    plain0 = _plain(model, _customer_params(model, z[:1])[0])
    np.testing.assert_allclose(expected, plain0.expected_purchases([5.0, 26.0, 52.0]), rtol=1e-10)


def test_bgbb_predictions_use_each_customers_parameters(fits):
    model, data = fits["bgbb"]
    rows = data.iloc[:25]
    z = rows[["web"]].to_numpy()
    alive = model.p_alive(rows, periods_ahead=1)
    future = model.conditional_expected_purchases(5, rows)
    new = model.expected_purchases(6, covariates=z)
    pmf = model.probability_of_n_purchases(6, 2, covariates=z)
    for i, p in enumerate(_customer_params(model, z)):
        plain = _plain(model, p)
        x, tx, n = rows.iloc[i][["frequency", "recency", "n_periods"]]
        assert alive.iloc[i] == pytest.approx(plain.p_alive(x, tx, n, periods_ahead=1), rel=1e-10)
        want = plain.conditional_expected_purchases(5, x, tx, n)
        assert future.iloc[i] == pytest.approx(want, rel=1e-10)
        assert new[i] == pytest.approx(plain.expected_purchases(6), rel=1e-10)
        assert pmf[i] == pytest.approx(plain.probability_of_n_purchases(6, 2), rel=1e-10)


def test_pareto_dert_with_a_horizon_and_the_conditional_pmf(fits):
    model, data = fits["paretonbd"]
    rows = data.iloc[:15]
    z = rows[["web", "age"]].to_numpy()
    dert = model.discounted_expected_residual_transactions(rows, discount_rate=0.02, horizon=40)
    pmf = model.conditional_probability_of_n_purchases(20, 1, rows)
    for i, p in enumerate(_customer_params(model, z)):
        plain = _plain(model, p)
        x, tx, t = rows.iloc[i][["frequency", "recency", "T"]]
        want = plain.discounted_expected_residual_transactions(
            x, tx, t, discount_rate=0.02, horizon=40
        )
        assert dert.iloc[i] == pytest.approx(want, rel=1e-10)
        want = plain.conditional_probability_of_n_purchases(20, 1, x, tx, t)
        assert pmf.iloc[i] == pytest.approx(want, rel=1e-10)


@pytest.mark.parametrize("kind", ["bgnbd", "paretonbd"])
def test_time_to_expected_purchases_at_each_customers_parameters(fits, kind):
    model, data = fits[kind]
    rows = data.sort_values("frequency", ascending=False).iloc[:40]
    z = rows[["web", "age"]].to_numpy()
    f, r, t = (rows[c].to_numpy() for c in ("frequency", "recency", "T"))
    got = clmkit.clv.time_to_expected_purchases(model, f, r, t, 52.0, covariates=z)
    assert np.isfinite(got).sum() >= 10 and np.isnan(got).sum() >= 1
    for i, p in enumerate(_customer_params(model, z)):
        want = clmkit.clv.time_to_expected_purchases(
            _plain(model, p), f[i : i + 1], r[i : i + 1], t[i : i + 1], 52.0
        )[0]
        if np.isnan(want):
            assert np.isnan(got[i])
        else:
            assert got[i] == pytest.approx(want, rel=1e-9)
    with pytest.raises(ValueError, match="pass covariates="):
        clmkit.clv.time_to_expected_purchases(model, f, r, t, 52.0)


def test_evaluate_holdout_predicts_at_each_customers_parameters(fits):
    model, data = fits["bgnbd"]
    rows = data.iloc[:200]
    rng = np.random.default_rng(4)
    ch = pd.DataFrame(
        {
            "frequency_cal": rows["frequency"],
            "recency_cal": rows["recency"],
            "T_cal": rows["T"],
            "frequency_holdout": rng.poisson(1.0, len(rows)).astype(float),
            "duration_holdout": rng.choice([13.0, 26.0], len(rows)),
            "web": rows["web"],
            "age": rows["age"],
        }
    )
    ev = clmkit.evaluate_holdout(model, ch)
    z = rows[["web", "age"]].to_numpy()
    for i, p in enumerate(_customer_params(model, z)[:30]):
        c = ch.iloc[i]
        want = _plain(model, p).conditional_expected_purchases(
            c["duration_holdout"], c["frequency_cal"], c["recency_cal"], c["T_cal"]
        )
        assert ev.per_customer["predicted"].iloc[i] == pytest.approx(want, rel=1e-10)
    # the covariates may also come separately, in the fitted order
    again = clmkit.evaluate_holdout(model, ch.drop(columns=["web", "age"]), covariates=z)
    np.testing.assert_array_equal(again.per_customer["predicted"], ev.per_customer["predicted"])
    with pytest.raises(ValueError, match="missing"):
        clmkit.evaluate_holdout(model, ch.drop(columns=["age"]))


def test_spend_of_new_customers_per_covariate_row():
    data = clmkit.datasets.load_cdnow_summary(with_monetary_value=True)
    buyers = data[data["frequency"] > 0].copy()
    buyers["web"] = (np.random.default_rng(2).random(len(buyers)) < 0.5).astype(float)
    gg = clmkit.GammaGamma().fit(buyers, spend_covariates=["web"])
    z = np.array([[0.0], [1.0]])
    got = gg.expected_spend(covariates=z)
    for i, p in enumerate(_customer_params(gg, z)):
        assert got[i] == pytest.approx(_plain(gg, p).expected_spend(), rel=1e-12)


def test_the_single_parameter_error_names_the_way_out(fits):
    model, _ = fits["bgnbd"]
    with pytest.raises(ValueError) as err:
        model._params()
    text = str(err.value)
    assert "yet" not in text and "covariates=" in text and "customer_params" in text
