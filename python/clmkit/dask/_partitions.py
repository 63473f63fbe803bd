"""Helpers shared by clmkit's Dask entry points: input checks at graph construction and
errors that name the partition a bad value sits in."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Optional, cast

import pandas as pd

from ..exceptions import InvalidValueError

try:
    import dask
    import dask.dataframe as dd
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("clmkit.dask needs Dask: pip install 'clmkit[dask]'") from exc

__all__ = [
    "dask",
    "dd",
    "compute",
    "delayed",
    "map_partitions",
    "persist",
    "to_delayed",
    "require_dask_frame",
    "partition_errors",
    "partition_number",
    "PartitionInfo",
]

# Dask ships without complete type hints: these typed doors are the only places that call
# its untyped API, so the rest of clmkit.dask type-checks under mypy --strict.


def delayed(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``dask.delayed(fn)``: calling the result builds a lazy task."""
    return cast(Callable[..., Any], dask.delayed(fn))  # type: ignore[attr-defined]


def compute(*tasks: Any) -> tuple[Any, ...]:
    """``dask.compute(*tasks)``: the tasks' values, computed together."""
    return cast(tuple[Any, ...], dask.compute(*tasks))  # type: ignore[attr-defined,no-untyped-call]


def to_delayed(ddf: dd.DataFrame) -> list[Any]:
    """The partitions of ``ddf`` as lazy tasks."""
    return cast(list[Any], ddf.to_delayed())  # type: ignore[no-untyped-call]


def persist(ddf: dd.DataFrame) -> dd.DataFrame:
    """``ddf`` computed and kept in the cluster."""
    return cast(dd.DataFrame, ddf.persist())  # type: ignore[no-untyped-call]


def map_partitions(
    ddf: dd.DataFrame, fn: Callable[..., Any], *args: Any, **kwargs: Any
) -> dd.DataFrame:
    """``ddf.map_partitions(fn, *args, **kwargs)`` (pass ``meta=``)."""
    return cast(dd.DataFrame, ddf.map_partitions(fn, *args, **kwargs))  # type: ignore[no-untyped-call]


def require_dask_frame(ddf: object, name: str = "ddf") -> dd.DataFrame:
    """Returns ``ddf`` if it is a Dask DataFrame; raises TypeError otherwise."""
    if not isinstance(ddf, dd.DataFrame):
        hint = (
            " (wrap it with dask.dataframe.from_pandas, or use the in-memory clmkit function)"
            if isinstance(ddf, pd.DataFrame)
            else ""
        )
        raise TypeError(f"{name} must be a dask DataFrame, got {type(ddf).__name__}{hint}")
    return ddf


#: What Dask passes as ``partition_info`` to a per-partition function: {"number": i,
#: "division": ...}, or None.
PartitionInfo = Optional[Mapping[str, object]]


def partition_number(partition_info: PartitionInfo) -> int:
    """The partition index Dask passes through ``partition_info`` (0 when it does not)."""
    return int(cast(int, partition_info["number"])) if partition_info else 0


@contextlib.contextmanager
def partition_errors(partition_info: PartitionInfo) -> Iterator[int]:
    """Inside a per-partition function (which declares ``partition_info=None`` so that Dask
    passes it), makes a ValueError or TypeError name the partition; rows in the message are
    positions within that partition. Yields the partition number."""
    number = partition_number(partition_info)
    try:
        yield number
    except (ValueError, TypeError) as exc:
        if str(exc).startswith("partition "):
            raise
        where = f"partition {number} (rows counted within it)"
        if isinstance(exc, InvalidValueError):
            raise InvalidValueError(
                f"{where}: {exc.arg}", exc.row, exc.value, exc.reason, exc.position
            ) from exc
        raise type(exc)(f"{where}: {exc}") from exc
