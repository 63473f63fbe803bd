"""Fills the Jinja2 template with the analysis' numbers, tables, figures and explanations."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import pandas as pd

from . import tables
from .content import GLOSSARY, INTRO, MODEL_NAMES, SECTIONS
from .covariates import drivers_table
from .figures import report_figures
from .tables import Fmt
from .words import duration_words, environment, horizon_words

if TYPE_CHECKING:
    from ..analyze.result import Analysis

__all__ = ["SECTIONS", "render_report", "write_report"]


def headline(analysis: Analysis, fmt: Fmt) -> list[tuple[str, str, str]]:
    """(label, value, note) cards of the "At a glance" section."""
    s, st = analysis.summary(), analysis.settings
    n = max(s["customers"], 1)
    h = horizon_words(st)
    cards = [
        (
            "Customers",
            Fmt.count(s["customers"]),
            f"up to {str(st.get('observation_period_end', ''))[:10]}",
        ),
        (
            "Repeat buyers",
            Fmt.pct(s["repeat_customers"] / n),
            f"{Fmt.count(s['repeat_customers'])} bought more than once",
        ),
    ]
    if "total_value" in s:
        cards.append(
            ("Revenue so far", fmt.money(s["total_value"], 0), f"{fmt.money(s['total_value'] / n)} per customer")
        )  # fmt: skip
    if "expected_active" in s:
        cards.append(
            (
                "Expected active customers",
                Fmt.count(s["expected_active"]),
                f"{Fmt.pct(s['expected_active'] / n)} of customers (sum of P(alive))",
            )
        )
    stages = s.get("stages")
    if stages is not None and len(stages):
        counts = {str(k): int(v) for k, v in stages.items()}
        churned, at_risk = counts.get("churned", 0), counts.get("at_risk", 0)
        cards.append(
            (
                "Churned (lifecycle stage)",
                Fmt.pct(churned / n),
                f"{Fmt.count(churned)} churned, {Fmt.count(at_risk)} more at risk",
            )
        )
    for key, value in s.items():
        if key.startswith("expected_purchases_"):
            cards.append(("Expected purchases", Fmt.count(value), f"in the next {h}"))
        elif key.startswith("clv_"):
            cards.append(
                ("Expected value (CLV)", fmt.money(value, 0), f"in the next {h}, discounted")
            )
    return cards


def _tables(analysis: Analysis, fmt: Fmt) -> dict[str, str]:
    t, out = analysis.table, {}
    if "rfm_segment" in t:
        out["segments"] = tables.segment_table(t, fmt)
    if "stage" in t:
        scheme = {"at_risk_p": 0.5, "churn_p": 0.1, "at_risk_factor": 2.0}
        scheme.update(analysis.settings.get("stage_thresholds", {}))
        out["stages"] = tables.stage_table(t, analysis.settings, scheme)
        if "rfm_segment" in t:
            note = tables.segment_stage_note(t, analysis.settings)
            out["stages"] += (
                (f'<p class="intro">{note}</p>' if note else "")
                + "<h3>RFM segments by lifecycle stage</h3>"
                + tables.segment_stage_table(t)
            )
    effects = getattr(analysis, "covariate_effects", None)
    if effects is not None and len(effects):
        out["btyd"] = drivers_table(effects)
    if "abc_class" in t and "total_value" in t:
        out["clv"] = tables.abc_table(t, fmt)
    ev = getattr(analysis, "holdout_evaluation", None)
    if ev is not None:
        out["holdout"] = tables.holdout_table(ev, analysis.settings)
    if analysis.early_warning is not None and len(analysis.early_warning):
        by_money = analysis.settings.get("early_warning_value") != "purchases"
        out["early-warning"] = tables.early_warning_table(analysis.early_warning, fmt, by_money)
    return out


def _method(analysis: Analysis) -> list[tuple[str, str]]:
    """(what, how) rows of the "How this report was made" section."""
    st, rows = analysis.settings, []
    rows.append(("Observation end", str(st.get("observation_period_end", ""))[:10]))
    rows.append(("Forecast horizon", horizon_words(st) + "; a month is 30.44 days, a year 365.24"))
    for role, model in analysis.models.items():
        name = MODEL_NAMES.get(type(model).__name__, type(model).__name__)
        fitted = getattr(model, "params_", None)
        params = (
            "" if fitted is None else ", ".join(f"{k} = {float(v):.3g}" for k, v in fitted.items())
        )
        what = {"transactions": "Purchase model", "spend": "Spend model"}.get(role, "Holdout model")
        rows.append((what, f"{name}; parameters {params}" if params else name))
    if "spend" in analysis.models:
        rows.append(
            (
                "CLV",
                f"discount rate {float(st.get('discount_rate', 0)):.1%} per "
                f"{duration_words(st.get('clv_period'))}"
                + (
                    f"; {float(st['interval_level']):.0%} range from the uncertainty of the "
                    "purchase model's parameters"
                    if st.get("interval_level")
                    else ""
                ),
            )
        )
    w = st.get("stage_windows_days")
    thresholds = st.get("stage_thresholds") or {}
    if w:
        rows.append(
            (
                "Stage windows",
                f"new {w['new_window']:,.0f} days, mature after {w['maturity_window']:,.0f} "
                f"days, churned after {st.get('stage_churn_rule') or 'the churn window'} "
                "without a purchase"
                + (
                    f" and with P(alive) below {thresholds.get('churn_p', 0.1):.0%}"
                    if "p_alive" in analysis.table
                    else ""
                ),
            )
        )
    rows.append(("Currency", st.get("currency") or "not given (--currency)"))
    return rows


def render_report(analysis: Analysis) -> str:
    """The report as one HTML string (figures embedded, no external resources)."""
    import clmkit

    fmt = Fmt(analysis.settings.get("currency"))
    t = analysis.table
    contradict = 0
    if "p_alive" in t and "stage" in t:
        # compared as is: a categorical column compares by code, without a million strings
        contradict = int(((t["p_alive"] >= 0.99) & (t["stage"] == "churned")).sum())
    template = environment().get_template("report.html.j2")
    sub, sections = _subscriptions(analysis, fmt)
    context = {
        "title": "Customer report",
        "version": clmkit.__version__,
        "sections": sections,
        "sub": sub,
        "intro": INTRO,
        "headline": headline(analysis, fmt),
        "tables": _tables(analysis, fmt),
        "method": _method(analysis),
        "glossary": GLOSSARY,
        "warnings": list(getattr(analysis, "warnings", [])),
        "contradict": contradict,
        "skipped": analysis.skipped,
        "timings": analysis.timings,
        "n_customers": len(t),
        "generated": pd.Timestamp.now().strftime("%Y-%m-%d %H:%M"),
    }
    context["figures"] = report_figures(analysis)
    text: str = template.render(**context)
    return text


def _subscriptions(analysis: Analysis, fmt: Fmt) -> tuple[Any, list[tuple[str, str]]]:
    """The subscription section (``analyze(..., contractual=...)``) and the section list with
    it before "How this report was made"; (None, SECTIONS) without one."""
    run = getattr(analysis, "contractual", None)
    if run is None:
        return None, SECTIONS
    from .contractual import contractual_section

    settings = {
        **run.settings,
        "currency": fmt.currency or None,
        "column_prefix": "sub_",
        "columns_file": "the customer table (sub_ columns)",
    }
    sub = contractual_section(run.model, run.subscriptions, run.table, run.survivors, settings)
    at = next(i for i, (name, _) in enumerate(SECTIONS) if name == "method")
    sections = [*SECTIONS[:at], ("subscriptions", "Subscriptions"), *SECTIONS[at:]]
    return sub, sections


def load_report_machinery() -> None:
    """Imports matplotlib and the plotting helpers, loads the default font and compiles the
    page template: about half a second of Python that the first report would otherwise spend.

    The CLI runs it in a thread while the log is read and summarised (Arrow and Rust, which
    release the GIL), so on two cores it costs no time. Raises what the report would raise
    without its optional dependencies.
    """
    from .. import plotting  # noqa: F401 (loaded for its side effect)
    from ..plotting._mpl import require_matplotlib

    require_matplotlib()
    from matplotlib import font_manager
    from matplotlib.backends import backend_agg  # noqa: F401 (loaded for its side effect)

    font_manager.get_font(font_manager.findfont(font_manager.FontProperties()))
    environment().get_template("report.html.j2")


def write_report(analysis: Analysis, path: Union[str, Path]) -> Path:
    """Renders the report and writes it atomically (temp file in the target directory, then
    renamed), so a reader never sees a half-written file."""
    target = Path(path)
    text = render_report(analysis)
    tmp = target.with_name(f".report-{os.getpid()}-{threading.get_ident()}.html")
    try:
        # mode 0o666 less the process umask, as for any new file; asking for the umask would
        # set it for a moment, and another thread's file (Analysis.save writes the data files
        # meanwhile) could be created world-writable then
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
