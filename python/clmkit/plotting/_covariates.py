"""Covariate fits in the BTYD plots (issue 21).

A model fitted with covariates (Fader & Hardie 2007's exp(g'z) links) predicts with each
customer's own parameters, so a plot needs the covariates of what it draws:

* the grids (frequency/recency matrix, P(alive) matrix) and the P(alive) history of one
  customer show one kind of customer: ``covariates`` is one profile (a dict of the fitted
  columns, a one-row table or a sequence in the fitted order), and the plot evaluates the
  plain model at that profile's linked parameters;
* the population plots (calibration vs holdout, period transactions) evaluate every
  customer: ``covariates`` has one row per customer (a table with the fitted columns or a
  2-D array), by default the fitted columns of the plotted table when it holds them.

Without covariates a covariate fit raises a ValueError saying what to pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, TypeVar, cast

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ..btyd import BTYDFitter

__all__ = ["fitted_covariates", "profile_model", "customer_covariates"]

M = TypeVar("M")


def fitted_covariates(model: object) -> Optional[list[str]]:
    """The covariate columns of a clmkit model fitted with covariates, else None."""
    has = getattr(model, "_has_covariates", None)
    if not callable(has) or not has():
        return None
    names: list[str] = [str(c) for c in cast("BTYDFitter", model)._state.covariates[0]]
    return names


def profile_model(model: M, covariates: object, what: str) -> M:
    """The model a one-profile plot evaluates: ``model`` itself without covariates, or the
    plain model at the linked parameters of the profile ``covariates``."""
    names = fitted_covariates(model)
    if names is None:
        if covariates is not None:
            raise ValueError(f"{what}: covariates= is for models fitted with covariates")
        return model
    if covariates is None:
        raise ValueError(
            f"{what}: the model was fitted with covariates {names} and the plot shows one "
            "kind of customer: pass covariates= with one profile (a dict of these columns, "
            "a one-row table or a sequence in this order)"
        )
    from ..btyd import _covariates

    fitted = cast("BTYDFitter", model)
    params = _covariates.profile_params(fitted, covariates, what)
    plain = type(fitted).from_params(
        dict(zip(fitted.params_.index, params)), time_unit=getattr(fitted, "time_unit_", None)
    )
    return cast(M, plain)


def customer_covariates(
    model: object, covariates: object, table: pd.DataFrame, n: int, what: str
) -> Optional[np.ndarray]:
    """Each customer's covariates (rows x fitted columns) for a population plot of a
    covariate fit, None for a plain model. Defaults to the fitted columns of ``table``."""
    names = fitted_covariates(model)
    if names is None:
        if covariates is not None:
            raise ValueError(f"{what}: covariates= is for models fitted with covariates")
        return None
    if covariates is None:
        if not set(names) <= set(map(str, table.columns)):
            raise ValueError(
                f"{what}: the model was fitted with covariates {names}: pass covariates= "
                "with one row per customer of the plotted table (a table with these columns "
                "or a 2-D array in this order), or plot a table that holds these columns"
            )
        covariates = table[names]
    from ..btyd import _covariates

    z: np.ndarray = _covariates.for_prediction(cast("BTYDFitter", model), None, covariates, n)
    return z
