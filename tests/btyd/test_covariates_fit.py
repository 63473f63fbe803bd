"""Covariate fits of the five BTYD/spend models against the covariate-free fit and brute force.

References: the covariate-free fit (all-zero covariates must reproduce it to 1e-10), and the
plain model's per-customer log-likelihood (``_core.BtydFit.loglik_rows``) evaluated at each customer's
parameters computed here from the published links (Fader & Hardie 2007 note, as
pymc-marketing): the covariate log-likelihood must be their sum.
"""

import warnings

import clmkit
import numpy as np
import pytest
from clmkit import _core
from clmkit.exceptions import ClmkitWarning
from covariates_reference import customer_params as _customer_params
from covariates_reference import with_covariates as _with_covariates


@pytest.fixture(scope="module")
def cdnow():
    return clmkit.datasets.load_cdnow_summary(with_monetary_value=True)


@pytest.fixture(scope="module")
def donations():
    return clmkit.datasets.load_donations()


def _cases(cdnow, donations, zero):
    """(model class, data, fit keyword arguments, data columns, fit arguments)."""
    cd = _with_covariates(cdnow, 1, zero)
    repeat = cd[cd["frequency"] > 0]
    # One row per donor (covariates vary by customer, not by weighted pattern).
    donors = donations.loc[donations.index.repeat(donations["weights"])].drop(columns="weights")
    don = _with_covariates(donors.reset_index(drop=True), 2, zero)
    don = don.rename(columns={"periods": "n_periods"})
    both = {"purchase_covariates": ["web", "age"], "dropout_covariates": ["web", "age"]}
    return [
        (clmkit.BetaGeo, cd, both, {}),
        (clmkit.ModifiedBetaGeo, cd, both, {}),
        (clmkit.ParetoNBD, cd, both, {}),
        (clmkit.BetaGeoBetaBinom, don, both, {}),
        (clmkit.GammaGamma, repeat, {"spend_covariates": ["web", "age"]}, {}),
    ]


def test_all_zero_covariates_reproduce_the_plain_fit(cdnow, donations):
    for cls, data, cov, extra in _cases(cdnow, donations, zero=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ClmkitWarning)
            plain = cls().fit(data, **extra)
            fitted = cls().fit(data, **extra, **cov)
            none = cls().fit(data, **extra, **dict.fromkeys(cov))
        np.testing.assert_allclose(fitted.params_, plain.params_, rtol=1e-10, atol=0)
        assert fitted.log_likelihood_ == pytest.approx(plain.log_likelihood_, rel=1e-10)
        assert (fitted.coefficients_ == 0).all()
        assert none.params_.equals(plain.params_) and len(none.coefficients_) == 0
        # Unidentified coefficients: NaN standard errors and a warning, not a crash.
        assert fitted.coefficient_standard_errors_.isna().all()
        if cls is clmkit.GammaGamma:
            got = fitted.conditional_expected_spend(data)
            want = plain.conditional_expected_spend(data)
        elif cls is clmkit.BetaGeoBetaBinom:
            got = fitted.conditional_expected_purchases(5, data)
            want = plain.conditional_expected_purchases(5, data)
            np.testing.assert_allclose(fitted.p_alive(data), plain.p_alive(data), rtol=1e-10)
        else:
            got = fitted.conditional_expected_purchases(10, data)
            want = plain.conditional_expected_purchases(10, data)
            np.testing.assert_allclose(fitted.p_alive(data), plain.p_alive(data), rtol=1e-10)
            z0 = np.zeros((1, 2))
            assert fitted.expected_purchases(10, covariates=z0) == pytest.approx(
                plain.expected_purchases(10), rel=1e-10
            )
        np.testing.assert_allclose(got, want, rtol=1e-10)


def test_loglik_is_the_plain_models_at_each_customers_params(cdnow, donations):
    for cls, data, cov, extra in _cases(cdnow, donations, zero=False):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ClmkitWarning)
            fitted = cls().fit(data, **extra, **cov)
        z = data[["web", "age"]].to_numpy()
        cols = [data[c].to_numpy(float) for c in fitted._data_names]
        params = _customer_params(fitted, z)
        brute = np.array(
            [
                _core.BtydFit.from_params(fitted._core_name, list(p)).loglik_rows(
                    [np.array([c[i]]) for c in cols]
                )[0]
                for i, p in enumerate(params)
            ]
        )
        w = data["weights"].to_numpy(float) if "weights" in extra else np.ones(len(data))
        assert fitted.log_likelihood_ == pytest.approx(float(w @ brute), rel=1e-10)
        assert fitted.n_params_ == len(fitted.params_) + len(fitted.coefficients_)
        assert fitted.aic_ == pytest.approx(2 * fitted.n_params_ - 2 * fitted.log_likelihood_)
        assert np.isfinite(fitted.coefficient_standard_errors_).all()
        rows = fitted.summary.index
        assert all(f"{p}:{c}" in rows for p, c in fitted.coefficients_.index)


def test_grouping_on_and_off_give_the_same_fit(cdnow):
    data = _with_covariates(cdnow, 3)
    cols = [np.ascontiguousarray(data[c], dtype=float) for c in ("frequency", "recency", "T")]
    z = np.ascontiguousarray(data[["web"]].to_numpy(float))
    fits = [
        _core.btyd_covariate_fit(
            "bgnbd",
            cols,
            None,
            z,
            ["web"],
            ["web"],
            ["web"],
            [],
            [],
            (0.0, 0.0, 0.0),
            0.0,
            None,
            1e-8,
            1000,
            None,
            group,
        )
        for group in (True, False)
    ]
    assert fits[0].grouped and not fits[1].grouped
    assert fits[0].n_patterns < fits[1].n_patterns
    np.testing.assert_allclose(fits[0].all_params, fits[1].all_params, rtol=1e-6, atol=1e-8)
    assert fits[0].log_likelihood == pytest.approx(fits[1].log_likelihood, rel=1e-10)


def test_arrays_and_dataframes_of_covariates(cdnow):
    data = _with_covariates(cdnow, 4)
    x, tx, t = data["frequency"], data["recency"], data["T"]
    by_name = clmkit.ParetoNBD().fit(data, purchase_covariates=["web"], dropout_covariates=["age"])
    by_frame = clmkit.ParetoNBD().fit(
        x, tx, t, purchase_covariates=data[["web"]], dropout_covariates=data[["age"]]
    )
    np.testing.assert_allclose(by_frame.coefficients_, by_name.coefficients_, rtol=1e-12)
    by_array = clmkit.ParetoNBD().fit(x, tx, t, purchase_covariates=data[["web"]].to_numpy())
    assert list(by_array.coefficients_.index) == [("purchase", "x0")]


def test_constraints_share_one_coefficient_and_penalties_shrink(cdnow):
    data = _with_covariates(cdnow, 5)
    cov = {"purchase_covariates": ["web", "age"], "dropout_covariates": ["web", "age"]}
    free = clmkit.ParetoNBD().fit(data, **cov)
    tied = clmkit.ParetoNBD(constrain_covariates=["web"]).fit(data, **cov)
    assert tied.n_params_ == free.n_params_ - 1
    assert tied.coefficients_[("purchase", "web")] == tied.coefficients_[("dropout", "web")]
    assert tied.log_likelihood_ <= free.log_likelihood_ + 1e-6
    shrunk = clmkit.ParetoNBD(covariate_penalizer={"purchase": 10.0}).fit(data, **cov)
    assert abs(shrunk.coefficients_["purchase"]).max() < abs(free.coefficients_["purchase"]).max()
    with pytest.raises(ValueError, match="both a purchase and a dropout"):
        clmkit.ParetoNBD(constrain_covariates=["age"]).fit(data, purchase_covariates=["age"])


def test_constant_covariate_is_reported_singular_not_a_crash(cdnow):
    data = cdnow.assign(one=1.0)
    with pytest.warns(ClmkitWarning, match="one"):
        fitted = clmkit.BetaGeo().fit(data, purchase_covariates=["one"])
    assert fitted.standard_errors_.isna().all()
    assert fitted.coefficient_standard_errors_.isna().all()


def test_bad_covariates_are_named(cdnow):
    data = _with_covariates(cdnow, 6)
    data.index = [f"c{i}" for i in range(len(data))]
    with pytest.raises(ValueError, match="income"):
        clmkit.BetaGeo().fit(data, purchase_covariates=["income"])
    bad = data.copy()
    bad.iloc[7, bad.columns.get_loc("age")] = np.nan
    with pytest.raises(ValueError, match=r"age.*c7"):
        clmkit.BetaGeo().fit(bad, dropout_covariates=["age"])
    arr = data[["age"]].to_numpy().copy()
    arr[3, 0] = np.inf
    with pytest.raises(ValueError, match=r"x0.*row 3"):
        clmkit.BetaGeo().fit(
            data["frequency"].to_numpy(),
            data["recency"].to_numpy(),
            data["T"].to_numpy(),
            purchase_covariates=arr,
        )
    with pytest.raises(ValueError, match="rows"):
        clmkit.BetaGeo().fit(data, purchase_covariates=data[["age"]].to_numpy()[:10])
