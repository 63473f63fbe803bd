"""The options shared by :func:`~clmkit.rfm.rfm_scores` and :class:`~clmkit.rfm.RFMScorer`
(validated once), the scored columns they read and the score table they build."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Optional, Union

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import _core
from .._keyed import keyed_frame
from .._validation import as_float_array, check_choice, check_int

__all__ = ["DIMENSIONS", "METHODS", "ScoreSpec", "assemble_scores", "edges_array"]

FloatArray = npt.NDArray[np.float64]
ScoreArray = npt.NDArray[np.int8]
#: What the scoring functions take: a 1-D array-like of real numbers or a pandas Series.
Values = Union[npt.ArrayLike, "pd.Series[float]"]

DIMENSIONS = ("recency", "frequency", "monetary")
SCORE_COLUMNS = {"recency": "r_score", "frequency": "f_score", "monetary": "m_score"}
OUTPUT_COLUMNS = ["r_score", "f_score", "m_score", "rfm_score", "rfm_code"]
METHODS = ("quantile", "rank", "fixed")


def edges_array(edges: npt.ArrayLike, name: str, bins: int) -> FloatArray:
    arr = as_float_array(edges, name)
    if len(arr) != bins - 1:
        raise ValueError(f"{name} must have bins - 1 = {bins - 1} values, got {len(arr)}")
    bad = np.flatnonzero(np.diff(arr) < 0)
    if len(bad):
        raise ValueError(
            f"{name}: row {bad[0] + 1} has invalid value {arr[bad[0] + 1]!r} "
            "(edges must be non-decreasing)"
        )
    return arr


@dataclass(frozen=True)
class ScoreSpec:
    """Validated options shared by rfm_scores and RFMScorer."""

    bins: int
    method: str
    columns: dict[str, str]  # dimension -> column, in R, F, M order (M absent when not scored)
    ascending: dict[str, bool]  # dimension name -> larger is better
    weights: tuple[float, ...]

    @classmethod
    def build(
        cls,
        bins: int,
        method: str,
        recency_col: str,
        frequency_col: str,
        monetary_col: Optional[str],
        weights: Sequence[float],
        recency_ascending: bool,
    ) -> ScoreSpec:
        bins = check_int(bins, "bins", low=2, high=10)
        check_choice(method, "method", METHODS)
        columns = {"recency": recency_col, "frequency": frequency_col}
        if monetary_col is not None:
            columns["monetary"] = monetary_col
        w = as_float_array(weights, "weights", nonnegative=True)
        if len(w) == 3 and monetary_col is None:
            w = w[:2]
        if len(w) != len(columns):
            raise ValueError(
                f"weights must have one value per scored dimension "
                f"({', '.join(columns)}): expected {len(columns)}, got {len(w)}"
            )
        if not (w > 0).any():
            raise ValueError(f"weights must not all be zero, got {tuple(w.tolist())}")
        ascending = {"recency": bool(recency_ascending), "frequency": True, "monetary": True}
        return cls(bins, method, columns, ascending, tuple(w.tolist()))

    def read(
        self, table: object, customer_id_col: Optional[str] = None
    ) -> tuple[pd.Index, dict[str, FloatArray], str]:
        """The scored columns as float64 arrays, the customer index and the caller's library."""
        used = [*self.columns.values(), "recency", "T"]
        df, library = keyed_frame(table, customer_id_col, used)
        available = [str(c) for c in df.columns]
        values = {}
        for name, col in self.columns.items():
            values[name] = self._column(df, name, col, available)
        return df.index, values, library

    def _column(self, df: pd.DataFrame, name: str, col: str, available: list[str]) -> FloatArray:
        arg = {"recency": "recency_col", "frequency": "frequency_col", "monetary": "monetary_col"}[
            name
        ]
        nonnegative = name != "monetary"
        if col in df.columns:
            return as_float_array(df[col], col, nonnegative=nonnegative)
        if name == "recency" and col == "inactivity" and {"recency", "T"} <= set(available):
            # A lifetimes-style summary: inactivity (time since the last purchase) is T - recency.
            recency = as_float_array(df["recency"], "recency", nonnegative=True)
            t = as_float_array(df["T"], "T", nonnegative=True)
            return as_float_array(
                pd.Series(t - recency, index=df.index), "inactivity = T - recency", nonnegative=True
            )
        hint = (
            "; pass monetary_col=None to score recency and frequency only"
            if name == "monetary"
            else ""
        )
        raise ValueError(f"{arg}={col!r} is not a column; available columns: {available}{hint}")


def assemble_scores(
    index: pd.Index, scores: Mapping[str, ScoreArray], spec: ScoreSpec
) -> pd.DataFrame:
    """The output table: scores, weighted mean score and categorical code."""
    ordered = [np.ascontiguousarray(scores[name], dtype=np.int8) for name in spec.columns]
    mean, code, labels = _core.rfm_combine(ordered, list(spec.weights), spec.bins)
    data: dict[str, object] = {SCORE_COLUMNS[name]: s for name, s in zip(spec.columns, ordered)}
    data["rfm_score"] = mean
    data["rfm_code"] = pd.Categorical.from_codes(code, categories=pd.Index(labels))
    out: pd.DataFrame = pd.DataFrame(data, index=index)
    out.attrs["clmkit_rfm"] = {
        "bins": spec.bins,
        "method": spec.method,
        "columns": dict(spec.columns),
    }
    return out
