"""The model steps of :func:`clmkit.analyze`: the transaction and spend fits (refused or
flagged when the data cannot support them), the lifecycle stages and the holdout check."""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np
import pandas as pd

from .._errors import ClmkitWarning
from ..exceptions import ConvergenceError
from ..summary import calibration_and_holdout
from ..summary.units import TimeUnit
from . import covariates, steps
from .intervals import clv_interval
from .patterns import Patterns, patterns_of
from .result import Analysis
from .runner import Pending, StepRunner

if TYPE_CHECKING:
    from .._io import TransactionLog
    from .._typing import DateLike
    from ..btyd import BTYDFitter, CountModel
    from ..stages import StageScheme

#: Below these counts a four-parameter transaction model is not fitted: its P(alive) and
#: forecasts would rest on a handful of people (the fit often runs to the boundary of the
#: parameter space and reports, e.g., r = 1e9 as converged).
MIN_CUSTOMERS = 30
MIN_REPEAT_BUYERS = 10
#: Gamma-Gamma needs repeat buyers with a positive mean spend.
MIN_SPEND_BUYERS = 10
#: A parameter beyond these bounds means the likelihood is flat in that direction: the data
#: do not identify the model (Fader, Hardie & Lee 2005 fit CDNOW with r, alpha, a, b in 0.2..80).
_BOUNDARY = (1e-5, 1e5)


@dataclass
class Context:
    run: StepRunner
    analysis: Analysis
    parts: list[Optional[pd.DataFrame]]
    unit: TimeUnit
    obs_end: pd.Timestamp
    label: str
    #: distinct (frequency, recency, T) patterns of the summary, found once for every step
    patterns: Optional[Patterns] = None
    #: customer covariates aligned with the summary (``analyze(covariates=...)``)
    covariates: Optional[pd.DataFrame] = None

    def warn(self, text: str) -> None:
        self.analysis.warnings.append(text)
        warnings.warn(text, ClmkitWarning, stacklevel=4)


def fit_transactions(ctx: Context, tx_name: Optional[str]) -> tuple[Optional[CountModel], bool]:
    """The transaction model (None when the data cannot support it or the fit fails, with a
    warning) and whether its fit is reliable (not at the boundary)."""
    table = ctx.parts[0]
    assert table is not None
    if tx_name is None or not _enough_for_transactions(ctx, table):
        return None, False
    try:
        model = ctx.run.step(
            "fit " + tx_name, lambda: steps.fit_transaction_model(tx_name, table, ctx.covariates)
        )
    except (ConvergenceError, ValueError) as exc:  # the summary is valid: the model failed
        ctx.warn(
            f"the {tx_name} purchase model could not be fitted to this data ({_first(exc)}); "
            "P(alive), expected purchases and CLV are left out"
        )
        return None, False
    reliable = _check_boundary(ctx, model, tx_name)
    ctx.analysis.models["transactions"] = model
    return model, reliable


def model_columns(
    ctx: Context,
    model: CountModel,
    reliable: bool,
    clv_period: Union[str, float],
    discount_rate: float,
    interval_level: Optional[float],
    spend: bool,
) -> None:
    """Appends the transaction model's columns to ``ctx.parts``, and with ``spend`` fits
    Gamma-Gamma and appends the value columns (CLV and its interval)."""
    table = ctx.parts[0]
    assert table is not None
    h_units = float(ctx.analysis.settings["horizon_units"])

    def predict() -> pd.DataFrame:
        if ctx.covariates is not None:
            profiles = len(np.unique(ctx.covariates.to_numpy(float), axis=0))
            if profiles > covariates.MAX_PROFILES:
                ctx.analysis.skipped["expected_next_purchase"] = (
                    f"{profiles} distinct covariate profiles (more than "
                    f"{covariates.MAX_PROFILES}): the next purchase date is left empty"
                )
            args = (h_units, ctx.label, ctx.unit, ctx.obs_end)
            return covariates.btyd_columns(model, table, ctx.covariates, *args)
        ctx.patterns = patterns_of(table)
        return steps.btyd_columns(
            model, table, h_units, ctx.label, ctx.unit, ctx.obs_end, ctx.patterns
        )

    predicted = ctx.run.step("predict purchases", predict)
    ctx.parts.append(predicted)
    if not spend or not _enough_for_spend(ctx, table):
        return
    try:
        gg = ctx.run.step("fit gammagamma", lambda: steps.fit_spend_model(table, ctx.covariates))
    except (ConvergenceError, ValueError) as exc:
        ctx.warn(
            f"the Gamma-Gamma spend model could not be fitted ({_first(exc)}); "
            "expected spend and CLV are left out"
        )
        return
    _check_boundary(ctx, gg, "Gamma-Gamma")
    ctx.analysis.models["spend"] = gg
    value = ctx.run.step(
        "clv",
        lambda: steps.value_columns(
            model,
            gg,
            table,
            ctx.label,
            h_units,
            clv_period,
            discount_rate,
            ctx.unit,
            ctx.covariates,
        ),
    )
    ctx.parts.append(value)
    if interval_level is not None and reliable:
        expected = predicted[f"expected_purchases_{ctx.label}"].to_numpy(float)
        _interval(ctx, model, value, table, h_units, interval_level, expected)
    elif interval_level is not None:
        ctx.analysis.skipped["clv interval"] = "the purchase model's fit is at the boundary"


def _interval(
    ctx: Context,
    model: CountModel,
    value: pd.DataFrame,
    table: pd.DataFrame,
    h_units: float,
    level: float,
    expected: np.ndarray,
) -> None:
    clv = value[f"clv_{ctx.label}"].to_numpy()
    try:
        low, high = ctx.run.step(
            "clv interval",
            lambda: clv_interval(
                model, clv, table, h_units, level, ctx.patterns, expected, ctx.covariates
            ),
        )
    except ValueError as exc:  # parameter draws outside the model's domain
        ctx.warn(f"no CLV range: {exc}")
        ctx.analysis.skipped["clv interval"] = str(exc)
        return
    value[f"clv_{ctx.label}_low"], value[f"clv_{ctx.label}_high"] = low, high


def _first(exc: Exception) -> str:
    """The first clause of a fit error, without advice meant for Python callers."""
    return str(exc).split(";")[0].split(". ")[0].strip()


def _enough_for_transactions(ctx: Context, table: pd.DataFrame) -> bool:
    n, repeat = len(table), int((table["frequency"].to_numpy() > 0).sum())
    if n >= MIN_CUSTOMERS and repeat >= MIN_REPEAT_BUYERS:
        return True
    ctx.warn(
        f"too little data for a transaction model: {n} customers, {repeat} repeat buyers "
        f"(at least {MIN_CUSTOMERS} customers and {MIN_REPEAT_BUYERS} repeat buyers are "
        "needed); P(alive), expected purchases and CLV are left out"
    )
    ctx.analysis.skipped["transaction model"] = "too little data"
    return False


def _enough_for_spend(ctx: Context, table: pd.DataFrame) -> bool:
    f, m = table["frequency"].to_numpy(), table["monetary_value"].to_numpy()
    usable = int(((f > 0) & (m > 0)).sum())
    if usable >= MIN_SPEND_BUYERS:
        return True
    ctx.warn(
        f"too little data for the spend model: {usable} repeat buyers with a positive spend "
        f"(at least {MIN_SPEND_BUYERS} are needed); expected spend and CLV are left out"
    )
    ctx.analysis.skipped["spend model"] = "too little data"
    return False


def _check_boundary(ctx: Context, model: BTYDFitter, name: str) -> bool:
    """Warns (and returns False) when the fit is not identified by the data."""
    params = model.params_
    low, high = _BOUNDARY
    odd = [f"{k} = {v:.3g}" for k, v in params.items() if not low <= float(v) <= high]
    se = np.asarray(getattr(model, "standard_errors_", params * 0), dtype=float)
    if odd or not np.isfinite(se).all() or not getattr(model, "converged_", True):
        why = ", ".join(odd) if odd else "standard errors not finite or no convergence"
        ctx.warn(
            f"the {name} fit is at the boundary of its parameter space ({why}): the data do "
            "not pin the model down, so its predictions for individual customers are unreliable"
        )
        return False
    return True


def stage_scheme_for(
    scheme: Union[StageScheme, str, None],
    windows: dict[str, float],
    model: Optional[CountModel],
    unit: TimeUnit,
) -> StageScheme:
    """The stage scheme of the run: the caller's (or the defaults) with the given windows
    (days -> model units). With a model that gives one-time buyers a P(alive) below 1
    (MBG/NBD, Pareto/NBD) they are judged by it too, so no one-time buyer is 'churned' with
    P(alive) near 1 or 'new' with P(alive) near 0."""
    import clmkit

    if scheme is None or scheme == "default":
        base = clmkit.StageScheme()
    elif isinstance(scheme, clmkit.StageScheme):
        base = scheme
    else:
        raise TypeError(f"stage_scheme must be a StageScheme or None, got {scheme!r}")
    # StageScheme fields by name, each of its own kind (dataclasses.replace checks the names)
    changes: dict[str, Any] = {k: v / unit.days for k, v in windows.items()}
    if scheme is None and model is not None and not isinstance(model, clmkit.BetaGeo):
        changes["p_alive_for_one_time"] = True
    return dataclasses.replace(base, **changes) if changes else base


def start_stage_history(
    ctx: Context,
    transactions: TransactionLog,
    tx_model: Optional[CountModel],
    scheme: StageScheme,
    snapshots: int,
) -> Pending[tuple[pd.DataFrame, Optional[pd.DataFrame]]]:
    """Starts the stage history (stages at monthly snapshots, with the model's P(alive)) in a
    thread: it needs only the log, the summary and the fitted model, and spends its time in
    Rust with the GIL released, so it runs while the model and value columns are computed
    (1M customers, 2 cores: 0.8 s less). The transition matrix between the snapshots follows
    in the same thread. ``scheme`` is resolved."""
    import clmkit

    table, s = ctx.parts[0], ctx.analysis.settings
    assert table is not None
    first = pd.Timestamp(table["first_purchase"].min())
    dates = steps.month_end_snapshots(first, pd.Timestamp(s["observation_period_end"]), snapshots)

    def history_and_transitions() -> tuple[pd.DataFrame, Optional[pd.DataFrame]]:
        history = clmkit.stage_history(
            transactions,
            dates,
            s["customer_id_col"],
            s["datetime_col"],
            scheme=scheme,
            model=tx_model,
            # a covariate fit's P(alive) at each snapshot uses the customer's own covariates
            covariates=ctx.covariates,
            freq=s["freq"],
            observation_period_end=s["observation_period_end"],
            output="pandas",
        )
        several = len(dates) > 1
        return history, clmkit.transition_matrix(history) if several else None

    return ctx.run.start("stage history and transitions", history_and_transitions)


def stage_steps(
    ctx: Context,
    resolved: StageScheme,
    history_step: Pending[tuple[pd.DataFrame, Optional[pd.DataFrame]]],
    top: int,
) -> None:
    """Stages now, then (once the stage history started by :func:`start_stage_history` is
    done) the early-warning list."""
    import clmkit

    t, s = ctx.analysis.table, ctx.analysis.settings
    # Windows in days; churn_window is absent when it is per customer (the default).
    windows = {
        name: float(value) * ctx.unit.days
        for name in ("new_window", "maturity_window", "churn_window", "median_ipt")
        if isinstance(value := getattr(resolved, name), float)
    }
    s["stage_windows_days"] = windows
    s["stage_thresholds"] = {
        "at_risk_p": resolved.at_risk_p,
        "churn_p": resolved.churn_p,
        "at_risk_factor": resolved.at_risk_factor,
    }
    s["stage_churn_rule"] = (
        f"{windows['churn_window']:,.0f} days"
        if "churn_window" in windows
        else f"{resolved.churn_factor:.2g} x their usual time between purchases (at least "
        f"{2 * windows['median_ipt']:,.0f} days)"
    )
    p_alive = t["p_alive"].to_numpy(float) if "p_alive" in t else None
    stage = ctx.run.step(
        "stages",
        lambda: clmkit.assign_stages(t, p_alive=p_alive, scheme=resolved, return_reason=True),
    )
    t["stage"] = stage["stage"]
    # a few distinct texts over a million rows: categories, not a million Python strings
    t["stage_reason"] = stage["reason"].astype("category")
    history, ctx.analysis.transitions = history_step.result()
    ctx.analysis.stage_history = history
    value = t.get(f"clv_{ctx.label}", None)
    s["early_warning_value"] = "clv"
    if value is None:  # no amounts: rank by purchases so far (a frequent buyer gone first)
        value = t["n_periods"].astype(float)
        s["early_warning_value"] = "purchases"

    warning = ctx.run.step(
        "early warning", lambda: clmkit.early_warning(history, value=value, top=top)
    )
    # a pandas history gives a pandas table (early_warning returns the caller's library)
    ctx.analysis.early_warning = warning if isinstance(warning, pd.DataFrame) else None


def holdout_step(
    ctx: Context,
    transactions: TransactionLog,
    tx_name: str,
    calibration_period_end: DateLike,
    freq: str,
) -> None:
    import clmkit

    s = ctx.analysis.settings

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
        ctx.analysis.models["calibration"] = model
        ctx.analysis.holdout_evaluation = clmkit.evaluate_holdout(model, cal)
        result: pd.DataFrame = cal
        return result

    ctx.analysis.cal_holdout = ctx.run.step("calibration/holdout", fit)
