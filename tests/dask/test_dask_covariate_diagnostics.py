"""The distributed-likelihood covariate fit diagnoses itself as the in-memory fit does
(issue 21; rules and words in src/btyd/diagnose.rs): a constant or duplicated covariate
column gives the singular-information warning and NaN standard errors, a fit on the
boundary of the parameter space is not converged and says so, and a ridge stops after the
in-memory fit's BOUNDARY_ITER passes instead of walking all of them."""

import warnings

import clmkit
import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
import clmkit.dask
from clmkit.btyd._covariates import BOUNDARY_ITER
from clmkit.dask import _covariate_likelihood


@pytest.fixture(scope="module")
def summary():
    frame = clmkit.datasets.load_cdnow_summary().iloc[:1200].copy()
    rng = np.random.default_rng(4)
    frame["web"] = (rng.random(len(frame)) < 0.4).astype(float)
    frame["web_again"] = frame["web"]
    frame["const"] = 1.0
    return frame


@pytest.fixture(autouse=True)
def small_start(monkeypatch):
    """A 400-row sample start, so the distributed Newton iterates (as in the fit tests)."""
    monkeypatch.setattr(_covariate_likelihood, "_SAMPLE", 400)


def _said(make):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = make()
    return model, [str(w.message) for w in caught if w.category is clmkit.ClmkitWarning]


def _both(cls, data, npartitions, **cov):
    memory, said_memory = _said(lambda: cls().fit(data, **cov))
    lazy = dd.from_pandas(data, npartitions=npartitions)
    distributed, said = _said(lambda: clmkit.dask.fit(cls(), lazy, method="likelihood", **cov))
    return memory, said_memory, distributed, said


@pytest.mark.parametrize("columns", [["web", "const"], ["web", "web_again"]])
def test_non_identified_coefficients_warn_as_in_memory(summary, columns):
    memory, said_memory, distributed, said = _both(
        clmkit.BetaGeo, summary, 4, purchase_covariates=columns
    )
    assert said == said_memory and any("singular" in s for s in said), said
    if "const" in columns:
        assert any('covariates ["const"] take one value' in s for s in said)
    assert np.isnan(distributed.coefficient_standard_errors_).all()
    assert np.isnan(distributed.standard_errors_).all()
    assert np.isnan(distributed.variance_matrix_.to_numpy()).all()
    assert distributed.converged_ == memory.converged_


def test_identified_fit_stays_silent(summary):
    _, said_memory, distributed, said = _both(
        clmkit.BetaGeo, summary, 4, purchase_covariates=["web"], dropout_covariates=["web"]
    )
    assert said == said_memory == []
    assert distributed.converged_ and np.isfinite(distributed.coefficient_standard_errors_).all()


def test_spend_ridge_is_a_boundary_fit(summary):
    rng = np.random.default_rng(1)
    n = 800
    data = pd.DataFrame(
        {
            "frequency": rng.integers(1, 8, n).astype(float),
            "monetary_value": np.exp(rng.normal(3.0, 0.01, n)),  # no spread: p, q -> inf
            "web": (rng.random(n) < 0.5).astype(float),
        }
    )
    memory, said_memory, distributed, said = _both(
        clmkit.GammaGamma, data, 2, spend_covariates=["web"]
    )
    assert said == said_memory and len(said) == 1
    assert "boundary of the parameter space (p -> inf, q -> inf)" in said[0]
    assert not distributed.converged_ and not memory.converged_
    assert np.isnan(distributed.coefficient_standard_errors_).all()
    assert distributed.n_iter_ <= BOUNDARY_ITER


def test_identical_customers_are_a_boundary_fit():
    data = pd.DataFrame(
        {
            "frequency": np.full(60, 2.0),
            "recency": np.full(60, 20.0),
            "T": np.full(60, 30.0),
            "web": np.tile([0.0, 1.0], 30),
        }
    )
    memory, said_memory, distributed, said = _both(
        clmkit.BetaGeo, data, 2, purchase_covariates=["web"]
    )
    assert said == said_memory and "boundary" in said[0]
    assert not distributed.converged_ and not memory.converged_


def _ridge(calls):
    """theta[0] -> infinity lowers the objective by ~1 per unit step forever (a ridge); the
    coefficient theta[1] is a bowl at 0.5."""

    def at(theta):
        calls.append(1)
        x, g = theta
        value = -x + 0.5e-6 * x * x + (g - 0.5) ** 2
        return value, [-1.0 + 1e-6 * x, 2.0 * (g - 0.5)], [1e-6, 0.0, 0.0, 2.0]

    return at


def test_ridge_walk_stops_after_the_boundary_passes():
    from clmkit.exceptions import ConvergenceError

    calls = []
    theta, _, _, n_iter = _covariate_likelihood._newton(
        _ridge(calls), np.zeros(2), 1e-8, 100, True, 1
    )
    assert n_iter == BOUNDARY_ITER and theta[0] > 9.0
    capped = len(calls)
    # without the boundary start the walk takes all its passes and fails
    calls.clear()
    with pytest.raises(ConvergenceError, match="distributed covariate likelihood"):
        _covariate_likelihood._newton(_ridge(calls), np.zeros(2), 1e-8, 100, False, 1)
    assert len(calls) > 3 * capped
