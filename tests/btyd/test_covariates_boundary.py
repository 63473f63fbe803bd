"""Covariate fits of data whose plain fit lies on the boundary of the parameter space
(issue 21): they stop after a bounded number of iterations with the boundary warning,
at the point the uncapped optimiser reaches after all its iterations.

Gamma-Gamma with nearly constant spend (p, q -> infinity: no spread within or across
customers) and BG/NBD with identical customers (no heterogeneity) are such data.
"""

import warnings

import clmkit
import numpy as np
import pytest
from clmkit.btyd import _covariates


def _spend_without_heterogeneity(n=800, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 8, n).astype(float)
    web = (rng.random(n) < 0.5).astype(float)
    m = np.exp(rng.normal(3.0, 0.01, n))
    return x, m, web


def _fit(make):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = make()
    return model, [str(w.message) for w in caught if w.category is clmkit.ClmkitWarning]


def test_spend_fit_on_a_ridge_stops_early_with_the_boundary_warning(monkeypatch):
    x, m, web = _spend_without_heterogeneity()
    z = np.c_[web]
    capped, said = _fit(lambda: clmkit.GammaGamma(max_iter=300).fit(x, m, spend_covariates=z))
    assert any("boundary of the parameter space" in s for s in said), said
    assert not capped.converged_
    assert capped.n_iter_ <= _covariates.BOUNDARY_ITER
    # Without the cap the optimiser walks the ridge for all 300 iterations and ends at the
    # same point: nothing is lost by stopping.
    monkeypatch.setattr(_covariates, "BOUNDARY_ITER", 10**6)
    full, _ = _fit(lambda: clmkit.GammaGamma(max_iter=300).fit(x, m, spend_covariates=z))
    assert full.n_iter_ == 300
    assert capped.log_likelihood_ == pytest.approx(full.log_likelihood_, rel=1e-10)
    np.testing.assert_allclose(capped.params_, full.params_, rtol=1e-6)
    np.testing.assert_allclose(capped.coefficients_, full.coefficients_, atol=1e-8)


def test_identical_customers_stop_early_too():
    f, r, T = np.full(60, 2.0), np.full(60, 20.0), np.full(60, 30.0)
    web = np.tile([0.0, 1.0], 30)
    fit, said = _fit(lambda: clmkit.BetaGeo().fit(f, r, T, purchase_covariates=np.c_[web]))
    assert any("boundary" in s for s in said), said
    assert fit.n_iter_ <= _covariates.BOUNDARY_ITER


@pytest.mark.parametrize("cls", [clmkit.BetaGeo, clmkit.ParetoNBD])
def test_interior_fits_are_not_capped(cls):
    data = clmkit.datasets.load_cdnow_summary()
    web = (np.random.default_rng(3).random(len(data)) < 0.4).astype(float)
    assert (
        _covariates._plain_on_boundary(
            cls(),
            [data[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T")],
            None,
            (0.0, None, 1e-8, 1000),
        )
        is None
    )
    fit, said = _fit(lambda: cls().fit(data, purchase_covariates=np.c_[web]))
    assert fit.converged_ and not said
