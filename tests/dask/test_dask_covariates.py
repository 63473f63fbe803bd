"""clmkit.dask.fit with covariates (issue 21): the fit on a distributed summary equals the
in-memory covariate fit (base parameters, coefficients, log-likelihood) to 1e-8."""

import clmkit
import numpy as np
import pytest

dd = pytest.importorskip("dask.dataframe")
import clmkit.dask


@pytest.fixture(scope="module")
def summary():
    frame = clmkit.datasets.load_cdnow_summary(with_monetary_value=True).iloc[:1200].copy()
    rng = np.random.default_rng(4)
    frame["web"] = (rng.random(len(frame)) < 0.4).astype(float)
    frame["region"] = rng.integers(0, 3, len(frame)).astype(float)
    frame["age"] = rng.normal(0.0, 1.0, len(frame))
    return frame


def _same(a, b):
    np.testing.assert_allclose(a.params_, b.params_, rtol=1e-8)
    np.testing.assert_allclose(a.coefficients_, b.coefficients_, rtol=1e-8, atol=1e-10)
    assert a.coefficients_.index.equals(b.coefficients_.index)
    assert a.log_likelihood_ == pytest.approx(b.log_likelihood_, rel=1e-10)
    np.testing.assert_allclose(
        a.coefficient_standard_errors_, b.coefficient_standard_errors_, rtol=1e-5
    )


@pytest.mark.parametrize("cls", [clmkit.BetaGeo, clmkit.ParetoNBD])
@pytest.mark.parametrize("columns", [["web", "region"], ["web", "age"]])
def test_dask_covariate_fit_equals_the_in_memory_fit(summary, cls, columns):
    cov = {"purchase_covariates": columns, "dropout_covariates": ["web"]}
    memory = cls().fit(summary, **cov)
    ddf = dd.from_pandas(summary, npartitions=5)
    distributed = clmkit.dask.fit(cls(), ddf, **cov)
    _same(distributed, memory)
    # The fitted model predicts per customer as the in-memory one.
    np.testing.assert_allclose(distributed.p_alive(summary), memory.p_alive(summary), rtol=1e-8)


def test_dask_covariate_spend_fit(summary):
    buyers = summary[summary["frequency"] > 0]
    memory = clmkit.GammaGamma().fit(buyers, spend_covariates=["web", "age"])
    ddf = dd.from_pandas(summary, npartitions=4)
    distributed = clmkit.dask.fit(clmkit.GammaGamma(), ddf, spend_covariates=["web", "age"])
    _same(distributed, memory)


def test_dask_covariate_errors(summary):
    ddf = dd.from_pandas(summary, npartitions=3)
    with pytest.raises(ValueError, match="does not take covariates"):
        clmkit.dask.fit(clmkit.BetaGeo(), ddf, purchase_covariates=["web"], method="likelihood")
    with pytest.raises(ValueError, match="exceeds max_patterns=10"):
        clmkit.dask.fit(clmkit.BetaGeo(), ddf, purchase_covariates=["age"], max_patterns=10)
    with pytest.raises(ValueError, match="covariate 'nope'"):
        clmkit.dask.fit(clmkit.BetaGeo(), ddf, purchase_covariates=["nope"])
    bad = summary.copy()
    bad.loc[bad.index[700], "age"] = np.nan
    with pytest.raises(ValueError, match="age"):
        clmkit.dask.fit(
            clmkit.BetaGeo(), dd.from_pandas(bad, npartitions=3), purchase_covariates=["age"]
        )
