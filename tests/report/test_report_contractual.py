"""The subscription section of the HTML report, rendered from a fitted model (no CLI)."""

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit.contractual import cohort_survivors, customer_table
from clmkit.report.tables import Fmt

pytest.importorskip("matplotlib")
pytest.importorskip("jinja2")


def _subs(n=400, seed=3):
    rng = np.random.default_rng(seed)
    life = rng.geometric(rng.beta(1.0, 2.5, n))
    month = rng.integers(0, 6, n)
    start = [pd.Timestamp("2023-01-01") + pd.DateOffset(months=int(m)) for m in month]
    end = [s + pd.DateOffset(months=int(k)) for s, k in zip(start, life)]
    obs = pd.Timestamp("2024-06-30")
    log = pd.DataFrame(
        {"id": np.arange(n), "start": start, "end": [e if e <= obs else pd.NaT for e in end]}
    )
    return clmkit.summarize_subscriptions(log, "id", "start", "end", obs, "M", output="pandas")


@pytest.mark.parametrize("margin", [None, 12.5])
def test_section_shows_model_cohorts_and_value_only_with_margin(margin):
    from clmkit.report.contractual import render_contractual_report

    subs = _subs()
    model = clmkit.ShiftedBetaGeometric().fit(subs)
    table = customer_table(model, subs, margin or 1.0, 0.02)
    if margin is None:
        table = table.drop(columns="value")
    settings = {"period": "M", "margin": margin, "discount_rate": 0.02, "currency": "EUR"}
    html = render_contractual_report(model, subs, table, cohort_survivors(subs), settings)
    assert html.count("data:image/png;base64,") == 2
    # the parameters with their standard errors, as fitted
    for name in ("alpha", "beta"):
        assert f"{model.params_[name]:.3f}" in html
        assert f"{model.standard_errors_[name]:.3f}" in html
    # one row per cohort (six monthly cohorts)
    assert all(f'<td class="t">2023-0{m}</td>' in html for m in range(1, 7))
    assert "2.00% per month" in html
    if margin is None:
        assert "Value of the base" not in html and "not given (--margin)" in html
    else:
        total = float(table["value"].sum())
        assert "Value of the base" in html and f"{total:,.0f} EUR" in html


def _analysis(tmp_path, margin=10.0):
    """analyze() on CDNOW with a subscription log for 400 of its customers (sBG churn)."""
    log = clmkit.datasets.load_cdnow_sample()
    ids = np.sort(log["customer_id"].unique())[:400]
    rng = np.random.default_rng(3)
    start = pd.Timestamp("1997-01-01") + pd.to_timedelta(rng.integers(0, 90, len(ids)), "D")
    months = rng.geometric(rng.beta(1.0, 3.0, len(ids)))
    end = pd.Series(start + pd.to_timedelta(30 * months, "D"))
    end[end > pd.Timestamp("1998-06-30")] = pd.NaT
    subs_log = pd.DataFrame({"customer_id": ids, "start": start, "end": end})
    options = {
        "log": subs_log,
        "start_col": "start",
        "end_col": "end",
        "model": "sbg",
        "margin": margin,
        "observation_period_end": "1998-06-30",
    }
    a = clmkit.analyze(
        log, "customer_id", "date", "amount", models=(), contractual=options, currency="EUR"
    )
    html = a.report(tmp_path / "report.html").read_text(encoding="utf-8")
    subs = clmkit.summarize_subscriptions(
        subs_log, "customer_id", "start", "end", observation_period_end="1998-06-30"
    )
    return a, html, subs


def _section(html):
    start = html.index('<section id="subscriptions">')
    return html[start : html.index("</section>", start)]


def test_analyze_report_has_the_subscription_section(tmp_path):
    a, html, subs = _analysis(tmp_path)
    model = a.models["contractual"]
    assert '<a href="#subscriptions">Subscriptions</a>' in html
    sec = _section(html)
    assert sec.count("data:image/png;base64,") == 2  # survival and retention, actual vs model
    # retention by period, all cohorts pooled, computed here from the summary: at period t
    # the cohorts observed for t months; share = still subscribed / joined
    obs = pd.Period("1998-06", "M")
    horizon = np.array([(obs - c).n for c in subs["cohort"]])
    r = subs["renewals"].to_numpy()
    pct = Fmt.pct  # the report's percentage format (99.5% and above: whole percents)
    for t in (1, 2, 6, 12):
        seen = horizon >= t
        share = (r[seen] >= t).mean()
        rate = (r[seen] >= t).sum() / (r[seen] >= t - 1).sum()
        row = (
            f'<tr><td class="t">{t}</td><td>{(r[seen] >= t - 1).sum():,}</td>'
            f"<td>{pct(share)}</td><td>{pct(model.survival_function(t))}</td>"
            f"<td>{pct(rate)}</td><td>{pct(model.retention_rate(t))}</td></tr>"
        )
        assert row in sec, row
    # DERL and value by tenure; a new subscriber's worth; the value of the base
    for n in (0, 1, 5):
        derl = model.discounted_expected_residual_lifetime(n, 0.01)
        assert f"<td>{derl:,.2f}</td><td>{10 * derl:,.2f} EUR</td>" in sec
    assert f"{a.table['sub_value'].sum():,.0f} EUR" in sec
    derl0 = model.discounted_expected_residual_lifetime(0, 0.01)
    assert "A new subscriber is worth" in sec and f"{10 * derl0:,.2f} EUR" in sec
    # the textbook one-rate value against the model's (Fader & Hardie 2010)
    t = a.table.loc[subs.index]
    active = ~t["sub_churned"].astype(bool).to_numpy()
    rr = t["sub_p_active_next_period"].to_numpy()[active].mean()
    constant = active.sum() * rr * 1.01 / (1.01 - rr)
    gap = t["sub_derl"].to_numpy()[active].sum() / constant - 1
    assert f"one average renewal rate ({100 * rr:.1f}%)" in sec
    assert f"{100 * abs(gap):.1f}% {'more' if gap > 0 else 'less'}" in sec
    assert "<dt>sub_derl</dt>" in sec and "the customer table (sub_ columns)" in sec
    assert f"{model.standard_errors_['alpha']:.3f}" in sec
    assert '"contractual"' in a.models_json()


def test_report_without_subscriptions_has_no_such_section(tmp_path):
    log = clmkit.datasets.load_cdnow_sample()
    a = clmkit.analyze(log, "customer_id", "date", "amount", models=())
    html = a.report(tmp_path / "r.html").read_text(encoding="utf-8")
    assert "subscriptions" not in html
