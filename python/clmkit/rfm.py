"""RFM scoring: recency, frequency and monetary scores of a customer summary.

The binning runs in clmkit's Rust core. Every method reduces to inner edges
``e_1 <= ... <= e_{bins-1}`` and one rule: a value's bin is the number of edges strictly below
it (intervals closed on the right, as in ``pd.cut``); the score is ``1 + bin`` when larger is
better and ``bins - bin`` when smaller is better (recency measured as time since the last
purchase). Equal values therefore always get equal scores and scores are monotone in the value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
import pandas as pd

from . import _core
from ._io import deliver, library_of, to_pandas
from ._validation import as_float_array, check_choice, check_int

__all__ = ["rfm_scores", "score_quantiles", "RFMScorer"]

DIMENSIONS = ("recency", "frequency", "monetary")
SCORE_COLUMNS = {"recency": "r_score", "frequency": "f_score", "monetary": "m_score"}
OUTPUT_COLUMNS = ["r_score", "f_score", "m_score", "rfm_score", "rfm_code"]
METHODS = ("quantile", "rank", "fixed")


def score_quantiles(
    values: Any,
    bins: int = 5,
    method: str = "quantile",
    ascending: bool = True,
    edges: Optional[Sequence[float]] = None,
) -> Any:
    """Score one array into ``1..bins`` (higher is better).

    Parameters
    ----------
    values : array-like or pandas.Series
        Finite real numbers.
    bins : int
        Number of scores, 2 to 10.
    method : {"quantile", "rank", "fixed"}
        ``"quantile"``: inner edges at the empirical quantiles ``k / bins`` of ``values``
        (numpy's default linear interpolation, ``np.quantile(values, np.arange(1, bins) /
        bins)``); a value's bin is the number of edges strictly below it. Equal values always
        share a score; with heavy ties edges coincide and fewer than ``bins`` distinct scores
        appear (e.g. when 52% of customers have frequency 0, the 20% and 40% edges are both 0:
        those customers all score 1 and score 2 stays empty). ``"rank"``: equal-sized groups, identical to
        ``pd.qcut(pd.Series(values).rank(method="first"), bins, labels=False) + 1`` (ties split
        by row order; pandas 3's floating-point edges are reproduced bit for bit, so even ranks
        that sit exactly on an edge agree; pandas 2 computes those edges through percentiles
        and can put such a rank one group lower; a single value scores 1 where qcut raises). ``"fixed"``: the given
        ``edges``.
    ascending : bool
        True: larger values score higher. False: smaller values score higher; the intervals
        are the same, only the labels are reversed (``bins + 1 - score``).
    edges : sequence of float, optional
        ``bins - 1`` non-decreasing finite edges, only with ``method="fixed"``.

    Returns
    -------
    numpy.ndarray of int8, or pandas.Series when ``values`` is one (same index)

    Raises
    ------
    ValueError
        NaN/inf in ``values`` (naming the first bad row), ``bins`` outside 2..10, bad ``edges``.
    TypeError
        Non-numeric values.

    Examples
    --------
    >>> import clmkit
    >>> clmkit.score_quantiles([0, 0, 0, 0, 1, 2, 5, 9], bins=4).tolist()  # edges 0, 0.5, 2.75
    [1, 1, 1, 1, 3, 3, 4, 4]
    >>> clmkit.score_quantiles([0, 0, 0, 0, 1, 2, 5, 9], bins=4, method="rank").tolist()
    [1, 1, 2, 2, 3, 3, 4, 4]
    """
    bins = check_int(bins, "bins", low=2, high=10)
    check_choice(method, "method", METHODS)
    arr = as_float_array(values, "values")
    scores: np.ndarray
    if method == "fixed":
        if edges is None:
            raise ValueError("method='fixed' needs edges: bins - 1 non-decreasing values")
        fixed = _edges_array(edges, "edges", bins)
        scores = _core.rfm_score_edges(arr, fixed, bool(ascending))
    else:
        if edges is not None:
            raise ValueError(f"edges are only used with method='fixed', not method={method!r}")
        scores = _core.rfm_score_values(arr, bins, method, bool(ascending))
    if isinstance(values, pd.Series):
        return pd.Series(scores, index=values.index, name=values.name)
    return scores


def _edges_array(edges: Any, name: str, bins: int) -> np.ndarray:
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
class _Spec:
    """Validated options shared by rfm_scores and RFMScorer."""

    bins: int
    method: str
    columns: dict  # dimension name -> column, in R, F, M order (M absent when not scored)
    ascending: dict  # dimension name -> larger is better
    weights: tuple

    @classmethod
    def build(
        cls,
        bins: Any,
        method: str,
        recency_col: str,
        frequency_col: str,
        monetary_col: Optional[str],
        weights: Any,
        recency_ascending: bool,
    ) -> _Spec:
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

    def read(self, table: Any) -> tuple[pd.Index, dict]:
        """The scored columns as validated float64 arrays, plus the table's index."""
        df = to_pandas(table)
        available = list(df.columns)
        values = {}
        for name, col in self.columns.items():
            values[name] = self._column(df, name, col, available)
        return df.index, values

    def _column(self, df: pd.DataFrame, name: str, col: str, available: list) -> np.ndarray:
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


def _assemble(index: pd.Index, scores: dict, spec: _Spec) -> pd.DataFrame:
    """The output table: scores, weighted mean score and categorical code."""
    ordered = [np.ascontiguousarray(scores[name], dtype=np.int8) for name in spec.columns]
    mean, code, labels = _core.rfm_combine(ordered, list(spec.weights), spec.bins)
    data: dict[str, Any] = {SCORE_COLUMNS[name]: s for name, s in zip(spec.columns, ordered)}
    data["rfm_score"] = mean
    data["rfm_code"] = pd.Categorical.from_codes(code, categories=labels)
    out = pd.DataFrame(data, index=index)
    out.attrs["clmkit_rfm"] = {
        "bins": spec.bins,
        "method": spec.method,
        "columns": dict(spec.columns),
    }
    return out


def rfm_scores(
    summary_or_df: Any,
    recency_col: str = "inactivity",
    frequency_col: str = "frequency",
    monetary_col: Optional[str] = "monetary_value",
    bins: int = 5,
    method: str = "quantile",
    weights: Sequence[float] = (1, 1, 1),
    edges: Optional[Mapping[str, Sequence[float]]] = None,
    recency_ascending: bool = False,
    output: Optional[str] = None,
) -> Any:
    """Recency, frequency and monetary scores of every customer.

    Parameters
    ----------
    summary_or_df : DataFrame
        A customer summary (:func:`clmkit.summarize`) or any table with the scored columns
        (pandas, polars or pyarrow).
    recency_col : str
        Time since the last purchase; smaller scores higher. The default ``"inactivity"`` is
        the summary's ``T - recency``; for a lifetimes-style summary without it, it is computed
        from ``recency`` and ``T``.
    frequency_col, monetary_col : str
        Larger scores higher. ``monetary_col=None`` scores recency and frequency only (no
        ``m_score``; codes have two characters). The summary's ``monetary_value`` is
        lifetimes' mean of the *repeat* purchases (0 for one-time buyers); pass
        ``monetary_col="total_value"`` to score total spend instead.
    bins : int
        Number of scores per dimension, 2 to 10.
    method : {"quantile", "rank", "fixed"}
        See :func:`score_quantiles`. ``"quantile"``: edges at the data's quantiles, equal
        values always score equal and, with heavy ties (e.g. many customers with frequency
        0), fewer than ``bins`` distinct scores may appear. ``"rank"``: equal-sized groups,
        ``pd.qcut(x.rank(method="first"), bins)`` (ties split by row order). ``"fixed"``: the
        ``edges`` given.
    weights : sequence of float
        Weights of R, F, M in ``rfm_score`` (the third is ignored when ``monetary_col`` is
        None); non-negative, not all zero.
    edges : dict, optional
        ``{"recency": [...], "frequency": [...], "monetary": [...]}``, ``bins - 1``
        non-decreasing edges each, only with ``method="fixed"``.
    recency_ascending : bool
        Set True when ``recency_col`` grows with recency (lifetimes' ``recency``, the age at
        the last purchase): larger values then score higher.

    output : {"pandas", "polars", "arrow", "numpy"}, optional
        Library of the returned table; by default that of the input (pandas for arrays).

    Returns
    -------
    pandas.DataFrame
        Indexed like the input: ``r_score``, ``f_score``, ``m_score`` (int8, 1..bins, higher
        is better), ``rfm_score`` (float64, weighted mean of the scores) and ``rfm_code``
        (categorical of strings such as ``"545"``; with 10 bins each score takes two digits,
        ``"100109"``). ``attrs["clmkit_rfm"]`` records ``bins`` for :func:`rfm_segments`.
        Empty input gives an empty table with these columns and dtypes.

    Raises
    ------
    ValueError
        A missing column (listing the available ones), NaN or inf in a scored column or
        negative recency/frequency (naming the column and first bad row), ``bins`` outside
        2..10, ``weights`` of the wrong length or all zero, bad ``edges``.

    Examples
    --------
    >>> import clmkit
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> summary = clmkit.summarize(log, "customer_id", "date", monetary_value_col="amount")
    >>> rfm = clmkit.rfm_scores(summary)
    >>> rfm.columns.tolist()
    ['r_score', 'f_score', 'm_score', 'rfm_score', 'rfm_code']
    >>> sorted(rfm["f_score"].unique().tolist())  # 52% never came back: they all score 1
    [1, 3, 4, 5]
    """
    spec = _Spec.build(
        bins, method, recency_col, frequency_col, monetary_col, weights, recency_ascending
    )
    if method == "fixed":
        return RFMScorer(
            bins,
            method,
            recency_col,
            frequency_col,
            monetary_col,
            weights,
            edges,
            recency_ascending,
        ).fit_transform(summary_or_df)
    if edges is not None:
        raise ValueError(f"edges are only used with method='fixed', not method={method!r}")
    index, values = spec.read(summary_or_df)
    scores = {
        name: _core.rfm_score_values(v, spec.bins, method, spec.ascending[name])
        for name, v in values.items()
    }
    return deliver(_assemble(index, scores, spec), library_of(summary_or_df), output)


class RFMScorer:
    """RFM scores with edges fitted once and re-applied to new data.

    ``fit`` computes the quantile edges of each dimension on a reference table (or takes
    fixed ``edges``); ``transform`` scores any table with those edges, so scores of later
    snapshots stay comparable with the reference. Values beyond the fitted range take the
    lowest or highest score. ``method="rank"`` is not available: rank groups depend on the
    row order of the scored table itself and cannot be re-applied.

    Parameters
    ----------
    bins, method, recency_col, frequency_col, monetary_col, weights, edges, recency_ascending
        As in :func:`rfm_scores` (``method`` is ``"quantile"`` or ``"fixed"``).

    Attributes
    ----------
    edges_ : dict of str to numpy.ndarray
        Inner edges per dimension (``"recency"``, ``"frequency"``, ``"monetary"``), in the
        units of the scored columns.

    Examples
    --------
    >>> import clmkit
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> summary = clmkit.summarize(log, "customer_id", "date", monetary_value_col="amount")
    >>> scorer = clmkit.RFMScorer(bins=5).fit(summary)
    >>> scorer.edges_["frequency"].tolist()
    [0.0, 0.0, 1.0, 3.0]
    >>> again = clmkit.RFMScorer.from_json(scorer.to_json())
    >>> bool((again.transform(summary) == scorer.transform(summary)).all().all())
    True
    """

    def __init__(
        self,
        bins: int = 5,
        method: str = "quantile",
        recency_col: str = "inactivity",
        frequency_col: str = "frequency",
        monetary_col: Optional[str] = "monetary_value",
        weights: Sequence[float] = (1, 1, 1),
        edges: Optional[Mapping[str, Sequence[float]]] = None,
        recency_ascending: bool = False,
    ) -> None:
        self.bins = bins
        self.method = method
        self.recency_col = recency_col
        self.frequency_col = frequency_col
        self.monetary_col = monetary_col
        self.weights = weights
        self.edges = edges
        self.recency_ascending = recency_ascending

    def __repr__(self) -> str:
        return (
            f"RFMScorer(bins={self.bins!r}, method={self.method!r}, "
            f"recency_col={self.recency_col!r}, frequency_col={self.frequency_col!r}, "
            f"monetary_col={self.monetary_col!r}, weights={tuple(self.weights)!r}, "
            f"recency_ascending={self.recency_ascending!r})"
        )

    def _spec(self) -> _Spec:
        spec = _Spec.build(
            self.bins,
            self.method,
            self.recency_col,
            self.frequency_col,
            self.monetary_col,
            self.weights,
            self.recency_ascending,
        )
        if spec.method == "rank":
            raise ValueError(
                "RFMScorer supports method='quantile' or 'fixed': rank groups "
                "depend on the scored table's row order and cannot be re-applied; "
                "use rfm_scores(..., method='rank') for one table"
            )
        return spec

    def fit(self, table: Any) -> RFMScorer:
        """Compute (``"quantile"``) or check (``"fixed"``) the edges of each dimension.

        Raises
        ------
        ValueError
            As :func:`rfm_scores`; also an empty table with ``method="quantile"``, and
            ``edges`` given with ``"quantile"`` or missing/unknown dimensions with ``"fixed"``.
        """
        spec = self._spec()
        if spec.method == "fixed":
            self.edges_ = self._fixed_edges(spec)
        else:
            if self.edges is not None:
                raise ValueError("edges are only used with method='fixed', not method='quantile'")
            _, values = spec.read(table)
            if len(next(iter(values.values()))) == 0:
                raise ValueError("cannot fit quantile edges on an empty table")
            self.edges_ = {
                name: _core.rfm_quantile_edges(v, spec.bins) for name, v in values.items()
            }
        self._state_json(spec)  # the Rust state validates the edges, naming the dimension
        return self

    def _fixed_edges(self, spec: _Spec) -> dict:
        if not isinstance(self.edges, Mapping):
            raise TypeError(
                "method='fixed' needs edges={'recency': [...], 'frequency': [...], "
                f"'monetary': [...]}}, got {type(self.edges).__name__}"
            )
        unknown = set(self.edges) - set(DIMENSIONS)
        missing = [name for name in spec.columns if name not in self.edges]
        if unknown or missing:
            raise ValueError(
                f"edges must have keys {list(spec.columns)}; missing {missing}, "
                f"unknown {sorted(unknown)}"
            )
        return {
            name: _edges_array(self.edges[name], f"edges[{name!r}]", spec.bins)
            for name in spec.columns
        }

    def _state_json(self, spec: _Spec) -> str:
        dims = [
            (name, spec.columns[name], spec.ascending[name], [float(e) for e in self.edges_[name]])
            for name in spec.columns
        ]
        return _core.rfm_scorer_to_json(spec.bins, spec.method, list(spec.weights), dims)

    def transform(self, table: Any) -> Any:
        """Score ``table`` with the fitted edges; output as :func:`rfm_scores`."""
        if not hasattr(self, "edges_"):
            raise ValueError("this RFMScorer is not fitted yet: call fit(table) first")
        spec = self._spec()
        index, values = spec.read(table)
        scores = {
            name: _core.rfm_score_edges(v, self.edges_[name], spec.ascending[name])
            for name, v in values.items()
        }
        return deliver(_assemble(index, scores, spec), library_of(table))

    def fit_transform(self, table: Any) -> pd.DataFrame:
        """``fit(table).transform(table)``."""
        return self.fit(table).transform(table)

    def to_json(self) -> str:
        """The fitted scorer as a versioned JSON document (``clmkit.RFMScorer`` version 1)."""
        if not hasattr(self, "edges_"):
            raise ValueError("this RFMScorer is not fitted yet: call fit(table) first")
        return self._state_json(self._spec())

    @classmethod
    def from_json(cls, text: str) -> RFMScorer:
        """Rebuild a fitted scorer from :meth:`to_json` output (validated)."""
        if not isinstance(text, str):
            raise TypeError(f"from_json needs a str, got {type(text).__name__}")
        state: dict[str, Any] = _core.rfm_scorer_from_json(text)
        dims = {
            name: (column, ascending, np.asarray(edges, dtype=np.float64))
            for name, column, ascending, edges in state["dimensions"]
        }
        if list(dims)[:2] != ["recency", "frequency"] or set(dims) - set(DIMENSIONS):
            raise ValueError(
                f"scorer JSON must hold recency, frequency[, monetary], got {list(dims)}"
            )
        scorer = cls(
            bins=state["bins"],
            method=state["method"],
            recency_col=dims["recency"][0],
            frequency_col=dims["frequency"][0],
            monetary_col=dims["monetary"][0] if "monetary" in dims else None,
            weights=tuple(state["weights"]),
            recency_ascending=dims["recency"][1],
        )
        if scorer.method == "fixed":
            scorer.edges = {name: d[2].tolist() for name, d in dims.items()}
        scorer.edges_ = {name: d[2] for name, d in dims.items()}
        return scorer
