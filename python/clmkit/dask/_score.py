"""clmkit.dask.score: per-customer scores of a distributed summary, lazily, partition by
partition, with every data-dependent constant (RFM quantile edges, the median inter-purchase
time behind the default stage windows) computed once over the whole summary first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional, Union, cast

import numpy as np
import pandas as pd

from .._validation import check_int, require_columns
from ..summary.units import TimeUnit, time_unit_of, to_units
from ._partitions import PartitionInfo, dd, map_partitions, partition_errors, require_dask_frame
from ._tables import DEFAULT_MAX_DISTINCT, value_tables

if TYPE_CHECKING:
    from ..btyd._base import BTYDFitter
    from ..btyd._count import CountModel
    from ..btyd.gammagamma import GammaGamma
    from ..rfm.scorer import RFMScorer
    from ..stages.scheme import StageScheme

#: A horizon or period: a number of summary time units, or a duration like "365D".
Period = Union[float, str, pd.Timedelta]

__all__ = ["score", "horizon_label"]


def horizon_label(horizon: Period) -> str:
    """Suffix of the horizon columns: "365D" -> "365d", 52 -> "52" (as clmkit.analyze)."""
    text = str(horizon).strip().replace(" ", "").lower()
    return text[:-2] if text.endswith(".0") else text


def score(
    summary_ddf: dd.DataFrame,
    models: Union[Sequence[BTYDFitter], Mapping[str, BTYDFitter]] = (),
    horizon: Period = "365D",
    *,
    clv_period: Period = "30D",
    discount_rate: float = 0.01,
    rfm: bool = True,
    rfm_bins: int = 5,
    stages: bool = True,
    stage_scheme: Optional[StageScheme] = None,
    with_summary: bool = False,
    max_distinct: int = DEFAULT_MAX_DISTINCT,
    rfm_monetary_col: str = "monetary_value",
) -> dd.DataFrame:
    """Score every customer of a distributed summary, lazily (``to_parquet`` streams it).

    Columns (each equal to the in-memory function's result on the whole summary):
    ``p_alive`` and ``expected_purchases_<horizon>`` (a fitted count model),
    ``expected_spend`` and ``clv_<horizon>`` (with a fitted Gamma-Gamma),
    ``r_score``, ``f_score``, ``m_score``, ``rfm_score``, ``rfm_code``, ``rfm_segment``
    (:func:`clmkit.rfm_scores` quantile edges, computed globally) and ``stage``
    (:func:`clmkit.assign_stages` with P(alive) when a count model is given).

    Parameters
    ----------
    summary_ddf : dask.dataframe.DataFrame
        A summary from :func:`clmkit.dask.summarize` (its ``attrs`` give the time unit).
    models : sequence of fitted models
        A purchase-count model (BetaGeo, ModifiedBetaGeo, ...) and/or a GammaGamma.
    horizon : str or float
        Prediction horizon, a duration ("365D") or a number of summary time units.
    clv_period, discount_rate
        Discounting period and rate per period of the CLV (horizon / clv_period periods).
    rfm, stages : bool
        Add the RFM and stage columns.
    rfm_bins : int
        Scores per RFM dimension.
    stage_scheme : clmkit.StageScheme, optional
        Stage rules; default windows come from the global median inter-purchase time.
    with_summary : bool
        Keep the summary columns in front of the scores.
    rfm_monetary_col : str
        Summary column the M score ranks (as ``monetary_col`` of :func:`clmkit.rfm_scores`);
        :func:`clmkit.dask.analyze` passes ``"total_value"`` (total spend), as
        :func:`clmkit.analyze` scores M. No M score when the column is absent.
    max_distinct : int
        Size limit of the global value tables behind quantile edges and the median. RFM
        edges and the median are exact (bit-identical to in-memory) while a column has at
        most this many distinct values, always true for integer-valued columns; beyond it
        they are approximate (rank error below ``1 / max_distinct``).

    Returns
    -------
    dask.dataframe.DataFrame
        Indexed like ``summary_ddf``; ``attrs["clmkit_score"]`` of the meta tells whether
        each global statistic was exact.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import clmkit, clmkit.dask
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> s = clmkit.dask.summarize(dd.from_pandas(log, npartitions=2), "customer_id", "date",
    ...                           "amount")
    >>> scores = clmkit.dask.score(s).compute(scheduler="sync")
    >>> scores.columns.tolist()
    ['r_score', 'f_score', 'm_score', 'rfm_score', 'rfm_code', 'rfm_segment', 'stage']
    """
    import clmkit

    summary_ddf = require_dask_frame(summary_ddf, "summary_ddf")
    meta = summary_ddf._meta
    require_columns(
        list(meta.columns),
        {
            "summary column 'frequency'": "frequency",
            "summary column 'recency'": "recency",
            "summary column 'T'": "T",
        },
    )
    unit = time_unit_of(meta) or TimeUnit("D")
    count_model, spend_model = _split_models(models, clmkit)
    # Covariate fits score each customer at their own parameters: the partitions must hold
    # the fitted covariate columns.
    for m in (count_model, spend_model):
        if m is not None and m._has_covariates():
            need: dict[str, Optional[str]] = {
                f"covariate {c!r} of the {type(m).__name__} fit": c for c in _covariate_names(m)
            }
            require_columns(list(meta.columns), need)
    has_money = "monetary_value" in meta.columns
    if spend_model is not None and not has_money:
        raise ValueError("a GammaGamma model needs the summary column 'monetary_value'")
    options: dict[str, Any] = {
        "count_model": count_model,
        "spend_model": spend_model,
        "label": horizon_label(horizon),
        "with_summary": with_summary,
        "h_units": to_units(horizon, unit, "horizon"),
    }
    if spend_model is not None:
        per = to_units(clv_period, unit, "clv_period")
        options.update(
            clv_periods=max(1, round(options["h_units"] / per)),
            clv_period=clv_period,
            discount_rate=float(discount_rate),
        )
    exact: dict[str, bool] = {}
    scorer, scheme = _global_state(
        summary_ddf,
        rfm,
        check_int(rfm_bins, "rfm_bins", low=2, high=10),
        rfm_monetary_col if rfm_monetary_col in meta.columns else None,
        stages,
        stage_scheme,
        unit,
        max_distinct,
        exact,
        clmkit,
    )
    options.update(scorer=scorer, scheme=scheme)
    out_meta = _score_partition(_example_summary(meta), **options).iloc[:0]
    out_meta.attrs = {**dict(meta.attrs), "clmkit_score": exact}
    return map_partitions(summary_ddf, _score_partition, meta=out_meta, **options)


def _covariate_names(model: BTYDFitter) -> list[str]:
    """The fitted covariate columns of a covariate fit ([] for a plain fit)."""
    return list(model._state.covariates[0]) if model._has_covariates() else []


def _split_models(
    models: Union[Sequence[BTYDFitter], Mapping[str, BTYDFitter]], clmkit: Any
) -> tuple[Optional[CountModel], Optional[GammaGamma]]:
    given = list(models.values()) if isinstance(models, Mapping) else list(models)
    models = given
    count = [m for m in models if isinstance(m, clmkit.btyd.CountModel)]
    spend = [m for m in models if isinstance(m, clmkit.GammaGamma)]
    other = [m for m in models if m not in count and m not in spend]
    if other or len(count) > 1 or len(spend) > 1:
        raise TypeError(
            "models must hold at most one fitted purchase-count model (BetaGeo, "
            "ModifiedBetaGeo, ...) and one GammaGamma, got "
            f"{[type(m).__name__ for m in models]}"
        )
    for m in models:
        m._check_fitted()
    return (count[0] if count else None), (spend[0] if spend else None)


# --- global constants ------------------------------------------------------------------------


def _global_state(
    summary_ddf: dd.DataFrame,
    rfm: bool,
    bins: int,
    monetary_col: str | None,
    stages: bool,
    stage_scheme: Optional[StageScheme],
    unit: TimeUnit | None,
    max_distinct: int,
    exact: dict[str, bool],
    clmkit: Any,
) -> tuple[Optional[RFMScorer], Optional[StageScheme]]:
    """The RFM scorer (global quantile edges) and the resolved stage scheme, from one pass."""
    scorer = None
    if rfm:
        scorer = clmkit.RFMScorer(bins=bins, monetary_col=monetary_col)
    scheme: Optional[StageScheme] = None
    need_median = False
    if stages:
        scheme = stage_scheme if stage_scheme is not None else clmkit.StageScheme()
        need_median = any(
            getattr(scheme, w) is None for w in ("new_window", "maturity_window", "median_ipt")
        )
    if scorer is None and not need_median:
        return scorer, scheme.resolve(pd.DataFrame(), unit) if scheme is not None else None
    tables = value_tables(summary_ddf, _Extract(scorer, need_median), max_distinct)
    exact.update({name: t.exact for name, t in tables.items()})
    if scorer is not None:
        # The edges are fitted globally; setting them as RFMScorer.from_json does keeps
        # method="quantile", so transform() gives rfm_scores' output on the whole summary.
        scorer.edges_ = {
            name: tables[name].quantile_edges(bins)
            for name in ("recency", "frequency", "monetary")
            if name in tables
        }
        scorer._check_edges()  # validates the edges
    if need_median:
        if "ipt" not in tables or tables["ipt"].n == 0:
            raise ValueError(
                "cannot derive default stage windows: the data have no repeat "
                "buyer; give StageScheme(new_window=..., maturity_window=..., "
                "churn_window=..., median_ipt=...)"
            )
        median = tables["ipt"].median()
        # A one-row summary whose median inter-purchase time is exactly `median` (recency /
        # one repeat) lets StageScheme.resolve derive the windows as it does in memory.
        probe = pd.DataFrame(
            {"frequency": [1.0], "recency": [median], "T": [median], "n_periods": [2.0]}
        )
        assert scheme is not None  # need_median is only set with a scheme
        scheme = scheme.resolve(probe, unit)
    elif scheme is not None:
        scheme = scheme.resolve(pd.DataFrame(), unit)
    return scorer, scheme


class _Extract:
    """Per-partition arrays of the global tables (validated as the in-memory functions do)."""

    def __init__(self, scorer: Optional[RFMScorer], need_median: bool) -> None:
        self.scorer, self.need_median = scorer, need_median

    def __call__(self, part: pd.DataFrame) -> dict[str, np.ndarray]:
        from ..stages.scheme_values import repeats_of

        out: dict[str, np.ndarray] = {}
        if self.scorer is not None:
            _, values, _ = self.scorer._spec().read(part)
            out.update(values)
        if self.need_median:
            repeats = repeats_of(part)
            recency = part["recency"].to_numpy(dtype=float)
            mask = repeats > 0
            out["ipt"] = recency[mask] / repeats[mask]
        return out


# --- per partition ---------------------------------------------------------------------------


def _example_summary(meta: pd.DataFrame) -> pd.DataFrame:
    """One valid summary row with the meta's columns and dtypes (for the output meta)."""
    values = {
        "frequency": 1.0,
        "recency": 1.0,
        "T": 2.0,
        "monetary_value": 1.0,
        "n_periods": 2.0,
        "total_value": 2.0,
        "inactivity": 1.0,
        "gap_before_last": 1.0,
    }
    nonempty = dd.utils.meta_nonempty(meta).iloc[:1]  # type: ignore[attr-defined]
    example = nonempty.copy()
    for col, v in values.items():
        if col in example.columns:
            example[col] = v
    example.attrs = dict(meta.attrs)
    return cast(pd.DataFrame, example)


def _score_partition(
    part: pd.DataFrame,
    count_model: Optional[CountModel],
    spend_model: Optional[GammaGamma],
    label: str,
    h_units: float,
    with_summary: bool,
    scorer: Optional[RFMScorer],
    scheme: Optional[StageScheme],
    clv_periods: int = 1,
    clv_period: Optional[Period] = None,
    discount_rate: float = 0.0,
    partition_info: PartitionInfo = None,
) -> pd.DataFrame:
    import clmkit

    with partition_errors(partition_info):
        out = part.copy() if with_summary else pd.DataFrame(index=part.index)
        f, r, T = (part[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
        p_alive = None
        if count_model is not None:
            # A covariate fit reads each customer's covariates from the partition.
            cov = part if count_model._has_covariates() else None
            p_alive = np.asarray(count_model.p_alive(f, r, T, covariates=cov), dtype=float)
            out["p_alive"] = p_alive
            out[f"expected_purchases_{label}"] = np.asarray(
                count_model.conditional_expected_purchases(h_units, f, r, T, covariates=cov),
                dtype=float,
            )
        if spend_model is not None:
            m = np.where(f > 0, part["monetary_value"].to_numpy(dtype=float), 0.0)
            cov = part if spend_model._has_covariates() else None
            out["expected_spend"] = np.asarray(
                spend_model.conditional_expected_spend(f, m, covariates=cov), dtype=float
            )
            if count_model is not None:
                extra = _covariate_names(count_model) + _covariate_names(spend_model)
                columns = ["frequency", "recency", "T", "monetary_value"]
                clv = clmkit.customer_lifetime_value(
                    count_model,
                    spend_model,
                    part[columns + [c for c in dict.fromkeys(extra) if c not in columns]],
                    horizon=clv_periods,
                    period="30D" if clv_period is None else clv_period,
                    discount_rate=discount_rate,
                )
                out[f"clv_{label}"] = np.asarray(clv, dtype=float)
        if scorer is not None:
            rfm = scorer.transform(part)
            for col in rfm.columns:
                out[col] = rfm[col]
            out["rfm_segment"] = clmkit.rfm_segments(rfm)
        if scheme is not None:
            out["stage"] = clmkit.assign_stages(part, p_alive=p_alive, scheme=scheme)
    return cast(pd.DataFrame, out)
