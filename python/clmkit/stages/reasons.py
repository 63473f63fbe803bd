"""Why each customer got its stage, in words with the numbers that decided it.

The Rust kernel returns a reason code per row (``src/stages/assign.rs``); this module turns
it into text such as ``"churned: inactivity 41 d > churn window 28 d"`` from the same inputs
and the same window formulas (:meth:`StageScheme.customer_windows`). Numbers are rounded for
display, so texts repeat: each distinct (reason, numbers) text is formatted once and the
result is a categorical.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._units import TimeUnit
from .scheme import REASONS, StageScheme

__all__ = ["reason_texts"]

FloatArray = npt.NDArray[np.float64]

_ABBREVIATIONS = {"H": "h", "D": "d", "W": "wk", "M": "mo", "Y": "yr"}

# Reason codes of the kernel (REASON_NAMES order) and the text of each, with {a}, {b}: the
# row's numbers, and the scheme's thresholds by name.
_TEMPLATES = (
    "prospect: known customer without a purchase",
    "churned: P(alive) {a} < churn_p {churn_p}",
    "churned: inactivity {a} > churn window {b}",
    "at_risk: P(alive) {a} < at_risk_p {at_risk_p}",
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


def _suffix(unit: Optional[TimeUnit]) -> str:
    if unit is None:
        return ""
    if unit.multiplier == 1:
        return " " + _ABBREVIATIONS.get(unit.freq, unit.freq)
    return f" x {unit}"


def _rounded(x: FloatArray) -> FloatArray:
    """Display precision: whole units from 10 on, one decimal below."""
    return np.where(np.abs(x) >= 10, np.round(x), np.round(x, 1))


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
    # (a, b) per reason code, as in _TEMPLATES.
    p2 = np.round(np.nan_to_num(pa, nan=-1.0), 2)  # probabilities: two decimals
    inact, gap, tenure = (
        _rounded(np.nan_to_num(v, nan=-1.0)) for v in (inactivity, columns["gap"], t)
    )
    none = np.full(len(t), -1.0)
    r_risk, r_churn = _rounded(at_risk), _rounded(churn)
    firsts = [none, p2, inact, p2, inact, inact, gap, tenure, inact, tenure, tenure, none]
    seconds = [none, none, r_churn, none, r_risk, r_risk, r_churn, none, r_risk, none, none, none]
    n_builtin = len(_TEMPLATES)
    safe = np.where(codes < n_builtin, codes, n_builtin - 1)
    a = np.choose(safe, firsts)
    b = np.choose(safe, seconds)
    keys = pd.MultiIndex.from_arrays([codes, a, b])
    positions, uniques = keys.factorize()
    suffix = _suffix(unit)
    custom = scheme.reasons()
    g0 = float(scheme.median_ipt) if isinstance(scheme.median_ipt, float) else float("nan")
    fixed = {
        "churn_p": f"{scheme.churn_p:g}",
        "at_risk_p": f"{scheme.at_risk_p:g}",
        "at_risk_factor": f"{scheme.at_risk_factor:.3g}",
        "g0": _number(g0, suffix),
        "new": _number(float(scheme.new_window), suffix),  # type: ignore[arg-type]
        "mat": _number(float(scheme.maturity_window), suffix),  # type: ignore[arg-type]
    }
    texts = []
    for code, ai, bi in uniques:
        code = int(code)
        if code >= n_builtin:
            texts.append(custom[code])
            continue
        probability = code in (1, 3)
        texts.append(
            _TEMPLATES[code].format(
                a=f"{ai:.2f}" if probability else _number(float(ai), suffix),
                b=_number(float(bi), suffix),
                **fixed,
            )
        )
    # Two keys can give one text (e.g. custom rules): merge them.
    merged, categories = pd.factorize(np.array(texts, dtype=object))
    out: pd.Categorical = pd.Categorical.from_codes(
        merged[positions], categories=pd.Index(categories, dtype=object)
    )
    return out
