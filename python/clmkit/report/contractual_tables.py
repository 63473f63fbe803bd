"""Tables and sentences of the subscription section: retention by period (observed against
the model), the worth of a subscriber by tenure (DERL), and the value of the base against
the textbook one-retention-rate value (Fader & Hardie 2010)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import numpy as np
import pandas as pd

from .tables import Fmt, html_table

if TYPE_CHECKING:
    from ..contractual._base import RetentionModelBase

__all__ = ["base_comparison", "pooled_retention", "retention_table", "tenure_table"]

#: Renewals shown in the tenure table (those within the data's longest tenure).
_TENURES = (0, 1, 2, 3, 5, 10, 20)


def pooled_retention(survivors: pd.DataFrame, periods: int = 12) -> pd.DataFrame:
    """Observed share still subscribed and renewal rate by period since joining, all cohorts
    pooled: at period t only the cohorts observed for t periods count, so
    share(t) = sum survivors(t) / sum joined and rate(t) = sum survivors(t) / sum survivors(t-1)
    over those cohorts.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame([[100.0, 60.0, 45.0], [50.0, 30.0, float("nan")]])
    >>> pooled_retention(s).round(3).to_dict("list")
    {'subscribers': [150.0, 60.0], 'share': [0.6, 0.45], 'rate': [0.6, 0.75]}
    """
    counts = survivors.to_numpy(dtype=float)
    width = min(counts.shape[1] - 1, periods) if counts.size else 0
    rows = []
    for t in range(1, width + 1):
        seen = ~np.isnan(counts[:, t])
        joined, before, kept = (counts[seen, k].sum() for k in (0, t - 1, t))
        rows.append(
            (
                t,
                float(before),
                kept / joined if joined > 0 else np.nan,
                kept / before if before > 0 else np.nan,
            )
        )
    frame = pd.DataFrame(rows, columns=["period", "subscribers", "share", "rate"])
    out: pd.DataFrame = frame.set_index("period")
    return out


def retention_table(model: RetentionModelBase, survivors: pd.DataFrame, unit: str) -> str:
    """Retention by period since joining: observed (pooled cohorts) against the model."""
    observed = pooled_retention(survivors)
    t = observed.index.to_numpy(dtype=float)
    share = np.asarray(model.survival_function(t), dtype=float) if len(t) else t
    rate = np.asarray(model.retention_rate(t), dtype=float) if len(t) else t
    rows = [
        [
            str(p),
            Fmt.count(r["subscribers"]),
            Fmt.pct(r["share"]),
            Fmt.pct(share[i]),
            Fmt.pct(r["rate"]),
            Fmt.pct(rate[i]),
        ]
        for i, (p, r) in enumerate(observed.iterrows())
    ]
    header = [
        f"{unit.capitalize()}s since joining",
        "Subscribers at risk",
        "Still subscribed: observed",
        "model",
        "Renewal rate: observed",
        "model",
    ]
    caption = (
        "Retention by period since joining, all cohorts together: what happened against "
        "what the model says"
    )
    return html_table(header, rows, caption=caption)


def tenure_table(
    model: RetentionModelBase,
    longest: int,
    margin: Optional[float],
    rate: float,
    fmt: Fmt,
    unit: str,
) -> str:
    """What a subscriber is worth by the renewals made so far: P(renews next), expected
    further periods, DERL and margin x DERL."""
    renewals = np.array([n for n in _TENURES if n <= max(longest, 1)], dtype=float)
    p_next = np.asarray(model.retention_rate(renewals + 1.0), dtype=float)
    erl = np.asarray(model.expected_residual_lifetime(renewals), dtype=float)
    derl = np.asarray(model.discounted_expected_residual_lifetime(renewals, rate), dtype=float)
    rows = [
        [
            str(int(n)),
            Fmt.pct(p_next[i]),
            Fmt.num(erl[i]) if np.isfinite(erl[i]) else "no limit",
            Fmt.num(derl[i], 2),
            fmt.money(float(margin) * derl[i]) if margin is not None else "–",
        ]
        for i, n in enumerate(renewals)
    ]
    header = [
        "Renewals made",
        "P(renews next)",
        f"Expected further {unit}s",
        "DERL",
        "Value (margin x DERL)",
    ]
    caption = (
        "What a subscriber is worth by how long they have stayed: the longer, the more "
        "likely to stay"
    )
    return html_table(header, rows, caption=caption)


def base_comparison(table: pd.DataFrame, subs: pd.DataFrame, rate: float) -> Optional[str]:
    """A sentence comparing the model's value of the active base (sum of DERL) with the
    textbook value from one average renewal rate r, each subscriber worth
    r (1 + d) / (1 + d - r) further discounted periods (:func:`clmkit.retention_clv` with the
    next payment undiscounted, as in DERL). None without active subscribers."""
    active = ~subs["churned"].to_numpy(bool)
    if not active.any():
        return None
    r = float(np.mean(table["p_active_next_period"].to_numpy(float)[active]))
    model_value = float(table["derl"].to_numpy(float)[active].sum())
    constant = float(active.sum()) * r * (1.0 + rate) / (1.0 + rate - r)
    if not (np.isfinite(model_value) and constant > 0):
        return None
    gap = model_value / constant - 1.0
    direction = "more" if gap >= 0 else "less"
    return (
        f"Valued with one average renewal rate ({Fmt.pct(r)}), as textbook CLV formulas do, "
        f"the active subscribers would be expected to pay for {Fmt.num(constant, 0)} further "
        f"discounted periods; the model, which knows that long-standing subscribers rarely "
        f"leave, expects {Fmt.num(model_value, 0)}: {Fmt.pct(abs(gap))} {direction}. "
        "A single retention rate misses that sorting effect and undervalues a base whose "
        "subscribers differ (Fader &amp; Hardie 2010)."
    )
