"""The one door for tables.

pandas DataFrames, polars DataFrames and LazyFrames (collected once, only the needed columns),
pyarrow Tables and RecordBatchReaders and anything with the Arrow PyCapsule stream interface
come in through :func:`read` (narwhals); results go back in the caller's library through
:func:`deliver` (``output=`` overrides). Every entry point that takes or returns a table uses
this package and nothing else touches polars or pyarrow objects:

- ``_read``: projection and the :class:`Table` an entry point reads its columns from;
- ``_columns``: columns to numpy (views of null-free contiguous buffers), the same null and
  type errors for every library;
- ``_log``: a transaction log's id / datetime / value columns for the raw-log entry points;
- ``_deliver``: results in the caller's library, and pandas views for pandas-only code;
- ``_transaction_log``: :class:`TransactionLog`, a raw log read once (codes, ns times,
  values, names) and accepted by every raw-log entry point in place of the table;
- ``_files``: CSV / Parquet logs for the CLI (projection, declared types).
"""

from .._typing import Output, TimeZone
from ._columns import (
    as_series,
    check_nulls,
    datetime_ticks,
    datetimes_ns,
    factorize_ids,
    id_array,
    id_dtype,
    numeric_values,
)
from ._deliver import OUTPUTS, check_output, deliver, to_pandas
from ._files import read_transactions
from ._log import (
    LogNames,
    column_codes,
    column_ids,
    column_ns,
    column_ticks,
    datetime_values,
    extract_columns,
    index_ns,
    library_of,
    log_error,
    log_id_dtype,
    period_end_ns,
    row_labels,
    timestamp_ns,
    timestamp_of,
)
from ._read import Table, is_table, native, read
from ._transaction_log import TransactionLog

__all__ = [
    "LogNames",
    "OUTPUTS",
    "Output",
    "Table",
    "TimeZone",
    "TransactionLog",
    "as_series",
    "check_nulls",
    "check_output",
    "column_codes",
    "column_ids",
    "column_ns",
    "column_ticks",
    "datetime_ticks",
    "datetime_values",
    "datetimes_ns",
    "deliver",
    "extract_columns",
    "factorize_ids",
    "id_array",
    "id_dtype",
    "is_table",
    "library_of",
    "log_error",
    "log_id_dtype",
    "native",
    "numeric_values",
    "period_end_ns",
    "read",
    "read_transactions",
    "row_labels",
    "index_ns",
    "timestamp_ns",
    "timestamp_of",
    "to_pandas",
]
