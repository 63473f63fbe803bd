"""The type aliases shared by clmkit's modules and its public signatures.

Tables come in from any supported library and go back in the caller's: the table functions
carry ``typing.overload``\\ s so that a type checker sees pandas in -> pandas out and polars
in -> polars out (``output=`` overrides). polars is an optional dependency: its types are
imported for type checkers only (``TYPE_CHECKING``), so this module imports nothing that is
not installed.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from datetime import date, tzinfo
from typing import TYPE_CHECKING, Any, Literal, Union

import numpy as np
import numpy.typing as npt
import pandas as pd

if TYPE_CHECKING:
    import polars as pl
    from typing_extensions import TypeAlias

    #: A polars table: a DataFrame, or a LazyFrame (collected once, needed columns only).
    PolarsFrame: TypeAlias = Union[pl.DataFrame, pl.LazyFrame]

__all__ = [
    "ArrayLike",
    "Column",
    "CovariateData",
    "CustomerData",
    "DateLike",
    "FloatArray",
    "IntArray",
    "NumpyTable",
    "Output",
    "PandasInput",
    "ParamValues",
    "TimeZone",
    "Weights",
]

#: The library of a returned table: ``output=`` of every table function.
Output = Literal["pandas", "polars", "arrow", "numpy"]

#: Anything numpy reads as an array (lists, numpy arrays, pandas / polars Series, ...).
ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: ``output="numpy"``: the columns of the table by name (the index first, when named).
NumpyTable = dict[str, npt.NDArray[Any]]

#: A column argument: the column's name in the table, or (with ``transactions=None``) the
#: column itself.
Column = Union[Hashable, npt.ArrayLike, None]

#: A date argument: a string pandas parses, a date or datetime (pandas Timestamps too), or
#: a numpy datetime64.
DateLike = Union[str, date, np.datetime64, None]

#: A time zone as pandas keeps it: a tzinfo, its name, or None (naive times).
TimeZone = Union[tzinfo, str, None]

#: What comes back as pandas without ``output=``: a pandas DataFrame, or columns given as
#: arrays (``transactions=None``).
PandasInput = Union[pd.DataFrame, None]

#: Per-customer data of a BTYD model: a column (anything numpy reads: lists, numpy arrays,
#: pandas or polars Series) or, as the first argument, a summary table.
CustomerData = Union[npt.ArrayLike, pd.DataFrame, "PolarsFrame", None]

#: Covariates of a BTYD model: column names of the summary table, a customers x covariates
#: array, or a DataFrame.
CovariateData = Union[Sequence[str], npt.ArrayLike, pd.DataFrame, None]

#: Weights of a fit: a column of the summary table by name, or one value per row.
Weights = Union[str, npt.ArrayLike, None]

#: Parameters by name, or in the model's order.
ParamValues = Union[Mapping[str, float], Sequence[float]]
