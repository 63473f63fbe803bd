"""Why each customer got its stage, in words with the numbers that decided it.

The Rust kernel returns a reason code per row (``src/stages/assign.rs``). This module holds
the text of each reason, with ``{a}``, ``{b}`` and ``{c}`` where the row's numbers go, e.g.
``"churned: inactivity 41 d > churn window 28 d"``, and picks the numbers from the same inputs
and window formulas (:meth:`StageScheme.customer_windows`). The core fills them in
(``src/stages/reasons.rs``): numbers are rounded for display, every distinct text is
formatted once, and the result is a categorical.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import _core
from ..summary.units import TimeUnit
from .scheme import REASONS, StageScheme

__all__ = ["reason_texts"]

FloatArray = npt.NDArray[np.float64]

_ABBREVIATIONS = {"H": "h", "D": "d", "W": "wk", "M": "mo", "Y": "yr"}

# Reason codes of the kernel (REASON_NAMES order) and the text of each, with {a}, {b}, {c}: the
# row's numbers, and the scheme's thresholds by name. "churned" by P(alive) shows the silence
# and the churn window (the second witness); an "at_risk" the model calls gone shows why it is
# not churned (_WITHIN). Texts are shared by rows with the same rounded numbers, so each
# template carries at most the numbers that explain it: a P(alive) with two durations would
# make nearly every row's text distinct (146,558 texts for 1M customers instead of ~500).
_TEMPLATES = (
    "prospect: known customer without a purchase",
    "churned: P(alive) < {churn_p} and inactivity {a} > churn window {b}",
    "churned: inactivity {a} > churn window {b}",
    "at_risk: P(alive) {a} < {at_risk_p}",
    "at_risk: inactivity {a} > at-risk window {b} ({at_risk_factor} x expected gap)",
    "at_risk: one purchase, {a} ago > at-risk window {b} (typical gap {g0})",
    "reactivated: gap before last purchase {a} > churn window {b}",
    "new: first purchase {a} ago <= new window {new}",
    "new: one purchase, {a} ago <= at-risk window {b}",
    "growing: tenure {a} < maturity window {mat}",
    "mature: tenure {a} >= maturity window {mat}, buying on cadence",
    "unassigned: no enabled rule matched",
)
assert len(_TEMPLATES) == len(REASONS)
#: at_risk by P(alive) < churn_p while the silence is within the churn window (a text of the
#: kernel's reason "at_risk: p_alive < at_risk_p", told apart here).
_WITHIN = "at_risk: P(alive) {a} < {churn_p} but inactivity {c} <= churn window {b}"
_AT_RISK_P = 3


def _suffix(unit: Optional[TimeUnit]) -> str:
    if unit is None:
        return ""
    if unit.multiplier == 1:
        return " " + _ABBREVIATIONS.get(unit.freq, unit.freq)
    return f" x {unit}"


def _number(x: float, suffix: str) -> str:
    text = f"{x:.0f}" if abs(x) >= 10 or x == int(x) else f"{x:.1f}"
    return text + suffix


def reason_texts(
    codes: npt.NDArray[np.int32],
    scheme: StageScheme,
    columns: dict[str, FloatArray],
    p_alive: Optional[FloatArray],
    unit: Optional[TimeUnit],
) -> pd.Categorical:
    """One text per row, from the kernel's reason ``codes`` and the rule inputs.

    ``columns`` holds ``repeats``, ``recency``, ``T`` and ``gap`` (the kernel's inputs);
    ``scheme`` is resolved. Custom rules keep :meth:`StageScheme.reasons`' text.
    """
    windows = scheme.customer_windows(
        pd.DataFrame({"frequency": columns["repeats"], "recency": columns["recency"]})
    )
    t = columns["T"]
    inactivity = t - columns["recency"]
    pa = p_alive if p_alive is not None else np.full(len(t), np.nan)
    at_risk = windows["at_risk_window"].to_numpy()
    churn = windows["churn_window"].to_numpy()
    none = np.zeros(len(t))
    # The row's {a} and {b} for each reason code, in _TEMPLATES order.
    firsts = [none, inactivity, inactivity, pa, inactivity, inactivity, columns["gap"], t]
    firsts += [inactivity, t, t, none]
    seconds = [none, churn, churn, none, at_risk, at_risk, churn, none, at_risk, none, none, none]
    n_builtin = len(_TEMPLATES)
    safe = np.where(codes < n_builtin, codes, n_builtin - 1)
    a = np.nan_to_num(np.choose(safe, firsts), nan=0.0)
    b = np.nan_to_num(np.choose(safe, seconds), nan=0.0)
    within = (codes == _AT_RISK_P) & (pa < scheme.churn_p)
    b[within] = churn[within]
    c = np.where(within, inactivity, 0.0)
    suffix = _suffix(unit)
    g0 = float(scheme.median_ipt) if isinstance(scheme.median_ipt, float) else float("nan")
    fixed = {
        "churn_p": f"{scheme.churn_p:g}",
        "at_risk_p": f"{scheme.at_risk_p:g}",
        "at_risk_factor": f"{scheme.at_risk_factor:.2g}",
        "g0": _number(g0, suffix),
        "new": _number(float(scheme.new_window), suffix),  # type: ignore[arg-type]
        "mat": _number(float(scheme.maturity_window), suffix),  # type: ignore[arg-type]
    }
    templates = [t.format(a="{a}", b="{b}", c="{c}", **fixed) for t in _TEMPLATES]
    templates += scheme.reasons()[n_builtin:]  # custom rules: their own text, no numbers
    templates.append(_WITHIN.format(a="{a}", b="{b}", c="{c}", **fixed))
    codes = np.where(within, len(templates) - 1, codes).astype(np.int32)
    probability = [k in (_AT_RISK_P, len(templates) - 1) for k in range(len(templates))]
    positions, texts = _core.stage_reason_texts(codes, a, b, c, templates, probability, suffix)
    out: pd.Categorical = pd.Categorical.from_codes(
        positions, categories=pd.Index(texts, dtype=object)
    )
    return out
