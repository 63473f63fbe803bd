"""The order of :func:`clmkit.analyze`'s steps and their options."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Optional, Union

import pandas as pd

from .._io import TransactionLog, check_output, library_of
from .._validation import check_choice, check_int, check_positive_float
from ..summary import summarize
from ..summary.units import TimeUnit, time_unit_of
from . import model_steps, steps
from .covariates import covariate_table, effects_table
from .durations import duration_days
from .result import Analysis, Progress
from .runner import StepRunner

if TYPE_CHECKING:
    from .._typing import DateLike, FrameLike
    from ..stages import StageScheme

__all__ = ["analyze"]

Duration = Union[str, float]


def analyze(
    transactions: Union[FrameLike, TransactionLog],
    customer_id_col: Optional[str] = None,
    datetime_col: Optional[str] = None,
    monetary_value_col: Optional[str] = None,
    observation_period_end: DateLike = None,
    freq: str = "D",
    horizon: Duration = "365D",
    discount_rate: float = 0.01,
    models: Sequence[str] = ("mbgnbd", "gammagamma"),
    stage_scheme: Union[StageScheme, Literal["default"], None] = None,
    *,
    stage_windows: Optional[Mapping[str, Duration]] = None,
    clv_period: Duration = "30D",
    calibration_period_end: DateLike = None,
    snapshots: int = 6,
    top: int = 50,
    interval_level: Optional[float] = 0.9,
    currency: Optional[str] = None,
    progress: Optional[Progress] = None,
    # keyword arguments of fit_subscriptions, of mixed kinds: it checks each one
    contractual: Optional[Mapping[str, Any]] = None,
    covariates: Optional[FrameLike] = None,
    output: Optional[str] = None,
) -> Analysis:
    """Everything clmkit knows about every customer, in one table.

    Summarises the log (:func:`clmkit.summarize`), scores RFM on recency, purchase count and
    total spend and segments (:func:`clmkit.rfm_scores`, :func:`clmkit.rfm_segments`,
    :func:`clmkit.abc_classes`), fits a transaction model (P(alive), expected purchases,
    churn within the horizon, the next purchase date) and Gamma-Gamma (expected spend,
    discounted CLV with an interval), places customers in lifecycle stages now and at
    monthly snapshots (:func:`clmkit.stage_history`) and lists the early warnings. Each
    column equals the individual function's result (columns: ``docs/snippets/analyze_columns.md``).

    Parameters
    ----------
    transactions : DataFrame or TransactionLog
        The transaction log (pandas, polars or pyarrow), read once into a
        :class:`clmkit.TransactionLog` that every step uses; a TransactionLog is used as it is.
    customer_id_col, datetime_col, monetary_value_col, observation_period_end, freq
        As in :func:`clmkit.summarize` (the column names may be left out for a
        TransactionLog, whose values are used only when ``monetary_value_col`` names them).
        Without ``monetary_value_col`` the value columns (m_score, expected_spend, CLV) are
        left out and ABC uses purchase periods.
    horizon : str or float
        Prediction horizon: a duration ("365D", "26W", "3M", "1Y"; a month is 30.436875
        days and a year 365.2425 days, see :mod:`clmkit.analyze.durations`) or a number of
        ``freq`` units.
    discount_rate : float
        Discount rate per ``clv_period``.
    models : sequence of str
        One transaction model of "mbgnbd" (default: modified BG/NBD, which lets a customer
        drop out after the first purchase, so one-time buyers are not all "alive"),
        "paretonbd" or "bgnbd", and optionally "gammagamma" for spend and CLV. Empty:
        descriptive columns only.
    stage_scheme : StageScheme, optional
        Lifecycle stage rules (default: :class:`clmkit.StageScheme` defaults, judging
        one-time buyers by P(alive) too when the model gives them one below 1).
    stage_windows : mapping, optional
        ``new_window`` / ``maturity_window`` / ``churn_window`` as durations ("90D", "6M"),
        overriding those of the scheme.
    clv_period : str or float
        Length of a discounting period; the CLV sums ``round(horizon / clv_period)`` periods.
    calibration_period_end : date-like, optional
        Also fit the transaction model up to this date and keep calibration vs holdout data
        (``Analysis.cal_holdout``) for the report's calibration plot.
    interval_level : float or None
        Coverage of the CLV interval (``clv_<h>_low`` / ``clv_<h>_high``): the fit's normal
        approximation carried to each customer by the delta method, no refits
        (:mod:`clmkit.analyze.intervals`); None leaves it out.
    currency : str, optional
        Currency of the amounts (e.g. "EUR"), shown by the report.
    snapshots : int
        Number of monthly snapshots (ending at the observation end) of the stage history.
    top : int
        Length of the early-warning list.
    progress : callable, optional
        Called as ``progress(step, seconds)`` after each step.
    contractual : mapping, optional
        A subscription log and its options, the arguments of
        :func:`clmkit.contractual.analysis.analysis_columns` (``log``,
        ``start_col``, ``end_col``, ``period``, ``model`` "bdw" or "sbg", ``margin``;
        ``customer_id_col`` defaults to this one): adds ``sub_tenure``, ``sub_churned``,
        ``sub_p_active_next_period``, ``sub_expected_residual_lifetime``, ``sub_derl`` (and
        ``sub_value`` with a margin) from a fitted retention model.
    covariates : DataFrame, optional
        Time-invariant customer attributes (acquisition channel, region, first order
        value, ...): one row per customer, keyed by the customer id (a pandas index, or a
        ``customer_id_col`` column in any library), as lifelines takes a covariate frame.
        Numeric and boolean columns are used as they are; text and categorical columns are
        one-hot encoded against their first level (``channel=web``). Every column enters the
        purchase and the dropout process of the transaction model and the spend scale of
        Gamma-Gamma (Fader & Hardie's exp(g'z) links; see the covariates guide), so P(alive),
        expected purchases, spend and CLV use each customer's own parameters.
        ``Analysis.covariate_effects`` holds the coefficients and the report a "What drives
        purchasing and churn" table. Every customer of the log needs a row (missing ids are
        an error naming a few); extra rows are ignored. The CLV interval carries the
        uncertainty of the base parameters and the coefficients together (delta method
        at each customer's covariates), and the stage-history snapshots use each
        customer's P(alive) at their own covariates.
    output : {"pandas", "polars", "arrow", "numpy"}, optional
        Library of the returned tables; by default that of the input. ``Analysis.to_pandas()``
        gives the pandas tables (indexed by customer id) whatever the library.

    Returns
    -------
    Analysis
        With ``warnings`` listing reasons to read the model columns with care (too little
        data, a fit at the boundary of the parameter space); the report shows them first.

    Raises
    ------
    ValueError, TypeError
        Bad input, from the same validation as the individual functions; a log without
        transactions.

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
    check_output(output)
    windows = _check_windows(stage_windows)
    target = output or library_of(transactions)
    # Read once: projection, null/type checks, date parsing and id factorisation happen here and
    # nowhere else; every step below (summary, stage history, calibration/holdout) takes the
    # same TransactionLog and goes straight to its arrays. Internal tables are pandas.
    log = _read_log(transactions, customer_id_col, datetime_col, monetary_value_col)
    if len(log) == 0:
        raise ValueError("the transaction log has no transactions (no data rows)")
    customer_id_col, datetime_col = log.customer_id_col, log.datetime_col
    transactions = log
    run = StepRunner(progress)
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
    h_units = float(horizon) if horizon_days is None else horizon_days / unit.days
    obs_end = pd.Timestamp(table.attrs["clmkit"]["observation_period_end"])
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
            "horizon_days": h_units * unit.days,
            "discount_rate": float(discount_rate),
            "clv_period": str(clv_period),
            "models": list(models),
            "interval_level": interval_level,
            "currency": currency,
            "calibration_period_end": None
            if calibration_period_end is None
            else str(calibration_period_end),
        },
    )
    has_money = monetary_value_col is not None
    parts: list[Optional[pd.DataFrame]] = [
        table,
        run.step("rfm", lambda: steps.rfm_columns(table, has_money)),
    ]
    if contractual is not None:
        parts.append(
            run.step(
                "contractual",
                lambda: _contractual(analysis, table.index, customer_id_col, contractual),
            )
        )
    ctx = model_steps.Context(run, analysis, parts, unit, obs_end, steps.horizon_label(horizon))
    if covariates is not None:
        ctx.covariates = covariate_table(covariates, table.index, customer_id_col)
        analysis.settings["covariates"] = list(ctx.covariates.columns)
    tx_name = next((m for m in models if m in steps.TRANSACTION_MODELS), None)
    tx_model, reliable = model_steps.fit_transactions(ctx, tx_name)
    scheme = model_steps.stage_scheme_for(stage_scheme, windows, tx_model, unit)
    resolved = scheme.resolve(table, unit)  # the summary's windows, the same for every step
    history = model_steps.start_stage_history(ctx, transactions, tx_model, resolved, snapshots)
    try:
        if tx_model is not None:
            spend = "gammagamma" in models and has_money
            args = (clv_period, discount_rate, interval_level, spend)
            model_steps.model_columns(ctx, tx_model, reliable, *args)
        analysis.table = pd.concat([p for p in parts if p is not None], axis=1)
        analysis.table.attrs = dict(table.attrs)
        analysis.covariate_effects = effects_table(analysis.models)
        model_steps.stage_steps(ctx, resolved, history, top)
    finally:
        history.wait()  # also on errors: no thread outlives the call
    if calibration_period_end is not None and tx_model is not None and tx_name is not None:
        model_steps.holdout_step(ctx, transactions, tx_name, calibration_period_end, freq)
    return analysis._delivered(target)


def _read_log(
    transactions: Union[FrameLike, TransactionLog],
    customer_id_col: Optional[str],
    datetime_col: Optional[str],
    monetary_value_col: Optional[str],
) -> TransactionLog:
    """The log read once; a :class:`TransactionLog` given by the caller is used as it is (its
    column names must match those given, which may be left out)."""
    if isinstance(transactions, TransactionLog):
        transactions.check_columns(customer_id_col, datetime_col, monetary_value_col)
        return transactions
    if customer_id_col is None or datetime_col is None:
        arg = "customer_id_col" if customer_id_col is None else "datetime_col"
        raise ValueError(f"{arg} is required (it may be left out for a TransactionLog only)")
    return TransactionLog.from_frame(
        transactions, customer_id_col, datetime_col, monetary_value_col
    )


def _contractual(
    analysis: Analysis, index: pd.Index, customer_id_col: str, options: Mapping[str, Any]
) -> pd.DataFrame:
    """The ``sub_`` columns; the fitted run is kept for the report's subscription section and
    its model for ``models.json`` (role "contractual")."""
    from ..contractual.analysis import fit_subscriptions

    run = fit_subscriptions(**{"customer_id_col": customer_id_col, **options})
    analysis.contractual = run
    analysis.models["contractual"] = run.model
    return run.columns(index)


def _check_options(
    horizon: Duration, discount_rate: float, models: Sequence[str], snapshots: int, top: int
) -> Optional[float]:
    """Checks the options; returns the horizon in days (None when given in model units)."""
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
    return duration_days(horizon, "horizon")


def _check_windows(windows: Optional[Mapping[str, Duration]]) -> dict[str, float]:
    """Stage windows in days, by StageScheme field name."""
    out: dict[str, float] = {}
    for name, value in (windows or {}).items():
        check_choice(name, "stage_windows", ("new_window", "maturity_window", "churn_window"))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name] = check_positive_float(value, name)
        else:
            out[name] = duration_days(value, name)
    return out
