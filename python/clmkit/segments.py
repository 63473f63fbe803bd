"""Named RFM segments, the segment summary a marketer reads, and ABC classes.

Segment lookup and ABC classes run in clmkit's Rust core: a scheme is compiled into a table
with one segment per cell of the score grid (which proves it covers every cell exactly
once), then each customer is a single table lookup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

import numpy as np
import pandas as pd

from . import _core
from ._io import to_pandas
from ._validation import as_float_array, check_int, require_columns

__all__ = ["rfm_segments", "segment_summary", "abc_classes", "STANDARD_SCHEME"]

Range = Union[int, Sequence[int]]

#: The classic 11 segments on (R, F) scores with 5 bins; M does not enter.
STANDARD_SCHEME: dict[str, dict[str, tuple[int, int]]] = {
    "Champions": {"r": (5, 5), "f": (4, 5)},
    "Loyal Customers": {"r": (3, 4), "f": (4, 5)},
    "Potential Loyalists": {"r": (4, 5), "f": (2, 3)},
    "New Customers": {"r": (5, 5), "f": (1, 1)},
    "Promising": {"r": (4, 4), "f": (1, 1)},
    "Need Attention": {"r": (3, 3), "f": (3, 3)},
    "About to Sleep": {"r": (3, 3), "f": (1, 2)},
    "At Risk": {"r": (1, 2), "f": (3, 4)},
    "Can't Lose Them": {"r": (1, 2), "f": (5, 5)},
    "Hibernating": {"r": (2, 2), "f": (1, 2)},
    "Lost": {"r": (1, 1), "f": (1, 2)},
}
_SCHEMES = {"standard": (STANDARD_SCHEME, 5)}
_SCORE_COLUMNS = {"r": "r_score", "f": "f_score", "m": "m_score"}


def _range(value: Any, where: str) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), int(value)
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        lo, hi = value
        if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (lo, hi)):
            return int(lo), int(hi)
    raise TypeError(f"{where} must be a score or a (low, high) pair of integers, got {value!r}")


def _rules(scheme: Mapping[str, Mapping[str, Range]]) -> list:
    """Scheme mapping -> (name, R range, F range, M range) rules for the Rust grid."""
    if not isinstance(scheme, Mapping) or not scheme:
        raise TypeError(
            "scheme must be 'standard' or a non-empty mapping "
            "name -> {'r': (low, high), 'f': (low, high)[, 'm': (low, high)]}"
        )
    rules = []
    for name, rule in scheme.items():
        if not isinstance(rule, Mapping):
            raise TypeError(
                f"segment {name!r}: rule must be a mapping like {{'r': (4, 5)}}, got {rule!r}"
            )
        unknown = set(rule) - set(_SCORE_COLUMNS)
        if unknown:
            raise ValueError(
                f"segment {name!r}: unknown score keys {sorted(unknown)} (use 'r', 'f', 'm')"
            )
        ranges = [
            _range(rule[d], f"segment {name!r} {d!r}") if d in rule else None
            for d in _SCORE_COLUMNS
        ]
        rules.append((str(name), *ranges))
    return rules


def rfm_segments(
    rfm: Any,
    scheme: Union[str, Mapping[str, Mapping[str, Range]]] = "standard",
    bins: Optional[int] = None,
) -> pd.Series:
    """Named segment of every customer from its RFM scores.

    Parameters
    ----------
    rfm : DataFrame
        Output of :func:`clmkit.rfm_scores` (or any table with ``r_score``, ``f_score`` and,
        if the scheme uses it, ``m_score``).
    scheme : "standard" or mapping
        ``"standard"`` is :data:`STANDARD_SCHEME`, the 11 classic segments on (R, F) with 5
        bins: Champions (R5, F4-5), Loyal Customers (R3-4, F4-5), Potential Loyalists (R4-5,
        F2-3), New Customers (R5, F1), Promising (R4, F1), Need Attention (R3, F3), About to
        Sleep (R3, F1-2), At Risk (R1-2, F3-4), Can't Lose Them (R1-2, F5), Hibernating (R2,
        F1-2), Lost (R1, F1-2). A custom scheme maps each segment name to inclusive score
        ranges, ``{"VIP": {"r": (4, 5), "f": (4, 5), "m": (5, 5)}, ...}`` (a key left out
        matches every score, a single integer is a one-score range); it must cover every
        score combination of the dimensions it uses exactly once.
    bins : int, optional
        Score range 1..bins of a custom scheme; default: the ``bins`` recorded by
        :func:`clmkit.rfm_scores`, else 5.

    Returns
    -------
    pandas.Series
        Categorical (categories in scheme order), named ``"rfm_segment"``, indexed like
        ``rfm``.

    Raises
    ------
    ValueError
        A scheme that leaves cells uncovered or covers them twice (the message lists the
        cells, e.g. ``R1F3``), ranges outside 1..bins, scores that are not whole numbers in
        1..bins (naming the column and first bad row), or the standard scheme on scores with
        other than 5 bins.
    TypeError
        A malformed scheme.

    Examples
    --------
    >>> import clmkit
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> summary = clmkit.summarize(log, "customer_id", "date", monetary_value_col="amount")
    >>> seg = clmkit.rfm_segments(clmkit.rfm_scores(summary))
    >>> len(seg.cat.categories), seg.index.equals(summary.index)
    (11, True)
    """
    df = to_pandas(rfm)
    recorded = df.attrs.get("clmkit_rfm", {}).get("bins")
    mapping: Mapping[str, Mapping[str, Range]]
    if isinstance(scheme, str):
        if scheme not in _SCHEMES:
            raise ValueError(f"scheme must be one of {list(_SCHEMES)} or a mapping, got {scheme!r}")
        mapping, grid_bins = _SCHEMES[scheme]
        if (bins is not None and bins != grid_bins) or (
            recorded is not None and recorded != grid_bins
        ):
            raise ValueError(
                f"the {scheme!r} scheme is defined on {grid_bins} bins; these scores "
                f"use {bins or recorded}: pass a custom scheme"
            )
    else:
        mapping = scheme
        grid_bins = check_int(bins if bins is not None else recorded or 5, "bins", low=2, high=10)
    rules = _rules(mapping)
    used = [d for i, d in enumerate(_SCORE_COLUMNS) if any(r[1 + i] is not None for r in rules)]
    for d in used:
        if _SCORE_COLUMNS[d] not in df.columns:
            raise ValueError(
                f"rfm has no column {_SCORE_COLUMNS[d]!r}, which the scheme uses; "
                f"available columns: {list(df.columns)}"
            )
    scores = {d: as_float_array(df[_SCORE_COLUMNS[d]], _SCORE_COLUMNS[d]) for d in used}
    codes = _core.rfm_segment_lookup(
        rules, grid_bins, scores.get("r"), scores.get("f"), scores.get("m")
    )
    names = [r[0] for r in rules]
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=names), index=df.index, name="rfm_segment"
    )


def segment_summary(
    table: Any, segment_col: str = "rfm_segment", value_col: Optional[str] = None
) -> pd.DataFrame:
    """Per-segment counts, shares and mean scores: the table a marketer reads.

    Parameters
    ----------
    table : DataFrame
        One row per customer with ``segment_col`` and, optionally, ``r_score``/``f_score``/
        ``m_score`` and a value column (e.g. the RFM scores joined to the summary).
    segment_col : str
        Segment labels (categorical segments keep their order and their empty segments).
    value_col : str, optional
        Customer value for the value shares; default ``"total_value"`` when the table has it,
        else no value columns.

    Returns
    -------
    pandas.DataFrame
        Indexed by segment: ``customers``, ``share_customers``, and with a value column
        ``value`` (sum), ``share_value``, ``mean_value``; ``mean_r``, ``mean_f``, ``mean_m``
        for the score columns present (NaN for empty segments).

    Raises
    ------
    ValueError
        Missing columns (listing the available ones); NaN/inf values (naming the first bad
        row).

    Examples
    --------
    >>> import clmkit
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> summary = clmkit.summarize(log, "customer_id", "date", monetary_value_col="amount")
    >>> rfm = clmkit.rfm_scores(summary)
    >>> rfm["rfm_segment"] = clmkit.rfm_segments(rfm)
    >>> table = clmkit.segment_summary(rfm.join(summary["total_value"]))
    >>> int(table["customers"].sum()), round(float(table["share_value"].sum()), 6)
    (2357, 1.0)
    """
    df = to_pandas(table)
    if value_col is None and "total_value" in df.columns:
        value_col = "total_value"
    require_columns(list(df.columns), {"segment_col": segment_col, "value_col": value_col})
    # Positional (RangeIndex) frame: the caller's index may hold duplicates.
    data = pd.DataFrame({"segment": df[segment_col].array})
    if value_col is not None:
        data["value"] = as_float_array(df[value_col], value_col)
    scores = {f"mean_{c[0]}": c for c in ("r_score", "f_score", "m_score") if c in df.columns}
    for out, col in scores.items():
        data[out] = as_float_array(df[col], col)
    grouped = data.groupby("segment", observed=False, sort=True)
    out = pd.DataFrame({"customers": grouped.size().astype(np.int64)})
    out["share_customers"] = out["customers"] / max(len(df), 1)
    if value_col is not None:
        value = grouped["value"].sum()
        total = float(data["value"].sum())
        out["value"] = value
        out["share_value"] = value / total if total != 0 else np.nan
        out["mean_value"] = grouped["value"].mean()
    for col in scores:
        out[col] = grouped[col].mean()
    out.index.name = segment_col
    return out


def abc_classes(values: Any, cutoffs: Sequence[float] = (0.8, 0.95)) -> Any:
    """ABC class of every customer by cumulative share of value.

    Customers are ordered by value, largest first. A customer's class is decided by the share
    of the total held by customers with a strictly larger value: A if it is below
    ``cutoffs[0]``, else B if below ``cutoffs[1]``, else C. So class A is exactly the
    customers with some of their value inside the first 80% (the one who crosses 80% is A),
    customers with equal values always share a class, whatever their order (a group of ties
    straddling a cutoff goes wholly to the better class), and customers with zero value are
    C. The total is summed in descending order, as ``np.cumsum`` over the sorted values.

    Parameters
    ----------
    values : array-like or pandas.Series
        Non-negative finite values (e.g. ``total_value``; clip returns to 0 first).
    cutoffs : (float, float)
        Cumulative shares ``0 < a < b <= 1`` closing classes A and B.

    Returns
    -------
    pandas.Categorical (ordered A < B < C), or a categorical Series named ``"abc_class"``
    with the same index when ``values`` is a Series.

    Raises
    ------
    ValueError
        NaN, inf or negative values (naming the first bad row); cutoffs not ``0 < a < b <= 1``.

    Examples
    --------
    >>> import clmkit
    >>> clmkit.abc_classes([5, 50, 10, 30, 5, 0]).tolist()
    ['B', 'A', 'B', 'A', 'B', 'C']
    """
    arr = as_float_array(values, "values", nonnegative=True)
    cuts = as_float_array(cutoffs, "cutoffs")
    if len(cuts) != 2:
        raise ValueError(f"cutoffs must be two shares (a, b), got {len(cuts)} values")
    codes = _core.rfm_abc_classes(arr, float(cuts[0]), float(cuts[1]))
    classes = pd.Categorical.from_codes(codes, categories=["A", "B", "C"], ordered=True)
    if isinstance(values, pd.Series):
        return pd.Series(classes, index=values.index, name="abc_class")
    return classes
