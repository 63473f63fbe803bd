import base64
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("jinja2")

import clmkit
from _fakes import PoissonModel
from clmkit.analyze import Analysis
from clmkit.report.render import SECTIONS, render_report, write_report


class _Collector(HTMLParser):
    """Collects sections, their images and anything that would load from outside."""

    def __init__(self):
        super().__init__()
        self.section = None
        self.images = {}
        self.sections = []
        self.tables = {}
        self.external = []
        self.scripts = 0
        self.stack = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in ("img", "meta", "br", "link"):
            self.stack.append(tag)
        if tag == "section":
            self.section = attrs["id"]
            self.sections.append(self.section)
        if tag == "img":
            self.images.setdefault(self.section, []).append(attrs["src"])
        if tag == "table":
            self.tables[self.section] = self.tables.get(self.section, 0) + 1
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            if value.startswith(("http:", "https:", "//")) or tag == "link":
                self.external.append(value)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"unbalanced </{tag}>"
        self.stack.pop()


def _parse(text):
    c = _Collector()
    c.feed(text)
    c.close()
    assert not c.stack, f"unclosed tags {c.stack}"
    return c


@pytest.fixture(scope="module")
def full_analysis():
    """An Analysis holding every part the report shows (models are closed-form stand-ins,
    so the report machinery is tested whatever models this build has)."""
    log = clmkit.datasets.load_cdnow_sample()
    table = clmkit.summarize(log, "customer_id", "date", "amount")
    rng = np.random.default_rng(0)
    n = len(table)
    table["r_score"] = rng.integers(1, 6, n)
    table["f_score"] = rng.integers(1, 6, n)
    table["rfm_segment"] = pd.Categorical(rng.choice(["Champions", "Lost", "At Risk"], n))
    table["stage"] = pd.Categorical(
        rng.choice(["new", "mature", "churned"], n), categories=["new", "mature", "churned"]
    )
    table["clv_365d"] = rng.gamma(1.0, 50.0, n)
    stages = ["new", "mature", "churned"]
    transitions = pd.DataFrame(
        [[0.2, 0.5, 0.3], [0.0, 0.8, 0.2], [0.0, 0.1, 0.9]], index=stages, columns=stages
    )
    warning = pd.DataFrame(
        {"previous_stage": ["mature"], "stage": ["churned"], "value_at_stake": [99.5]},
        index=pd.Index([17], name="customer_id"),
    )
    cal = clmkit.calibration_and_holdout(log, "customer_id", "date", "1997-09-30")
    return Analysis(
        table=table,
        models={"transactions": PoissonModel(), "calibration": PoissonModel()},
        settings={"observation_period_end": "1998-06-30", "horizon": "365D"},
        transitions=transitions,
        early_warning=warning,
        cal_holdout=cal,
        timings={"summary": 0.01},
    )


@pytest.fixture(scope="module")
def full_html(full_analysis):
    return render_report(full_analysis)


EXPECTED_FIGURES = {"segments": 2, "stages": 2, "btyd": 3, "holdout": 1, "clv": 1}


def test_every_section_and_figure_embedded(full_html):
    html = full_html
    c = _parse(html)
    assert c.sections == [sid for sid, _ in SECTIONS]
    assert {s: len(v) for s, v in c.images.items()} == EXPECTED_FIGURES
    for uris in c.images.values():
        for uri in uris:
            assert uri.startswith("data:image/png;base64,")
            assert base64.b64decode(uri.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert c.tables.get("segments") == 1 and c.tables.get("method") == 1
    assert c.tables.get("stages") == 2 and c.tables.get("early-warning") == 1  # + segment x stage
    assert "Not available" not in html


def test_self_contained_offline(full_html):
    c = _parse(full_html)
    assert c.scripts == 0 and c.external == []


def test_headline_numbers(full_analysis, full_html):
    html = full_html
    assert "2,357" in html  # customers
    assert f"{full_analysis.table['total_value'].sum():,.0f}" in html
    assert f"{full_analysis.table['clv_365d'].sum():,.0f}" in html


def test_missing_parts_say_so_and_escape(tmp_path):
    log = clmkit.datasets.load_cdnow_sample()
    table = clmkit.summarize(log, "customer_id", "date")
    a = Analysis(
        table=table,
        settings={"currency": "<script>alert(1)</script>"},
        skipped={"rfm": "needs <b>x</b>"},
    )
    path = write_report(a, tmp_path / "r.html")
    html = path.read_text()
    c = _parse(html)
    assert c.scripts == 0 and "&lt;script&gt;" in html and "&lt;b&gt;" in html
    # every section with data-dependent content says so: all but headline, method, glossary
    assert html.count("Not available") == len(SECTIONS) - 3
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


@pytest.mark.filterwarnings("ignore::clmkit.ClmkitWarning")
def test_analysis_report_of_real_run(tmp_path):
    log = clmkit.datasets.load_cdnow_sample()
    a = clmkit.analyze(log, "customer_id", "date", "amount", calibration_period_end="1997-09-30")
    c = _parse(a.report(tmp_path / "report.html").read_text())
    expected = 0
    if "rfm" not in a.skipped:
        expected += 2
    if "transactions" in a.models:
        expected += 4  # three model views and the calibration plot
    if "spend" in a.models:
        expected += 1
    if "stages" not in a.skipped:
        expected += 2
    assert sum(len(v) for v in c.images.values()) == expected
