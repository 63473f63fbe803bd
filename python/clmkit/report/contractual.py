"""The subscription section of the HTML report (``clmkit report --contractual``): who is
still subscribed, how retention evolves by cohort, the fitted retention model and the value
of the base, in a marketing analyst's words (template ``_contractual.html.j2``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Optional

import numpy as np
import pandas as pd

from .contractual_tables import base_comparison, retention_table, tenure_table
from .figures import figure_png
from .tables import Fmt, html_table
from .words import environment

if TYPE_CHECKING:
    from ..contractual._base import RetentionModelBase

__all__ = ["contractual_section", "render_contractual_report"]

_PERIOD_WORDS = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}
MODEL_NAMES = {
    "ShiftedBetaGeometric": "shifted-beta-geometric (sBG; Fader & Hardie 2007)",
    "BetaDiscreteWeibull": "beta-discrete-Weibull (BdW; Fader, Hardie, Liu, Davin & Steenburgh 2018)",
}

INTRO = (
    "Each subscriber either left at a known moment (churned) or is still with you. A retention "
    "model learns from every cohort how fast customers leave and how different they are: some "
    "leave quickly, the loyal ones stay for years, so the retention rate of a cohort rises with "
    "its tenure. That is why a subscriber who has stayed long is worth more than a new one, "
    "and why a single average retention rate undervalues the base (Fader &amp; Hardie 2010)."
)
ACTIONS = [
    "Spend retention effort where the first renewals are: the plots show that most of a "
    "cohort's losses happen in its first periods, while long-tenure subscribers rarely leave.",
    "Use <i>value</i> (margin x DERL) as the most you should spend to keep a subscriber; "
    "the value of the base is what the current subscribers will still bring, discounted.",
    "A cohort whose observed points fall below the model's curve churns faster than earlier "
    "ones: check what changed (price, channel, offer) when it was acquired.",
    "Refit every period: the parameters below, with their standard errors, show how firmly "
    "the data pin them down.",
]


def _headline(
    subs: pd.DataFrame, table: pd.DataFrame, fmt: Fmt, unit: str
) -> list[tuple[str, str, str]]:
    n = len(subs)
    active = ~subs["churned"].to_numpy(bool)
    cards = [
        ("Subscribers", Fmt.count(n), "ever observed"),
        (
            "Still active",
            Fmt.count(active.sum()),
            f"{Fmt.pct(active.mean() if n else 0.0)} of subscribers",
        ),
    ]
    if active.any():
        p_next = table["p_active_next_period"].to_numpy(float)[active]
        erl = table["expected_residual_lifetime"].to_numpy(float)[active]
        cards.append(
            (
                "Renewing next " + unit,
                Fmt.count(p_next.sum()),
                f"{Fmt.pct(p_next.mean())} of the active (expected)",
            )
        )
        cards.append(
            ("Expected further renewals", Fmt.num(float(np.mean(erl))), "per active subscriber")
        )
    if "value" in table:
        total = float(table["value"].sum())
        cards.append(
            ("Value of the base", fmt.money(total, 0), "margin x DERL, summed over the active")
        )
    return cards


def _cohort_table(subs: pd.DataFrame, table: pd.DataFrame, fmt: Fmt) -> str:
    frame = pd.DataFrame(
        {
            "cohort": subs["cohort"].astype(str),
            "active": ~subs["churned"].to_numpy(bool),
            "tenure": subs["tenure"].to_numpy(float),
            "p": table["p_active_next_period"].to_numpy(float),
            "value": table["value"].to_numpy(float) if "value" in table else np.nan,
        }
    )
    rows = []
    for cohort, g in frame.groupby("cohort", sort=True):
        act = g["active"].to_numpy(bool)
        rows.append(
            [
                str(cohort),
                Fmt.count(len(g)),
                Fmt.pct(act.mean()),
                Fmt.count(float(g["tenure"].max())),
                Fmt.pct(float(g["p"][act].mean())) if act.any() else "–",
                fmt.money(float(g["value"].sum()), 0) if "value" in table else "–",
            ]
        )
    header = ["Cohort", "Subscribers", "Still active", "Longest tenure", "P(renew next)", "Value"]
    return html_table(header, rows, caption="Per cohort (the period of the first start)")


def _new_subscriber(
    model: RetentionModelBase, margin: Optional[float], rate: float, fmt: Fmt, unit: str
) -> tuple[str, str, str]:
    """The card of a subscriber who just joined: DERL (Fader & Hardie 2010, eq. 6) at renewal
    0, in money with a margin."""
    derl = float(model.discounted_expected_residual_lifetime(0, rate))
    if margin is None:
        return ("A new subscriber", f"{Fmt.num(derl, 2)} {unit}s", "expected discounted payments")
    return (
        "A new subscriber is worth",
        fmt.money(float(margin) * derl),
        f"margin x DERL {derl:.2f}",
    )


def _model_table(model: Any) -> str:  # its summary's rows are labelled by parameter name
    s = model.summary
    rows = [
        [
            name,
            Fmt.num(r["coef"], 3),
            Fmt.num(r["se"], 3),
            f"{r['lower 95%']:.3g} – {r['upper 95%']:.3g}",
        ]
        for name, r in s.iterrows()
    ]
    return html_table(
        ["Parameter", "Estimate", "Std. error", "95% interval"], rows, cls="data narrow"
    )


def _fit_rows(model: RetentionModelBase) -> list[tuple[str, str]]:
    name = type(model).__name__
    return [
        ("Model", MODEL_NAMES.get(name, name)),
        ("Subscribers fitted", Fmt.count(model.n_customers_)),
        ("Log-likelihood", f"{model.log_likelihood_:,.2f}"),
        ("AIC / BIC", f"{model.aic_:,.1f} / {model.bic_:,.1f}"),
        ("Converged", "yes" if model.converged_ else "no (read the parameters with care)"),
    ]


def _figures(model: RetentionModelBase, survivors: pd.DataFrame) -> list[tuple[str, str]]:
    from ..plotting.contractual import plot_retention, plot_survival

    rows = survivors.iloc[-12:]  # the latest cohorts: more lines would not be readable
    return [
        (
            "Share of each cohort still subscribed: observed (markers) and the model (line)",
            figure_png(lambda ax: plot_survival(model, rows, ax=ax)),
        ),
        (
            "Retention rate by period since joining: it rises as the quick leavers are gone",
            figure_png(lambda ax: plot_retention(model, rows, ax=ax)),
        ),
    ]


def contractual_section(
    model: RetentionModelBase,
    subs: pd.DataFrame,
    table: pd.DataFrame,
    survivors: pd.DataFrame,
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """The template variables of the subscription section."""
    fmt = Fmt(settings.get("currency"))
    period = str(settings.get("period", "M"))
    unit = _PERIOD_WORDS.get(period, period)
    rate = float(settings.get("discount_rate") or 0.01)
    margin = settings.get("margin")
    method = [
        *_fit_rows(model),
        (
            "Renewal period",
            f"one {unit}; observation up to {settings.get('observation_period', '')}",
        ),
        ("Discount rate", f"{rate:.2%} per {unit}"),
        (
            "Margin",
            fmt.money(float(margin)) + f" per subscriber per {unit}"
            if margin is not None
            else "not given (--margin): the table shows DERL in periods, without money value",
        ),
    ]
    longest = int(subs["renewals"].max()) if len(subs) else 0
    return {
        "intro": INTRO,
        "actions": ACTIONS,
        "cards": [
            *_headline(subs, table, fmt, unit),
            _new_subscriber(model, margin, rate, fmt, unit),
        ],
        "figures": _figures(model, survivors),
        "retention": retention_table(model, survivors, unit),
        "tenure": tenure_table(model, longest, margin, rate, fmt, unit),
        "comparison": base_comparison(table, subs, rate),
        "cohorts": _cohort_table(subs, table, fmt),
        "params": _model_table(model),
        "method": method,
        "unit": unit,
        "prefix": str(settings.get("column_prefix", "")),
        "columns_file": str(settings.get("columns_file", "subscribers.csv / subscribers.parquet")),
        "warnings": list(settings.get("warnings") or []),
    }


def render_contractual_report(
    model: RetentionModelBase,
    subs: pd.DataFrame,
    table: pd.DataFrame,
    survivors: pd.DataFrame,
    settings: Mapping[str, Any],
) -> str:
    """The subscription report as one self-contained HTML page."""
    import clmkit

    page = environment().get_template("contractual.html.j2")
    text: str = page.render(
        title="Subscription report",
        version=clmkit.__version__,
        source=settings.get("input", ""),
        generated=pd.Timestamp.now().strftime("%Y-%m-%d %H:%M"),
        sub=contractual_section(model, subs, table, survivors, settings),
    )
    return text
