"""The one door for tables: pandas, polars and pyarrow in, pandas for clmkit's internals."""

from __future__ import annotations

from typing import Any

import pandas as pd


def to_pandas(data: Any, columns: list[str] | None = None) -> pd.DataFrame:
    """Returns ``data`` as a pandas DataFrame without copying pandas input.

    polars DataFrames/LazyFrames and pyarrow Tables are converted once, selecting only
    ``columns`` when given.
    """
    if isinstance(data, pd.DataFrame):
        return data
    module = type(data).__module__.split(".")[0]
    if module == "polars":
        if hasattr(data, "collect"):
            data = (data.select(columns) if columns else data).collect()
        elif columns:
            data = data.select(columns)
        return data.to_pandas()
    if module == "pyarrow":
        if columns and hasattr(data, "select"):
            data = data.select(columns)
        return data.to_pandas()
    raise TypeError(f"expected a pandas, polars or pyarrow table, got {type(data).__name__}")
