"""The churn early-warning list: customers who just moved into a warning stage, by value."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Literal, Optional, Union, overload

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api.extensions import ExtensionArray

from .._io import Output, deliver, library_of
from .._keyed import CallerFrame
from .._typing import NumpyTable
from .._validation import as_float_array, check_int
from ..exceptions import bounded
from .markov import by_customer_and_snapshot, history_columns, history_frame

if TYPE_CHECKING:
    import polars as pl

    from .._typing import PolarsFrame

__all__ = ["early_warning"]

#: A customer value: a column of the history, or values keyed by customer id.
ValueLike = Union[str, "pd.Series[float]", Mapping[object, float], None]


@overload
def early_warning(
    history: pd.DataFrame,
    value: ValueLike = ...,
    top: Optional[int] = ...,
    stages: Optional[Iterable[str]] = ...,
    output: Optional[Literal["pandas"]] = ...,
) -> pd.DataFrame: ...


@overload
def early_warning(
    history: PolarsFrame,
    value: ValueLike = ...,
    top: Optional[int] = ...,
    stages: Optional[Iterable[str]] = ...,
    output: Optional[Literal["polars"]] = ...,
) -> pl.DataFrame: ...


@overload
def early_warning(
    history: object,
    value: ValueLike = ...,
    top: Optional[int] = ...,
    stages: Optional[Iterable[str]] = ...,
    *,
    output: Literal["pandas"],
) -> pd.DataFrame: ...


@overload
def early_warning(
    history: object,
    value: ValueLike = ...,
    top: Optional[int] = ...,
    stages: Optional[Iterable[str]] = ...,
    *,
    output: Literal["polars"],
) -> pl.DataFrame: ...


@overload
def early_warning(
    history: object,
    value: ValueLike = ...,
    top: Optional[int] = ...,
    stages: Optional[Iterable[str]] = ...,
    *,
    output: Literal["numpy"],
) -> NumpyTable: ...


@overload
def early_warning(
    history: object,
    value: ValueLike = ...,
    top: Optional[int] = ...,
    stages: Optional[Iterable[str]] = ...,
    output: Optional[Output] = ...,
) -> CallerFrame: ...


def early_warning(
    history: object,
    value: ValueLike = None,
    top: Optional[int] = None,
    stages: Optional[Iterable[str]] = None,
    output: Optional[Output] = None,
) -> CallerFrame:
    """Customers who moved into ``at_risk`` or ``churned`` at the latest snapshot, ranked
    by value at stake: the churn early-warning list a retention team works from.

    ``value_at_stake = value x (1 - p_alive)`` when the history has ``p_alive``, else
    ``value``; without ``value`` it is ``1 - p_alive`` (or 1 without P(alive)). Ties keep
    customer order.

    Parameters
    ----------
    history : DataFrame
        Output of :func:`stage_history` (pandas, polars or Arrow).
    value : str, Series, mapping or None
        Value per customer (e.g. CLV): a column of ``history`` (its latest value), or a
        Series / mapping indexed by customer id (missing customers count 0; an id listed
        twice is an error naming it).
    top : int, optional
        Keep only the first ``top`` rows.
    stages : iterable of str, optional
        Stage labels that count as a warning; default the labels of ``at_risk`` and
        ``churned`` in the history's scheme.
    output : {"pandas", "polars", "arrow", "numpy"}, optional
        Library of the result; by default that of ``history``.

    Returns
    -------
    DataFrame
        In the history's library (pandas: indexed by customer id).
        Indexed by customer: ``previous_stage`` (NaN when new at the latest snapshot),
        ``stage``, ``p_alive`` (if known), ``value`` and ``value_at_stake``, sorted by
        ``value_at_stake`` descending.

    Examples
    --------
    >>> import clmkit
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> h = clmkit.stage_history(log, ["1997-06-30", "1997-09-30"], "customer_id", "date")
    >>> ew = clmkit.early_warning(h, top=5)
    >>> list(ew.columns)
    ['previous_stage', 'stage', 'value', 'value_at_stake']
    """
    library = library_of(history)
    history = history_frame(history)
    cust, snap, stage_col = history_columns(history)
    h = by_customer_and_snapshot(history, cust, snap)
    meta = history.attrs.get("clmkit", {})
    warn = (
        list(stages)
        if stages is not None
        else [meta.get("labels", {}).get(k, k) for k in ("at_risk", "churned")]
    )
    last_rows, previous = _latest_and_previous(h, cust, snap, stage_col)
    out = pd.DataFrame(
        {"previous_stage": previous, "stage": last_rows[stage_col].values},
        index=pd.Index(last_rows[cust].to_numpy(), name=cust),
    )
    if isinstance(history[stage_col].dtype, pd.CategoricalDtype):
        out["previous_stage"] = out["previous_stage"].astype(history[stage_col].dtype)
    moved = out["stage"].isin(warn).to_numpy() & _changed(out["previous_stage"], out["stage"])
    out = out[moved]
    has_p = "p_alive" in history.columns
    if has_p:
        out["p_alive"] = last_rows["p_alive"].to_numpy()[moved]
    out["value"] = _warning_values(value, last_rows, moved, out.index)
    risk = (1.0 - out["p_alive"].to_numpy()) if has_p else 1.0
    out["value_at_stake"] = out["value"].to_numpy() * risk
    out = out.sort_values("value_at_stake", ascending=False, kind="stable")
    if top is not None:
        out = out.head(check_int(top, "top", low=0))
    return deliver(out, library, output)


def _changed(previous: pd.Series, stage: pd.Series) -> npt.NDArray[np.bool_]:
    """``previous != stage`` row by row, a missing stage differing from everything (as
    comparing the labels as Python objects gives), on the category codes when both columns
    share categories."""
    if isinstance(stage.dtype, pd.CategoricalDtype) and stage.dtype == previous.dtype:
        before, now = previous.cat.codes.to_numpy(), stage.cat.codes.to_numpy()
        changed: npt.NDArray[np.bool_] = (before != now) | (now < 0)
        return changed
    return np.asarray(previous.astype(object).to_numpy() != stage.astype(object).to_numpy())


def _latest_and_previous(
    h: pd.DataFrame, cust: str, snap: str, stage_col: str
) -> tuple[pd.DataFrame, Union[npt.NDArray[np.object_], ExtensionArray]]:
    """The rows of the latest snapshot and each one's stage at the customer's snapshot before
    (NaN for a customer first seen at the latest), of a history sorted by (customer,
    snapshot): that stage is on the row just above when it belongs to the same customer."""
    s = h[snap].to_numpy()
    pos = np.flatnonzero(s == s.max())
    stage = h[stage_col]
    if stage.isna().any():  # an unassigned stage: the last known one before, as groupby gives
        latest = s.max()
        prev = h[s < latest].groupby(cust, sort=False)[stage_col].last()
        rows = h.iloc[pos]
        return rows, prev.reindex(rows[cust]).to_numpy()
    ids = h[cust].to_numpy()
    above = np.maximum(pos - 1, 0)
    has_prev = (pos > 0) & (ids[above] == ids[pos])
    if isinstance(stage.dtype, pd.CategoricalDtype):  # codes: no million Python strings
        codes = np.where(has_prev, stage.cat.codes.to_numpy()[above], -1)
        return h.iloc[pos], pd.Categorical.from_codes(codes, dtype=stage.dtype)
    previous = stage.to_numpy(dtype=object)[above]
    previous[~has_prev] = np.nan
    return h.iloc[pos], previous


def _warning_values(
    value: ValueLike, last_rows: pd.DataFrame, moved: npt.NDArray[np.bool_], ids: pd.Index
) -> npt.NDArray[np.float64]:
    if value is None:
        return np.ones(len(ids))
    if isinstance(value, str):
        if value not in last_rows.columns:
            raise ValueError(
                f"value={value!r} is not a column of history; "
                f"available columns: {list(last_rows.columns)}"
            )
        return as_float_array(last_rows[value].to_numpy()[moved], f"history[{value!r}]")
    if not isinstance(value, (pd.Series, Mapping)):
        raise TypeError(
            "value must be a column name, a pandas Series or a mapping keyed by customer id, "
            f"got {type(value).__name__}"
        )
    series = value if isinstance(value, pd.Series) else pd.Series(dict(value), dtype=float)
    if series.index.has_duplicates:
        dup = series.index[series.index.duplicated()][0]
        dup = dup.item() if isinstance(dup, np.generic) else dup
        raise ValueError(
            f"value: customer id {bounded(repr(dup), 60)} appears more than once; "
            "give one value per customer (e.g. value.groupby(level=0).sum())"
        )
    got = series.reindex(ids)
    return as_float_array(got.fillna(0.0), "value")
