"""What the two distributed-likelihood fits share (``_likelihood``: plain, ``_covariate_
likelihood``: with covariates): the options and time scale of the fit, the partitions
compressed to patterns with counts, one Dask pass that sums every partition's result in a
tree, the in-memory fit on a sample that starts the Newton iteration, and the pieces of the
saved state. Each fit keeps only its objective and how it drives the core's Newton."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Optional, TypeVar, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import _core
from .._validation import check_int, check_positive_float
from ..btyd._base import BTYDFitter
from ..summary.units import TimeUnit
from ._partitions import compute, dd, delayed, map_partitions, to_delayed

if TYPE_CHECKING:
    from ._fit import PatternStats

__all__ = [
    "COUNT",
    "MAX_ITER",
    "STATUS",
    "FitSetup",
    "compress_partitions",
    "float_columns",
    "json_floats",
    "one_pass",
    "sample_rows",
    "unit_json",
]

FloatArray = npt.NDArray[np.float64]
#: A partition's result, summed over partitions by :func:`one_pass`.
R = TypeVar("R")

#: Pattern counts and row status columns of the validated rows (``_fit``).
COUNT = "__clmkit_count"
STATUS = "__clmkit_status"
#: Newton passes over the data at most (each is one Dask pass).
MAX_ITER = 100
#: Fan-in of the tree that sums the partitions' results.
_FAN_IN = 8


class FitSetup:
    """The checked options of a distributed fit and the time scale of its data: times are
    divided by the largest T (``scale``), as the in-memory fit does (``src/btyd/mod.rs``)."""

    def __init__(self, model: BTYDFitter, stats: PatternStats) -> None:
        self.penalizer = check_positive_float(model.penalizer, "penalizer", allow_zero=True)
        self.tol = check_positive_float(model.tol, "tol")
        self.max_iter = check_int(model.max_iter, "max_iter", low=1)
        self.layout = _core.btyd_model_layout(model._model_kind)
        self.powers: FloatArray = np.array(self.layout[4], dtype=np.float64)
        self.n = float(stats["n"])
        maxima = stats["max"]
        if self.n <= 0 or maxima is None:
            raise ValueError("no customers to fit (empty data)")
        scale_col = self.layout[3]
        scale = float(maxima[scale_col]) if scale_col is not None else 1.0
        self.scale = scale if scale > 0 else 1.0


def compress_partitions(rows: dd.DataFrame, names: list[str]) -> dd.DataFrame:
    """Per partition, the distinct (used) data rows with their counts (-0.0 folded into 0.0
    as the Rust compression does)."""
    meta = pd.DataFrame(
        {**{n: pd.Series(dtype="float64") for n in names}, COUNT: pd.Series(dtype="float64")}
    )
    return map_partitions(rows, _partition_patterns, names, meta=meta)


def _partition_patterns(rows: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    used = rows.loc[rows[STATUS].to_numpy() == 1, names] + 0.0
    table = used.groupby(names, sort=False).size().rename(COUNT).reset_index()
    return cast(pd.DataFrame, table.astype({COUNT: "float64"}))


def one_pass(
    patterns: dd.DataFrame,
    per_partition: Callable[[pd.DataFrame], R],
    add: Callable[[Sequence[R]], R],
) -> R:
    """``per_partition`` of every partition of ``patterns``, summed by ``add`` in a tree of
    fan-in 8, in ONE Dask pass (the client receives one total)."""
    chunks = [delayed(per_partition)(p) for p in to_delayed(patterns)]
    while len(chunks) > 1:
        chunks = [delayed(add)(chunks[i : i + _FAN_IN]) for i in range(0, len(chunks), _FAN_IN)]
    (total,) = compute(chunks[0])
    return cast(R, total)


def float_columns(frame: pd.DataFrame, names: Sequence[str]) -> list[FloatArray]:
    """Columns as aligned, C-contiguous float64 arrays (what the core's kernels take)."""
    return [np.require(frame[n].to_numpy(dtype=np.float64), np.float64, ["C", "A"]) for n in names]


def sample_rows(rows: dd.DataFrame, n: float, size: int = 20_000) -> pd.DataFrame:
    """The used rows of a random sample of about ``size`` of the ``n`` rows (same sample
    every run): the data of the in-memory fit that starts the Newton iteration."""
    (sample,) = compute(rows.sample(frac=min(1.0, size / n), random_state=0))  # type: ignore[no-untyped-call]
    frame = cast(pd.DataFrame, sample)
    return cast(pd.DataFrame, frame[frame[STATUS].to_numpy() == 1])


def json_floats(values: npt.ArrayLike) -> list[Optional[float]]:
    """Floats for the saved state (non-finite values as null)."""
    return [float(v) if math.isfinite(v) else None for v in np.ravel(values)]


def unit_json(unit: Optional[TimeUnit]) -> Optional[dict[str, object]]:
    return None if unit is None else {"freq": unit.freq, "multiplier": float(unit.multiplier)}
