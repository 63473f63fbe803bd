"""The one door for tables: pandas, polars (eager or lazy), pyarrow and any object with the
Arrow PyCapsule stream interface come in through :func:`read`; results go back in the
caller's library through :func:`deliver`. Dispatch is narwhals', not a tangle of isinstance.

Numeric and datetime columns reach numpy without a copy when they are contiguous and
null-free; nulls and unsupported types raise the same message whatever the library.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Optional, Sequence

import narwhals.stable.v1 as nw
import numpy as np
import pandas as pd

from ._validation import as_float_array, invalid_value_error

Output = Literal["pandas", "polars", "arrow", "numpy"]
_NS_PER_UNIT = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}


def _native(data: Any) -> Any:
    """Arrow streams (RecordBatchReader, PyCapsule producers) become a pyarrow Table once."""
    root = type(data).__module__.split(".")[0]
    if root in ("pandas", "polars"):
        return data
    if type(data).__name__ == "RecordBatchReader":
        return data.read_all()
    if root != "pyarrow" and hasattr(data, "__arrow_c_stream__"):
        import pyarrow as pa

        return pa.table(data)
    return data


def library_of(data: Any) -> str:
    """The library results go back in: 'polars', 'arrow', or 'pandas' (for pandas input and
    anything else, e.g. arrays)."""
    root = type(data).__module__.split(".")[0]
    if root == "polars":
        return "polars"
    if root == "pyarrow" or (root != "pandas" and hasattr(data, "__arrow_c_stream__")):
        return "arrow"
    return "pandas"


@dataclass
class Table:
    """An input table projected to the columns an entry point needs."""

    frame: Any            # narwhals eager DataFrame
    library: str          # where results go back
    index: Optional[pd.Index]  # the pandas index of the input rows, when it was pandas

    @property
    def columns(self) -> list[str]:
        return list(self.frame.columns)

    def __len__(self) -> int:
        return len(self.frame)

    def _series(self, col: str, arg: str) -> Any:
        s = self.frame[col]
        if s.null_count():
            row = int(s.is_null().arg_true()[0])
            raise invalid_value_error(f"{arg} {col!r}", row, None, "missing value (null)", self.index)
        return s

    def numeric(self, col: str, arg: str, **checks: bool) -> np.ndarray:
        """Column as float64 numpy (a view when it already is float64)."""
        s = self._series(col, arg)
        if not (s.dtype.is_numeric() or s.dtype == nw.Boolean):
            raise TypeError(f"{arg} {col!r} must be numeric, got type {s.dtype}")
        return as_float_array(s.to_numpy(), f"{arg} {col!r}", **checks)

    def datetimes_ns(self, col: str, arg: str, datetime_format: Optional[str] = None
                     ) -> tuple[np.ndarray, Any]:
        """Column as int64 ns since the epoch (UTC) and its timezone (or None)."""
        s = self._series(col, arg)
        if isinstance(s.dtype, nw.Datetime):
            raw = s.cast(nw.Int64).to_numpy()
            scale = _NS_PER_UNIT[s.dtype.time_unit]
            ns = raw if scale == 1 else raw * np.int64(scale)
            return np.ascontiguousarray(ns, dtype=np.int64), s.dtype.time_zone
        if isinstance(s.dtype, nw.Date):
            days = s.cast(nw.Int32).to_numpy().astype(np.int64)
            return days * np.int64(86_400_000_000_000), None
        if s.dtype in (nw.String, nw.Object):
            return _parse_datetimes(pd.Series(s.to_numpy()), f"{arg} {col!r}", datetime_format,
                                    self.index)
        raise TypeError(f"{arg} {col!r} must hold datetimes or date strings, got type {s.dtype}")

    def ids(self, col: str, arg: str) -> tuple[np.ndarray, pd.Index]:
        """Dense int64 codes in sorted-id order and the sorted unique ids."""
        s = self._series(col, arg)
        values = s.to_numpy()
        codes, uniques = pd.factorize(values, sort=True)
        return np.ascontiguousarray(codes, dtype=np.int64), pd.Index(uniques)


def read(data: Any, needed: dict[str, Optional[str]]) -> Table:
    """Project ``data`` to the columns in ``needed`` (argument name -> column name).

    Raises
    ------
    TypeError
        When ``data`` is not a table of a supported library.
    ValueError
        When a named column is missing (the message lists the available ones).
    """
    native = _native(data)
    try:
        frame = nw.from_native(native, eager_or_interchange_only=False)
    except TypeError:
        raise TypeError("expected a pandas, polars or pyarrow table (or an Arrow stream), "
                        f"got {type(data).__name__}") from None
    available = list(frame.columns) if not isinstance(frame, nw.LazyFrame) else \
        list(frame.collect_schema().names())
    for arg, col in needed.items():
        if col is not None and col not in available:
            raise ValueError(f"{arg}={col!r} is not a column; available columns: {available}")
    wanted = list(dict.fromkeys(c for c in needed.values() if c is not None))
    frame = frame.select(wanted)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    index = native.index if isinstance(native, pd.DataFrame) else None
    return Table(frame, library_of(native), index)


def _parse_datetimes(s: pd.Series, name: str, datetime_format: Optional[str],
                     index: Optional[pd.Index]) -> tuple[np.ndarray, Any]:
    parsed = pd.to_datetime(s, format=datetime_format, errors="coerce")
    bad = parsed.isna() & s.notna()
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise invalid_value_error(name, row, s.iloc[row], "cannot be parsed as a date"
                                  + (f" with format {datetime_format!r}" if datetime_format else ""),
                                  index)
    tz = getattr(parsed.dt, "tz", None)
    if tz is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return np.ascontiguousarray(parsed.to_numpy(dtype="datetime64[ns]").view(np.int64)), tz


def deliver(result: pd.DataFrame, library: str, output: Optional[Output] = None) -> Any:
    """Return a pandas result in the caller's library (or ``output``'s).

    The pandas index becomes the first column for polars and Arrow, which have no index;
    ``output="numpy"`` gives a dict of column arrays (index included).
    """
    target = output or library
    if target == "pandas":
        return result
    flat = result.reset_index() if result.index.name is not None else result.reset_index(drop=True)
    flat.attrs = {}  # clmkit metadata stays with pandas results; Arrow would try to serialise it
    for col in flat.columns:  # polars and Arrow have no period type: periods become their start
        if isinstance(flat[col].dtype, pd.PeriodDtype):
            flat[col] = flat[col].dt.to_timestamp()
    if target == "numpy":
        return {str(c): flat[c].to_numpy() for c in flat.columns}
    if target == "polars":
        import polars as pl

        return pl.from_pandas(flat)
    if target == "arrow":
        import pyarrow as pa

        return pa.Table.from_pandas(flat, preserve_index=False)
    raise ValueError(f"output must be one of ['pandas', 'polars', 'arrow', 'numpy'], got {output!r}")


def to_pandas(data: Any, columns: Optional[Sequence[str]] = None) -> pd.DataFrame:
    """A pandas view of any supported table (pandas input is returned as is, whole)."""
    if isinstance(data, pd.DataFrame):
        return data
    if columns:
        return read(data, {c: c for c in columns}).frame.to_pandas()
    frame = nw.from_native(_native(data))
    return (frame.collect() if isinstance(frame, nw.LazyFrame) else frame).to_pandas()
