"""Results out: a pandas result in the caller's library (or ``output``'s)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional

import narwhals.stable.v1 as nw
import pandas as pd

from .._typing import ArrowTable, Output, Table

if TYPE_CHECKING:
    import polars as pl
from ._read import native, read

OUTPUTS: tuple[Output, ...] = ("pandas", "polars", "arrow", "numpy")


def check_output(output: object) -> None:
    if output is not None and output not in OUTPUTS:
        raise ValueError(f"output must be one of {list(OUTPUTS)}, got {output!r}")


def deliver(result: pd.DataFrame, library: str, output: Optional[Output] = None) -> Table:
    """Return a pandas result in the caller's library (or ``output``'s).

    The pandas index becomes the first column for polars and Arrow, which have no index;
    ``output="numpy"`` gives a dict of column arrays (index included).
    """
    check_output(output)
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
    flat.columns = [str(c) for c in flat.columns]  # polars and Arrow name columns by strings
    if target == "polars":
        return _polars(flat)
    import pyarrow as pa

    table: ArrowTable = pa.Table.from_pandas(flat, preserve_index=False)
    return table


def _polars(flat: pd.DataFrame) -> pl.DataFrame:
    """``pl.from_pandas`` keeping the order of ordered categoricals (stages): as polars Enums."""
    import polars as pl

    out = pl.from_pandas(flat)
    ordered = [
        c
        for c in flat.columns
        if isinstance(flat[c].dtype, pd.CategoricalDtype) and flat[c].cat.ordered
    ]
    if not ordered:
        return out
    return out.with_columns(
        pl.col(c).cast(pl.Enum([str(x) for x in flat[c].cat.categories])) for c in ordered
    )


def to_pandas(data: object, columns: Optional[Sequence[str]] = None) -> pd.DataFrame:
    """A pandas DataFrame of any supported table (pandas input is returned as is, whole);
    others are projected to ``columns`` first when given."""
    if isinstance(data, pd.DataFrame):
        return data
    if columns:
        return read(data, {c: c for c in columns}).frame.to_pandas()
    frame = nw.from_native(native(data))
    out: pd.DataFrame = (frame.collect() if isinstance(frame, nw.LazyFrame) else frame).to_pandas()
    return out
