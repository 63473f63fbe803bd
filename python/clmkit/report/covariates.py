"""The report's "What drives purchasing and churn" table: the covariate effects of
:func:`clmkit.analyze` (``Analysis.covariate_effects``) in words."""

from __future__ import annotations

import pandas as pd

from .tables import html_table

__all__ = ["drivers_table"]

_MOVES = {
    "purchase": "how often they buy",
    "dropout": "chance of leaving",
    "spend": "spend per purchase",
}


def drivers_table(effects: pd.DataFrame) -> str:
    """One row per (process, covariate): the factor, what it moves, by how much per unit
    more, and whether the 95% interval of its coefficient(s) excludes no effect."""
    rows: list[list[str]] = []
    for (process, name), group in effects.groupby(["process", "covariate"], sort=False):
        factor = float(group["effect"].iloc[0])
        change = (
            f"raises it by {factor - 1:.0%}" if factor >= 1 else f"lowers it by {1 - factor:.0%}"
        )
        clear = bool(((group["lower 95%"] > 0) | (group["upper 95%"] < 0)).any())
        rows.append(
            [
                _factor(str(name)),
                _MOVES.get(str(process), str(process)),
                change,
                "yes" if clear else "not clear (could be chance)",
            ]
        )
    header = ["Customer attribute", "What it moves", "One unit more", "Clear effect?"]
    intro = (
        '<h3>What drives purchasing and churn</h3><p class="intro">Each customer attribute '
        "given to the models shifts a customer's purchase rate, chance of leaving and spend "
        "per purchase; the table shows the shift of the average customer for one unit more "
        "of the attribute (for a yes/no or category attribute: having it, against the first "
        "category), with the others held fixed. <i>Clear</i> means the 95% interval of the "
        "effect excludes no effect.</p>"
    )
    return intro + html_table(header, rows, left=2, text_cols=(-1, -2))


def _factor(name: str) -> str:
    """``channel=web`` -> ``channel is web``; other names as given."""
    if "=" in name:
        column, level = name.split("=", 1)
        return f"{column} is {level}"
    return name
