"""The contractual retention models: one short declarative class each (the likelihoods,
fits and predictions are in ``src/contractual/``; the shared surface in ``_base``)."""

from __future__ import annotations

from typing import ClassVar

from ._base import RetentionModelBase

__all__ = ["BetaDiscreteWeibull", "ShiftedBetaGeometric"]


class ShiftedBetaGeometric(RetentionModelBase):
    """Shifted-beta-geometric retention model (Fader & Hardie 2007, "How to project
    customer retention", Journal of Interactive Marketing 21(1)).

    Each customer churns at every renewal with a constant probability theta, and theta
    varies across customers as Beta(alpha, beta): S(t) = B(alpha, beta + t) / B(alpha, beta).
    Because the customers with high theta leave first, the cohort's retention rate
    r(t) = (beta + t - 1) / (alpha + beta + t - 1) rises with tenure.

    Parameters
    ----------
    initial_params : sequence of float, optional
        Starting (alpha, beta); (1, 1) by default.
    max_iter : int, default 100
        Newton iterations; a fit that stops unconverged warns (ClmkitWarning).
    per_cohort : bool, default False
        Also fit each cohort on its own (``cohort_models_``); ``params_`` are shared.

    Attributes
    ----------
    params_, standard_errors_ : pandas.Series
    variance_matrix_ : pandas.DataFrame
    log_likelihood_, aic_, bic_ : float
    converged_, on_boundary_ : bool
    n_iter_ : int
    n_customers_ : float

    Examples
    --------
    Fader & Hardie's (2007) "regular" segment, fitted on years 0-7:

    >>> import clmkit
    >>> counts = [1000, 631, 468, 382, 326, 289, 262, 241]
    >>> sbg = clmkit.ShiftedBetaGeometric().fit(survivors=counts)
    >>> sbg.params_.round(3).tolist()
    [0.704, 1.182]
    >>> round(sbg.retention_rate(1), 3), round(sbg.retention_rate(8), 3)
    (0.627, 0.921)
    """

    _core_kind: ClassVar[str] = "sbg"
    _param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta")


class BetaDiscreteWeibull(RetentionModelBase):
    """Beta-discrete-Weibull retention model (Fader, Hardie, Liu, Davin & Steenburgh 2018,
    "How to project customer retention revisited: the role of duration dependence",
    Journal of Interactive Marketing 43).

    The sBG with duration dependence: a customer with churn probability theta survives t
    periods with probability (1 - theta)^(t^c), theta ~ Beta(alpha, beta), so
    S(t) = B(alpha, beta + t^c) / B(alpha, beta). c < 1: an individual's churn propensity
    falls with tenure; c > 1: it rises; c = 1 is the sBG. Same parameters and surface as
    :class:`ShiftedBetaGeometric`, with ``c`` added.

    Examples
    --------
    >>> import clmkit
    >>> counts = [1000, 869, 743, 653, 593, 551, 517, 491]
    >>> bdw = clmkit.BetaDiscreteWeibull().fit(survivors=counts)
    >>> list(bdw.params_.index)
    ['alpha', 'beta', 'c']
    >>> bdw.log_likelihood_ >= clmkit.ShiftedBetaGeometric().fit(survivors=counts).log_likelihood_
    True
    """

    _core_kind: ClassVar[str] = "bdw"
    _param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta", "c")
