"""The report read as a marketing analyst: headline, tables and stage counts agree, every
number is explained, and the segment/stage overlap is told with this run's numbers."""

import html as html_lib
import re

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("jinja2")

import clmkit
from clmkit.report.render import render_report


def _text(page):
    page = re.sub(r"<style.*?</style>", "", page, flags=re.S)
    page = re.sub(r"<img[^>]*>", "", page)
    page = re.sub(r"</t[dh]>", " | ", page)
    page = re.sub(r"<(br|/p|/h\d|/tr|/li|/div|/dt|/dd)[^>]*>", "\n", page)
    return html_lib.unescape(re.sub(r"<[^>]+>", "", page))


def _section(text, title, next_title):
    return text[text.index(title) : text.index(next_title, text.index(title))]


@pytest.fixture(scope="module")
def example():
    """lifetimes' example log without amounts: most customers churned, Champions among them."""
    log = clmkit.datasets.load_example_transactions()
    a = clmkit.analyze(log, "id", "date", snapshots=3)
    return a, _text(render_report(a))


@pytest.fixture(scope="module")
def cdnow():
    log = clmkit.datasets.load_cdnow_sample()
    a = clmkit.analyze(log, "customer_id", "date", "amount", snapshots=3, currency="USD")
    return a, _text(render_report(a))


def _stage_rows(text):
    body = _section(text, "Lifecycle stages: where", "RFM segments by lifecycle stage")
    rows = {}
    for line in body.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) >= 4 and re.fullmatch(r"[\d,]+", cells[1] or "x"):
            rows[cells[0]] = (int(cells[1].replace(",", "")), cells[3])
    return rows


@pytest.mark.parametrize("which", ["example", "cdnow"])
def test_headline_stage_table_and_crosstab_agree(which, request):
    a, text = request.getfixturevalue(which)
    t = a.table
    counts = t["stage"].astype(str).value_counts()
    rows = _stage_rows(text)
    for stage, n in counts.items():
        assert rows[stage.replace("_", " ")][0] == n
    churned, at_risk = counts.get("churned", 0), counts.get("at_risk", 0)
    card = f"Churned (lifecycle stage)\n{100 * churned / len(t):.1f}%\n{churned:,} churned, "
    assert card + f"{at_risk:,} more at risk" in text
    # the segment x stage table: every row adds up to the segment's size
    cross = _section(text, "RFM segments by lifecycle stage", "Still active?")
    header = [c.strip() for c in cross.splitlines()[1].split("|")][1:-1]
    for line in cross.splitlines()[2:]:
        cells = [c.strip() for c in line.split("|")][:-1]
        if len(cells) == len(header) + 1:
            segment = cells[0]
            got = dict(zip(header, (int(c.replace(",", "")) for c in cells[1:])))
            ref = t.loc[t["rfm_segment"].astype(str) == segment, "stage"].astype(str)
            ref = ref.str.replace("_", " ").value_counts()
            assert {k: v for k, v in got.items() if v} == ref.to_dict()


def test_rules_say_both_witnesses_with_the_windows(example):
    a, text = example
    rows = _stage_rows(text)
    g0 = a.settings["stage_windows_days"]["median_ipt"]
    assert rows["churned"][1] == (
        "P(alive) below 10% and no purchase for more than 4.6 x their usual time between "
        f"purchases (at least {2 * g0:,.0f} days)"
    )
    assert rows["at risk"][1].startswith("P(alive) below 50%")
    assert "two witnesses" in text
    assert "without a purchase and with P(alive) below 10%" in text  # the method section


def test_churned_champions_explained_with_numbers(example):
    a, text = example
    t = a.table
    best = t["rfm_segment"].astype(str).isin(["Champions", "Loyal Customers"])
    gone = best & (t["stage"] == "churned")
    g0 = a.settings["stage_windows_days"]["median_ipt"]  # days = model units here (freq D)
    usual = (t["recency"] + g0) / (t["frequency"] + 1)
    ratio = ((t["T"] - t["recency"]) / usual)[gone].median()
    silent = (t["T"] - t["recency"])[gone].median()
    assert f"{gone.sum():,} of the {best.sum():,} Champions and Loyal Customers are churned" in text
    assert f"silent for {silent:,.0f} days (median), {ratio:,.0f} times their usual" in text
    median_p = t["p_alive"][gone].median()
    assert median_p < 0.01
    assert f"median P(alive) of {100 * median_p:.2f}%" in text


def test_early_warning_without_amounts_ranks_by_purchases(example, cdnow):
    a, text = example
    body = _section(text, "Early warning: whom", "How this report was made")
    assert "Purchases so far | Purchases at stake" in body
    assert "Value (CLV)" not in body
    ew = a.early_warning
    n = a.table["n_periods"].reindex(ew.index).to_numpy(float)
    np.testing.assert_allclose(ew["value"], n)
    np.testing.assert_allclose(ew["value_at_stake"], n * (1 - ew["p_alive"]))
    assert ew["value_at_stake"].is_monotonic_decreasing
    first = ew.index[0]
    assert f"\n{first} | " in body
    _, money_text = cdnow
    body = _section(money_text, "Early warning: whom", "How this report was made")
    assert "Value (CLV) | Value at stake" in body and "USD" in body


def test_no_row_churned_with_high_p_alive_in_either_run(example, cdnow):
    for a, text in (example, cdnow):
        t = a.table
        assert not ((t["stage"] == "churned") & (t["p_alive"] >= 0.1)).any()
        assert "customers are churned by the inactivity rule although" not in text
        assert isinstance(t["stage_reason"].dtype, pd.CategoricalDtype)


def test_holdout_difference_is_read_for_the_planner_and_durations_in_words():
    log = clmkit.datasets.load_cdnow_sample()
    a = clmkit.analyze(
        log, "customer_id", "date", "amount", snapshots=2, calibration_period_end="1997-09-30"
    )
    page = render_report(a)
    text = _text(page)
    ev = a.holdout_evaluation
    rel = (ev.total_predicted - ev.total_actual) / ev.total_actual
    body = _section(text, "Model check: forecast", "Customer value (CLV)")
    assert f"{100 * rel:+.1f}%" in body
    if abs(rel) <= 0.1:
        assert "within 10% of what happened" in body
    else:
        side = "fewer" if rel < 0 else "more"
        assert f"forecast {100 * abs(rel):.0f}% {side} purchases than happened" in body
    # durations in words, never the option's raw spelling
    assert "365D" not in text and "30D" not in text
    assert "Expected purchases in the next 365 days by number" in page
    assert "discount rate 1.0% per 30 days" in text


def test_bgnbd_churned_with_p_alive_one_is_explained_in_the_report():
    """BG/NBD gives every one-time buyer P(alive) = 1; those silent beyond their churn window
    are churned by inactivity. The report says so with their count, and each reason carries
    its numbers."""
    import warnings

    log = clmkit.datasets.load_cdnow_sample()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clmkit.ClmkitWarning)
        a = clmkit.analyze(log, "customer_id", "date", "amount", models=("bgnbd",), snapshots=2)
    t = a.table
    both = (t["p_alive"] >= 0.99) & (t["stage"].astype(str) == "churned")
    assert both.sum() > 0
    text = _text(render_report(a))
    assert f"{both.sum()} customers are churned by the inactivity rule although the model" in text
    pattern = r"churned: inactivity \d+ d > churn window \d+ d"
    assert t.loc[both, "stage_reason"].astype(str).str.fullmatch(pattern).all()
