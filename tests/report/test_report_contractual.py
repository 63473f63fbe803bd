"""The subscription section of the HTML report, rendered from a fitted model (no CLI)."""

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit.contractual import cohort_survivors, customer_table

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
