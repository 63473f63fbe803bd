"""Every clmkit.plotting figure speaks words: no raw column name (``p_alive``,
``monetary_value``, ``rfm_segment``, ``at_risk`` ...) in a title, axis label, colour-bar
label, legend or tick label."""

import re

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import clmkit
import matplotlib.pyplot as plt
from clmkit import plotting

# snake_case identifiers (two words joined by "_") and the T / mean_r style column names
RAW = re.compile(r"\b[A-Za-z]+_[A-Za-z0-9_]+\b")


def _texts(fig):
    """Every visible text of every Axes of ``fig`` (colour bars are Axes too)."""
    out = []
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
        legend = ax.get_legend()
        if legend is not None:
            out += [t.get_text() for t in legend.get_texts()]
    return [t for t in out if t]


@pytest.fixture(scope="module")
def data():
    log = clmkit.datasets.load_cdnow_sample()
    s = clmkit.summarize(log, "customer_id", "date", "amount", freq="W")
    bg = clmkit.BetaGeo().fit(s)
    rfm = clmkit.rfm_scores(s, monetary_col="total_value")
    table = s.join(rfm[["r_score", "f_score", "m_score"]])
    table["rfm_segment"] = clmkit.rfm_segments(rfm)
    table["p_alive"] = bg.p_alive(s["frequency"], s["recency"], s["T"])
    hist = clmkit.stage_history(
        log, ["1997-12-31", "1998-03-31", "1998-06-30"], "customer_id", "date"
    )
    ch = clmkit.calibration_and_holdout(log, "customer_id", "date", "1997-09-30", freq="W")
    cal = ch[["frequency_cal", "recency_cal", "T_cal"]].rename(columns=lambda c: c[:-4])
    cal.attrs = ch.attrs
    return {"log": log, "s": s, "bg": bg, "table": table, "hist": hist, "ch": ch, "cal": cal}


def _cases(d):
    g3 = clmkit.datasets.load_g3()
    km = clmkit.KaplanMeier().fit(g3["time"], g3["event"])
    survivors = [1000, 631, 468, 382, 326, 289, 262, 241]
    sbg = clmkit.contractual.ShiftedBetaGeometric().fit(survivors=survivors)
    t = d["table"]
    return {
        "frequency_recency_matrix": lambda: plotting.plot_frequency_recency_matrix(
            d["bg"], t=4, summary=d["s"]
        ),
        "probability_alive_matrix": lambda: plotting.plot_probability_alive_matrix(
            d["bg"], summary=d["s"]
        ),
        "calibration_vs_holdout": lambda: plotting.plot_calibration_purchases_vs_holdout_purchases(
            clmkit.BetaGeo().fit(d["cal"]), d["ch"]
        ),
        "period_transactions": lambda: plotting.plot_period_transactions(d["bg"], d["s"]),
        "history_alive": lambda: plotting.plot_history_alive(
            d["bg"], 52, d["log"][d["log"]["customer_id"] == 3], "date", freq="W"
        ),
        "survival_function": lambda: plotting.plot_survival_function(km),
        "km.plot": lambda: km.plot(),
        "rfm_heatmap": lambda: plotting.plot_rfm_heatmap(t),
        "rfm_heatmap by value": lambda: plotting.plot_rfm_heatmap(t, value_col="monetary_value"),
        "rfm_heatmap by p_alive": lambda: plotting.plot_rfm_heatmap(t, value_col="p_alive"),
        "segment_summary": lambda: plotting.plot_segment_summary(t, "rfm_segment", "total_value"),
        "segment_summary by m": lambda: plotting.plot_segment_summary(
            t, "rfm_segment", "monetary_value"
        ),
        "clv_distribution": lambda: plotting.plot_clv_distribution(t["total_value"]),
        "stage_transitions": lambda: plotting.plot_stage_transitions(
            clmkit.transition_matrix(d["hist"])
        ),
        "stage_distribution": lambda: plotting.plot_stage_distribution(
            clmkit.assign_stages(d["s"])
        ),
        "cohort_retention": lambda: plotting.plot_cohort_retention(
            clmkit.cohort_retention(d["log"], "customer_id", "date")
        ),
        "survival (contractual)": lambda: plotting.plot_survival(sbg, survivors),
        "retention (contractual)": lambda: plotting.plot_retention(sbg, survivors),
    }


def test_every_plot_labels_in_words(data):
    bad = {}
    for name, draw in _cases(data).items():
        plt.close("all")
        plt.figure()
        ax = draw()
        texts = _texts(ax.figure)
        assert ax.get_title() or name == "km.plot", f"{name}: no title"
        raw = [t for t in texts if RAW.search(t)]
        if raw:
            bad[name] = raw
    plt.close("all")
    assert not bad, bad


def test_words_for_the_columns_named_in_titles(data):
    plt.figure()
    ax = plotting.plot_rfm_heatmap(data["table"], value_col="p_alive", agg="mean")
    assert ax.get_title() == "RFM grid: mean P(alive)"
    plt.figure()
    ax = plotting.plot_segment_summary(data["table"], "rfm_segment", "total_value")
    assert ax.get_title() == "RFM segment: share of customers and of total spend"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "% of customers",
        "% of total spend",
    ]
    plt.figure()
    ax = plotting.plot_stage_distribution(clmkit.assign_stages(data["s"]))
    assert "at risk" in [t.get_text() for t in ax.get_xticklabels()]
    plt.close("all")


def test_a_column_name_the_words_do_not_know_is_still_readable():
    table = pd.DataFrame(
        {"r_score": [1, 2, 3], "f_score": [1, 2, 3], "basket_size_eur": [1.0, 2.0, np.nan]}
    )
    plt.figure()
    ax = plotting.plot_rfm_heatmap(table, value_col="basket_size_eur")
    assert ax.get_title() == "RFM grid: mean basket size eur"
    plt.close("all")
