"""Customer rows across the door: the caller's row labels in the core's errors, and
results shaped like the input (a Series with its index, a float for a scalar, polars for
polars, else numpy)."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Union, cast

import narwhals.stable.v1 as nw
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._io import is_table, library_of
from .._io._read import native
from .._typing import Prediction, Shaped
from .._validation import index_of
from ..exceptions import InvalidValueError, with_row_label

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "PolarsRows",
    "SUMMARY_COLUMNS",
    "labelled_rows",
    "new_customer",
    "polars_shaped",
    "rows_like",
    "shaped",
]

#: Columns of a customer summary that hold data, never the customer id.
SUMMARY_COLUMNS = frozenset(
    ("frequency", "recency", "T", "n_periods", "periods", "monetary_value", "weights")
)


@dataclass(frozen=True)
class PolarsRows:
    """Where a polars input's rows go back: its customer-id column, or None (no id)."""

    ids: Optional[pl.Series]


@contextmanager
def labelled_rows(like: object) -> Iterator[None]:
    """Runs a core call on customer columns, naming the caller's row label in its errors.

    The core checks the data once (argument, row position, value; ``src/btyd/validate.rs``);
    when the columns came as pandas objects, the position becomes the caller's index label.
    ``like`` is the first column as given (or its index, or None).
    """
    try:
        yield
    except InvalidValueError as err:
        index = like if isinstance(like, pd.Index) else index_of(like)
        raise with_row_label(err, index) from None


def rows_like(data: object, first: object, used: Collection[str] = ()) -> object:
    """What a per-customer result is shaped like: :class:`PolarsRows` for a polars table or
    Series ``data``, else ``first`` (the first data column as read: a pandas Series for
    pandas input, so the result keeps its index).

    A polars table's customer id is its first column (where :func:`clmkit.summarize` puts
    it), unless that column is a summary column or one of ``used`` (then there is no id, as
    in :func:`clmkit._keyed.keyed_frame`). A LazyFrame is collected for that column alone.
    """
    if library_of(data) != "polars":
        return first
    if not is_table(data):  # a polars Series as the first column
        return PolarsRows(None)
    frame = nw.from_native(native(data), eager_or_interchange_only=False)
    names = [str(c) for c in frame.collect_schema().names()]
    if not names or names[0] in SUMMARY_COLUMNS or names[0] in used:
        return PolarsRows(None)
    column = frame.select(names[0])
    if isinstance(column, nw.LazyFrame):
        column = column.collect()
    ids: pl.Series = column.get_column(names[0]).to_native()
    return PolarsRows(ids)


def polars_shaped(
    values: npt.NDArray[np.float64], like: PolarsRows, name: str
) -> Union[pl.Series, pl.DataFrame]:
    """A polars Series named ``name``, or a DataFrame of the customer id and ``name`` when
    the input had an id column (rows in the input's order)."""
    import polars as pl

    series = pl.Series(name, values, dtype=pl.Float64)
    if like.ids is None:
        return series
    return pl.DataFrame([like.ids, series])


def shaped(values: npt.NDArray[np.float64], like: object, name: str) -> Prediction:
    """``values`` shaped like the input ``like``.

    A Series named ``name`` when ``like`` has an index (same index); for polars input
    (:class:`PolarsRows`) a polars Series named ``name``, or a DataFrame of the customer id
    and ``name`` when the table has an id column (rows in the input's order); a float when
    ``like`` is a scalar; else the numpy array.
    """
    if isinstance(like, PolarsRows):
        return polars_shaped(values, like, name)
    return new_customer(values, like, name)


def new_customer(values: npt.NDArray[np.float64], like: object, name: str) -> Shaped:
    """``values`` shaped like ``like`` (horizons, or the first column of customer data):
    a Series named ``name`` on a pandas input's index, a float for a scalar, else numpy."""
    index = index_of(like)
    if index is not None:
        return pd.Series(values, index=index, name=name)
    if np.ndim(cast("npt.ArrayLike", like)) == 0 and values.shape == (1,):
        return float(values[0])
    return values
