"""clmkit.dask.fit with covariates (issue 21): the fit on a distributed summary equals the
in-memory covariate fit (base parameters, coefficients, log-likelihood) to 1e-8, on the
pattern path and on the distributed-likelihood path (per-partition value, gradient and exact
Hessian summed on the client)."""

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
    with pytest.raises(ValueError, match="exceeds max_patterns=10"):
        clmkit.dask.fit(
            clmkit.BetaGeo(), ddf, purchase_covariates=["age"], max_patterns=10, method="patterns"
        )
    with pytest.raises(ValueError, match="covariate 'nope'"):
        clmkit.dask.fit(clmkit.BetaGeo(), ddf, purchase_covariates=["nope"])
    bad = summary.copy()
    bad.loc[bad.index[700], "age"] = np.nan
    with pytest.raises(ValueError, match="age"):
        clmkit.dask.fit(
            clmkit.BetaGeo(), dd.from_pandas(bad, npartitions=3), purchase_covariates=["age"]
        )


@pytest.fixture
def small_start(monkeypatch):
    """The likelihood path starts from an in-memory fit on a sample of 20,000 rows, which
    here would be all rows (the optimum itself): a 400-row sample makes Newton iterate."""
    from clmkit.dask import _covariate_likelihood

    monkeypatch.setattr(_covariate_likelihood, "_SAMPLE", 400)


LIKELIHOOD_CASES = [
    (clmkit.BetaGeo, {"purchase_covariates": ["web", "age"], "dropout_covariates": ["web"]}),
    (clmkit.ModifiedBetaGeo, {"purchase_covariates": ["age"], "dropout_covariates": ["web"]}),
    (clmkit.ParetoNBD, {"purchase_covariates": ["web", "age"], "dropout_covariates": ["age"]}),
]


@pytest.mark.parametrize(("cls", "cov"), LIKELIHOOD_CASES)
def test_distributed_likelihood_with_covariates_equals_the_in_memory_fit(
    summary, cls, cov, small_start
):
    memory = cls().fit(summary, **cov)
    ddf = dd.from_pandas(summary, npartitions=4)
    distributed = clmkit.dask.fit(cls(), ddf, method="likelihood", **cov)
    _same(distributed, memory)
    np.testing.assert_allclose(distributed.standard_errors_, memory.standard_errors_, rtol=1e-5)
    assert distributed.converged_ and distributed.n_iter_ >= 2
    # continuous covariates beyond max_patterns go to the likelihood path by themselves
    auto = clmkit.dask.fit(cls(), ddf, max_patterns=10, **cov)
    _same(auto, memory)


def test_distributed_likelihood_with_penalties_and_constraints(summary, small_start):
    hyper = {
        "covariate_penalizer": {"purchase": 0.05, "dropout": 0.2},
        "constrain_covariates": ["web"],
        "penalizer": 0.01,
    }
    cov = {"purchase_covariates": ["web", "age"], "dropout_covariates": ["web"]}
    memory = clmkit.ParetoNBD(**hyper).fit(summary, **cov)
    ddf = dd.from_pandas(summary, npartitions=3)
    distributed = clmkit.dask.fit(clmkit.ParetoNBD(**hyper), ddf, method="likelihood", **cov)
    _same(distributed, memory)
    assert distributed.n_iter_ >= 2


def test_distributed_likelihood_spend_and_bgbb(summary, small_start):
    buyers = summary[summary["frequency"] > 0]
    memory = clmkit.GammaGamma().fit(buyers, spend_covariates=["web", "age"])
    ddf = dd.from_pandas(summary, npartitions=4)
    distributed = clmkit.dask.fit(
        clmkit.GammaGamma(), ddf, spend_covariates=["web", "age"], method="likelihood"
    )
    _same(distributed, memory)
    from clmkit.datasets import simulate_covariate_summary

    rng = np.random.default_rng(8)
    age = rng.normal(size=3000)
    coefs = {"purchase_alpha": {"age": 0.3}, "dropout_gamma": {"age": -0.3}}
    params = {"alpha": 1.2, "beta": 0.8, "gamma": 0.6, "delta": 2.5}
    sim = simulate_covariate_summary("bgbb", 3000, params, coefs, {"age": age}, T=8, seed=8)
    sim = sim.drop(columns=["alive"])
    cov = {"purchase_covariates": ["age"], "dropout_covariates": ["age"]}
    memory = clmkit.BetaGeoBetaBinom().fit(sim, **cov)
    lazy = dd.from_pandas(sim, npartitions=3)
    distributed = clmkit.dask.fit(clmkit.BetaGeoBetaBinom(), lazy, method="likelihood", **cov)
    _same(distributed, memory)


def test_dask_score_uses_each_customers_covariates(summary):
    cov = {"purchase_covariates": ["web", "age"], "dropout_covariates": ["web"]}
    bg = clmkit.BetaGeo().fit(summary, **cov)
    gg = clmkit.GammaGamma().fit(summary[summary["frequency"] > 0], spend_covariates=["web"])
    ddf = dd.from_pandas(summary, npartitions=3)
    got = clmkit.dask.score(ddf, [bg, gg], horizon=20.0, clv_period=4.0, rfm=False, stages=False)
    got = got.compute(scheduler="sync")
    np.testing.assert_allclose(got["p_alive"], bg.p_alive(summary), rtol=1e-12)
    want = bg.conditional_expected_purchases(20.0, summary)
    np.testing.assert_allclose(got["expected_purchases_20"], want, rtol=1e-12)
    spend = gg.conditional_expected_spend(
        summary["frequency"], summary["monetary_value"], covariates=summary
    )
    np.testing.assert_allclose(got["expected_spend"], spend, rtol=1e-12)
    clv = clmkit.customer_lifetime_value(bg, gg, summary, horizon=5, period=4.0)
    np.testing.assert_allclose(got["clv_20"], clv, rtol=1e-12)
    with pytest.raises(ValueError, match="covariate 'age'"):
        clmkit.dask.score(ddf.drop(columns=["age"]), [bg], rfm=False, stages=False)
