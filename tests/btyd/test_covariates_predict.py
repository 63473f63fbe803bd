"""Predictions, persistence and the likelihood-ratio test of covariate fits.

Each per-customer prediction must equal the plain model's prediction at that customer's
parameters (``from_params``); the chi-square p-value must equal scipy's.
"""

import pickle
import warnings

import clmkit
import numpy as np
import pandas as pd
import pytest
from covariates_reference import customer_params as _customer_params
from covariates_reference import with_covariates as _with_covariates
from scipy import stats


@pytest.fixture(scope="module")
def data():
    frame = clmkit.datasets.load_cdnow_summary(with_monetary_value=True)
    return _with_covariates(frame, 11).iloc[:800]


@pytest.fixture(scope="module")
def fits(data):
    cov = {"purchase_covariates": ["web", "age"], "dropout_covariates": ["web"]}
    return {cls: cls().fit(data, **cov) for cls in (clmkit.BetaGeo, clmkit.ParetoNBD)}


def test_per_customer_predictions_use_each_customers_parameters(data, fits):
    rows = data.iloc[:25]
    z = rows[["web", "age"]].to_numpy()
    for cls, fitted in fits.items():
        params = _customer_params(fitted, z)
        alive = fitted.p_alive(rows)
        expected = fitted.conditional_expected_purchases(20, rows)
        prob = fitted.conditional_probability_of_n_purchases(20, 1, rows)
        new = fitted.expected_purchases(20, covariates=z)
        assert isinstance(alive, pd.Series) and alive.index.equals(rows.index)
        for i, p in enumerate(params):
            plain = cls.from_params(dict(zip(fitted.params_.index, p)))
            x, tx, t = rows.iloc[i][["frequency", "recency", "T"]]
            assert alive.iloc[i] == pytest.approx(plain.p_alive(x, tx, t), rel=1e-12)
            assert expected.iloc[i] == pytest.approx(
                plain.conditional_expected_purchases(20, x, tx, t), rel=1e-12
            )
            assert prob.iloc[i] == pytest.approx(
                plain.conditional_probability_of_n_purchases(20, 1, x, tx, t), rel=1e-12
            )
            assert new[i] == pytest.approx(plain.expected_purchases(20), rel=1e-12)
        # Arrays with covariates= give the same as the table.
        arrays = fitted.p_alive(
            rows["frequency"].to_numpy(),
            rows["recency"].to_numpy(),
            rows["T"].to_numpy(),
            covariates=z,
        )
        np.testing.assert_array_equal(arrays, alive.to_numpy())


def test_dert_and_spend_with_covariates(data):
    fitted = clmkit.ParetoNBD().fit(data, dropout_covariates=["web"])
    rows = data.iloc[:10]
    z = rows[["web"]].to_numpy()
    got = fitted.discounted_expected_residual_transactions(rows, discount_rate=0.01)
    for i, p in enumerate(_customer_params(fitted, z)):
        plain = clmkit.ParetoNBD.from_params(dict(zip(fitted.params_.index, p)))
        x, tx, t = rows.iloc[i][["frequency", "recency", "T"]]
        want = plain.discounted_expected_residual_transactions(x, tx, t, discount_rate=0.01)
        assert got.iloc[i] == pytest.approx(want, rel=1e-12)
    repeat = data[data["frequency"] > 0]
    gg = clmkit.GammaGamma().fit(repeat, spend_covariates=["web"])
    spend = gg.conditional_expected_spend(repeat.iloc[:10])
    for i, p in enumerate(_customer_params(gg, repeat.iloc[:10][["web"]].to_numpy())):
        plain = clmkit.GammaGamma.from_params(dict(zip(gg.params_.index, p)))
        row = repeat.iloc[i]
        want = plain.conditional_expected_spend(row["frequency"], row["monetary_value"])
        assert spend.iloc[i] == pytest.approx(want, rel=1e-12)
    # spend rises with g'z: v_i = v exp(g z)
    web = gg.expected_spend(covariates=np.array([[0.0], [1.0]]))
    assert (web[1] > web[0]) == (gg.coefficients_[("spend", "web")] > 0)


def test_missing_covariates_at_prediction_are_named(data, fits):
    fitted = fits[clmkit.BetaGeo]
    with pytest.raises(ValueError, match="age"):
        fitted.p_alive(data.drop(columns=["age"]))
    with pytest.raises(ValueError, match="covariates="):
        fitted.p_alive(1, 2.0, 30.0)
    with pytest.raises(ValueError, match="covariates="):
        fitted.expected_purchases(10)
    with pytest.raises(ValueError, match="2 fitted columns"):
        fitted.p_alive(1, 2.0, 30.0, covariates=np.zeros((1, 3)))
    with pytest.raises(ValueError, match="fitted with covariates"):
        fitted.p_alive_matrix(3, T=5)


def test_json_pickle_and_clone_round_trip(data, fits):
    clone = pytest.importorskip("sklearn.base").clone

    rows = data.iloc[:50]
    for cls, fitted in fits.items():
        again = cls.from_json(fitted.to_json())
        assert again.coefficients_.equals(fitted.coefficients_)
        assert again.params_.equals(fitted.params_)
        pd.testing.assert_frame_equal(again.summary, fitted.summary)
        np.testing.assert_array_equal(again.p_alive(rows), fitted.p_alive(rows))
        unpickled = pickle.loads(pickle.dumps(fitted))
        np.testing.assert_array_equal(unpickled.p_alive(rows), fitted.p_alive(rows))
        assert clmkit.btyd.BTYDFitter.from_json(fitted.to_json()).aic_ == fitted.aic_
    model = clmkit.BetaGeo(covariate_penalizer={"dropout": 0.5}, constrain_covariates=("web",))
    copy = clone(model)
    assert copy.covariate_penalizer == {"dropout": 0.5}
    assert copy.constrain_covariates == ("web",)
    cov = {"purchase_covariates": ["web"], "dropout_covariates": ["web"]}
    tied = model.fit(data, **cov)
    assert clmkit.BetaGeo.from_json(tied.to_json()).constrain_covariates == ("web",)


def test_chi2_survival_matches_scipy():
    for x, df in [(0.5, 1), (3.84, 1), (10.0, 4), (40.0, 10), (1e-6, 3), (200.0, 2)]:
        assert clmkit._core.chi2_sf(x, float(df)) == pytest.approx(
            stats.chi2.sf(x, df), rel=1e-10, abs=1e-300
        )


def test_lr_test_against_the_plain_model(data, fits):
    plain = clmkit.BetaGeo().fit(data)
    big = fits[clmkit.BetaGeo]
    result = clmkit.lr_test(plain, big)
    assert isinstance(result, clmkit.LRTestResult)
    assert result.df == big.n_params_ - 4 == 4
    assert result.statistic == pytest.approx(2 * (big.log_likelihood_ - plain.log_likelihood_))
    assert result.p_value == pytest.approx(stats.chi2.sf(result.statistic, 4), rel=1e-10)
    with pytest.raises(ValueError, match="nested"):
        clmkit.lr_test(big, plain)
    with pytest.raises(ValueError, match="nested"):
        clmkit.lr_test(plain, fits[clmkit.ParetoNBD])
    with pytest.raises(ValueError, match="same customers"):
        clmkit.lr_test(clmkit.BetaGeo().fit(data.iloc[:400]), big)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AttributeError):
            result.p_value = 0.0  # frozen


def test_parametric_intervals_draw_base_and_coefficients(data, fits):
    fitted = fits[clmkit.BetaGeo]
    rows = data.iloc[:20]
    iv = fitted.predict_interval("p_alive", rows, n_boot=60, seed=3)
    np.testing.assert_allclose(iv["estimate"], fitted.p_alive(rows))
    assert (iv["lower"] <= iv["estimate"] + 1e-12).all()
    assert (iv["estimate"] <= iv["upper"] + 1e-12).all()
    assert (iv["upper"] > iv["lower"]).any()
    # The draws spread the coefficients like their standard errors (normal on their scale).
    from clmkit.btyd._intervals import _covariate_draws

    draws = _covariate_draws(fitted._state, 4000, 5)
    k = len(fitted.params_)
    se = np.sqrt(np.diag(fitted.variance_matrix_.to_numpy()))[k:]
    np.testing.assert_allclose(draws[:, k:].std(axis=0), se, rtol=0.06)
    np.testing.assert_allclose(
        draws[:, k:].mean(axis=0), fitted._state.all_params[k:], atol=0.2 * se.max()
    )
    # Resampling refits need the fit's data: a loaded model has parametric intervals only.
    loaded = type(fitted).from_json(fitted.to_json())
    with pytest.raises(ValueError, match="parametric"):
        loaded.predict_interval("p_alive", rows, n_boot=5, method="resample")


def test_lifetime_value_uses_each_customers_parameters(data):
    from covariates_reference import with_covariates

    zero = with_covariates(clmkit.datasets.load_cdnow_summary(with_monetary_value=True), 0, True)
    repeat = zero[zero["frequency"] > 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bg0 = clmkit.BetaGeo().fit(zero, purchase_covariates=["web"], dropout_covariates=["age"])
        gg0 = clmkit.GammaGamma().fit(repeat, spend_covariates=["age"])
    plain = clmkit.customer_lifetime_value(
        clmkit.BetaGeo().fit(zero), clmkit.GammaGamma().fit(repeat), zero, horizon=6
    )
    got = clmkit.customer_lifetime_value(bg0, gg0, zero, horizon=6)
    np.testing.assert_allclose(got, plain, rtol=1e-9)
    # With real covariates: the period sum of the per-customer predictions.
    bg = clmkit.BetaGeo().fit(data, purchase_covariates=["web"], dropout_covariates=["age"])
    rows = data.iloc[:30]
    clv = clmkit.customer_lifetime_value(bg, 25.0, rows, horizon=4, period=7, discount_rate=0.02)
    cum = [np.zeros(30)] + [bg.conditional_expected_purchases(7 * k, rows) for k in range(1, 5)]
    want = 25.0 * sum((cum[k] - cum[k - 1]) / 1.02**k for k in range(1, 5))
    np.testing.assert_allclose(clv, want, rtol=1e-12)
    # Continuous discounting is the per-period sum's limit: close to a fine period sum.
    cont = clmkit.customer_lifetime_value(bg, 25.0, rows, horizon=4, period=7, continuous=True)
    fine = clmkit.customer_lifetime_value(
        bg, 25.0, rows, horizon=280, period=0.1, discount_rate=1.01 ** (1 / 70) - 1
    )
    np.testing.assert_allclose(cont, fine, rtol=2e-3)
