"""One call from a transaction log to one customer table: :func:`analyze`."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import pandas as pd

from . import _analysis_steps as steps
from ._io import check_output, deliver, library_of, read
from ._units import TimeUnit, time_unit_of, to_units
from ._validation import check_choice, check_int, check_positive_float
from .summary import calibration_and_holdout, summarize

__all__ = ["analyze", "Analysis"]

Progress = Callable[[str, float], None]


@dataclass
class Analysis:
    """The result of :func:`analyze`.

    Attributes
    ----------
    table : DataFrame
        One row per customer (columns: ``docs/snippets/analyze_columns.md``): a pandas
        DataFrame indexed by customer id, or in the input's library (``output=``) with the
        customer id as the first column, as every other entry point returns its tables.
    models : dict
        Fitted models by role (``"transactions"``, ``"spend"``, ``"calibration"``).
    settings : dict
        The arguments of the run (horizon, units, observation end, ...), JSON-ready.
    stage_history, transitions, early_warning : DataFrame or None
        Stages at monthly snapshots, the stage transition matrix between them and the
        customers who just moved into at-risk / churned, ranked by value at stake.
    cal_holdout : DataFrame or None
        Calibration / holdout data when ``calibration_period_end`` was given.
    holdout_evaluation : clmkit.HoldoutEvaluation or None
        Errors of the calibration model's holdout predictions (MAE, RMSE, aggregate error).
    timings : dict
        Seconds spent in each step.
    skipped : dict
        Steps that did not run and why.
    library : str
        Library of the tables: "pandas", "polars", "arrow" or "numpy" (dicts of arrays).
    """

    table: Any
    models: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    stage_history: Optional[pd.DataFrame] = None
    transitions: Optional[pd.DataFrame] = None
    early_warning: Optional[pd.DataFrame] = None
    cal_holdout: Optional[pd.DataFrame] = None
    holdout_evaluation: Any = None
    timings: dict = field(default_factory=dict)
    skipped: dict = field(default_factory=dict)
    library: str = "pandas"
    _pandas: Optional[Analysis] = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:
        t = self.to_pandas().table
        return f"Analysis({len(t):,} customers, {t.shape[1]} columns, models={sorted(self.models)})"

    def to_pandas(self) -> Analysis:
        """This analysis with pandas tables indexed by customer id (itself when it has them)."""
        return self if self._pandas is None else self._pandas

    def _delivered(self, target: str) -> Analysis:
        """This (pandas) analysis with every table in ``target``'s library."""
        if target == "pandas":
            return self
        tables = {
            name: None if getattr(self, name) is None else deliver(getattr(self, name), target)
            for name in ("table", "stage_history", "transitions", "early_warning", "cal_holdout")
        }
        return dataclasses.replace(self, **tables, library=target, _pandas=self)

    def summary(self) -> dict:
        """Headline numbers, segment and stage counts.

        Returns
        -------
        dict
            ``customers``, ``repeat_customers``, ``total_value`` (historic), the sums of the
            horizon columns (expected purchases, CLV) and the mean P(alive) where present,
            and ``segments`` / ``stages`` / ``abc_classes``: customers per label (pandas
            Series, largest first; stages in stage order).
        """
        t = self.to_pandas().table
        out: dict[str, Any] = {
            "customers": len(t),
            "repeat_customers": int((t["frequency"] > 0).sum()),
        }
        if "total_value" in t:
            out["total_value"] = float(t["total_value"].sum())
        for col in t.columns:
            if col.startswith(("expected_purchases_", "clv_")) and not col.endswith(
                ("_low", "_high")
            ):
                out[col] = float(t[col].sum())
        if "p_alive" in t:
            out["mean_p_alive"] = float(t["p_alive"].mean())
        for key, col in (
            ("segments", "rfm_segment"),
            ("stages", "stage"),
            ("abc_classes", "abc_class"),
        ):
            if col in t:
                counts = t[col].value_counts(sort=col != "stage")
                out[key] = counts[counts > 0] if col != "stage" else counts
        return out

    def models_json(self) -> str:
        """All fitted models and the run settings as one JSON document."""
        doc = {
            "format": "clmkit.analysis",
            "version": 1,
            "settings": self.settings,
            "models": {role: json.loads(model.to_json()) for role, model in self.models.items()},
            "skipped": self.skipped,
        }
        return json.dumps(doc, indent=2, default=str)

    def report(self, path: Any) -> Path:
        """Writes the self-contained HTML report to ``path`` (needs ``clmkit[plot]``)."""
        from .report import write_report

        return write_report(self.to_pandas(), path)

    def save(self, out_dir: Any, progress: Optional[Progress] = None) -> dict:
        """Writes ``customers.parquet``, ``customers.csv``, ``models.json`` and ``report.html``
        into ``out_dir`` (which must exist); returns the paths by name.

        ``progress(step, seconds)`` is called after each file."""
        out, table = Path(out_dir), self.to_pandas().table
        writers = {
            "customers.parquet": lambda p: table.to_parquet(p),
            "customers.csv": lambda p: table.to_csv(p),
            "models.json": lambda p: p.write_text(self.models_json(), encoding="utf-8"),
            "report.html": self.report,
        }
        paths = {}
        for name, write in writers.items():
            start = time.perf_counter()
            paths[name] = out / name
            write(paths[name])
            if progress is not None:
                progress(f"write {name}", time.perf_counter() - start)
        return paths


def analyze(
    transactions: Any,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: Optional[str] = None,
    observation_period_end: Any = None,
    freq: str = "D",
    horizon: Any = "365D",
    discount_rate: float = 0.01,
    models: Sequence[str] = ("bgnbd", "gammagamma"),
    stage_scheme: Any = None,
    *,
    clv_period: Any = "30D",
    calibration_period_end: Any = None,
    snapshots: int = 6,
    top: int = 50,
    interval_level: Optional[float] = 0.9,
    n_boot: int = 100,
    progress: Optional[Progress] = None,
    output: Optional[str] = None,
) -> Analysis:
    """Everything clmkit knows about every customer, in one table.

    Summarises the log (:func:`clmkit.summarize`), scores RFM and segments
    (:func:`clmkit.rfm_scores`, :func:`clmkit.rfm_segments`, :func:`clmkit.abc_classes`),
    fits a transaction model (P(alive), expected purchases, churn within the horizon, the
    next purchase date) and Gamma-Gamma (expected spend, discounted CLV), places customers
    in lifecycle stages now and at monthly snapshots (:func:`clmkit.stage_history`) and
    lists the early warnings. Each column equals the individual function's result.

    Parameters
    ----------
    transactions : DataFrame
        The transaction log (pandas, polars or pyarrow).
    customer_id_col, datetime_col, monetary_value_col, observation_period_end, freq
        As in :func:`clmkit.summarize`. Without ``monetary_value_col`` the value columns
        (m_score, expected_spend, CLV) are left out and ABC uses purchase periods.
    horizon : str or float
        Prediction horizon: a duration ("365D", "26W") or a number of ``freq`` units.
    discount_rate : float
        Discount rate per ``clv_period``.
    models : sequence of str
        One transaction model of "bgnbd", "mbgnbd", "paretonbd", and optionally
        "gammagamma" for spend and CLV. Empty: descriptive columns only.
    stage_scheme : StageScheme, optional
        Lifecycle stage rules (default: :class:`clmkit.StageScheme` defaults).
    clv_period : str or float
        Length of a discounting period; the CLV sums ``round(horizon / clv_period)`` periods.
    calibration_period_end : date-like, optional
        Also fit the transaction model up to this date and keep calibration vs holdout data
        (``Analysis.cal_holdout``) for the report's calibration plot.
    interval_level : float or None
        Coverage of the CLV interval (``clv_<h>_low`` / ``clv_<h>_high``, from the transaction
        model's parametric bootstrap); None leaves the interval out.
    n_boot : int
        Bootstrap replicates of the interval (deterministic: seed 0).
    snapshots : int
        Number of monthly snapshots (ending at the observation end) of the stage history.
    top : int
        Length of the early-warning list.
    progress : callable, optional
        Called as ``progress(step, seconds)`` after each step.
    output : {"pandas", "polars", "arrow", "numpy"}, optional
        Library of the returned tables; by default that of the input. ``Analysis.to_pandas()``
        gives the pandas tables (indexed by customer id) whatever the library.

    Returns
    -------
    Analysis

    Raises
    ------
    ValueError, TypeError
        Bad input, from the same validation as the individual functions.

    Examples
    --------
    >>> import clmkit
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> a = clmkit.analyze(log, "customer_id", "date", "amount", models=())
    >>> a.table.loc[1, ["frequency", "n_periods"]].tolist()
    [3.0, 4.0]
    """
    horizon_days = _check_options(horizon, discount_rate, models, snapshots, top)
    if interval_level is not None and not 0 < float(interval_level) < 1:
        raise ValueError(f"interval_level must be in (0, 1) or None, got {interval_level!r}")
    check_int(n_boot, "n_boot", low=2)
    check_output(output)
    target = output or library_of(transactions)
    # Projected once (a LazyFrame collected once) and kept in its own library: every step below
    # reads the columns through the same zero-copy door; internal tables are pandas.
    transactions = read(
        transactions,
        {
            "customer_id_col": customer_id_col,
            "datetime_col": datetime_col,
            "monetary_value_col": monetary_value_col,
        },
    ).native
    run = _Run(progress)
    table = run.step(
        "summary",
        lambda: summarize(
            transactions,
            customer_id_col,
            datetime_col,
            monetary_value_col,
            observation_period_end=observation_period_end,
            freq=freq,
            output="pandas",
        ),
    )
    unit = time_unit_of(table) or TimeUnit(freq)
    h_units = (
        to_units(horizon, unit, "horizon") if horizon_days is None else horizon_days / unit.days
    )
    label = steps.horizon_label(horizon)
    obs_end = pd.Timestamp(table.attrs["clmkit"]["observation_period_end"])
    has_money = monetary_value_col is not None
    analysis = Analysis(
        table=table,
        skipped=run.skipped,
        timings=run.timings,
        settings={
            "customer_id_col": customer_id_col,
            "datetime_col": datetime_col,
            "monetary_value_col": monetary_value_col,
            "freq": unit.freq,
            "observation_period_end": str(obs_end),
            "horizon": str(horizon),
            "horizon_units": h_units,
            "discount_rate": float(discount_rate),
            "clv_period": str(clv_period),
            "models": list(models),
            "interval_level": interval_level,
            "n_boot": n_boot,
            "calibration_period_end": None
            if calibration_period_end is None
            else str(calibration_period_end),
        },
    )

    parts = [
        table,
        run.step(
            "rfm",
            lambda: steps.rfm_columns(table, has_money),
            "rfm_scores",
            "rfm_segments",
            "abc_classes",
        ),
    ]
    tx_name = next((m for m in models if m in steps.TRANSACTION_MODELS), None)
    tx_model = _model_steps(
        run,
        analysis,
        parts,
        tx_name,
        unit,
        obs_end,
        clv_period,
        discount_rate,
        interval_level,
        n_boot,
        spend="gammagamma" in models and has_money,
    )
    analysis.table = pd.concat([p for p in parts if p is not None], axis=1)
    analysis.table.attrs = dict(table.attrs)
    _stage_steps(run, analysis, transactions, tx_model, stage_scheme, snapshots, top, label)
    if calibration_period_end is not None and tx_name:
        _holdout_step(run, analysis, transactions, tx_name, calibration_period_end, freq)
    return analysis._delivered(target)


def _model_steps(
    run,
    analysis,
    parts,
    tx_name,
    unit,
    obs_end,
    clv_period,
    discount_rate,
    interval_level,
    n_boot,
    spend: bool,
) -> Any:
    """Fits the transaction model (and Gamma-Gamma when ``spend``), appends their columns to
    ``parts`` and returns the transaction model (None when not fitted)."""
    if tx_name is None:
        return None
    table, s = parts[0], analysis.settings
    h_units, label = s["horizon_units"], steps.horizon_label(s["horizon"])
    tx_model = run.step(
        "fit " + tx_name,
        lambda: steps.fit_transaction_model(tx_name, table),
        steps.TRANSACTION_MODELS[tx_name],
    )
    if tx_model is None:
        return None
    analysis.models["transactions"] = tx_model
    parts.append(
        run.step(
            "predict purchases",
            lambda: steps.btyd_columns(tx_model, table, h_units, label, unit, obs_end),
        )
    )
    gg = (
        run.step("fit gammagamma", lambda: steps.fit_spend_model(table), "GammaGamma")
        if spend
        else None
    )
    if gg is None:
        return tx_model
    analysis.models["spend"] = gg
    value = run.step(
        "clv",
        lambda: steps.value_columns(
            tx_model, gg, table, label, h_units, clv_period, discount_rate, unit
        ),
        "customer_lifetime_value",
    )
    parts.append(value)
    if value is not None and interval_level is not None:
        _interval_step(run, value, tx_model, table, label, h_units, interval_level, n_boot)
    return tx_model


def _interval_step(run, value, model, table, label, h_units, level, n_boot) -> None:
    clv = value[f"clv_{label}"].to_numpy()
    if not hasattr(model, "predict_interval"):
        run.skip("clv interval", f"{type(model).__name__}.predict_interval is not in this build")
        return
    low, high = run.step(
        "clv interval",
        lambda: steps.clv_interval(model, clv, table, h_units, level, n_boot, seed=0),
    )
    value[f"clv_{label}_low"], value[f"clv_{label}_high"] = low, high


def _check_options(horizon, discount_rate, models, snapshots, top) -> Optional[float]:
    check_positive_float(discount_rate, "discount_rate", allow_zero=True)
    check_int(snapshots, "snapshots", low=1, high=120)
    check_int(top, "top", low=0)
    if isinstance(models, str):
        raise TypeError(f"models must be a sequence of model names, e.g. ({models!r},)")
    for name in models:
        check_choice(name, "models", [*steps.TRANSACTION_MODELS, *steps.SPEND_MODELS])
    if isinstance(horizon, (int, float)) and not isinstance(horizon, bool):
        check_positive_float(horizon, "horizon")
        return None
    try:
        days = pd.Timedelta(horizon).total_seconds() / 86400.0
    except (TypeError, ValueError):
        raise ValueError(f"horizon: cannot read {horizon!r} as a duration such as '365D'") from None
    if not days > 0:
        raise ValueError(f"horizon must be positive, got {horizon!r}")
    return days


def _stage_steps(run, analysis, transactions, tx_model, scheme, snapshots, top, label) -> None:
    import clmkit

    t, s = analysis.table, analysis.settings
    p_alive = t["p_alive"].to_numpy(float) if "p_alive" in t else None
    stage = run.step(
        "stages", lambda: clmkit.assign_stages(t, p_alive=p_alive, scheme=scheme), "assign_stages"
    )
    if stage is None:
        return
    t["stage"] = pd.Categorical(stage).set_categories(
        stage.cat.categories if hasattr(stage, "cat") else pd.Categorical(stage).categories
    )
    first = pd.Timestamp(t["first_purchase"].min())
    dates = steps.month_end_snapshots(first, pd.Timestamp(s["observation_period_end"]), snapshots)
    history = run.step(
        "stage history",
        lambda: clmkit.stage_history(
            transactions,
            dates,
            s["customer_id_col"],
            s["datetime_col"],
            scheme=scheme,
            model=tx_model,
            freq=s["freq"],
            observation_period_end=s["observation_period_end"],
            output="pandas",
        ),
        "stage_history",
        "transition_matrix",
        "early_warning",
    )
    if history is None:
        return
    analysis.stage_history = history
    analysis.transitions = clmkit.transition_matrix(history) if len(dates) > 1 else None
    value = t.get(f"clv_{label}", None)
    analysis.early_warning = clmkit.early_warning(history, value=value, top=top)


def _holdout_step(run, analysis, transactions, tx_name, calibration_period_end, freq) -> None:
    s = analysis.settings

    def fit() -> pd.DataFrame:
        cal = calibration_and_holdout(
            transactions,
            s["customer_id_col"],
            s["datetime_col"],
            calibration_period_end,
            s["observation_period_end"],
            freq=freq,
            output="pandas",
        )
        fit_on = cal[["frequency_cal", "recency_cal", "T_cal"]].rename(columns=lambda c: c[:-4])
        fit_on.attrs = dict(cal.attrs)
        model = steps.fit_transaction_model(tx_name, fit_on)
        analysis.models["calibration"] = model
        if steps.missing_api("evaluate_holdout") is None:
            import clmkit

            analysis.holdout_evaluation = clmkit.evaluate_holdout(model, cal)
        return cal

    analysis.cal_holdout = run.step("calibration/holdout", fit, steps.TRANSACTION_MODELS[tx_name])


class _Run:
    """Runs steps with timings, progress reports and skips for absent features."""

    def __init__(self, progress: Optional[Progress]) -> None:
        self.progress = progress
        self.timings: dict[str, float] = {}
        self.skipped: dict[str, str] = {}

    def skip(self, name: str, reason: str) -> None:
        self.skipped[name] = reason
        steps.warn_skipped(name, reason)

    def step(self, name: str, fn: Callable[[], Any], *needs: str) -> Any:
        reason = steps.missing_api(*needs) if needs else None
        if reason:
            self.skip(name, reason)
            return None
        start = time.perf_counter()
        result = fn()
        self.timings[name] = time.perf_counter() - start
        if self.progress is not None:
            self.progress(name, self.timings[name])
        return result
