"""The fitted model's P(alive) of every stage-history row: computed inside the Rust snapshot
pass for a clmkit count model, or from the rows' summaries for anything with ``p_alive``
(and for a covariate fit, with each row's customer covariates)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Optional, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import _core
from .._io import is_table, to_pandas
from .._validation import as_float_array, check_rows
from ..summary.units import TimeUnit

FloatArray = npt.NDArray[np.float64]


class HasPAlive(Protocol):
    """A fitted BTYD model as stage_history uses it."""

    def p_alive(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> npt.ArrayLike: ...


def history_covariates(
    covariates: object, uniques: pd.Index, codes: npt.NDArray[np.int64], id_col: Hashable
) -> Optional[pd.DataFrame]:
    """The covariate row of every history row (customer ``uniques[codes]``), or None."""
    if covariates is None:
        return None
    if not is_table(covariates):
        raise TypeError(
            "covariates must be a table with one row per customer (pandas indexed by "
            f"customer id, or with a {id_col!r} column), got {type(covariates).__name__}"
        )
    frame = covariates if isinstance(covariates, pd.DataFrame) else to_pandas(covariates)
    if id_col in frame.columns:
        frame = frame.set_index(id_col)
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()].unique()[:5].tolist()
        raise ValueError(f"covariates has several rows for customers {dup}")
    where = frame.index.get_indexer(uniques)
    if (where < 0).any():
        missing = uniques[where < 0][:5].tolist()
        raise ValueError(
            f"covariates lacks {int((where < 0).sum())} customers of the log, e.g. {missing}"
        )
    rows: pd.DataFrame = frame.iloc[where[codes]].reset_index(drop=True)
    return rows


def fused_model(
    model: Optional[HasPAlive], covariates: object, unit: TimeUnit
) -> Optional[_core.BtydFit]:
    """The fitted state of a clmkit purchase-count model without covariates (BG/NBD,
    MBG/NBD, Pareto/NBD), whose P(alive) the snapshot pass computes itself; None for any
    other model (anything with ``p_alive``, a covariate fit), which takes the general path."""
    from ..btyd import CountModel

    if covariates is not None or not isinstance(model, CountModel) or model._has_covariates():
        return None
    _check_model_unit(model, unit)
    return model._fit_state()


def _check_model_unit(model: HasPAlive, unit: TimeUnit) -> None:
    if not callable(getattr(model, "p_alive", None)):
        raise TypeError(
            f"model must have a p_alive(frequency, recency, T) method, got {type(model).__name__}"
        )
    model_unit = getattr(model, "time_unit_", None)
    if isinstance(model_unit, TimeUnit) and model_unit != unit:
        raise ValueError(
            f"model was fitted in time unit {model_unit} but the history uses "
            f"{unit}; pass freq/freq_multiplier matching the model"
        )


def model_p_alive(
    model: Optional[HasPAlive],
    rows: _core.SnapshotSummaries,
    unit: TimeUnit,
    covariates: Optional[pd.DataFrame] = None,
) -> Optional[FloatArray]:
    if model is None:
        return None
    _check_model_unit(model, unit)
    n = len(rows.T)
    if covariates is None:
        values = model.p_alive(rows.frequency, rows.recency, rows.T)
    else:  # a covariate fit: each row at its customer's own parameters
        values = model.p_alive(  # type: ignore[call-arg]
            rows.frequency, rows.recency, rows.T, covariates=covariates
        )
    pa = as_float_array(values, "model.p_alive(...)")
    if len(pa) != n:
        raise ValueError(f"model.p_alive returned {len(pa)} values for {n} rows")
    check_rows((pa < 0) | (pa > 1), "model.p_alive(...)", pa, "must be in [0, 1]")
    return pa
