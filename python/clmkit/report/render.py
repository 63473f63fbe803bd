"""Fills the Jinja2 template with the analysis' numbers, tables and figures."""

from __future__ import annotations

import html
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from .figures import report_figures

SECTIONS = [
    ("headline", "Headline numbers"),
    ("segments", "RFM segments"),
    ("stages", "Lifecycle stages"),
    ("btyd", "Purchases and P(alive)"),
    ("holdout", "Calibration vs holdout"),
    ("clv", "Customer lifetime value"),
    ("early-warning", "Early warning"),
]


def _environment() -> Any:
    try:
        import jinja2
    except ImportError as exc:
        raise ImportError("the HTML report needs jinja2: pip install 'clmkit[report]'") from exc
    return jinja2.Environment(
        loader=jinja2.PackageLoader("clmkit.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )


def _table_html(frame: pd.DataFrame, float_format: str = "{:,.3f}") -> str:
    return frame.to_html(
        classes="data", border=0, float_format=float_format.format, na_rep="", escape=True
    )


def _headline(analysis: Any) -> list:
    s = analysis.summary()
    rows = [
        ("Customers", f"{s['customers']:,}"),
        ("Repeat customers", f"{s['repeat_customers']:,}"),
    ]
    if "total_value" in s:
        rows.append(("Historic value", f"{s['total_value']:,.2f}"))
    for key, value in s.items():
        if key.startswith("expected_purchases_"):
            rows.append((f"Expected purchases ({key[19:]})", f"{value:,.0f}"))
        elif key.startswith("clv_"):
            rows.append((f"Total CLV ({key[4:]})", f"{value:,.2f}"))
    if "mean_p_alive" in s:
        rows.append(("Mean P(alive)", f"{s['mean_p_alive']:.3f}"))
    rows.append(("Observation end", str(analysis.settings.get("observation_period_end", ""))))
    return rows


def _tables(analysis: Any) -> dict:
    import clmkit

    t, out = analysis.table, {}
    if "rfm_segment" in t:
        value = "total_value" if "total_value" in t else "n_periods"
        if hasattr(clmkit, "segment_summary"):
            seg = clmkit.segment_summary(t, "rfm_segment")
        else:
            from ..plotting.segments import segment_shares

            seg = segment_shares(t, "rfm_segment", value)
        out["segments"] = _table_html(pd.DataFrame(seg))
    if "stage" in t:
        counts = t["stage"].value_counts(sort=False).rename("customers").to_frame()
        counts["share"] = counts["customers"] / max(len(t), 1)
        out["stages"] = _table_html(counts)
    ev = getattr(analysis, "holdout_evaluation", None)
    if ev is not None:
        out["holdout"] = _table_html(
            pd.DataFrame(
                {
                    "value": {
                        "holdout purchases, actual": ev.total_actual,
                        "holdout purchases, predicted": ev.total_predicted,
                        "aggregate error": ev.aggregate_error,
                        "per-customer MAE": ev.mae,
                        "per-customer RMSE": ev.rmse,
                    }
                }
            )
        )
    if analysis.early_warning is not None:
        out["early-warning"] = _table_html(pd.DataFrame(analysis.early_warning).head(50))
    return out


def render_report(analysis: Any) -> str:
    """The report as one HTML string (figures embedded, no external resources)."""
    import clmkit

    template = _environment().get_template("report.html.j2")
    return template.render(
        title="clmkit customer report",
        version=clmkit.__version__,
        sections=SECTIONS,
        headline=_headline(analysis),
        figures=report_figures(analysis),
        tables=_tables(analysis),
        settings=analysis.settings,
        skipped=analysis.skipped,
        timings=analysis.timings,
        escape=html.escape,
    )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_report(analysis: Any, path: Any) -> Path:
    """Renders the report and writes it atomically (temp file in the target directory, then
    renamed), so a reader never sees a half-written file."""
    target = Path(path)
    text = render_report(analysis)
    fd, tmp = tempfile.mkstemp(dir=target.parent or ".", prefix=".report-", suffix=".html")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
