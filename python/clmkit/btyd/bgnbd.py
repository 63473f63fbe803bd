"""BG/NBD: the beta-geometric / negative binomial distribution model (Fader, Hardie & Lee 2005)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Optional, Union

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import _core
from .._typing import CovariateData
from .._validation import check_int, check_per_customer
from . import _covariate_simulate
from ._count import CountModel

__all__ = ["BetaGeo"]


class BetaGeo(CountModel):
    """BG/NBD model of repeat purchases (Fader, Hardie & Lee 2005, Marketing Science 24(2)).

    While alive, a customer buys at rate lambda ~ Gamma(r, alpha); after each purchase they
    drop out with probability p ~ Beta(a, b). Fitted by maximum likelihood in the Rust core
    on distinct (frequency, recency, T) patterns, with Hardie's note 027 stable likelihood.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty on the parameters (lifetimes' ``penalizer_coef``).
    initial_params : dict or sequence, optional
        Starting values for r, alpha, a, b.
    tol : float, default 1e-8
        Gradient tolerance of the optimiser.
    max_iter : int, default 1000
        Iteration limit.

    Attributes
    ----------
    params_ : pandas.Series
        r, alpha, a, b.
    log_likelihood_, standard_errors_, variance_matrix_, confidence_intervals_, n_iter_,
    converged_, time_unit_, summary
        See :class:`clmkit.btyd.BTYDFitter`.

    Examples
    --------
    >>> import clmkit
    >>> cdnow = clmkit.datasets.load_cdnow_summary()
    >>> bg = clmkit.BetaGeo().fit(cdnow)
    >>> bg.params_.round(3).tolist()
    [0.243, 4.414, 0.793, 2.426]
    >>> round(bg.conditional_expected_purchases(39, 2, 30.43, 38.86), 3)
    1.226
    """

    _model_kind = _core.ModelKind.BG_NBD
    _param_names = ("r", "alpha", "a", "b")

    def generate(
        self,
        n: int,
        T: npt.ArrayLike,
        seed: Optional[int] = None,
        covariates: CovariateData = None,
    ) -> pd.DataFrame:
        """Simulates ``n`` customers from the fitted model, each observed for ``T``.

        Parameters
        ----------
        n : int
            Number of customers.
        T : float or array-like
            Observation length(s) in the model's time unit (scalar or ``n`` values).
        seed : int, optional
            Seed of numpy's PCG64 generator (same seed, same customers).
        covariates : dict, sequence, table or 2-D array, optional
            Models fitted with covariates: one covariate profile for every customer, or one
            row per customer; each is simulated at their own parameters and the covariate
            columns are added to the result.

        Returns
        -------
        pandas.DataFrame
            ``frequency``, ``recency``, ``T`` and the latent ``lambda``, ``p``, ``alive``.

        Examples
        --------
        >>> import clmkit
        >>> bg = clmkit.BetaGeo.from_params({"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4})
        >>> sim = bg.generate(1000, 39.0, seed=1)
        >>> list(sim.columns[:3]), len(sim)
        (['frequency', 'recency', 'T'], 1000)
        """
        if self._has_covariates() or covariates is not None:
            draw = partial(_simulate, initial_dropout=False)
            return _covariate_simulate.generate(self, n, T, seed, covariates, "T", draw)
        return _simulate(self._params(), n, T, seed, initial_dropout=False)


def _simulate(
    params: Sequence[Union[float, npt.NDArray[np.float64]]],
    n: int,
    T: npt.ArrayLike,
    seed: Optional[int],
    initial_dropout: bool,
) -> pd.DataFrame:
    """Exact simulation of BG/NBD-type customers without per-purchase loops: the potential
    purchases in (0, T] are N ~ Poisson(lambda T); the purchase after which the customer
    drops out is G ~ Geometric(p); the customer makes min(N, G) repeat purchases and the
    k-th of N uniform arrival times is T x Beta(k, N - k + 1). With ``initial_dropout``
    (MBG/NBD) the customer may also drop out at time 0 with probability p. ``params`` may
    hold one value per customer (covariate fits)."""
    n = check_int(n, "n", low=0)
    T_arr = check_per_customer(T, "T", n)
    r, alpha, a, b = params
    rng = np.random.Generator(np.random.PCG64(seed))
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    p = rng.beta(a, b, size=n)
    potential = rng.poisson(lam * T_arr)
    fatal = rng.geometric(p)
    dead_at_start = rng.random(n) < p if initial_dropout else np.zeros(n, dtype=bool)
    made = np.where(dead_at_start, 0, np.minimum(potential, fatal))
    k = np.maximum(made, 1)
    last = rng.beta(k, np.maximum(potential - k + 1, 1))
    recency = np.where(made > 0, T_arr * last, 0.0)
    alive = ~dead_at_start & (potential < fatal)
    sims: pd.DataFrame = pd.DataFrame(
        {
            "frequency": made.astype(float),
            "recency": recency,
            "T": T_arr,
            "lambda": lam,
            "p": p,
            "alive": alive,
        }
    )
    return sims
