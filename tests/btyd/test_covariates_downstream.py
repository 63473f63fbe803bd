"""Per-customer helpers of covariate fits (issue 21): individual log-likelihood, the
P(alive) / expected-purchases grids of one covariate profile, resample intervals and the
continuous CLV. Each is checked against the plain model evaluated at the customer's own
parameters, base * exp(+-z'g), computed here from the fitted base and coefficients.
"""

import clmkit
import numpy as np
import pandas as pd
import pytest
from covariates_reference import customer_params as _customer_params
from covariates_reference import with_covariates as _with_covariates


@pytest.fixture(scope="module")
def data():
    frame = clmkit.datasets.load_cdnow_summary(with_monetary_value=True)
    return _with_covariates(frame, 5).iloc[:600]


@pytest.fixture(scope="module")
def fits(data):
    cov = {"purchase_covariates": ["web", "age"], "dropout_covariates": ["web"]}
    classes = (clmkit.BetaGeo, clmkit.ModifiedBetaGeo, clmkit.ParetoNBD)
    return {cls: cls().fit(data, **cov) for cls in classes}


def _plain(cls, fitted, p):
    return cls.from_params(dict(zip(fitted.params_.index, p)))


def test_individual_log_likelihood_is_the_plain_one_at_each_customers_parameters(data, fits):
    rows = data.iloc[:30]
    z = rows[["web", "age"]].to_numpy()
    for cls, fitted in fits.items():
        ll = fitted.individual_log_likelihood(rows)
        assert isinstance(ll, pd.Series) and ll.index.equals(rows.index)
        for i, p in enumerate(_customer_params(fitted, z)):
            one = rows.iloc[[i]][["frequency", "recency", "T"]]
            expected = _plain(cls, fitted, p).individual_log_likelihood(one).iloc[0]
            assert ll.iloc[i] == pytest.approx(expected, rel=1e-12, abs=1e-12)
        # Over the fit's data the terms sum to the fitted log-likelihood.
        total = fitted.individual_log_likelihood(data).sum()
        assert total == pytest.approx(fitted.log_likelihood_, rel=1e-9)


def test_spend_individual_log_likelihood_uses_each_customers_scale(data):
    buyers = data[data["frequency"] > 0].copy()
    gg = clmkit.GammaGamma().fit(buyers, spend_covariates=["web"])
    z = buyers[["web", "age"]].to_numpy()[:, :1]
    ll = gg.individual_log_likelihood(buyers)
    p, q, v = gg.params_
    g = gg.coefficients_.iloc[0]
    for i in range(20):
        row = buyers.iloc[[i]][["frequency", "monetary_value"]]
        plain = clmkit.GammaGamma.from_params([p, q, v * np.exp(g * z[i, 0])])
        assert ll.iloc[i] == pytest.approx(plain.individual_log_likelihood(row).iloc[0], rel=1e-12)


def test_grids_show_one_covariate_profile(fits):
    profile = {"web": 1.0, "age": -0.7}
    z = np.array([[1.0, -0.7]])
    for cls, fitted in fits.items():
        p = _customer_params(fitted, z)[0]
        plain = _plain(cls, fitted, p)
        got = fitted.p_alive_matrix(max_frequency=4, T=10, covariates=profile)
        pd.testing.assert_frame_equal(got, plain.p_alive_matrix(max_frequency=4, T=10), rtol=1e-12)
        got = fitted.expected_purchases_matrix(5, max_frequency=4, T=10, covariates=[1.0, -0.7])
        want = plain.expected_purchases_matrix(5, max_frequency=4, T=10)
        pd.testing.assert_frame_equal(got, want, rtol=1e-12)
        one_row = pd.DataFrame({"age": [-0.7], "web": [1.0]})
        pd.testing.assert_frame_equal(
            fitted.p_alive_matrix(max_frequency=4, T=10, covariates=one_row),
            plain.p_alive_matrix(max_frequency=4, T=10),
            rtol=1e-12,
        )


def test_grid_errors_say_what_to_pass(fits, data):
    fitted = fits[clmkit.BetaGeo]
    with pytest.raises(ValueError, match="one row of their values"):
        fitted.p_alive_matrix(max_frequency=3, T=5)
    with pytest.raises(ValueError, match="one covariate row"):
        fitted.p_alive_matrix(max_frequency=3, T=5, covariates=[[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="lacks the fitted columns"):
        fitted.p_alive_matrix(max_frequency=3, T=5, covariates={"web": 1.0})
    plain = clmkit.BetaGeo().fit(data)
    with pytest.raises(ValueError, match="for models fitted with covariates"):
        plain.p_alive_matrix(max_frequency=3, T=5, covariates={"web": 1.0})


@pytest.mark.filterwarnings("ignore:.*bootstrap refits did not converge")
def test_resample_interval_agrees_with_the_parametric_one(data, fits):
    fitted = fits[clmkit.BetaGeo]
    rows = data.iloc[:5]
    a = fitted.predict_interval(
        "conditional_expected_purchases", 30, rows, method="resample", n_boot=60, seed=3
    )
    b = fitted.predict_interval(
        "conditional_expected_purchases", 30, rows, method="resample", n_boot=60, seed=3
    )
    pd.testing.assert_frame_equal(a, b)  # the seed fixes the replicates
    par = fitted.predict_interval(
        "conditional_expected_purchases", 30, rows, method="parametric", n_boot=400, seed=3
    )
    assert a.index.equals(rows.index)
    np.testing.assert_array_equal(a["estimate"], par["estimate"])
    assert (a["lower"] <= a["estimate"]).all() and (a["estimate"] <= a["upper"]).all()
    # Both estimate the sampling spread of the same fit: widths of the same size.
    ratio = (a["upper"] - a["lower"]) / (par["upper"] - par["lower"])
    assert ((ratio > 0.5) & (ratio < 2.0)).all(), ratio


def test_resample_interval_needs_the_fits_data(fits):
    loaded = clmkit.BetaGeo.from_json(fits[clmkit.BetaGeo].to_json())
    with pytest.raises(ValueError, match="fit the model in this session"):
        loaded.predict_interval(
            "expected_purchases", 10, covariates=[[0.0, 0.0]], method="resample"
        )


@pytest.mark.parametrize("continuous", [False, True])
def test_clv_is_the_plain_clv_at_each_customers_parameters(data, fits, continuous):
    rows = data.iloc[:12]
    z = rows[["web", "age"]].to_numpy()
    args = {"horizon": 6, "period": 30.0, "discount_rate": 0.02, "continuous": continuous}
    for cls, fitted in fits.items():
        clv = clmkit.customer_lifetime_value(fitted, 25.0, rows, **args)
        assert clv.index.equals(rows.index)
        for i, p in enumerate(_customer_params(fitted, z)):
            one = rows.iloc[[i]][["frequency", "recency", "T"]]
            want = clmkit.customer_lifetime_value(_plain(cls, fitted, p), 25.0, one, **args)
            assert clv.iloc[i] == pytest.approx(want.iloc[0], rel=1e-10)


def test_continuous_clv_with_a_covariate_spend_model(data):
    bg = clmkit.BetaGeo().fit(data)
    buyers = data[data["frequency"] > 0]
    gg = clmkit.GammaGamma().fit(buyers, spend_covariates=["web"])
    rows = data.iloc[:15]
    args = {"horizon": 4, "period": 30.0, "discount_rate": 0.01, "continuous": True}
    clv = clmkit.customer_lifetime_value(bg, gg, rows, **args)
    p, q, v = gg.params_
    g = gg.coefficients_.iloc[0]
    for i in range(len(rows)):
        row = rows.iloc[[i]]
        plain = clmkit.GammaGamma.from_params([p, q, v * np.exp(g * row["web"].iloc[0])])
        want = clmkit.customer_lifetime_value(bg, plain, row, **args)
        assert clv.iloc[i] == pytest.approx(want.iloc[0], rel=1e-10)


def test_expected_value_uses_each_customers_parameters(data, fits):
    rows = data.iloc[:10]
    z = rows[["web", "age"]].to_numpy()
    fitted = fits[clmkit.ParetoNBD]
    got = clmkit.expected_value(fitted, 12.0, rows, 40.0)
    for i, p in enumerate(_customer_params(fitted, z)):
        x, tx, t = rows.iloc[i][["frequency", "recency", "T"]]
        plain = _plain(clmkit.ParetoNBD, fitted, p)
        assert got.iloc[i] == pytest.approx(
            12.0 * plain.conditional_expected_purchases(40.0, x, tx, t), rel=1e-12
        )
