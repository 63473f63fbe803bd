"""clmkit.dask.analyze: transaction log -> customer table on Dask, streamed to Parquet."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Union

from .._typing import DateLike
from .._validation import check_choice
from ._fit import fit
from ._partitions import dd, persist
from ._score import Period, score

if TYPE_CHECKING:
    from ..btyd._base import BTYDFitter
    from ..stages.scheme import StageScheme
from ._summary import summarize

__all__ = ["analyze", "DaskAnalysis"]

_TRANSACTION_MODELS = {"bgnbd": "BetaGeo", "mbgnbd": "ModifiedBetaGeo", "paretonbd": "ParetoNBD"}


@dataclass
class DaskAnalysis:
    """The result of :func:`analyze`.

    Attributes
    ----------
    table : dask.dataframe.DataFrame
        One row per customer: the summary columns and the scores of :func:`score` (read back
        from ``path`` when the table was written).
    models : dict
        Fitted models by role (``"transactions"``, ``"spend"``).
    path : pathlib.Path or None
        The Parquet dataset written (``out``).
    timings : dict
        Seconds per step (fits include their Dask passes; "write" runs the whole graph).
    """

    table: dd.DataFrame
    models: dict[str, BTYDFitter] = field(default_factory=dict)
    path: Optional[Path] = None
    timings: dict[str, float] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"DaskAnalysis({self.table.npartitions} partitions, models={sorted(self.models)}, "
            f"path={str(self.path) if self.path else None!r})"
        )


def _wait(collection: object) -> None:
    """Blocks until a persisted collection is in memory (distributed persists in the
    background), so the recorded step times are honest."""
    try:
        from distributed import default_client, wait

        default_client()  # type: ignore[no-untyped-call]
    except (ImportError, ValueError):
        return
    wait(collection)  # type: ignore[no-untyped-call]


def analyze(
    ddf: dd.DataFrame,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: Optional[str] = None,
    observation_period_end: DateLike = None,
    freq: str = "D",
    horizon: Period = "365D",
    discount_rate: float = 0.01,
    models: Sequence[str] = ("mbgnbd", "gammagamma"),
    stage_scheme: Optional[StageScheme] = None,
    *,
    clv_period: Period = "30D",
    out: Union[str, os.PathLike[str], None] = None,
    fit_method: str = "auto",
    npartitions: Optional[int] = None,
) -> DaskAnalysis:
    """The distributed counterpart of :func:`clmkit.analyze`: summary, model fits, P(alive),
    expected purchases, CLV, RFM scores and segments and lifecycle stages of every customer,
    written to Parquet without gathering the table on one machine.

    Steps: :func:`summarize` (persisted in the cluster, one row per customer), :func:`fit`
    of the transaction model and of Gamma-Gamma (repeat buyers with positive spend), then
    :func:`score` with ``with_summary=True``, streamed partition by partition to ``out``.
    Each column equals the in-memory function's result. Not included (they need the whole
    log or table in one place): stage history and transitions, early warnings, calibration
    plots, ABC classes and the HTML report.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        The transaction log.
    customer_id_col, datetime_col, monetary_value_col, observation_period_end, freq
        As in :func:`clmkit.dask.summarize`.
    horizon, discount_rate, clv_period, stage_scheme
        As in :func:`clmkit.dask.score`.
    models : sequence of str
        One of "bgnbd", "mbgnbd", "paretonbd" and optionally "gammagamma" (needs a monetary
        column). Empty: descriptive columns only. The default is :func:`clmkit.analyze`'s
        (MBG/NBD and Gamma-Gamma), and the M score ranks total spend (``total_value``) as
        there.
    out : str or path, optional
        Directory of the Parquet dataset to write (one file per partition).
    fit_method : {"auto", "patterns", "likelihood"}
        Passed to :func:`clmkit.dask.fit`.
    npartitions : int, optional
        Partitions of the customer table (default: those of ``ddf``).

    Returns
    -------
    DaskAnalysis

    Examples
    --------
    >>> import tempfile, dask.dataframe as dd, pandas as pd
    >>> import clmkit, clmkit.dask
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     a = clmkit.dask.analyze(dd.from_pandas(log, npartitions=2), "customer_id", "date",
    ...                             "amount", out=f"{tmp}/customers")
    ...     table = pd.read_parquet(f"{tmp}/customers")
    >>> len(table) == log["customer_id"].nunique(), "clv_365d" in table
    (True, True)
    """
    import clmkit

    check_choice(fit_method, "fit_method", ("auto", "patterns", "likelihood"))
    models = list(models)
    unknown = [m for m in models if m not in _TRANSACTION_MODELS and m != "gammagamma"]
    if unknown or sum(m in _TRANSACTION_MODELS for m in models) > 1:
        raise ValueError(
            f"models must name at most one of {sorted(_TRANSACTION_MODELS)} and "
            f"optionally 'gammagamma', got {models}"
        )
    if "gammagamma" in models and monetary_value_col is None:
        raise ValueError("models=('gammagamma', ...) needs monetary_value_col")
    timings: dict[str, float] = {}
    started = time.perf_counter()
    summary = persist(
        summarize(
            ddf,
            customer_id_col,
            datetime_col,
            monetary_value_col,
            observation_period_end=observation_period_end,
            freq=freq,
            npartitions=npartitions,
        )
    )
    _wait(summary)
    timings["summary"] = time.perf_counter() - started
    fitted: dict[str, BTYDFitter] = {}
    for name in models:
        started = time.perf_counter()
        if name == "gammagamma":
            fitted["spend"] = fit(
                clmkit.GammaGamma(), summary, method=fit_method, drop_nonpositive=True
            )
        else:
            model = getattr(clmkit, _TRANSACTION_MODELS[name], None)
            if model is None:
                raise ValueError(f"model {name!r} is not available in this clmkit build")
            fitted["transactions"] = fit(model(), summary, method=fit_method)
        timings[f"fit {name}"] = time.perf_counter() - started
    table = score(
        summary,
        list(fitted.values()),
        horizon,
        clv_period=clv_period,
        discount_rate=discount_rate,
        stage_scheme=stage_scheme,
        with_summary=True,
        rfm_monetary_col="total_value",
    )
    path = None
    if out is not None:
        started = time.perf_counter()
        path = Path(out)
        table.to_parquet(str(path), write_index=True)  # type: ignore[no-untyped-call]
        timings["write"] = time.perf_counter() - started
        table = dd.read_parquet(str(path))
    return DaskAnalysis(table=table, models=fitted, path=path, timings=timings)
