"""What the regression models (Cox PH, Weibull AFT) share: reading the training table, the
rows to predict for, stratum codes and the Breslow baseline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Optional, Union

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import _core
from .._io import to_pandas
from .._validation import check_rows, require_columns
from ._data import as_frame, design_matrix, frame_column, optional_weights
from ._persist import FloatArray, Label

#: A table the table layer reads: pandas, polars or pyarrow (checked at run time).
Table = object
#: Rows to predict for: a table, a Series (one row) or a 1-/2-d array of covariates.
Rows = Union[pd.DataFrame, pd.Series, npt.ArrayLike, object]


class TrainingData(NamedTuple):
    frame: pd.DataFrame
    durations: FloatArray
    events: FloatArray
    weights: Optional[FloatArray]
    covariates: list[Label]
    x: FloatArray


def training_data(
    df: Table,
    duration_col: str,
    event_col: Optional[str],
    weights_col: Optional[str],
    reserved: Sequence[str] = (),
    *,
    extra_parameters: int = 0,
) -> TrainingData:
    """The table's durations, events, weights and covariate matrix (every other column but
    ``reserved``), the matrix's size checked before it is built."""
    frame = to_pandas(df)
    require_columns(
        list(frame.columns),
        {
            "duration_col": duration_col,
            "event_col": event_col,
            "weights_col": weights_col,
            **{f"strata[{i}]": s for i, s in enumerate(reserved)},
        },
    )
    d = frame_column(frame, duration_col, "duration_col", nonnegative=True)
    e = np.ones_like(d) if event_col is None else frame_column(frame, event_col, "event_col")
    check_rows((e != 0) & (e != 1), f"event_col {event_col!r}", e, "must be 0 or 1")
    w = (
        None
        if weights_col is None
        else optional_weights(frame[weights_col], len(d), f"weights_col {weights_col!r}")
    )
    used = {duration_col, event_col, weights_col, *reserved}
    covariates: list[Label] = [c for c in frame.columns if c not in used]
    _core.check_design_shape(len(frame), len(covariates) + extra_parameters, "df")
    return TrainingData(frame, d, e, w, covariates, design_matrix(frame, covariates))


def prediction_frame(
    X: Rows, covariates: Sequence[Label], extra: Sequence[Label] = ()
) -> pd.DataFrame:
    """X as a frame with the training covariates (positional columns take their names)."""
    frame = as_frame(X)
    positional: list[object] = list(range(frame.shape[1]))
    if list(frame.columns) == positional and frame.shape[1] == len(covariates):
        frame = frame.set_axis(list(covariates), axis=1)
    require_columns(list(frame.columns), {f"X[{c!r}]": c for c in [*covariates, *extra]})  # type: ignore[misc]
    return frame


def strata_codes(df: pd.DataFrame, strata: Sequence[str]) -> tuple[npt.NDArray[np.int64], pd.Index]:
    keys = df[strata[0]] if len(strata) == 1 else pd.MultiIndex.from_frame(df[list(strata)])
    codes, uniques = pd.factorize(keys, sort=True)
    if (codes < 0).any():
        row = int(np.argmax(codes < 0))
        raise ValueError(f"strata: row {row} has a missing stratum value")
    return np.ascontiguousarray(codes, dtype=np.int64), pd.Index(uniques)


class Baseline(NamedTuple):
    """Breslow hazard increments per distinct (stratum code, time), times ascending within
    each stratum (the core's order)."""

    stratum: npt.NDArray[np.int64]
    time: FloatArray
    hazard: FloatArray

    def cumulative(self) -> dict[int, tuple[FloatArray, FloatArray]]:
        """Per stratum code: (times, cumulative hazard H0 at them)."""
        out = {}
        for code in np.unique(self.stratum):
            m = self.stratum == code
            out[int(code)] = (self.time[m], np.cumsum(self.hazard[m]))
        return out
