"""The report's tables and numbers with human labels: counts with thousands separators,
shares as percentages, money with the currency."""

from __future__ import annotations

import contextlib
import html
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._typing import JSONDict
from .content import SEGMENT_ACTIONS, STAGE_RULE_WITHOUT_MODEL, STAGE_TEXT

if TYPE_CHECKING:
    from ..clv.holdout import HoldoutEvaluation

Row = Sequence[str]


class Fmt:
    """Number formats of one report (the currency is the run's ``--currency``)."""

    def __init__(self, currency: Optional[str]) -> None:
        self.currency = (currency or "").strip()

    def money(self, x: float, decimals: Optional[int] = None) -> str:
        if x is None or not math.isfinite(float(x)):
            return "–"
        d = decimals if decimals is not None else (0 if abs(x) >= 1000 else 2)
        text = f"{x:,.{d}f}"
        c = self.currency
        if not c:
            return text
        return f"{c}{text}" if len(c) == 1 and not c.isalnum() else f"{text} {c}"

    @staticmethod
    def count(x: float) -> str:
        return f"{round(float(x)):,}"

    @staticmethod
    def pct(x: float) -> str:
        if x is None or not math.isfinite(float(x)):
            return "–"
        if 0 < abs(x) < 0.001:
            return f"{100 * x:.2f}%"
        return f"{100 * x:.1f}%" if abs(x) < 0.995 or x == 1 else f"{100 * x:.0f}%"

    @staticmethod
    def num(x: float, decimals: int = 1) -> str:
        if x is None or not math.isfinite(float(x)):
            return "–"
        return f"{x:,.{decimals}f}"


def html_table(
    header: Row,
    rows: Sequence[Row],
    left: int = 1,
    caption: str = "",
    cls: str = "data",
    text_cols: Sequence[int] = (),
) -> str:
    """A small HTML table: the first ``left`` columns and those in ``text_cols`` (negative: from the end) are text
    (left-aligned), the rest numbers; cells are escaped unless wrapped in :class:`Safe`."""

    def cell(tag: str, value: object, i: int) -> str:
        align = ' class="t"' if i < left or i in text_cols or i - len(header) in text_cols else ""
        text = value if isinstance(value, Safe) else html.escape(str(value))
        return f"<{tag}{align}>{text}</{tag}>"

    head = "".join(cell("th", h, i) for i, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(cell("td", v, i) for i, v in enumerate(r)) + "</tr>" for r in rows
    )
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f'<div class="tw"><table class="{cls}">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


class Safe(str):
    """Markup that :func:`html_table` must not escape."""


def segment_table(t: pd.DataFrame, fmt: Fmt) -> str:
    has_value = "total_value" in t
    # group on integer codes (in order of first appearance, as grouping the names would):
    # a million segment names as Python strings cost a third of a second
    codes, uniques = pd.factorize(t["rfm_segment"], use_na_sentinel=False)
    names = ["(none)" if pd.isna(u) else str(u) for u in uniques]
    k = len(uniques)
    # sums per code with bincount (codes number the segments in order of first appearance,
    # as a groupby(sort=False) would): a tenth of a groupby's time on a million rows
    columns = {
        "inactivity": ((t["T"] - t["recency"]).to_numpy(float), "mean"),
        "purchases": (t["frequency"].to_numpy(float) + 1, "mean"),
        **({"value": (t["total_value"].to_numpy(float), "sum")} if has_value else {}),
    }
    agg = pd.DataFrame({"n": np.bincount(codes, minlength=k)})
    for name, (values, how) in columns.items():
        sums, counts = _group_sums(codes, values, k)
        agg[name] = sums / np.where(counts > 0, counts, np.nan) if how == "mean" else sums
    agg = agg.sort_values("n", ascending=False)
    total_value = float(agg["value"].sum()) if has_value else 0.0
    header = ["Segment", "Customers", "% of customers"]
    header += ["Revenue", "% of revenue"] if has_value else []
    header += ["Avg. days since last purchase", "Avg. purchases", "Suggested action"]
    rows = []
    for code, r in agg.iterrows():
        name = names[int(code)]
        row = [name, fmt.count(r["n"]), fmt.pct(r["n"] / max(len(t), 1))]
        if has_value:
            row += [
                fmt.money(r["value"], 0),
                fmt.pct(r["value"] / total_value if total_value else 0),
            ]
        row += [fmt.num(r["inactivity"], 0), fmt.num(r["purchases"], 1)]
        row.append(SEGMENT_ACTIONS.get(str(name), ""))
        rows.append(row)
    return html_table(header, rows, left=1, text_cols=(-1,))


def _group_sums(
    codes: npt.NDArray[np.intp], values: npt.NDArray[np.float64], k: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.intp]]:
    """Per-code sums and counts of the non-missing ``values`` (missing ones skipped, as
    pandas does)."""
    ok = ~np.isnan(values)
    if not ok.all():
        codes, values = codes[ok], values[ok]
    sums = np.bincount(codes, weights=values, minlength=k).astype(np.float64, copy=False)
    return sums, np.bincount(codes, minlength=k)


def stage_table(t: pd.DataFrame, settings: JSONDict, scheme: dict[str, float]) -> str:
    counts = t["stage"].value_counts(sort=False)
    windows = settings.get("stage_windows_days") or {}
    words: dict[str, Any] = {k: f"{v:,.0f}" for k, v in windows.items()}
    words.update(scheme)
    if "churn_rule" not in words:
        churn = windows.get("churn_window")
        words["churn_rule"] = settings.get("stage_churn_rule") or (
            f"{churn:,.0f} days" if churn is not None else "the churn window"
        )
    rows = []
    by_p = "p_alive" in t
    for stage, n in counts.items():
        meaning, action = STAGE_TEXT.get(str(stage), ("", ""))
        if not by_p:  # no purchase model: inactivity alone decides
            meaning = STAGE_RULE_WITHOUT_MODEL.get(str(stage), meaning)
        with contextlib.suppress(KeyError, ValueError):  # a window this run did not derive
            meaning = meaning.format(**words)
        label = str(stage).replace("_", " ")
        rows.append([label, Fmt.count(n), Fmt.pct(n / max(len(t), 1)), meaning, action])
    header = ["Stage", "Customers", "% of customers", "Rule", "Suggested action"]
    return html_table(header, rows, text_cols=(3, 4))


def abc_table(t: pd.DataFrame, fmt: Fmt) -> str:
    value = t["total_value"].to_numpy(float)
    total = float(np.nansum(value))
    rows = []
    for cls in ("A", "B", "C"):
        mask = (t["abc_class"] == cls).to_numpy(bool)  # NaN: in no class
        v = float(np.nansum(value[mask]))
        rows.append(
            [cls, Fmt.count(mask.sum()), Fmt.pct(mask.mean() if len(t) else 0), fmt.money(v, 0),
             Fmt.pct(v / total if total else 0)]
        )  # fmt: skip
    header = ["ABC class", "Customers", "% of customers", "Revenue so far", "% of revenue"]
    return html_table(header, rows, cls="data narrow")


def holdout_table(ev: HoldoutEvaluation, settings: JSONDict) -> str:
    diff = ev.total_predicted - ev.total_actual
    rel = diff / ev.total_actual if ev.total_actual else float("nan")
    rows = [
        ["Purchases that happened after the calibration end", Fmt.count(ev.total_actual)],
        ["Purchases the model forecast for that period", Fmt.num(ev.total_predicted, 0)],
        [
            "Difference (forecast - actual)",
            f"{diff:+,.0f} ({100 * rel:+.1f}%)" if math.isfinite(rel) else f"{diff:+,.0f}",
        ],
        ["Typical error per customer (mean absolute error, purchases)", Fmt.num(ev.mae, 2)],
    ]
    reading = html.escape(holdout_reading(rel))
    return html_table(["", "Value"], rows, cls="data narrow") + f'<p class="intro">{reading}.</p>'


def holdout_reading(rel: float) -> str:
    """The holdout difference (forecast / actual - 1) in a sentence a planner can act on."""
    if not math.isfinite(rel):
        return "No purchases after the calibration end: nothing to compare"
    if abs(rel) <= 0.1:
        return "The forecast is within 10% of what happened: good enough for planning"
    side, use = ("fewer", "conservative") if rel < 0 else ("more", "optimistic")
    return (
        f"The model forecast {100 * abs(rel):.0f}% {side} purchases than happened: read "
        f"expected purchases and CLV as {use}"
    )


def early_warning_table(ew: pd.DataFrame, fmt: Fmt, money: bool = True, n: int = 25) -> str:
    """The top ``n`` of the early-warning list; values are money (CLV) or, without amounts,
    purchases so far."""
    ew = pd.DataFrame(ew).head(n)
    cols = list(ew.columns)
    id_name = ew.index.name or "customer"
    header = ["Customer", "Stage now"]
    rows = []
    has_p, has_v = "p_alive" in cols, "value" in cols
    header += ["P(alive)"] if has_p else []
    names = (
        ["Value (CLV)", "Value at stake"] if money else ["Purchases so far", "Purchases at stake"]
    )
    header += names if has_v else []
    for cid, r in ew.iterrows():
        row = [str(r.get(id_name, cid)), str(r.get("stage", "")).replace("_", " ")]
        if has_p:
            row.append(Fmt.pct(float(r["p_alive"])))
        if has_v:
            v, stake = float(r["value"]), float(r["value_at_stake"])
            row += [fmt.money(v), fmt.money(stake)] if money else [Fmt.count(v), Fmt.num(stake, 1)]
        rows.append(row)
    return html_table(header, rows, left=2)


def _codes(column: pd.Series) -> tuple[npt.NDArray[np.intp], list[str]]:
    """Integer codes (-1: missing) and labels of a label column, without a million strings."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(np.intp), [str(c) for c in column.cat.categories]
    codes, uniques = pd.factorize(column)
    return np.asarray(codes, dtype=np.intp), [str(u) for u in uniques]


def segment_stage_table(t: pd.DataFrame) -> str:
    """Customers per RFM segment (rows, largest first) and lifecycle stage (columns in use,
    in stage order), counted on category codes."""
    seg, seg_names = _codes(t["rfm_segment"])
    stage, stage_names = _codes(t["stage"])
    k = len(stage_names) + 1  # last column / row: missing
    counts = np.bincount(
        np.where(seg >= 0, seg, len(seg_names)) * k + np.where(stage >= 0, stage, k - 1),
        minlength=(len(seg_names) + 1) * k,
    ).reshape(len(seg_names) + 1, k)
    rows_in = [i for i in np.argsort(-counts.sum(axis=1), kind="stable") if counts[i].sum()]
    cols_in = [j for j in range(k) if counts[:, j].sum()]
    names = [*stage_names, "(none)"]
    header = ["Segment", *(names[j].replace("_", " ") for j in cols_in)]
    seg_labels = [*seg_names, "(none)"]
    rows = [[seg_labels[i], *(Fmt.count(counts[i, j]) for j in cols_in)] for i in rows_in]
    return html_table(header, rows, left=1)


def segment_stage_note(t: pd.DataFrame, settings: JSONDict) -> str:
    """Why the best RFM segments hold churned customers, with this run's numbers ('' if none)."""
    best = t["rfm_segment"].isin(["Champions", "Loyal Customers"]).to_numpy()
    gone = best & (t["stage"] == "churned").to_numpy()
    if not gone.any():
        return ""
    windows = settings.get("stage_windows_days") or {}
    unit_days = float(settings.get("horizon_days", 1.0)) / float(settings.get("horizon_units", 1.0))
    g0 = float(windows.get("median_ipt", float("nan"))) / unit_days
    recency, repeats = t["recency"].to_numpy(float), t["frequency"].to_numpy(float)
    inactivity = t["T"].to_numpy(float) - recency
    usual = (recency + g0) / (repeats + 1.0)
    ratio = float(np.median(inactivity[gone] / usual[gone]))
    silent = float(np.median(inactivity[gone])) * unit_days
    text = (
        f"{Fmt.count(gone.sum())} of the {Fmt.count(best.sum())} Champions and Loyal Customers "
        f"are churned. RFM segments rank customers against each other, so the most recent "
        f"fifth gets R = 5 however long they have been quiet; the stage judges each customer "
        f"against their own rhythm. These customers have been silent for {silent:,.0f} days "
        f"(median), {ratio:,.0f} times their usual time between purchases"
    )
    if "p_alive" in t:
        median_p = float(np.median(t["p_alive"].to_numpy(float)[gone]))
        text += f", and the model gives them a median P(alive) of {Fmt.pct(median_p)}"
    return html.escape(text + ". They were your best customers: a personal win-back is worth it.")
