"""Named RFM segments, the segment summary a marketer reads, and ABC classes.

Segment lookup and ABC classes run in clmkit's Rust core: a scheme is compiled into a table
with one segment per cell of the score grid (which proves it covers every cell exactly
once), then each customer is a single table lookup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal, Optional, Union, overload

import numpy as np
import pandas as pd

from .. import _core
from .._io import Output, deliver, to_pandas
from .._keyed import CallerFrame, keyed_frame
from .._typing import NumpyTable
from .._validation import as_float_array, check_int, require_columns
from ..exceptions import InvalidValueError, with_row_label

if TYPE_CHECKING:
    import polars as pl

    from .._typing import PolarsFrame

#: The segment in the caller's library: a pandas Series, or a table of another library.
CallerFrameOrSeries = Union[CallerFrame, "pd.Series[str]"]

__all__ = ["rfm_segments", "segment_summary", "STANDARD_SCHEME"]

Range = Union[int, Sequence[int]]
Scheme = Mapping[str, Mapping[str, Range]]
#: A rule as the Rust grid takes it: (name, R range, F range, M range); None matches all.
Rule = tuple[str, Optional[tuple[int, int]], Optional[tuple[int, int]], Optional[tuple[int, int]]]

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


def _range(value: object, where: str) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), int(value)
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        lo, hi = value
        if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (lo, hi)):
            return int(lo), int(hi)
    raise TypeError(f"{where} must be a score or a (low, high) pair of integers, got {value!r}")


def _rules(scheme: Scheme) -> list[Rule]:
    """Scheme mapping -> (name, R range, F range, M range) rules for the Rust grid."""
    if not isinstance(scheme, Mapping) or not scheme:
        raise TypeError(
            "scheme must be 'standard' or a non-empty mapping "
            "name -> {'r': (low, high), 'f': (low, high)[, 'm': (low, high)]}"
        )
    rules: list[Rule] = []
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
        r, f, m = (
            _range(rule[d], f"segment {name!r} {d!r}") if d in rule else None
            for d in _SCORE_COLUMNS
        )
        rules.append((str(name), r, f, m))
    return rules


# pandas gives the segment as a categorical Series indexed by customer; other libraries
# have no Series: a one-column table.
@overload
def rfm_segments(
    rfm: pd.DataFrame,
    scheme: Union[str, Scheme] = ...,
    bins: Optional[int] = ...,
    output: Optional[Literal["pandas"]] = ...,
    customer_id_col: Optional[str] = ...,
) -> pd.Series[str]: ...


@overload
def rfm_segments(
    rfm: PolarsFrame,
    scheme: Union[str, Scheme] = ...,
    bins: Optional[int] = ...,
    output: Optional[Literal["polars"]] = ...,
    customer_id_col: Optional[str] = ...,
) -> pl.DataFrame: ...


@overload
def rfm_segments(
    rfm: object,
    scheme: Union[str, Scheme] = ...,
    bins: Optional[int] = ...,
    *,
    output: Literal["pandas"],
    customer_id_col: Optional[str] = ...,
) -> pd.Series[str]: ...


@overload
def rfm_segments(
    rfm: object,
    scheme: Union[str, Scheme] = ...,
    bins: Optional[int] = ...,
    *,
    output: Literal["polars"],
    customer_id_col: Optional[str] = ...,
) -> pl.DataFrame: ...


@overload
def rfm_segments(
    rfm: object,
    scheme: Union[str, Scheme] = ...,
    bins: Optional[int] = ...,
    *,
    output: Literal["numpy"],
    customer_id_col: Optional[str] = ...,
) -> NumpyTable: ...


@overload
def rfm_segments(
    rfm: object,
    scheme: Union[str, Scheme] = ...,
    bins: Optional[int] = ...,
    output: Optional[Output] = ...,
    customer_id_col: Optional[str] = ...,
) -> CallerFrameOrSeries: ...


def rfm_segments(
    rfm: object,
    scheme: Union[str, Scheme] = "standard",
    bins: Optional[int] = None,
    output: Optional[Output] = None,
    customer_id_col: Optional[str] = None,
) -> CallerFrameOrSeries:
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
        matches every score, a single integer is a one-score range; a segment with no key
        matches everyone, so ``{"Everyone": {}}`` is a valid one-segment scheme); it must
        cover every score combination of the dimensions it uses exactly once.
    bins : int, optional
        Score range 1..bins of a custom scheme; default: the ``bins`` recorded by
        :func:`clmkit.rfm_scores`, else 5.
    output : {"pandas", "polars", "arrow", "numpy"}, optional
        Library of the result; by default that of ``rfm``.
    customer_id_col : str, optional
        Column holding the customer id; by default the index of a pandas table, the first
        column of a polars / Arrow table (where :func:`clmkit.rfm_scores` puts it).

    Returns
    -------
    pandas.Series or DataFrame
        pandas: a categorical Series (categories in scheme order) named ``"rfm_segment"``,
        indexed like ``rfm``. polars / Arrow (which have no index): a two-column table, the
        customer id then ``rfm_segment`` (a polars ``Categorical``), so the segment stays
        joined to its customer.

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
    df, library = keyed_frame(rfm, customer_id_col, list(_SCORE_COLUMNS.values()))
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
    # Types only here; whole numbers in 1..bins are checked once, in Rust.
    scores = {
        d: as_float_array(df[_SCORE_COLUMNS[d]], _SCORE_COLUMNS[d], finite=False) for d in used
    }
    try:
        codes = _core.rfm_segment_lookup(
            rules, grid_bins, len(df), scores.get("r"), scores.get("f"), scores.get("m")
        )
    except InvalidValueError as err:
        raise with_row_label(err, df.index) from None
    names = [r[0] for r in rules]
    segment: pd.Series[str] = pd.Series(
        pd.Categorical.from_codes(codes, categories=pd.Index(names)),
        index=df.index,
        name="rfm_segment",
    )
    if (output or library) == "pandas":
        return segment
    return deliver(segment.to_frame(), library, output)


def segment_summary(
    table: object, segment_col: str = "rfm_segment", value_col: Optional[str] = None
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
    for name, col in scores.items():
        data[name] = as_float_array(df[col], col)
    grouped = data.groupby("segment", observed=False, sort=True)
    out: pd.DataFrame = pd.DataFrame({"customers": grouped.size().astype(np.int64)})
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
