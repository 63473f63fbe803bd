"""assign_stages: every customer's lifecycle stage from a summary (rules in Rust).

The rules and their precedence are documented in :class:`StageScheme`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal, Optional, Union, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import _core
from .._io import Output, deliver
from .._keyed import CallerFrame, keyed_frame
from .._typing import NumpyTable
from .._validation import as_float_array, require_columns
from ..exceptions import ClmkitWarning, InvalidValueError, with_row_label
from ..summary.units import time_unit_of
from .reasons import reason_texts
from .scheme import StageScheme
from .scheme_values import repeats_of

if TYPE_CHECKING:
    import polars as pl

    from .._typing import PolarsFrame

#: The stage in the caller's library: a pandas Series, or a table of another library.
CallerFrameOrSeries = Union[CallerFrame, "pd.Series[str]"]

__all__ = ["assign_stages"]

SchemeLike = Union[StageScheme, str, None]
FloatArray = npt.NDArray[np.float64]
Codes = npt.NDArray[np.int32]
_USED = ("frequency", "recency", "T", "n_periods", "gap_before_last")


# pandas gives the stage as a categorical Series of labels indexed by customer, or with return_reason=True a frame with its reason;
# other libraries have no Series: a one-column table (two with the reason).
@overload
def assign_stages(
    summary: pd.DataFrame,
    p_alive: Optional[npt.ArrayLike] = ...,
    scheme: SchemeLike = ...,
    customers: Optional[Iterable[object]] = ...,
    return_reason: Literal[False] = ...,
    output: Optional[Literal["pandas"]] = ...,
    customer_id_col: Optional[str] = ...,
) -> pd.Series[str]: ...


@overload
def assign_stages(
    summary: pd.DataFrame,
    p_alive: Optional[npt.ArrayLike] = ...,
    scheme: SchemeLike = ...,
    customers: Optional[Iterable[object]] = ...,
    *,
    return_reason: Literal[True],
    output: Optional[Literal["pandas"]] = ...,
    customer_id_col: Optional[str] = ...,
) -> pd.DataFrame: ...


@overload
def assign_stages(
    summary: object,
    p_alive: Optional[npt.ArrayLike] = ...,
    scheme: SchemeLike = ...,
    customers: Optional[Iterable[object]] = ...,
    return_reason: Literal[False] = ...,
    *,
    output: Literal["pandas"],
    customer_id_col: Optional[str] = ...,
) -> pd.Series[str]: ...


@overload
def assign_stages(
    summary: object,
    p_alive: Optional[npt.ArrayLike] = ...,
    scheme: SchemeLike = ...,
    customers: Optional[Iterable[object]] = ...,
    *,
    return_reason: Literal[True],
    output: Literal["pandas"],
    customer_id_col: Optional[str] = ...,
) -> pd.DataFrame: ...


@overload
def assign_stages(
    summary: PolarsFrame,
    p_alive: Optional[npt.ArrayLike] = ...,
    scheme: SchemeLike = ...,
    customers: Optional[Iterable[object]] = ...,
    return_reason: bool = ...,
    output: Optional[Literal["polars"]] = ...,
    customer_id_col: Optional[str] = ...,
) -> pl.DataFrame: ...


@overload
def assign_stages(
    summary: object,
    p_alive: Optional[npt.ArrayLike] = ...,
    scheme: SchemeLike = ...,
    customers: Optional[Iterable[object]] = ...,
    return_reason: bool = ...,
    *,
    output: Literal["polars"],
    customer_id_col: Optional[str] = ...,
) -> pl.DataFrame: ...


@overload
def assign_stages(
    summary: object,
    p_alive: Optional[npt.ArrayLike] = ...,
    scheme: SchemeLike = ...,
    customers: Optional[Iterable[object]] = ...,
    return_reason: bool = ...,
    *,
    output: Literal["numpy"],
    customer_id_col: Optional[str] = ...,
) -> NumpyTable: ...


@overload
def assign_stages(
    summary: object,
    p_alive: Optional[npt.ArrayLike] = ...,
    scheme: SchemeLike = ...,
    customers: Optional[Iterable[object]] = ...,
    return_reason: bool = ...,
    output: Optional[Output] = ...,
    customer_id_col: Optional[str] = ...,
) -> CallerFrameOrSeries: ...


def assign_stages(
    summary: object,
    p_alive: Optional[npt.ArrayLike] = None,
    scheme: SchemeLike = None,
    customers: Optional[Iterable[object]] = None,
    return_reason: bool = False,
    output: Optional[Output] = None,
    customer_id_col: Optional[str] = None,
) -> CallerFrameOrSeries:
    """Place every customer in a lifecycle stage.

    The rules, their precedence and the data-derived default windows are those of
    :class:`StageScheme`; the rules run in parallel in Rust.

    Parameters
    ----------
    summary : DataFrame
        A customer summary (:func:`clmkit.summarize`; pandas, polars or Arrow) with
        ``frequency``, ``recency`` and ``T``; ``n_periods`` and ``gap_before_last`` are used when present (without
        ``gap_before_last`` nobody can be ``reactivated``).
    p_alive : array-like, optional
        P(alive) per summary row (e.g. ``BetaGeo().fit(summary).p_alive(...)``). Without
        it the at-risk and churn rules use inactivity.
    scheme : StageScheme or "default", optional
        Thresholds, labels and custom rules.
    customers : iterable, optional
        Known customer ids (e.g. sign-ups); those without a purchase become ``prospect``.
    return_reason : bool
        Also return why: the rule that fired with the numbers that decided it, e.g.
        ``"churned: inactivity 41 d > churn window 28 d"`` (units: the summary's).
    output : {"pandas", "polars", "arrow", "numpy"}, optional
        Library of the result; by default that of ``summary``.
    customer_id_col : str, optional
        Column holding the customer id; by default the index of a pandas summary and the
        first column of a polars / Arrow one (where :func:`clmkit.summarize` puts it).

    Returns
    -------
    pandas.Series or DataFrame
        pandas: an ordered categorical Series ``stage`` indexed like the summary (prospects
        appended), or with ``return_reason`` a DataFrame with ``stage`` and ``reason``.
        polars / Arrow (no index): a table with the customer id first, then ``stage`` (a
        polars ``Enum`` in stage order) and ``reason``, so every stage stays joined to its
        customer. Customers that no enabled rule matches (possible only with ``drop=``) are
        missing.

    Raises
    ------
    ValueError
        Missing columns, invalid summary values (e.g. a negative ``gap_before_last``, naming
        the row label) or P(alive), or a bad scheme.

    Examples
    --------
    >>> import clmkit
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> s = clmkit.summarize(log, "customer_id", "date")
    >>> stages = clmkit.assign_stages(s)
    >>> list(stages.cat.categories)
    ['prospect', 'new', 'growing', 'mature', 'at_risk', 'churned', 'reactivated']
    >>> clmkit.assign_stages(s, return_reason=True).loc[2, "reason"]
    'churned: inactivity 533 d > churn window 210 d'
    """
    summary, library = keyed_frame(summary, customer_id_col, _USED)
    for col in ("frequency", "recency", "T"):
        require_columns(list(summary.columns), {"summary column": col})
    unit = time_unit_of(summary)
    scheme = _scheme(scheme).resolve(summary, unit)
    cols = _summary_arrays(summary)
    if "gap_before_last" not in summary.columns and "reactivated" not in scheme.drop:
        warnings.warn(
            "the summary has no gap_before_last column, so no customer can be "
            "'reactivated'; use clmkit.summarize",
            ClmkitWarning,
            stacklevel=2,
        )
    pa = None
    if p_alive is not None:  # values in [0, 1] are checked by the kernel
        pa = as_float_array(p_alive, "p_alive", finite=False)
        if len(pa) != len(summary):
            raise ValueError(f"p_alive has {len(pa)} rows but the summary has {len(summary)}")
    frame = summary if pa is None else summary.assign(p_alive=pa)
    custom = _custom_codes(scheme, frame)
    index = summary.index
    if customers is not None:
        extra = pd.Index(list(customers)).unique()
        extra = extra[~extra.isin(index)]
        if len(extra):
            index = index.append(extra).rename(index.name)
            pad = np.full(len(extra), np.nan)
            cols = {k: np.concatenate([v, pad]) for k, v in cols.items()}
            pa = None if pa is None else np.concatenate([pa, pad])
            if custom is not None:
                custom = np.concatenate([custom, np.full(len(extra), -1, dtype=np.int32)])
    try:
        codes, reasons = _run_rules(cols, pa, custom, scheme)
    except InvalidValueError as err:
        raise with_row_label(err, summary.index) from None
    stage = _stages(codes, scheme, index)
    if return_reason:
        why = reason_texts(reasons, scheme, cols, pa, unit)
        result: Union[pd.Series, pd.DataFrame] = pd.DataFrame(
            {"stage": stage.array, "reason": why}, index=index
        )
    else:
        result = stage
    if (output or library) == "pandas":
        return result
    return deliver(stage.to_frame() if isinstance(result, pd.Series) else result, library, output)


def _scheme(scheme: SchemeLike) -> StageScheme:
    if scheme is None or (isinstance(scheme, str) and scheme == "default"):
        return StageScheme()
    if isinstance(scheme, str) and scheme == "zh":
        return StageScheme(labels="zh")
    if not isinstance(scheme, StageScheme):
        raise TypeError(f"scheme must be a StageScheme or 'default', got {type(scheme).__name__}")
    return scheme


def _summary_arrays(summary: pd.DataFrame) -> dict[str, FloatArray]:
    # T must be checked here: the kernel reads a NaN T as "no purchase yet" (a prospect).
    # recency (in [0, T]), frequency (>= 0) and gap_before_last (>= 0 or NaN) are checked by
    # the kernel, in parallel, which names the row.
    t = as_float_array(summary["T"], "summary['T']", nonnegative=True)
    recency = as_float_array(summary["recency"], "summary['recency']", finite=False)
    repeats = as_float_array(repeats_of(summary), "summary['frequency']", finite=False)
    if "gap_before_last" in summary.columns:
        gap = as_float_array(summary["gap_before_last"], "summary['gap_before_last']", finite=False)
    else:
        gap = np.full(len(summary), np.nan)
    return {"repeats": repeats, "recency": recency, "T": t, "gap": gap}


def _custom_codes(scheme: StageScheme, frame: pd.DataFrame) -> Optional[Codes]:
    """Index of the first added rule that fires per row (-1: none); None without rules."""
    if not scheme.add:
        return None
    out = np.full(len(frame), -1, dtype=np.int32)
    for k, (name, rule) in enumerate(scheme.add):
        try:
            hit = frame.eval(rule) if isinstance(rule, str) else rule(frame)
        except Exception as exc:  # the user's expression: report which rule failed
            raise ValueError(f"add: the rule of stage {name!r} failed: {exc}") from exc
        hit = np.asarray(hit)
        if hit.shape != (len(frame),) or hit.dtype != bool:
            raise ValueError(
                f"add: the rule of stage {name!r} must give one boolean per "
                f"customer, got dtype {hit.dtype} and shape {hit.shape}"
            )
        out[(out < 0) & hit] = k
    return out


def _run_rules(
    cols: dict[str, FloatArray],
    pa: Optional[FloatArray],
    custom: Optional[Codes],
    scheme: StageScheme,
) -> tuple[Codes, Codes]:
    return _core.assign_stage_codes(
        cols["repeats"],
        cols["recency"],
        cols["T"],
        cols["gap"],
        pa,
        custom if custom is not None and (custom >= 0).any() else None,
        scheme.core_params(),
    )


def _stage_categories(scheme: StageScheme) -> tuple[npt.NDArray[np.int32], list[str]]:
    """Lookup from kernel codes (position -1 = unassigned) to final category codes."""
    dropped = set(scheme.drop)
    categories: list[str] = []
    lut = []
    for key in scheme.keys():  # noqa: SIM118 (StageScheme.keys(), not a dict)
        if key in dropped:
            lut.append(-1)
            continue
        label = scheme.label_of(key)
        if label not in categories:
            categories.append(label)
        lut.append(categories.index(label))
    return np.array([*lut, -1], dtype=np.int32), categories


def _from_codes(
    codes: npt.NDArray[np.int32], categories: list[str], ordered: bool
) -> pd.Categorical:
    """Categorical from kernel codes, valid by construction (skip pandas' re-check when it can)."""
    labels = pd.Index(categories, dtype=object)
    out: pd.Categorical
    try:
        out = pd.Categorical.from_codes(codes, categories=labels, ordered=ordered, validate=False)
    except TypeError:  # pandas < 2.1 has no `validate`
        out = pd.Categorical.from_codes(codes, categories=labels, ordered=ordered)
    return out


def _stages(codes: Codes, scheme: StageScheme, index: pd.Index) -> pd.Series:
    """The ordered categorical stage Series of the kernel's codes (-1: unassigned)."""
    lut, categories = _stage_categories(scheme)
    stage = _from_codes(lut[codes], categories, ordered=True)
    out: pd.Series = pd.Series(stage, index=index, name="stage")
    return out
