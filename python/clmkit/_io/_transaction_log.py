"""A transaction log read once: the arrays every raw-log entry point works on.

Reading a log (projection, null and type checks, date parsing, id factorisation) costs more
than most of the kernels that use it; a pipeline that summarises, splits, stages and scores
the same log would repeat it at every step. :class:`TransactionLog` holds the result of one
read, and every raw-log entry point (``summarize``, ``calibration_and_holdout``,
``summarize_discrete``, ``stage_history``, ``cohort_retention``, ``churn_dataset``,
``analyze``) takes it in place of the DataFrame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd

from .._typing import TimeZone
from ._columns import datetimes_ns, factorize_ids, id_dtype, numeric_values
from ._read import read


@dataclass(frozen=True, eq=False)
class LogIds:
    """The id column of a :class:`TransactionLog`, as ``_log.extract_columns`` hands it on."""

    codes: np.ndarray
    uniques: pd.Index
    dtype: np.dtype
    row_index: Optional[pd.Index] = None


@dataclass(frozen=True, eq=False)
class LogTimes:
    """The datetime column of a :class:`TransactionLog` (int64 ns since the epoch, UTC)."""

    ns: np.ndarray
    tz: TimeZone


def _read_only(a: np.ndarray) -> np.ndarray:
    """A read-only view: the log never writes, and a view of the caller's buffer must not
    become a way to modify it."""
    view: np.ndarray = a.view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True, eq=False, repr=False)
class TransactionLog:
    """A transaction log read once: customer ids as codes, times, values and names.

    Build it with :meth:`from_frame` and pass it wherever a raw log is taken, in place of
    the table; the ``*_col`` arguments may then be left out (None) or must name the
    log's own columns, and a ``datetime_format`` argument is not used (the dates were
    parsed when the log was read).

    Attributes
    ----------
    codes : numpy.ndarray
        int64 code per transaction: the position of its customer id in ``uniques``.
    uniques : pandas.Index
        The distinct customer ids, sorted.
    times_ns : numpy.ndarray
        int64 nanoseconds since the epoch (UTC) per transaction.
    values : numpy.ndarray or None
        float64 value per transaction (finite), when read with a monetary column.
    customer_id_col, datetime_col, monetary_value_col : str
        The column names, for messages and results.
    tz : tzinfo or None
        The time zone of the datetimes (results show times in it).
    library : str
        The library of the table read ("pandas", "polars" or "arrow"): results go back in it.
    row_index : pandas.Index or None
        The pandas index of the rows (error messages name rows by it).

    Examples
    --------
    >>> import clmkit
    >>> from clmkit import TransactionLog
    >>> df = clmkit.datasets.load_cdnow_sample()
    >>> log = TransactionLog.from_frame(df, "customer_id", "date", "amount")
    >>> log
    TransactionLog(6919 transactions, 2357 customers, columns 'customer_id', 'date', 'amount')
    >>> s = clmkit.summarize(log, observation_period_end="1997-09-30")
    >>> cal = clmkit.calibration_and_holdout(log, calibration_period_end="1997-06-30")
    >>> len(s), s.index.name
    (2357, 'customer_id')
    """

    codes: np.ndarray
    uniques: pd.Index
    times_ns: np.ndarray
    values: Optional[np.ndarray]
    customer_id_col: str
    datetime_col: str
    monetary_value_col: Optional[str]
    tz: TimeZone = None
    library: str = "pandas"
    row_index: Optional[pd.Index] = None
    id_dtype: np.dtype = field(default_factory=lambda: np.dtype(object))

    @classmethod
    def from_frame(
        cls,
        transactions: object,
        customer_id_col: str,
        datetime_col: str,
        monetary_value_col: Optional[str] = None,
        datetime_format: Optional[str] = None,
    ) -> TransactionLog:
        """Reads the log's columns from any supported table, once.

        Parameters
        ----------
        transactions : DataFrame
            A pandas or polars DataFrame / LazyFrame, a pyarrow Table or an Arrow stream.
        customer_id_col, datetime_col : str
            The id and datetime columns (datetimes of any unit, tz-aware, or strings).
        monetary_value_col : str, optional
            The transaction values (any real dtype; NaN and infinity are rejected).
        datetime_format : str, optional
            ``strftime`` format of string datetimes.

        Raises
        ------
        TypeError
            Not a table, or a column of the wrong type.
        ValueError
            A missing column (listing the available ones), a missing id or date, a date
            that cannot be parsed or a non-finite value (naming the column, the row and
            the value).
        """
        for arg, col in (("customer_id_col", customer_id_col), ("datetime_col", datetime_col)):
            if not isinstance(col, str):
                raise TypeError(f"{arg} must be a column name (str), got {type(col).__name__}")
        if monetary_value_col is not None and not isinstance(monetary_value_col, str):
            raise TypeError(
                "monetary_value_col must be a column name (str) or None, "
                f"got {type(monetary_value_col).__name__}"
            )
        table = read(
            transactions,
            {
                "customer_id_col": customer_id_col,
                "datetime_col": datetime_col,
                "monetary_value_col": monetary_value_col,
            },
        )
        ids = table.frame[customer_id_col]
        codes, uniques = factorize_ids(ids, f"customer_id_col {customer_id_col!r}")
        times_ns, tz = datetimes_ns(
            table.frame[datetime_col], f"datetime_col {datetime_col!r}", datetime_format
        )
        values = None
        if monetary_value_col is not None:
            values = numeric_values(
                table.frame[monetary_value_col], f"monetary_value_col {monetary_value_col!r}"
            )
        return cls(
            codes=_read_only(codes),
            uniques=uniques,
            times_ns=_read_only(times_ns),
            values=None if values is None else _read_only(values),
            customer_id_col=customer_id_col,
            datetime_col=datetime_col,
            monetary_value_col=monetary_value_col,
            tz=tz,
            library=table.library,
            row_index=table.index,
            id_dtype=id_dtype(ids),
        )

    def __len__(self) -> int:
        return len(self.times_ns)

    @property
    def n_customers(self) -> int:
        """The number of distinct customer ids."""
        return len(self.uniques)

    def __repr__(self) -> str:
        cols = [self.customer_id_col, self.datetime_col]
        if self.monetary_value_col is not None:
            cols.append(self.monetary_value_col)
        return (
            f"TransactionLog({len(self)} transactions, {self.n_customers} customers, "
            f"columns {', '.join(repr(c) for c in cols)})"
        )

    def check_columns(
        self,
        customer_id_col: object,
        datetime_col: object,
        monetary_value_col: object,
    ) -> Optional[np.ndarray]:
        """The values an entry point asked for: None without ``monetary_value_col``.

        Raises
        ------
        ValueError
            When a column argument names another column than the log was read with, or
            asks for values the log was read without.
        """
        for arg, given, own in (
            ("customer_id_col", customer_id_col, self.customer_id_col),
            ("datetime_col", datetime_col, self.datetime_col),
        ):
            if given is not None and given != own:
                raise ValueError(
                    f"{arg}={given!r} does not match the TransactionLog, which was read with "
                    f"{arg}={own!r}"
                )
        if monetary_value_col is None:
            return None
        if monetary_value_col != self.monetary_value_col:
            raise ValueError(
                f"monetary_value_col={monetary_value_col!r} does not match the TransactionLog, "
                f"which was read with monetary_value_col={self.monetary_value_col!r}"
            )
        return self.values
