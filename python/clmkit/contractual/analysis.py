"""The contractual part of :func:`clmkit.analyze` (``contractual=``): a subscription log
summarised, a retention model fitted, the per-customer columns and what the report's
subscription section needs, kept together in one :class:`ContractualRun`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import pandas as pd

from .._typing import DateLike, JSONDict
from .._validation import check_choice
from ._base import RetentionModelBase
from .subscriptions import cohort_survivors, customer_table, summarize_subscriptions

__all__ = ["ContractualRun", "analysis_columns", "fit_subscriptions"]


@dataclass
class ContractualRun:
    """A fitted subscription analysis.

    Attributes
    ----------
    model : ShiftedBetaGeometric or BetaDiscreteWeibull
        Fitted on every subscriber of the log.
    subscriptions : pandas.DataFrame
        :func:`summarize_subscriptions`' result (one row per subscriber).
    table : pandas.DataFrame
        :func:`customer_table`'s columns on the same index (``value`` only with a margin).
    survivors : pandas.DataFrame
        :func:`cohort_survivors`: survivors by cohort and period since joining.
    settings : dict
        period, margin, discount_rate, observation_period (the report's words).
    """

    model: RetentionModelBase
    subscriptions: pd.DataFrame
    table: pd.DataFrame
    survivors: pd.DataFrame
    settings: JSONDict = field(default_factory=dict)

    def columns(self, index: pd.Index) -> pd.DataFrame:
        """The table prefixed ``sub_`` and aligned on ``index`` (NaN for customers without a
        subscription)."""
        table = self.table
        if len(table):
            table = table.set_axis(table.index.astype(index.dtype))
        out: pd.DataFrame = table.add_prefix("sub_").reindex(index)
        return out


def fit_subscriptions(
    log: object,
    customer_id_col: str,
    start_col: str,
    end_col: Optional[str] = None,
    period: str = "M",
    model: str = "bdw",
    margin: Optional[float] = None,
    discount_rate: float = 0.01,
    observation_period_end: DateLike = None,
    renewal_dates: str = "calendar",
) -> ContractualRun:
    """Summarises a subscription log, fits ``model`` ("bdw" or "sbg") and values each
    subscriber (see :func:`analysis_columns` for the arguments; ``renewal_dates`` as in
    :func:`clmkit.summarize_subscriptions`).

    Examples
    --------
    >>> import pandas as pd, clmkit
    >>> from clmkit.contractual.analysis import fit_subscriptions
    >>> log = pd.DataFrame({"id": [1, 2, 3, 4],
    ...                     "start": pd.to_datetime(["2024-01-05"] * 4),
    ...                     "end": pd.to_datetime(["2024-02-05", "2024-04-05", None, None])})
    >>> run = fit_subscriptions(log, "id", "start", "end", model="sbg",
    ...                         observation_period_end="2024-06-30")
    >>> run.table["churned"].tolist()
    [True, True, False, False]
    """
    from .models import BetaDiscreteWeibull, ShiftedBetaGeometric

    check_choice(model, "contractual model", ("sbg", "bdw"))
    subs = summarize_subscriptions(
        log,
        customer_id_col,
        start_col,
        end_col,
        observation_period_end,
        period,
        output="pandas",
        renewal_dates=renewal_dates,
    )
    fitted = (BetaDiscreteWeibull() if model == "bdw" else ShiftedBetaGeometric()).fit(subs)
    table = customer_table(fitted, subs, 1.0 if margin is None else margin, discount_rate)
    if margin is None:
        table = table.drop(columns="value")
    settings = {
        "period": period,
        "margin": margin,
        "discount_rate": discount_rate,
        "observation_period": subs.attrs.get("clmkit", {}).get("observation_period", ""),
    }
    return ContractualRun(fitted, subs, table, cohort_survivors(subs), settings)


def analysis_columns(
    index: pd.Index,
    log: object,
    customer_id_col: str,
    start_col: str,
    end_col: Optional[str] = None,
    period: str = "M",
    model: str = "bdw",
    margin: Optional[float] = None,
    discount_rate: float = 0.01,
    observation_period_end: DateLike = None,
    renewal_dates: str = "calendar",
) -> pd.DataFrame:
    """Contractual columns for :func:`clmkit.analyze`'s customer table (``contractual=``):
    the subscription log summarised, a retention model fitted, and
    :func:`customer_table`'s columns (prefixed ``sub_``) aligned on ``index`` (NaN for
    customers without a subscription). ``sub_value`` only with a ``margin``."""
    run = fit_subscriptions(
        log,
        customer_id_col,
        start_col,
        end_col,
        period,
        model,
        margin,
        discount_rate,
        observation_period_end,
        renewal_dates,
    )
    return run.columns(index)
