"""What a distributed covariate fit says about itself, as the in-memory fit does.

The rules and the words are those of the engine (``src/btyd/diagnose.rs`` and the constant-
covariate check of ``src/btyd/covariates/mod.rs``), applied to the distributed optimum:

* boundary: a base parameter with time rescaled so the longest T is 1 beyond e^+-9 heads to
  0 or infinity (no heterogeneity, no visible dropout): the fit is not converged, its
  covariance NaN, and a warning names the limits. A sample fit on the boundary caps the
  distributed Newton at the in-memory fit's ``BOUNDARY_ITER`` passes (it would walk the
  ridge for all its iterations without moving the likelihood);
* singular information: some variance of theta = (log base parameters, coefficients)
  inflated beyond 1e10 by the curvature (a covariate duplicating another, or colinear with
  the base parameters): covariance NaN and a warning;
* a covariate taking one value for every customer is colinear with the base parameter it
  scales: covariance NaN and a warning naming it.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

from .. import _core
from .._errors import ClmkitWarning
from ._partitions import compute

if TYPE_CHECKING:
    from ..btyd._base import BTYDFitter
    from ._likelihood import FloatArray
    from ._partitions import dd

__all__ = ["boundary_limits", "constant_covariates", "diagnose", "on_boundary", "warn"]

#: As ``diagnose::BOUNDARY_LOG``.
BOUNDARY_LOG = 9.0
#: As ``diagnose::MAX_INFLATION``: H_jj (H^-1)_jj above it is a singular information.
MAX_INFLATION = 1e10

_BOUNDARY = (
    "the maximum likelihood lies on the boundary of the parameter space ({}): the parameters "
    "are where the optimiser stopped along a ridge, not a maximum, and their standard errors "
    "are NaN"
)
_SINGULAR = (
    "the information matrix is singular at the fitted parameters (the data do not identify "
    "them all): standard errors are NaN"
)
_CONSTANT = (
    "covariates {} take one value for every customer: they are colinear with the base "
    "parameters they scale, so the information matrix is singular and standard errors are NaN"
)


def boundary_limits(names: list[str], scaled_log: FloatArray) -> list[str]:
    """The base parameters beyond e^+-9 (time rescaled), as "name -> inf" / "name -> 0"."""
    out = []
    for name, v in zip(names, scaled_log):
        if v > BOUNDARY_LOG:
            out.append(f"{name} -> inf")
        elif v < -BOUNDARY_LOG or math.isnan(v):
            out.append(f"{name} -> 0")
    return out


def on_boundary(names: list[str], scaled_log: FloatArray, said: list[str]) -> bool:
    """A fit (its warnings ``said``) or point on the boundary."""
    return bool(boundary_limits(names, scaled_log)) or any("boundary" in s for s in said)


def _singular(information: FloatArray) -> bool:
    """diagnose.rs's rule on the information in theta (row-major, dim x dim)."""
    dim = math.isqrt(information.size)
    cov = np.asarray(
        _core.optimize_covariance(information.ravel().tolist(), [1.0] * dim), dtype=np.float64
    )
    var = np.diag(cov.reshape(dim, dim))
    with np.errstate(invalid="ignore", over="ignore"):
        inflation = np.diag(information.reshape(dim, dim)) * var
    bad = ~(np.isfinite(var) & (var > 0) & np.isfinite(inflation))
    return bool(bad.any() or (inflation > MAX_INFLATION).any())


def constant_covariates(patterns: dd.DataFrame, names: list[str]) -> list[str]:
    """The covariates taking one value over all rows (one Dask pass: minima and maxima)."""
    low, high = compute(patterns[names].min(), patterns[names].max())
    return [c for c in names if float(low[c]) == float(high[c])]


def diagnose(
    fit: dict[str, object],
    names: list[str],
    scaled_log: FloatArray,
    information: FloatArray,
    constant: list[str],
) -> list[str]:
    """Marks the saved state's ``fit`` section (converged, covariance, standard errors,
    warnings) as the engine marks an in-memory fit; returns the warnings."""
    limits = boundary_limits(names, scaled_log)
    singular = _singular(information)
    said = []
    if limits:
        fit["converged"] = False
        said.append(_BOUNDARY.format(", ".join(limits)))
    elif singular:
        said.append(_SINGULAR)
    if constant:
        said.append(_CONSTANT.format("[" + ", ".join(f'"{c}"' for c in constant) + "]"))
    if limits or singular or constant:
        for key in ("covariance", "standard_errors"):
            values = fit[key]
            assert isinstance(values, list)
            fit[key] = [None] * len(values)
    fit["warnings"] = said
    return said


def warn(model: BTYDFitter, said: list[str]) -> None:
    """The warnings as the in-memory fit gives them (stack: caller -> dask.fit -> here)."""
    for message in said:
        warnings.warn(f"{type(model).__name__}: {message}", ClmkitWarning, stacklevel=4)
