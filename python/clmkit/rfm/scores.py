"""RFM scoring: recency, frequency and monetary scores of a customer summary.

The binning runs in clmkit's Rust core. Every method reduces to inner edges
``e_1 <= ... <= e_{bins-1}`` and one rule: a value's bin is the number of edges strictly below
it (intervals closed on the right, as in ``pd.cut``); the score is ``1 + bin`` when larger is
better and ``bins - bin`` when smaller is better (recency measured as time since the last
purchase). Equal values therefore always get equal scores and scores are monotone in the value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal, Optional, Union, overload

import pandas as pd

from .. import _core
from .._io import Output, deliver
from .._keyed import CallerFrame
from .._typing import NumpyTable
from .._validation import as_float_array, check_choice, check_int
from .scorer import RFMScorer
from .spec import DIMENSIONS, METHODS, ScoreArray, ScoreSpec, Values, assemble_scores, edges_array

if TYPE_CHECKING:
    import polars as pl

    from .._typing import PolarsFrame

__all__ = ["rfm_scores", "score_quantiles", "DIMENSIONS", "METHODS"]


def score_quantiles(
    values: Values,
    bins: int = 5,
    method: str = "quantile",
    ascending: bool = True,
    edges: Optional[Sequence[float]] = None,
) -> Union[ScoreArray, pd.Series[int]]:
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
    scores: ScoreArray
    if method == "fixed":
        if edges is None:
            raise ValueError("method='fixed' needs edges: bins - 1 non-decreasing values")
        fixed = edges_array(edges, "edges", bins)
        scores = _core.rfm_score_edges(arr, fixed, bool(ascending))
    else:
        if edges is not None:
            raise ValueError(f"edges are only used with method='fixed', not method={method!r}")
        scores = _core.rfm_score_values(arr, bins, method, bool(ascending))
    if isinstance(values, pd.Series):
        out: pd.Series[int] = pd.Series(scores, index=values.index, name=values.name)
        return out
    return scores


@overload
def rfm_scores(
    summary_or_df: pd.DataFrame,
    recency_col: str = ...,
    frequency_col: str = ...,
    monetary_col: Optional[str] = ...,
    bins: int = ...,
    method: str = ...,
    weights: Sequence[float] = ...,
    edges: Optional[Mapping[str, Sequence[float]]] = ...,
    recency_ascending: bool = ...,
    output: Optional[Literal["pandas"]] = ...,
    customer_id_col: Optional[str] = ...,
) -> pd.DataFrame: ...


@overload
def rfm_scores(
    summary_or_df: PolarsFrame,
    recency_col: str = ...,
    frequency_col: str = ...,
    monetary_col: Optional[str] = ...,
    bins: int = ...,
    method: str = ...,
    weights: Sequence[float] = ...,
    edges: Optional[Mapping[str, Sequence[float]]] = ...,
    recency_ascending: bool = ...,
    output: Optional[Literal["polars"]] = ...,
    customer_id_col: Optional[str] = ...,
) -> pl.DataFrame: ...


@overload
def rfm_scores(
    summary_or_df: object,
    recency_col: str = ...,
    frequency_col: str = ...,
    monetary_col: Optional[str] = ...,
    bins: int = ...,
    method: str = ...,
    weights: Sequence[float] = ...,
    edges: Optional[Mapping[str, Sequence[float]]] = ...,
    recency_ascending: bool = ...,
    *,
    output: Literal["pandas"],
    customer_id_col: Optional[str] = ...,
) -> pd.DataFrame: ...


@overload
def rfm_scores(
    summary_or_df: object,
    recency_col: str = ...,
    frequency_col: str = ...,
    monetary_col: Optional[str] = ...,
    bins: int = ...,
    method: str = ...,
    weights: Sequence[float] = ...,
    edges: Optional[Mapping[str, Sequence[float]]] = ...,
    recency_ascending: bool = ...,
    *,
    output: Literal["polars"],
    customer_id_col: Optional[str] = ...,
) -> pl.DataFrame: ...


@overload
def rfm_scores(
    summary_or_df: object,
    recency_col: str = ...,
    frequency_col: str = ...,
    monetary_col: Optional[str] = ...,
    bins: int = ...,
    method: str = ...,
    weights: Sequence[float] = ...,
    edges: Optional[Mapping[str, Sequence[float]]] = ...,
    recency_ascending: bool = ...,
    *,
    output: Literal["numpy"],
    customer_id_col: Optional[str] = ...,
) -> NumpyTable: ...


@overload
def rfm_scores(
    summary_or_df: object,
    recency_col: str = ...,
    frequency_col: str = ...,
    monetary_col: Optional[str] = ...,
    bins: int = ...,
    method: str = ...,
    weights: Sequence[float] = ...,
    edges: Optional[Mapping[str, Sequence[float]]] = ...,
    recency_ascending: bool = ...,
    output: Optional[Output] = ...,
    customer_id_col: Optional[str] = ...,
) -> CallerFrame: ...


def rfm_scores(
    summary_or_df: object,
    recency_col: str = "inactivity",
    frequency_col: str = "frequency",
    monetary_col: Optional[str] = "monetary_value",
    bins: int = 5,
    method: str = "quantile",
    weights: Sequence[float] = (1, 1, 1),
    edges: Optional[Mapping[str, Sequence[float]]] = None,
    recency_ascending: bool = False,
    output: Optional[Output] = None,
    customer_id_col: Optional[str] = None,
) -> CallerFrame:
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
    customer_id_col : str, optional
        Column holding the customer id. Default: the index of a pandas table; the first
        column of a polars / Arrow table (where :func:`clmkit.summarize` puts the id) unless
        it is a scored column.

    Returns
    -------
    DataFrame
        In the input's library. pandas: indexed like the input (or by ``customer_id_col``);
        polars / Arrow: the customer id as the first column. Columns ``r_score``, ``f_score``, ``m_score`` (int8, 1..bins, higher
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
    spec = ScoreSpec.build(
        bins, method, recency_col, frequency_col, monetary_col, weights, recency_ascending
    )
    if method == "fixed":
        scorer = RFMScorer(
            bins,
            method,
            recency_col,
            frequency_col,
            monetary_col,
            weights,
            edges,
            recency_ascending,
        )
        return scorer.fit(summary_or_df, customer_id_col=customer_id_col).transform(
            summary_or_df, output=output, customer_id_col=customer_id_col
        )
    if edges is not None:
        raise ValueError(f"edges are only used with method='fixed', not method={method!r}")
    index, values, library = spec.read(summary_or_df, customer_id_col)
    scores = {
        name: _core.rfm_score_values(v, spec.bins, method, spec.ascending[name])
        for name, v in values.items()
    }
    return deliver(assemble_scores(index, scores, spec), library, output)
