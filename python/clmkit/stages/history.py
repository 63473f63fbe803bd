"""Stage history: lifecycle stages at many snapshot dates from one pass over the log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal, Optional, TypeVar, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import _core
from .._io import (
    Output,
    column_codes,
    column_ns,
    deliver,
    extract_columns,
    library_of,
)
from .._keyed import CallerFrame
from .._typing import NumpyTable
from ..summary.units import TimeUnit, normalize_freq
from .assign import SchemeLike, _custom_codes, _run_rules, _scheme, _stages
from .history_model import HasPAlive, fused_model, history_covariates, model_p_alive
from .reasons import reason_texts
from .scheme import REASONS, STAGES
from .snapshots import snapshot_ns, snapshot_times

if TYPE_CHECKING:
    import polars as pl

    from .._typing import PolarsFrame

__all__ = ["stage_history"]

Int64Array = npt.NDArray[np.int64]


FloatArray = npt.NDArray[np.float64]


@overload
def stage_history(
    transactions: pd.DataFrame,
    snapshots: Sequence[object],
    customer_id_col: str,
    datetime_col: str,
    scheme: SchemeLike = ...,
    model: Optional[HasPAlive] = ...,
    customers: Optional[Iterable[object]] = ...,
    freq: str = ...,
    freq_multiplier: float = ...,
    datetime_format: Optional[str] = ...,
    observation_period_end: object = ...,
    return_reason: bool = ...,
    output: Optional[Literal["pandas"]] = ...,
    covariates: object = ...,
) -> pd.DataFrame: ...


@overload
def stage_history(
    transactions: PolarsFrame,
    snapshots: Sequence[object],
    customer_id_col: str,
    datetime_col: str,
    scheme: SchemeLike = ...,
    model: Optional[HasPAlive] = ...,
    customers: Optional[Iterable[object]] = ...,
    freq: str = ...,
    freq_multiplier: float = ...,
    datetime_format: Optional[str] = ...,
    observation_period_end: object = ...,
    return_reason: bool = ...,
    output: Optional[Literal["polars"]] = ...,
    covariates: object = ...,
) -> pl.DataFrame: ...


@overload
def stage_history(
    transactions: object,
    snapshots: Sequence[object],
    customer_id_col: str,
    datetime_col: str,
    scheme: SchemeLike = ...,
    model: Optional[HasPAlive] = ...,
    customers: Optional[Iterable[object]] = ...,
    freq: str = ...,
    freq_multiplier: float = ...,
    datetime_format: Optional[str] = ...,
    observation_period_end: object = ...,
    return_reason: bool = ...,
    *,
    output: Literal["pandas"],
    covariates: object = ...,
) -> pd.DataFrame: ...


@overload
def stage_history(
    transactions: object,
    snapshots: Sequence[object],
    customer_id_col: str,
    datetime_col: str,
    scheme: SchemeLike = ...,
    model: Optional[HasPAlive] = ...,
    customers: Optional[Iterable[object]] = ...,
    freq: str = ...,
    freq_multiplier: float = ...,
    datetime_format: Optional[str] = ...,
    observation_period_end: object = ...,
    return_reason: bool = ...,
    *,
    output: Literal["polars"],
    covariates: object = ...,
) -> pl.DataFrame: ...


@overload
def stage_history(
    transactions: object,
    snapshots: Sequence[object],
    customer_id_col: str,
    datetime_col: str,
    scheme: SchemeLike = ...,
    model: Optional[HasPAlive] = ...,
    customers: Optional[Iterable[object]] = ...,
    freq: str = ...,
    freq_multiplier: float = ...,
    datetime_format: Optional[str] = ...,
    observation_period_end: object = ...,
    return_reason: bool = ...,
    *,
    output: Literal["numpy"],
    covariates: object = ...,
) -> NumpyTable: ...


@overload
def stage_history(
    transactions: object,
    snapshots: Sequence[object],
    customer_id_col: str,
    datetime_col: str,
    scheme: SchemeLike = ...,
    model: Optional[HasPAlive] = ...,
    customers: Optional[Iterable[object]] = ...,
    freq: str = ...,
    freq_multiplier: float = ...,
    datetime_format: Optional[str] = ...,
    observation_period_end: object = ...,
    return_reason: bool = ...,
    output: Optional[Output] = ...,
    covariates: object = ...,
) -> CallerFrame: ...


def stage_history(
    transactions: object,
    snapshots: Sequence[object],
    customer_id_col: str,
    datetime_col: str,
    scheme: SchemeLike = None,
    model: Optional[HasPAlive] = None,
    customers: Optional[Iterable[object]] = None,
    freq: str = "D",
    freq_multiplier: float = 1,
    datetime_format: Optional[str] = None,
    observation_period_end: object = None,
    return_reason: bool = False,
    output: Optional[Output] = None,
    covariates: object = None,
) -> CallerFrame:
    """Lifecycle stage of every customer at every snapshot date.

    Each snapshot uses only the data up to its date: the row of customer c at snapshot s
    equals ``assign_stages(summarize(log, observation_period_end=s))`` for c. The log is
    sorted once and all snapshots are summarised in one parallel pass in Rust, then the
    stage rules run once over all rows. Default windows (see :class:`StageScheme`) are
    derived ONCE, from the summary at the last snapshot, so every snapshot applies the
    same rules; the resolved scheme is kept in ``attrs["clmkit"]["scheme"]`` (as
    :meth:`StageScheme.to_dict` gives it: ``StageScheme.from_dict(...)`` rebuilds it).

    Parameters
    ----------
    transactions, customer_id_col, datetime_col, freq, freq_multiplier, datetime_format
        As in :func:`clmkit.summarize`.
    snapshots : sequence of date-like
        Strictly increasing dates, none before the first transaction nor after
        ``observation_period_end``.
    scheme : StageScheme or "default", optional
        Stage rules (see :class:`StageScheme`).
    model : fitted BTYD model, optional
        Anything with ``p_alive(frequency, recency, T)`` (e.g. :class:`clmkit.BetaGeo`)
        fitted in the same time unit (``freq`` x ``freq_multiplier``); its P(alive) at each
        snapshot drives the at-risk / churn rules and is returned as ``p_alive``.
    customers : iterable, optional
        Known customer ids: before their first purchase they are ``prospect``.
    observation_period_end : date-like, optional
        Latest allowed snapshot (default: the last transaction's date).
    return_reason : bool
        Add the ``reason`` column: the rule that fired with the numbers that decided it, as
        in :func:`assign_stages`.

    output : {"pandas", "polars", "arrow", "numpy"}, optional
        Library of the returned table; by default that of the input (pandas for arrays).
    covariates : DataFrame, optional
        For a ``model`` fitted with covariates: one row per customer with the fitted
        columns, keyed by customer id (a pandas index, or a ``customer_id_col`` column in
        any supported library); each snapshot's P(alive) uses the customer's own row.

    Returns
    -------
    pandas.DataFrame
        Long table sorted by customer then snapshot with columns ``<customer_id_col>``,
        ``snapshot``, ``stage`` (ordered categorical) and, with a model, ``p_alive``; a
        customer appears from their first purchase (or from the first snapshot when
        listed in ``customers``; ids that never bought come last).

    Raises
    ------
    ValueError
        Snapshots empty, not strictly increasing or outside the data; a model whose time
        unit differs; invalid P(alive) from the model; and the errors of ``summarize``.

    Examples
    --------
    >>> import clmkit
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> h = clmkit.stage_history(log, ["1997-03-31", "1997-06-30", "1997-09-30"],
    ...                          "customer_id", "date")
    >>> list(h.columns)
    ['customer_id', 'snapshot', 'stage']
    >>> bool((clmkit.transition_matrix(h).sum(axis=1).round(12) == 1).all())
    True
    """

    freq = normalize_freq(freq)
    mult = float(freq_multiplier)
    if not np.isfinite(mult) or mult <= 0:
        raise ValueError(f"freq_multiplier must be a positive number, got {freq_multiplier!r}")
    ids, times, _, names = extract_columns(transactions, customer_id_col, datetime_col, None)
    times_ns, tz = column_ns(times, names["datetime"], datetime_format)
    if not len(times_ns):
        raise ValueError("transactions: the log is empty")
    codes, uniques = column_codes(ids, names["customer_id"])
    snaps_ns = snapshot_ns(snapshots, times_ns, datetime_format, tz, observation_period_end)
    index = _core.SnapshotIndex(codes, len(uniques), times_ns, snaps_ns, freq, mult)
    unit = TimeUnit(freq, mult)
    scheme = _scheme(scheme)
    if not scheme.is_resolved:
        frequency, recency = index.at_last_snapshot()
        scheme = scheme.resolve(pd.DataFrame({"frequency": frequency, "recency": recency}), unit)
    snap_times = snapshot_times(snaps_ns, tz)
    pa = custom = None
    cols: Optional[dict[str, FloatArray]] = None
    plain = not scheme.add and not return_reason
    fit = fused_model(model, covariates, unit) if plain else None
    if plain and (model is None or fit is not None):
        # Fast path: summaries, the model's P(alive) and the rules fused in one pass, no
        # per-row summary columns (1M customers x 6 snapshots: 0.3 s and 290 MB less).
        fused = index.stages(scheme.core_params(), fit)
        cust_codes, snap_codes = fused.customer, fused.snapshot
        stage_codes, reasons, pa = fused.stage, fused.reason, fused.p_alive
    else:  # the rows' summaries are needed (P(alive), custom rules, reasons with numbers)
        raw = index.summaries()
        del index  # the sorted log: not needed once summarised (memory peaks in this step)
        rows_z = history_covariates(covariates, uniques, raw.customer, names["customer_id"])
        pa = model_p_alive(model, raw, unit, rows_z)
        if scheme.add:  # the rules see the snapshot summary, as assign_stages' rules do
            frame = pd.DataFrame(
                {
                    "frequency": raw.frequency,
                    "recency": raw.recency,
                    "T": raw.T,
                    "gap_before_last": raw.gap_before_last,
                }
            )
            frame["n_periods"] = frame["frequency"] + 1.0
            frame["inactivity"] = frame["T"] - frame["recency"]
            frame["snapshot"] = snap_times.take(raw.snapshot)
            if pa is not None:
                frame["p_alive"] = pa
            custom = _custom_codes(scheme, frame)
        cust_codes, snap_codes = raw.customer, raw.snapshot
        cols = {
            "repeats": raw.frequency,
            "recency": raw.recency,
            "T": raw.T,
            "gap": raw.gap_before_last,
        }
        stage_codes, reasons = _run_rules(cols, pa, custom, scheme)
        del raw
        if not return_reason:  # the summary columns are needed only for the reason texts
            cols = None
    if customers is not None:
        uniques, cust_codes, snap_codes, order, n_new = _prospect_rows(  # type: ignore[assignment]
            customers, uniques, cust_codes, snap_codes, len(snaps_ns)
        )
        prospect = "prospect" not in scheme.drop
        stage_codes = _extend(
            stage_codes, n_new, STAGES.index("prospect") if prospect else -1, order
        )
        reasons = _extend(
            reasons, n_new, _PROSPECT_REASON if prospect else _UNASSIGNED_REASON, order
        )
        pa = None if pa is None else _extend(pa, n_new, np.nan, order)
        if cols is not None:  # prospects: NaN inputs (their reason needs no number)
            cols = {k: _extend(v, n_new, np.nan, order) for k, v in cols.items()}
    stage = _stages(stage_codes, scheme, pd.RangeIndex(len(stage_codes)))
    # copy=False: the columns are new arrays; copying and consolidating millions of rows
    # took half the step
    out = pd.DataFrame(
        {
            names["customer_id"]: uniques.take(cust_codes),
            "snapshot": snap_times.take(snap_codes),
            "stage": stage.array,
        },
        copy=False,
    )
    if pa is not None:
        out["p_alive"] = pa
    if return_reason and cols is not None:
        out["reason"] = reason_texts(reasons, scheme, cols, pa, unit)
    out.attrs["clmkit"] = {
        **unit.to_dict(),
        "freq_multiplier": mult,
        # JSON-ready, as everything in attrs (pandas writes attrs into Parquet files)
        "scheme": scheme.to_dict(),
        "customer_id_col": names["customer_id"],
        "labels": {k: scheme.label_of(k) for k in scheme.keys()},  # noqa: SIM118
        "snapshots": [str(t) for t in snap_times],
    }
    return deliver(out, library_of(transactions), output)


_PROSPECT_REASON = next(i for i, r in enumerate(REASONS) if r.startswith("prospect"))
_UNASSIGNED_REASON = next(i for i, r in enumerate(REASONS) if r.startswith("unassigned"))


def _prospect_rows(
    customers: Iterable[object],
    uniques: pd.Index,
    cust_codes: Int64Array,
    snap_codes: npt.NDArray[np.int32],
    n_snaps: int,
) -> tuple[pd.Index, Int64Array, Int64Array, Int64Array, int]:
    """Codes of the rows with prospects added (listed customers at the snapshots before
    their first purchase) and the order that sorts [rows, prospect rows] by customer then
    snapshot. Customers seen only in ``customers`` get the highest codes, so come last."""
    listed = pd.Index(list(customers)).unique()
    extra = listed[~listed.isin(uniques)]
    all_ids = uniques.append(extra) if len(extra) else uniques
    first = np.full(len(all_ids), n_snaps, dtype=np.int64)
    np.minimum.at(first, cust_codes, snap_codes)
    listed_codes = all_ids.get_indexer(listed)
    n_pros = first[listed_codes]
    p_cust = np.repeat(listed_codes, n_pros).astype(np.int64)
    p_snap = np.arange(n_pros.sum()) - np.repeat(np.cumsum(n_pros) - n_pros, n_pros)
    cust = np.r_[cust_codes, p_cust]
    snap = np.r_[snap_codes.astype(np.int64), p_snap]
    order = np.lexsort((snap, cust))
    return all_ids, cust[order], snap[order], order, len(p_cust)


ArrayT = TypeVar("ArrayT", bound=npt.NDArray[np.generic])


def _extend(values: ArrayT, n: int, fill: float, order: Int64Array) -> ArrayT:
    out = np.concatenate([values, np.full(n, fill, dtype=values.dtype)])[order]
    return out  # type: ignore[return-value]  # same dtype as values
