"""clmkit.dask.summarize: the per-customer summary of a transaction log held in a Dask
DataFrame, identical to :func:`clmkit.summarize` on the same rows.

The graph has three stages. (1) A scan of the id and date columns, computed once when
``summarize`` is called, gives the global first and last dates (the default observation end),
the row count of every input partition and the kind of the ids. (2) Each input partition is
validated and reduced to (id, time in ns, value, global row position). (3) One hash shuffle
by customer id brings every customer's rows into one partition, where the Rust kernel runs.
The row position restores the input order of each customer's rows before the kernel, so
floating-point sums run in the same order as in memory and the results match bit for bit.
"""

from __future__ import annotations

from typing import Any, Optional, TypedDict, Union, cast

import numpy as np
import pandas as pd

from .._io import column_ns, numeric_values, period_end_ns, timestamp_ns, timestamp_of
from .._typing import DateLike, TimeZone
from .._validation import check_positive_float, invalid_value_error, require_columns
from ..summary.continuous import _PANDAS_PERIOD, _summarize_arrays
from ..summary.units import normalize_freq
from ._partitions import PartitionInfo, dd, map_partitions, partition_errors, require_dask_frame


class _Names(TypedDict):
    """The log's column names by role."""

    customer_id: str
    datetime: str
    monetary: Optional[str]


#: The customer id column's dtype (numpy or a pandas extension dtype).
IdDtype = Union[np.dtype[np.generic], pd.api.extensions.ExtensionDtype]

__all__ = ["summarize"]

# Internal column names of the reduced log that travels through the shuffle.
_TIME, _VALUE, _POSITION = "__clmkit_time_ns", "__clmkit_value", "__clmkit_position"


def summarize(
    ddf: dd.DataFrame,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: Optional[str] = None,
    datetime_format: Optional[str] = None,
    observation_period_end: DateLike = None,
    freq: str = "D",
    freq_multiplier: float = 1,
    include_first_transaction: bool = False,
    npartitions: Optional[int] = None,
    shuffle_method: Optional[str] = None,
) -> dd.DataFrame:
    """Summarise a transaction log held in a Dask DataFrame into one row per customer.

    The same semantics, columns, dtypes and ``attrs`` as :func:`clmkit.summarize`: after
    ``.compute().sort_index()`` the result equals ``clmkit.summarize(ddf.compute(), ...)``
    exactly. The log is shuffled by customer id once (Dask's hash shuffle), then the Rust
    kernel summarises each partition (with the GIL released).

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        The transaction log, in any partitioning and row order.
    customer_id_col, datetime_col, monetary_value_col, datetime_format, freq, freq_multiplier, include_first_transaction
        As in :func:`clmkit.summarize`. String datetimes are parsed per partition: give
        ``datetime_format`` unless the strings are ISO 8601.
    observation_period_end : date-like, optional
        Default: the last date of the whole log, computed once when ``summarize`` is called
        (one pass over the id and date columns, which also validates them).
    npartitions : int, optional
        Partitions of the result (default: those of ``ddf``).
    shuffle_method : str, optional
        Passed to :meth:`dask.dataframe.DataFrame.shuffle` ("tasks", "p2p", "disk").

    Returns
    -------
    dask.dataframe.DataFrame
        Indexed by customer id (every customer in exactly one partition; partitions are not
        sorted against each other: ``sort_index`` after ``compute`` gives the in-memory order).

    Raises
    ------
    TypeError
        ``ddf`` is not a Dask DataFrame, or the monetary column is not numeric.
    ValueError
        At call time: unknown column names, a bad ``freq`` or ``freq_multiplier``, missing ids,
        unparseable or missing dates, ids of mixed types, or an ``observation_period_end``
        before the first transaction. At compute time: bad monetary values. Errors about
        values name the input partition and the row within it.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import clmkit, clmkit.dask
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> ddf = dd.from_pandas(log, npartitions=3)
    >>> s = clmkit.dask.summarize(ddf, "customer_id", "date", "amount", freq="W")
    >>> expected = clmkit.summarize(log, "customer_id", "date", "amount", freq="W")
    >>> s.compute(scheduler="sync").sort_index().equals(expected)
    True
    """
    ddf = require_dask_frame(ddf)
    freq = normalize_freq(freq)
    mult = check_positive_float(freq_multiplier, "freq_multiplier")
    require_columns(
        list(ddf.columns),
        {
            "customer_id_col": customer_id_col,
            "datetime_col": datetime_col,
            "monetary_value_col": monetary_value_col,
        },
    )
    names: _Names = {
        "customer_id": customer_id_col,
        "datetime": datetime_col,
        "monetary": monetary_value_col,
    }
    if monetary_value_col is not None:
        numeric_values(ddf._meta[monetary_value_col], f"monetary_value_col {monetary_value_col!r}")
    cols = [c for c in (customer_id_col, datetime_col, monetary_value_col) if c is not None]
    frame = ddf[cols]

    scan = _scan(frame, names, datetime_format)
    tz = scan["tz"]
    if observation_period_end is None:
        end_ns = scan["max_ns"] if scan["n_rows"] else 0
    else:
        end_ns = period_end_ns(observation_period_end, np.empty(0, np.int64), datetime_format, tz)
    cutoff_ns = _next_period_start_ns(end_ns, freq)
    if scan["n_rows"] and scan["min_ns"] >= cutoff_ns:
        raise ValueError(
            f"observation_period_end ({timestamp_of(end_ns, tz)}) is before the first "
            f"transaction ({timestamp_of(scan['min_ns'], tz)})"
        )

    reduced = frame.map_partitions(
        _reduce_partition,
        names=names,
        datetime_format=datetime_format,
        offsets=scan["offsets"],
        meta=_reduced_meta(frame._meta, names),
    )
    shuffled = reduced.shuffle(
        on=customer_id_col, npartitions=npartitions, shuffle_method=shuffle_method
    )
    options = dict(
        names=names,
        id_dtype=frame._meta[customer_id_col].dtype,
        tz=tz,
        end_ns=end_ns,
        cutoff_ns=cutoff_ns,
        freq=freq,
        freq_multiplier=mult,
        include_first_transaction=bool(include_first_transaction),
    )
    meta = _summarize_partition(reduced._meta, **options)
    return map_partitions(shuffled, _summarize_partition, meta=meta, **options)


def _next_period_start_ns(end_ns: int, freq: str) -> int:
    """Start of the period after the one holding ``end_ns``: the kernel keeps every
    transaction floored to a period at or before the end's period, i.e. before this."""
    start = (pd.Period(pd.Timestamp(end_ns), _PANDAS_PERIOD[freq]) + 1).start_time
    return timestamp_ns(start)


# --- stage 1: the scan -----------------------------------------------------------------------


def _scan(frame: dd.DataFrame, names: _Names, datetime_format: Optional[str]) -> dict[str, Any]:
    cols = [names["customer_id"], names["datetime"]]
    meta = pd.DataFrame(
        {
            "n_rows": pd.Series(dtype="int64"),
            "min_ns": pd.Series(dtype="int64"),
            "max_ns": pd.Series(dtype="int64"),
            "tz": pd.Series(dtype=object),
            "id_kind": pd.Series(dtype=object),
        }
    )
    parts = (
        frame[cols]
        .map_partitions(_scan_partition, names=names, datetime_format=datetime_format, meta=meta)
        .compute()
    )
    n_rows = parts["n_rows"].to_numpy()
    filled = parts[n_rows > 0]
    _check_id_kinds(filled["id_kind"], names["customer_id"])
    tzs = {str(t) for t in filled["tz"]}
    if len(tzs) > 1:
        raise ValueError(
            f"datetime_col {names['datetime']!r}: partitions hold different "
            f"time zones {sorted(tzs)}"
        )
    return {
        "n_rows": int(n_rows.sum()),
        "min_ns": int(filled["min_ns"].min()) if len(filled) else 0,
        "max_ns": int(filled["max_ns"].max()) if len(filled) else 0,
        "tz": filled["tz"].iloc[0] if len(filled) else None,
        "offsets": tuple(int(x) for x in np.concatenate([[0], np.cumsum(n_rows)[:-1]])),
    }


def _scan_partition(
    part: pd.DataFrame,
    names: _Names,
    datetime_format: Optional[str],
    partition_info: PartitionInfo = None,
) -> pd.DataFrame:
    with partition_errors(partition_info):
        ids = part[names["customer_id"]]
        _check_ids(ids, names["customer_id"])
        times_ns, tz = column_ns(part[names["datetime"]], names["datetime"], datetime_format)
    n = len(times_ns)
    kind = pd.api.types.infer_dtype(ids, skipna=True) if ids.dtype == object else str(ids.dtype)
    out = pd.DataFrame(
        {
            "n_rows": [n],
            "min_ns": [times_ns.min() if n else 0],
            "max_ns": [times_ns.max() if n else 0],
            "tz": [tz],
            "id_kind": [kind],
        }
    )
    return cast(pd.DataFrame, out)


def _check_ids(ids: pd.Series, name: str) -> None:
    """Missing ids, and object ids that are unhashable or of mixed types, are errors:
    they would not group consistently across partitions."""
    missing = ids.isna().to_numpy()
    if missing.any():
        row = int(np.argmax(missing))
        raise invalid_value_error(f"customer_id_col {name!r}", row, None, "missing customer id")
    if ids.dtype == object and pd.api.types.infer_dtype(ids, skipna=True).startswith("mixed"):
        first = type(ids.iloc[0])
        row = next(
            i
            for i, x in enumerate(ids)
            if type(x) is not first or getattr(type(x), "__hash__", None) is None
        )
        raise invalid_value_error(
            f"customer_id_col {name!r}",
            row,
            ids.iloc[row],
            f"ids must be hashable values of one type; row 0 holds a {first.__name__}",
        )


def _check_id_kinds(kinds: pd.Series, name: str) -> None:
    distinct = sorted(set(kinds))
    if len(distinct) > 1:
        first = {k: int(kinds.index[kinds == k][0]) for k in distinct}
        raise ValueError(
            f"customer_id_col {name!r}: partitions hold ids of different kinds "
            f"(first partition of each: {first}); ids must be of one type"
        )


# --- stage 2: validate and reduce each input partition ---------------------------------------


def _reduced_meta(meta: pd.DataFrame, names: _Names) -> pd.DataFrame:
    cols = {
        names["customer_id"]: meta[names["customer_id"]].reset_index(drop=True),
        _TIME: pd.Series(dtype="int64"),
        _POSITION: pd.Series(dtype="int64"),
    }
    if names["monetary"] is not None:
        cols[_VALUE] = pd.Series(dtype="float64")
    return cast(pd.DataFrame, pd.DataFrame(cols))


def _reduce_partition(
    part: pd.DataFrame,
    names: _Names,
    datetime_format: Optional[str],
    offsets: tuple[int, ...],
    partition_info: PartitionInfo = None,
) -> pd.DataFrame:
    with partition_errors(partition_info) as number:
        ids = part[names["customer_id"]].reset_index(drop=True)
        _check_ids(ids, names["customer_id"])
        times_ns, _ = column_ns(part[names["datetime"]], names["datetime"], datetime_format)
        cols = {
            names["customer_id"]: ids,
            _TIME: times_ns,
            _POSITION: offsets[number] + np.arange(len(ids), dtype=np.int64),
        }
        if names["monetary"] is not None:
            cols[_VALUE] = numeric_values(
                part[names["monetary"]], f"monetary_value_col {names['monetary']!r}"
            )
    return cast(pd.DataFrame, pd.DataFrame(cols))


# --- stage 3: the kernel on each customer partition ------------------------------------------


def _summarize_partition(
    part: pd.DataFrame,
    names: _Names,
    id_dtype: IdDtype,
    tz: TimeZone,
    end_ns: int,
    cutoff_ns: int,
    freq: str,
    freq_multiplier: float,
    include_first_transaction: bool,
) -> pd.DataFrame:
    # argsort and fancy indexing below copy every column into fresh, aligned buffers.
    order = np.argsort(part[_POSITION].to_numpy(), kind="stable")
    times_ns = part[_TIME].to_numpy()[order]
    keep = times_ns < cutoff_ns
    ids = part[names["customer_id"]].iloc[order[keep]]
    codes, uniques = pd.factorize(ids, sort=True)
    values = None
    if _VALUE in part.columns:
        values = np.ascontiguousarray(part[_VALUE].to_numpy()[order][keep], dtype=np.float64)
    out = _summarize_arrays(
        np.ascontiguousarray(codes, dtype=np.int64),
        pd.Index(uniques),
        np.ascontiguousarray(times_ns[keep]),
        values,
        tz,
        end_ns,
        freq,
        freq_multiplier,
        include_first_transaction,
        dict(names),
    )
    if out.index.dtype != id_dtype:
        out.index = out.index.astype(id_dtype)
    return out
