"""Likelihood-ratio test between nested BTYD fits (e.g. with and without covariates)."""

from __future__ import annotations

from dataclasses import dataclass

from .. import _core
from ._base import BTYDFitter

__all__ = ["LRTestResult", "lr_test"]


@dataclass(frozen=True)
class LRTestResult:
    """Outcome of :func:`lr_test`.

    Attributes
    ----------
    statistic : float
        2 (ln L_big - ln L_small), at least 0.
    df : int
        Extra free parameters of the bigger model.
    p_value : float
        P(chi-square with ``df`` degrees of freedom > ``statistic``).
    """

    statistic: float
    df: int
    p_value: float


def _covariate_set(model: BTYDFitter) -> set[tuple[str, str]]:
    return {(str(p), str(c)) for p, c in model.coefficients_.index}


def lr_test(small: BTYDFitter, big: BTYDFitter) -> LRTestResult:
    """Likelihood-ratio test of ``small`` against the model ``big`` that nests it.

    Both must be fits of the same model class to the same customers, with ``small``'s
    covariates (per process) a subset of ``big``'s. Under the null hypothesis that the extra
    coefficients are 0, 2 (ln L_big - ln L_small) is asymptotically chi-square with as many
    degrees of freedom as extra parameters (Wilks 1938).

    Parameters
    ----------
    small, big : fitted BTYD models
        The restricted and the general fit.

    Returns
    -------
    LRTestResult
        ``statistic``, ``df`` and ``p_value``.

    Raises
    ------
    ValueError
        When the fits are not nested (other class, other data size, covariates of ``small``
        missing from ``big``, or no extra parameter).

    Examples
    --------
    >>> import numpy as np, clmkit
    >>> data = clmkit.datasets.load_cdnow_summary()
    >>> z = np.where(np.arange(len(data)) % 2 == 0, 1.0, 0.0).reshape(-1, 1)
    >>> plain = clmkit.BetaGeo().fit(data)
    >>> with_z = clmkit.BetaGeo().fit(
    ...     data["frequency"], data["recency"], data["T"], purchase_covariates=z
    ... )
    >>> result = clmkit.lr_test(plain, with_z)
    >>> result.df
    1
    >>> 0.0 <= result.p_value <= 1.0
    True
    """
    for name, model in (("small", small), ("big", big)):
        if not isinstance(model, BTYDFitter):
            raise TypeError(
                f"{name} must be a fitted clmkit BTYD model, got {type(model).__name__}"
            )
        model._check_fitted()
    if type(small) is not type(big):
        raise ValueError(
            f"the models are not nested: {type(small).__name__} and {type(big).__name__}"
        )
    if small.n_customers_ != big.n_customers_ or small.n_customers_ <= 0:
        raise ValueError(
            f"the models were not fitted to the same customers ({small.n_customers_:g} and "
            f"{big.n_customers_:g})"
        )
    extra = _covariate_set(small) - _covariate_set(big)
    if extra:
        raise ValueError(f"the models are not nested: big lacks the coefficients {sorted(extra)}")
    df = int(big.n_params_ - small.n_params_)
    if df <= 0:
        raise ValueError(f"big must have more free parameters than small (difference {df})")
    statistic = max(0.0, 2.0 * (big.log_likelihood_ - small.log_likelihood_))
    return LRTestResult(float(statistic), df, float(_core.chi2_sf(statistic, float(df))))
