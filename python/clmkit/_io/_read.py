"""Tables in: any supported library, projected to the needed columns once (narwhals)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Optional

import narwhals.stable.v1 as nw
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._typing import TimeZone
from ._columns import checked_values, datetimes_ns, factorize_ids, numeric_values


def _root(data: object) -> str:
    return type(data).__module__.split(".")[0]


def native(data: object) -> object:
    """Arrow streams (RecordBatchReader, PyCapsule producers) become a pyarrow Table once;
    everything else is returned as it is."""
    root = _root(data)
    if root in ("pandas", "polars"):
        return data
    if type(data).__name__ == "RecordBatchReader":
        reader: Any = data  # pyarrow ships no type information
        return reader.read_all()
    if root != "pyarrow" and hasattr(data, "__arrow_c_stream__"):
        import pyarrow as pa

        return pa.table(data)
    return data


def library_of(data: object) -> str:
    """The library results go back in: 'polars', 'arrow', or 'pandas' (for pandas input and
    anything else, e.g. arrays)."""
    root = _root(data)
    if root == "polars":
        return "polars"
    if root == "pyarrow" or (root != "pandas" and hasattr(data, "__arrow_c_stream__")):
        return "arrow"
    return "pandas"


def is_table(data: object) -> bool:
    """True for a DataFrame / LazyFrame / Table / Arrow stream of a supported library."""
    if isinstance(data, pd.DataFrame):
        return True
    if _root(data) == "polars":
        return hasattr(data, "collect_schema") or hasattr(data, "columns")
    if _root(data) == "pyarrow":  # Tables, RecordBatches, readers; not (Chunked)Arrays
        return hasattr(data, "column_names") or hasattr(data, "read_all")
    # any other Arrow stream producer, unless it is a column (columns have one dtype)
    return hasattr(data, "__arrow_c_stream__") and not hasattr(data, "dtype")


@dataclass
class Table:
    """An input table projected to the columns an entry point needs.

    ``frame`` is a narwhals eager DataFrame over the caller's buffers (no conversion);
    ``native`` the projected table in the caller's library (a LazyFrame collected once).
    """

    frame: nw.DataFrame[Any]  # over the caller's native table, whatever its library
    library: str
    index: Optional[pd.Index]  # the pandas index of the input rows, when it was pandas
    attrs: dict[Hashable, Any]  # a pandas input's attrs (pandas types them so)

    @property
    def columns(self) -> list[str]:
        return list(self.frame.columns)

    @property
    def native(self) -> object:
        return nw.to_native(self.frame)

    def __len__(self) -> int:
        return len(self.frame)

    def numeric(self, col: str, arg: str, **checks: bool) -> npt.NDArray[np.float64]:
        """Column as float64 numpy (a view when it already is float64 and null-free)."""
        return numeric_values(self.frame[col], f"{arg} {col!r}", **checks)

    def values(self, col: str, arg: str) -> npt.ArrayLike:
        """Null-checked column for validators: the pandas Series itself for pandas input
        (row labels in messages), else a numpy view."""
        return checked_values(self.frame[col], col if arg == col else f"{arg} {col!r}")

    def datetimes_ns(
        self, col: str, arg: str, datetime_format: Optional[str] = None
    ) -> tuple[npt.NDArray[np.int64], TimeZone]:
        """Column as int64 ns since the epoch (UTC) and its timezone (or None)."""
        return datetimes_ns(self.frame[col], f"{arg} {col!r}", datetime_format)

    def ids(self, col: str, arg: str) -> tuple[npt.NDArray[np.int64], pd.Index]:
        """Dense int64 codes in sorted-id order and the sorted unique ids."""
        return factorize_ids(self.frame[col], f"{arg} {col!r}")


def read(data: object, needed: dict[str, Optional[str]]) -> Table:
    """Project ``data`` to the columns in ``needed`` (argument name -> column name).

    Raises
    ------
    TypeError
        When ``data`` is not a table of a supported library.
    ValueError
        When a named column is missing (the message lists the available ones).
    """
    table = native(data)
    try:
        # eager or lazy, over whatever library the caller used: narwhals types it by that
        frame: Any = nw.from_native(table, eager_or_interchange_only=False)
    except TypeError:
        raise TypeError(
            "expected a pandas, polars or pyarrow table (or an Arrow stream), "
            f"got {type(table).__name__}"
        ) from None
    lazy = isinstance(frame, nw.LazyFrame)
    available = list(frame.collect_schema().names()) if lazy else list(frame.columns)
    for arg, col in needed.items():
        if col is not None and col not in available:
            raise ValueError(f"{arg}={col!r} is not a column; available columns: {available}")
    wanted = list(dict.fromkeys(c for c in needed.values() if c is not None))
    frame = frame.select(wanted)
    if lazy:  # only the needed columns are computed, once
        frame = frame.collect()
    if isinstance(table, pd.DataFrame):
        return Table(frame, "pandas", table.index, dict(table.attrs))
    return Table(frame, library_of(table), None, {})
