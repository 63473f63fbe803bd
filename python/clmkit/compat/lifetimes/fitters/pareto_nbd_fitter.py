"""lifetimes' ``ParetoNBDFitter`` over :class:`clmkit.ParetoNBD`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Optional, Union

import numpy as np
import numpy.typing as npt
import pandas as pd

from .... import _core
from ...._typing import Shaped
from ...._validation import check_int
from ....btyd import ParetoNBD
from .. import generate_data
from ._base import _max_iter
from ._count import CountFitter

__all__ = ["ParetoNBDFitter"]


class ParetoNBDFitter(CountFitter):
    """Pareto/NBD model (Schmittlein, Morrison & Colombo 1987) with lifetimes 0.11.3's interface.

    Unlike lifetimes, heavy buyers do not overflow (2F1 is evaluated in log space) and the
    fit has standard errors (lifetimes' Nelder-Mead fit had none).

    Parameters
    ----------
    penalizer_coef : float, default 0.0

    Examples
    --------
    >>> from clmkit.compat.lifetimes import ParetoNBDFitter
    >>> from clmkit.compat.lifetimes.datasets import load_cdnow_summary
    >>> data = load_cdnow_summary(index_col=[0])
    >>> ParetoNBDFitter().fit(data["frequency"], data["recency"], data["T"])
    <lifetimes.ParetoNBDFitter: fitted with 2357 subjects, alpha: 10.58, beta: 11.67, r: 0.55, s: 0.61>
    """

    _native: ClassVar[type[ParetoNBD]] = ParetoNBD
    _param_names = ("r", "alpha", "s", "beta")
    _time_params = ("alpha", "beta")

    def __init__(self, penalizer_coef: float = 0.0) -> None:
        super().__init__(penalizer_coef)

    def fit(
        self,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        weights: Optional[npt.ArrayLike] = None,
        iterative_fitting: int = 1,
        initial_params: Optional[npt.ArrayLike] = None,
        verbose: bool = False,
        tol: float = 1e-4,
        index: Optional[pd.Index] = None,
        fit_method: str = "Nelder-Mead",
        maxiter: int = 2000,
        **kwargs: Any,
    ) -> ParetoNBDFitter:
        """Fits the model by maximum likelihood (clmkit's L-BFGS with analytic gradients and
        its own restarts; ``fit_method`` is accepted and not used).

        Parameters
        ----------
        frequency, recency, T, weights, initial_params, verbose, tol, index
            As :meth:`BetaGeoFitter.fit`.
        iterative_fitting : int, default 1
            lifetimes' number of random restarts (>= 1; clmkit restarts by itself when a
            fit ends on the boundary). Cannot be > 1 together with ``initial_params``.
        fit_method : str, default "Nelder-Mead"
            Ignored (clmkit uses L-BFGS).
        maxiter : int, default 2000
            Iteration limit.

        Returns
        -------
        ParetoNBDFitter
        """
        iterative_fitting = check_int(iterative_fitting, "iterative_fitting", low=1)
        if iterative_fitting > 1 and initial_params is not None:
            raise ValueError(
                "iterative_fitting and initial_params should not be both set, as no "
                "improvement could be made."
            )
        limit = _max_iter(dict(kwargs, maxiter=maxiter))
        return self._fit_count(
            frequency, recency, T, weights, initial_params, verbose, tol, index, {"maxiter": limit}
        )

    _nll_natural = True

    @classmethod
    def _negative_log_likelihood(
        cls,
        params: npt.ArrayLike,
        freq: npt.ArrayLike,
        rec: npt.ArrayLike,
        T: npt.ArrayLike,
        weights: Optional[npt.ArrayLike],
        penalizer_coef: float,
    ) -> float:
        """lifetimes' Pareto/NBD objective (class- or instance-level): at natural ``params``
        (inf when one is <= 0), minus the weighted log-likelihood divided by the *mean*
        weight, plus ``penalizer_coef * sum(params ** 2)``; rows' log-likelihoods from the
        core."""
        values = np.asarray(params, dtype=float)
        if np.any(values <= 0.0):
            return float("inf")
        return cls._mean_negative_log_likelihood(
            values, (freq, rec, T), weights, penalizer_coef, per="mean"
        )

    @classmethod
    def _conditional_log_likelihood(
        cls, params: npt.ArrayLike, freq: npt.ArrayLike, rec: npt.ArrayLike, T: npt.ArrayLike
    ) -> npt.NDArray[np.float64]:
        """Each customer's log-likelihood at natural ``params`` (lifetimes' helper; Fader &
        Hardie's note, eq. 18), from the core."""
        return cls._row_log_likelihood(params, (freq, rec, T))

    @staticmethod
    def _log_A_0(
        params: Iterable[float], freq: npt.ArrayLike, recency: npt.ArrayLike, age: npt.ArrayLike
    ) -> Union[float, npt.NDArray[np.float64]]:
        """ln A_0 of Fader & Hardie's Pareto/NBD note (2005, eq. 19-20), lifetimes' helper:
        A_0 = 2F1(a, b; a+1; z(t_x)) / (m + t_x)^a - 2F1(a, b; a+1; z(T)) / (m + T)^a, with
        a = r+s+x, m = max(alpha, beta), z(u) = |alpha-beta| / (m+u), b = r+x (alpha < beta)
        or s+1. Each ln 2F1 is the core's (log-space series, no overflow for heavy buyers);
        the difference is taken in log space. -inf where recency == age."""
        r, alpha, s, beta = (float(p) for p in params)
        shape = np.broadcast(np.asarray(freq), np.asarray(recency), np.asarray(age)).shape
        x, t_x, big_t = (
            np.ascontiguousarray(np.broadcast_to(np.asarray(v, dtype=float), shape)).reshape(-1)
            for v in (freq, recency, age)
        )
        m, gap = max(alpha, beta), abs(alpha - beta)
        a = r + s + x
        b = r + x if alpha < beta else np.full_like(x, s + 1.0)

        def ln_term(u: np.ndarray) -> np.ndarray:
            ln_f = _core.ln_hyp2f1(a, np.ascontiguousarray(b), a + 1.0, gap / (m + u))
            return np.asarray(ln_f, dtype=float) - a * np.log(m + u)

        first, second = ln_term(t_x), ln_term(big_t)
        with np.errstate(divide="ignore"):
            out = first + np.log(-np.expm1(second - first))
        return out.reshape(shape) if shape else float(out[0])

    def conditional_probability_alive(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> Shaped:
        """P(alive) of customers with history (frequency, recency, T) (a Series for Series
        input, a float for scalars, else an array)."""
        return self._p_alive(frequency, recency, T)

    def generate_new_data(self, size: int = 1) -> pd.DataFrame:
        """Simulates ``size`` customers with the ages T of the fitted data."""
        r, alpha, s, beta = self._unload_params("r", "alpha", "s", "beta")
        return generate_data.pareto_nbd_model(
            self._simulation_ages(size), r, alpha, s, beta, size=size
        )
