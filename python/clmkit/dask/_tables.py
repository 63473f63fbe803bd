"""Global statistics of distributed columns from per-partition value tables.

Each partition reduces a column to its distinct values and their counts; Dask combines the
tables in a tree. Quantiles and medians read off the combined table are exactly those of the
whole column (same order statistics, same numpy interpolation arithmetic), as long as the
table stays below ``max_distinct`` rows: always the case for integer-valued columns such as
frequency or inactivity in whole days. Beyond that (continuous values on huge data) the table
is thinned to ``max_distinct`` rank-equidistant points and statistics become approximate,
with a rank error below ``1 / max_distinct`` per thinning; the result says so (``exact``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from ._partitions import compute, dd, delayed, partition_errors, to_delayed

__all__ = ["ValueTable", "value_tables", "DEFAULT_MAX_DISTINCT"]

DEFAULT_MAX_DISTINCT = 1_000_000


@dataclass
class ValueTable:
    """Distinct values (ascending, -0.0 folded into 0.0) with their counts."""

    values: np.ndarray
    counts: np.ndarray
    exact: bool = True

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    def order_statistics(self, positions: list[int]) -> list[float]:
        """Values at 0-based positions of the sorted column."""
        cum = np.cumsum(self.counts)
        return [float(self.values[int(np.searchsorted(cum, p, side="right"))]) for p in positions]

    def quantile_edges(self, bins: int) -> np.ndarray:
        """``np.quantile(column, k / bins)`` for k = 1..bins-1 (numpy's default linear rule,
        including its lerp arithmetic, so the edges agree to the bit)."""
        n = self.n
        spots = []
        for k in range(1, bins):
            h = float(n - 1) * (k / bins)
            lo = math.floor(h)
            spots.append((lo, min(lo + 1, n - 1), h - lo))
        stats = self.order_statistics([p for lo, hi, _ in spots for p in (lo, hi)])
        return np.array(
            [_lerp(stats[2 * i], stats[2 * i + 1], g) for i, (_, _, g) in enumerate(spots)]
        )

    def median(self) -> float:
        """``np.median(column)``."""
        n = self.n
        if n % 2:
            return self.order_statistics([n // 2])[0]
        a, b = self.order_statistics([n // 2 - 1, n // 2])
        return (a + b) / 2.0


def _lerp(a: float, b: float, t: float) -> float:
    # numpy's _lerp switches to the upper end for t >= 0.5.
    diff = b - a
    return b - diff * (1.0 - t) if t >= 0.5 else a + diff * t


def value_tables(
    ddf: dd.DataFrame,
    extract: Callable[[pd.DataFrame], dict[str, np.ndarray]],
    max_distinct: int = DEFAULT_MAX_DISTINCT,
) -> dict[str, ValueTable]:
    """Combined value tables of the arrays ``extract(partition)`` returns (a dict of float
    arrays, validated by ``extract``), computed in one pass with a Dask tree reduction."""
    parts = to_delayed(ddf)
    tables = [delayed(_partition_tables)(p, extract, max_distinct, i) for i, p in enumerate(parts)]
    if not tables:
        return {}
    # One level of merges on the workers, the rest on the client (see _fit._pattern_pass).
    tables = [
        delayed(_merge_all)(tables[i : i + 4], max_distinct) for i in range(0, len(tables), 4)
    ]
    return _merge_all(list(compute(*tables)), max_distinct)


def _partition_tables(
    part: pd.DataFrame, extract: Callable[..., Any], max_distinct: int, number: int
) -> dict[str, ValueTable]:
    with partition_errors({"number": number}):
        arrays = extract(part)
    return {
        name: _thin(_table(np.asarray(a, dtype=np.float64)), max_distinct)
        for name, a in arrays.items()
    }


def _table(values: np.ndarray) -> ValueTable:
    distinct, counts = np.unique(values + 0.0, return_counts=True)
    return ValueTable(distinct, counts.astype(np.int64))


def _merge_all(tables: list[dict[str, ValueTable]], max_distinct: int) -> dict[str, ValueTable]:
    out: dict[str, ValueTable] = {}
    for name in tables[0]:
        parts = [t[name] for t in tables]
        values = np.concatenate([p.values for p in parts])
        counts = np.concatenate([p.counts for p in parts])
        distinct, inverse = np.unique(values, return_inverse=True)
        merged = ValueTable(
            distinct,
            np.bincount(inverse, weights=counts).astype(np.int64),
            all(p.exact for p in parts),
        )
        out[name] = _thin(merged, max_distinct)
    return out


def _thin(table: ValueTable, max_distinct: int) -> ValueTable:
    """Keeps at most ``max_distinct`` values: consecutive values are merged into groups of
    about equal count, each represented by its first value."""
    if len(table.values) <= max_distinct:
        return table
    cum = np.cumsum(table.counts)
    group = np.minimum((cum - table.counts) * max_distinct // cum[-1], max_distinct - 1)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    counts = np.add.reduceat(table.counts, starts)
    return ValueTable(table.values[starts], counts, exact=False)
