"""Customer tables keyed by id, for the per-customer entry points (RFM, stages).

pandas tables carry the customer id in their index; polars and Arrow tables have no index, so
:func:`clmkit.summarize` writes the id as their first column. :func:`keyed_frame` gives the
pandas view those entry points compute on, indexed by the id whatever the library, and
:func:`clmkit._io.deliver` turns the result back: a pandas result keeps the caller's index, a
polars / Arrow result gets the id as its first column.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Optional

import pandas as pd

from ._io import library_of, to_pandas
from ._typing import Table

__all__ = ["CallerFrame", "keyed_frame"]

#: A table in the caller's library (pandas, polars or pyarrow; ``output=`` chooses; a dict of
#: numpy arrays for "numpy"): :func:`clmkit._io.deliver`'s result. The table functions'
#: ``typing.overload``\ s narrow it to one library wherever the call says which.
CallerFrame = Table


def keyed_frame(
    table: object, customer_id_col: Optional[str], used: Collection[str]
) -> tuple[pd.DataFrame, str]:
    """The table as pandas indexed by customer id, and the caller's library.

    Parameters
    ----------
    table : DataFrame
        pandas, polars or pyarrow.
    customer_id_col : str, optional
        Column holding the id. Default: for pandas the index; for polars / Arrow the first
        column, unless it is one of the ``used`` value columns (then rows stay positional).
    used : collection of str
        The value columns the caller reads (never taken as the id).

    Raises
    ------
    ValueError
        When ``customer_id_col`` is not a column (the message lists the available ones).
    """
    library = library_of(table)
    df = to_pandas(table)
    col = customer_id_col
    if col is None:
        if library == "pandas" or len(df.columns) == 0:
            return df, library
        first = df.columns[0]
        if first in used or not isinstance(first, str):
            return df, library
        col = first
    elif col not in df.columns:
        raise ValueError(
            f"customer_id_col={col!r} is not a column; available columns: {list(df.columns)}"
        )
    keyed = df.set_index(col)
    keyed.attrs = dict(df.attrs)
    return keyed, library
