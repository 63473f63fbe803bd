"""Lifecycle stages: assignment, stage history over snapshots, Markov dynamics, early warning.

The rules and their precedence are documented in :class:`StageScheme`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any, Optional, Union

import numpy as np
import pandas as pd

from . import _core
from ._errors import ClmkitWarning
from ._io import deliver, library_of, to_pandas
from ._markov import forecast_stages, steady_state, transition_matrix
from ._stage_scheme import StageScheme, repeats_of
from ._units import time_unit_of
from ._validation import as_float_array, check_rows, require_columns

__all__ = [
    "StageScheme",
    "assign_stages",
    "stage_history",
    "transition_matrix",
    "forecast_stages",
    "steady_state",
    "early_warning",
]

SchemeLike = Union[StageScheme, str, None]


def assign_stages(
    summary: pd.DataFrame,
    p_alive: Any = None,
    scheme: SchemeLike = None,
    customers: Optional[Iterable[Any]] = None,
    return_reason: bool = False,
) -> Union[pd.Series, pd.DataFrame]:
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
        Also return which rule fired.

    Returns
    -------
    pandas.Series or pandas.DataFrame
        An ordered categorical Series ``stage`` indexed like the summary (prospects
        appended), or with ``return_reason`` a DataFrame with ``stage`` and ``reason``.
        Customers that no enabled rule matches (possible only with ``drop=``) are NaN.

    Raises
    ------
    ValueError
        Missing columns, invalid summary values or P(alive), or a bad scheme.

    Examples
    --------
    >>> import clmkit
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> s = clmkit.summarize(log, "customer_id", "date")
    >>> stages = clmkit.assign_stages(s)
    >>> list(stages.cat.categories)
    ['prospect', 'new', 'growing', 'mature', 'at_risk', 'churned', 'reactivated']
    >>> clmkit.assign_stages(s, return_reason=True).iloc[0]["reason"]
    'mature: tenure >= maturity_window, buying on cadence'
    """
    summary = to_pandas(summary)  # polars / Arrow summaries: the stage Series is positional
    for col in ("frequency", "recency", "T"):
        require_columns(list(summary.columns), {"summary column": col})
    scheme = _scheme(scheme).resolve(summary, time_unit_of(summary))
    cols = _summary_arrays(summary)
    if "gap_before_last" not in summary.columns and "reactivated" not in scheme.drop:
        warnings.warn(
            "the summary has no gap_before_last column, so no customer can be "
            "'reactivated'; use clmkit.summarize",
            ClmkitWarning,
            stacklevel=2,
        )
    pa = None
    if p_alive is not None:
        pa = as_float_array(p_alive, "p_alive")
        if len(pa) != len(summary):
            raise ValueError(f"p_alive has {len(pa)} rows but the summary has {len(summary)}")
        check_rows((pa < 0) | (pa > 1), "p_alive", pa, "must be in [0, 1]", summary.index)
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
    codes, reasons = _run_rules(cols, pa, custom, scheme)
    return _result(codes, reasons, scheme, index, return_reason)


def _scheme(scheme: SchemeLike) -> StageScheme:
    if scheme is None or (isinstance(scheme, str) and scheme == "default"):
        return StageScheme()
    if isinstance(scheme, str) and scheme == "zh":
        return StageScheme(labels="zh")
    if not isinstance(scheme, StageScheme):
        raise TypeError(f"scheme must be a StageScheme or 'default', got {type(scheme).__name__}")
    return scheme


def _summary_arrays(summary: pd.DataFrame) -> dict[str, np.ndarray]:
    # T must be checked here: the kernel reads a NaN T as "no purchase yet" (a prospect).
    # recency (in [0, T]) and frequency (>= 0) are checked by the kernel, in parallel.
    t = as_float_array(summary["T"], "summary['T']", nonnegative=True)
    recency = as_float_array(summary["recency"], "summary['recency']", finite=False)
    repeats = as_float_array(repeats_of(summary), "summary['frequency']", finite=False)
    if "gap_before_last" in summary.columns:
        gap = as_float_array(summary["gap_before_last"], "summary['gap_before_last']", finite=False)
    else:
        gap = np.full(len(summary), np.nan)
    return {"repeats": repeats, "recency": recency, "T": t, "gap": gap}


def _custom_codes(scheme: StageScheme, frame: pd.DataFrame) -> Optional[np.ndarray]:
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


def _run_rules(cols, pa, custom, scheme: StageScheme) -> tuple[np.ndarray, np.ndarray]:
    return _core.assign_stage_codes(
        cols["repeats"],
        cols["recency"],
        cols["T"],
        cols["gap"],
        pa,
        custom if custom is not None and (custom >= 0).any() else None,
        _params(scheme),
    )


def _params(scheme: StageScheme) -> tuple:
    """A resolved scheme in the kernel's argument order."""
    return (
        scheme.new_window,
        scheme.maturity_window,
        scheme.churn_window,
        scheme.at_risk_factor,
        scheme.median_ipt,
        scheme.at_risk_p,
        scheme.churn_p,
        bool(scheme.p_alive_for_one_time),
        scheme.enabled(),
    )


def _stage_categories(scheme: StageScheme) -> tuple[np.ndarray, list[str]]:
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
    return np.array(lut + [-1], dtype=np.int8 if len(lut) < 127 else np.int32), categories


def _from_codes(codes: np.ndarray, categories: list, ordered: bool) -> pd.Categorical:
    """Categorical from kernel codes, valid by construction (skip pandas' re-check when it can)."""
    try:
        return pd.Categorical.from_codes(
            codes, categories=categories, ordered=ordered, validate=False
        )
    except TypeError:  # pandas < 2.1 has no `validate`
        return pd.Categorical.from_codes(codes, categories=categories, ordered=ordered)


def _result(codes, reasons, scheme, index, return_reason, name="stage"):
    lut, categories = _stage_categories(scheme)
    stage = _from_codes(lut[codes], categories, ordered=True)
    stage_s = pd.Series(stage, index=index, name=name)
    if not return_reason:
        return stage_s
    names = scheme.reasons()
    reason = _from_codes(reasons.astype(np.int8 if len(names) < 127 else np.int32), names, False)
    return pd.DataFrame({"stage": stage, "reason": reason}, index=index)


def early_warning(
    history: pd.DataFrame,
    value: Any = None,
    top: Optional[int] = None,
    stages: Optional[Iterable[str]] = None,
) -> pd.DataFrame:
    """Customers who moved into ``at_risk`` or ``churned`` at the latest snapshot, ranked
    by value at stake: the churn early-warning list a retention team works from.

    ``value_at_stake = value x (1 - p_alive)`` when the history has ``p_alive``, else
    ``value``; without ``value`` it is ``1 - p_alive`` (or 1 without P(alive)). Ties keep
    customer order.

    Parameters
    ----------
    history : DataFrame
        Output of :func:`stage_history` (pandas, polars or Arrow).
    value : str, Series, mapping or None
        Value per customer (e.g. CLV): a column of ``history`` (its latest value), or a
        Series / mapping indexed by customer id (missing customers count 0).
    top : int, optional
        Keep only the first ``top`` rows.
    stages : iterable of str, optional
        Stage labels that count as a warning; default the labels of ``at_risk`` and
        ``churned`` in the history's scheme.

    Returns
    -------
    DataFrame
        In the history's library (pandas: indexed by customer id).
        Indexed by customer: ``previous_stage`` (NaN when new at the latest snapshot),
        ``stage``, ``p_alive`` (if known), ``value`` and ``value_at_stake``, sorted by
        ``value_at_stake`` descending.

    Examples
    --------
    >>> import clmkit
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> h = clmkit.stage_history(log, ["1997-06-30", "1997-09-30"], "customer_id", "date")
    >>> ew = clmkit.early_warning(h, top=5)
    >>> list(ew.columns)
    ['previous_stage', 'stage', 'value', 'value_at_stake']
    """
    from ._markov import history_columns, history_frame

    library = library_of(history)
    history = history_frame(history)
    cust, snap, stage_col = history_columns(history)
    h = history.sort_values([cust, snap], kind="stable")
    meta = history.attrs.get("clmkit", {})
    warn = (
        list(stages)
        if stages is not None
        else [meta.get("labels", {}).get(k, k) for k in ("at_risk", "churned")]
    )
    latest = h[snap].max()
    last_rows = h[h[snap] == latest]
    prev = h[h[snap] < latest].groupby(cust, sort=False)[stage_col].last()
    out = pd.DataFrame(
        {
            "previous_stage": prev.reindex(last_rows[cust]).to_numpy(),
            "stage": last_rows[stage_col].values,
        },
        index=pd.Index(last_rows[cust].to_numpy(), name=cust),
    )
    if isinstance(history[stage_col].dtype, pd.CategoricalDtype):
        out["previous_stage"] = pd.Categorical(
            out["previous_stage"], dtype=history[stage_col].dtype
        )
    moved = out["stage"].isin(warn).to_numpy() & (
        out["previous_stage"].astype(object).to_numpy() != out["stage"].astype(object).to_numpy()
    )
    out = out[moved]
    has_p = "p_alive" in history.columns
    if has_p:
        out["p_alive"] = last_rows["p_alive"].to_numpy()[moved]
    out["value"] = _warning_values(value, last_rows, moved, out.index)
    risk = (1.0 - out["p_alive"].to_numpy()) if has_p else 1.0
    out["value_at_stake"] = out["value"].to_numpy() * risk
    out = out.sort_values("value_at_stake", ascending=False, kind="stable")
    if top is not None:
        from ._validation import check_int

        out = out.head(check_int(top, "top", low=0))
    return deliver(out, library)


def _warning_values(value, last_rows, moved, ids) -> np.ndarray:
    if value is None:
        return np.ones(len(ids))
    if isinstance(value, str):
        if value not in last_rows.columns:
            raise ValueError(
                f"value={value!r} is not a column of history; "
                f"available columns: {list(last_rows.columns)}"
            )
        return as_float_array(last_rows[value].to_numpy()[moved], f"history[{value!r}]")
    series = pd.Series(value) if not isinstance(value, pd.Series) else value
    got = series.reindex(ids)
    return as_float_array(got.fillna(0.0), "value")


from ._stage_history import stage_history  # noqa: E402  (uses the helpers above)
