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
from typing import TYPE_CHECKING, Any, Literal, Protocol, Union

import numpy as np
import numpy.typing as npt
import pandas as pd

if TYPE_CHECKING:
    import narwhals.stable.v1 as nw
    import polars as pl
    from typing_extensions import TypeAlias

    #: A polars table: a DataFrame, or a LazyFrame (collected once, needed columns only).
    PolarsFrame: TypeAlias = Union[pl.DataFrame, pl.LazyFrame]

    #: A narwhals Series over the caller's column: narwhals' type parameter is the native
    #: series (pandas, polars, Arrow), whatever its library, hence Any.
    NwSeries: TypeAlias = nw.Series[Any]

__all__ = [
    "ArrowTable",
    "ArrayLike",
    "Column",
    "CovariateData",
    "CovariateProfile",
    "CustomerData",
    "DateLike",
    "FloatArray",
    "FrameLike",
    "IntArray",
    "JSONDict",
    "NumericArray",
    "NumpyTable",
    "Output",
    "PandasCustomers",
    "PandasInput",
    "ParamValues",
    "PolarsCustomers",
    "PolarsPrediction",
    "Prediction",
    "Shaped",
    "Table",
    "TimeZone",
    "Weights",
]

#: The library of a returned table: ``output=`` of every table function.
Output = Literal["pandas", "polars", "arrow", "numpy"]

#: Anything numpy reads as an array (lists, numpy arrays, pandas / polars Series, ...).
ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: ``output="numpy"``: the columns of the table by name (the index first, when named). Their
#: dtypes differ by column (ids, counts, times), hence numpy's ``NDArray[Any]``.
NumpyTable = dict[str, npt.NDArray[Any]]


class ArrowTable(Protocol):
    """A pyarrow Table as clmkit reads it (pyarrow ships no type information, so this
    Protocol names what the table layer uses: its column names, rows and schema)."""

    @property
    def column_names(self) -> list[str]: ...

    @property
    def num_rows(self) -> int: ...

    @property
    def schema(self) -> object: ...


#: A table in any supported library: pandas, polars (a DataFrame or a LazyFrame) or pyarrow.
FrameLike = Union[pd.DataFrame, "PolarsFrame", ArrowTable]

#: A table function's result when ``output=`` is not a literal the type checker can read:
#: the table in one of the four libraries.
Table = Union[pd.DataFrame, "pl.DataFrame", ArrowTable, NumpyTable]

#: JSON-ready settings and fitted states (numbers, text, lists and nested dicts, each read
#: by its key by code that knows its kind). ``Any`` on purpose: the values are of mixed
#: kinds, and a recursive JSON type would make every reader cast what it already knows.
JSONDict = dict[str, Any]

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

#: One kind of customer's covariates (the grids of a covariate fit): their values by name,
#: a sequence in the fitted order, or a one-row table.
CovariateProfile = Union[Mapping[str, float], CovariateData]

#: Weights of a fit: a column of the summary table by name, or one value per row.
Weights = Union[str, npt.ArrayLike, None]

#: Per-customer values shaped like the input: a float for scalars, a pandas Series on the
#: input's index, else a float array.
Shaped = Union[float, FloatArray, "pd.Series[float]"]

#: A per-customer prediction of a BTYD model, shaped like its input: a float for scalars, a
#: float array for arrays, a pandas Series on the input's index for pandas input, a polars
#: Series for polars input without a customer-id column, or a polars DataFrame (the id and
#: the value) for a polars table with one.
Prediction = Union[float, FloatArray, "pd.Series[float]", "pl.Series", "pl.DataFrame"]

#: Customer data of a prediction that comes back as a pandas Series on its index: a summary
#: DataFrame, or the first column as a Series.
PandasCustomers = Union[pd.DataFrame, "pd.Series[float]"]

#: Customer data of a prediction that comes back as polars: a summary table (a LazyFrame is
#: collected) or the first column as a Series.
PolarsCustomers = Union["pl.DataFrame", "pl.LazyFrame", "pl.Series"]

#: A prediction for polars input: a DataFrame of the customer id and the value when the
#: table has an id column (its first column, as :func:`clmkit.summarize` writes it), else a
#: Series named after the quantity.
PolarsPrediction = Union["pl.DataFrame", "pl.Series"]

#: Numeric numpy columns (a prediction on them is a float array).
NumericArray = Union[FloatArray, IntArray]

#: Parameters by name, or in the model's order.
ParamValues = Union[Mapping[str, float], Sequence[float]]
