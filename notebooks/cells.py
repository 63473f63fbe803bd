"""The cells of the notebooks: (kind, source[, clmkit names the cell needs])."""

SETUP = (
    "code",
    """
import time
import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import clmkit
from clmkit import plotting

%matplotlib inline
pd.set_option("display.width", 120)
pd.set_option("display.max_columns", 20)
print("clmkit", clmkit.__version__, "on", clmkit.get_num_threads(), "threads")
""",
)

RFM = [
    (
        "md",
        """
# 1. RFM segmentation of the CDNOW customers

From the raw CDNOW master log (69,659 transactions of 23,570 customers, January 1997 to
June 1998) to recency / frequency / monetary scores, named segments, ABC classes and the
segment summary a marketer reads.
""",
    ),
    SETUP,
    (
        "code",
        """
log = clmkit.datasets.load_cdnow_master()
summary = clmkit.summarize(log, customer_id_col="customer_id", datetime_col="date",
                           monetary_value_col="amount", freq="D")
summary.head()
""",
    ),
    (
        "md",
        """
`inactivity` (= `T - recency`, days since the last purchase) is the R of RFM. Scores run
1..5, higher is better. With `method="quantile"` equal values always get equal scores: more
than half of the CDNOW customers never came back (frequency 0), so they all share one F
score and fewer than five F scores appear.
""",
    ),
    (
        "code",
        """
rfm = clmkit.rfm_scores(summary, bins=5, method="quantile")
rfm.head()
""",
        ("rfm_scores",),
    ),
    (
        "code",
        """
rfm["f_score"].value_counts().sort_index()
""",
        ("rfm_scores",),
    ),
    (
        "code",
        """
rfm["rfm_segment"] = clmkit.rfm_segments(rfm, scheme="standard")
rfm["abc_class"] = clmkit.abc_classes(summary["total_value"])
table = rfm.join(summary[["total_value", "n_periods"]])
table.head()
""",
        ("rfm_scores", "rfm_segments", "abc_classes"),
    ),
    (
        "code",
        """
segments = clmkit.segment_summary(table, "rfm_segment", value_col="total_value")
segments
""",
        ("segment_summary",),
    ),
    (
        "code",
        """
fig, axes = plt.subplots(1, 2, figsize=(14, 5))
plotting.plot_rfm_heatmap(table, ax=axes[0])
plotting.plot_segment_summary(table, "rfm_segment", "total_value", ax=axes[1])
fig.tight_layout()
""",
        ("rfm_segments",),
    ),
    ("md", "ABC: the A customers are those who together make the first 80% of the historic value."),
    (
        "code",
        """
abc = table.groupby("abc_class", observed=False)["total_value"].agg(["size", "sum"])
abc["share_of_customers"] = abc["size"] / abc["size"].sum()
abc["share_of_value"] = abc["sum"] / abc["sum"].sum()
abc
""",
        ("abc_classes",),
    ),
    (
        "md",
        """
Scores that stay comparable month to month: fit the edges once and re-apply them to a later
summary (the scorer round-trips through JSON).
""",
    ),
    (
        "code",
        """
scorer = clmkit.RFMScorer(bins=5).fit(clmkit.summarize(log, "customer_id", "date", "amount",
                                                         observation_period_end="1997-12-31"))
later = scorer.transform(summary)
restored = clmkit.RFMScorer.from_json(scorer.to_json())
(restored.transform(summary)["rfm_code"] == later["rfm_code"]).all()
""",
        ("RFMScorer",),
    ),
]

CHURN = [
    (
        "md",
        """
# 2. Churn: buy-till-you-die models and survival models

Two views of churn. **BTYD models** (BG/NBD, Pareto/NBD) treat dropout as unobserved and
give each customer a probability of being alive. **Survival models** need an observed
event: here a business rule, "no purchase for 180 days", turns the log into durations and
events for Kaplan-Meier, Cox PH and Weibull AFT.
""",
    ),
    SETUP,
    (
        "code",
        """
log = clmkit.datasets.load_cdnow_master()
cal_holdout = clmkit.calibration_and_holdout(log, "customer_id", "date",
                                             calibration_period_end="1997-09-30",
                                             observation_period_end="1998-06-30", freq="W")
cal = cal_holdout[["frequency_cal", "recency_cal", "T_cal"]].rename(columns=lambda c: c[:-4])
cal.attrs = dict(cal_holdout.attrs)
cal_holdout.head()
""",
    ),
    (
        "md",
        "## BTYD: BG/NBD and Pareto/NBD, fitted on 39 weeks and checked on the next 39",
        ("BetaGeo",),
    ),
    (
        "code",
        """
bg = clmkit.BetaGeo().fit(cal)
bg.summary
""",
        ("BetaGeo",),
    ),
    (
        "code",
        """
pnbd = clmkit.ParetoNBD().fit(cal)
pnbd.summary
""",
        ("ParetoNBD",),
    ),
    (
        "code",
        """
for name, model in [("BG/NBD", bg)] + ([("Pareto/NBD", pnbd)] if "pnbd" in globals() else []):
    ev = clmkit.evaluate_holdout(model, cal_holdout)
    print(f"{name}: per-customer MAE {ev.mae:.3f}, RMSE {ev.rmse:.3f}; holdout purchases "
          f"predicted {ev.total_predicted:,.0f} vs actual {ev.total_actual:,.0f} ({ev.aggregate_error:+.1%})")
""",
        ("BetaGeo", "evaluate_holdout"),
    ),
    (
        "code",
        """
fig, axes = plt.subplots(1, 2, figsize=(14, 5))
plotting.plot_calibration_purchases_vs_holdout_purchases(bg, cal_holdout, ax=axes[0])
plotting.plot_period_transactions(bg, cal, ax=axes[1])
fig.tight_layout()
""",
        ("BetaGeo",),
    ),
    (
        "code",
        """
fig, axes = plt.subplots(1, 2, figsize=(14, 5))
plotting.plot_probability_alive_matrix(bg, summary=cal, ax=axes[0])
plotting.plot_frequency_recency_matrix(bg, t=1, summary=cal, ax=axes[1])
fig.tight_layout()
""",
        ("BetaGeo",),
    ),
    ("md", '## Survival: churn as "no purchase for 180 days"'),
    (
        "code",
        """
churn = clmkit.churn_dataset(log, "customer_id", "date", inactivity_threshold="180D",
                             monetary_value_col="amount")
print(churn["event"].mean().round(3), "of the customers churned by the 180-day rule")
churn.head()
""",
        ("churn_dataset",),
    ),
    (
        "code",
        """
km = clmkit.KaplanMeier().fit(churn["duration"], churn["event"])
print("median time to churn:", km.median_survival_time_, "days")
ax = plotting.plot_survival_function(km, label="Kaplan-Meier")
""",
        ("KaplanMeier", "churn_dataset"),
    ),
    (
        "code",
        """
covariates = [c for c in ("frequency", "monetary_value", "first_value") if c in churn]
cox = clmkit.CoxPH().fit(churn[["duration", "event", *covariates]], duration_col="duration",
                         event_col="event")
cox.summary
""",
        ("CoxPH", "churn_dataset"),
    ),
    (
        "code",
        """
wb = clmkit.WeibullAFT().fit(churn[["duration", "event", *covariates]], duration_col="duration",
                             event_col="event")
X = churn[covariates].quantile([0.5, 0.9, 0.99])
X.index = ["median customer", "90th percentile", "99th percentile"]  # of each covariate
fig, axes = plt.subplots(1, 2, figsize=(14, 5))
plotting.plot_survival_function(cox, X=X, times=np.linspace(0, 500, 100), ax=axes[0], label="Cox")
plotting.plot_survival_function(wb, X=X, times=np.linspace(0, 500, 100), ax=axes[1], label="Weibull AFT")
fig.tight_layout()
""",
        ("CoxPH", "WeibullAFT", "churn_dataset"),
    ),
    (
        "md",
        """
## Who leaves in the next 90 days?

`churn_probability` answers it for both kinds of model: 1 - S(age + 90) / S(age) for the
survival model, the probability of no purchase in the next 90 days for the BTYD model.
""",
    ),
    (
        "code",
        """
active = churn[churn["event"] == 0]
p_cox = clmkit.churn_probability(cox, X=active[covariates], age=active["duration"], horizon=90)
pd.Series(p_cox).describe()
""",
        ("churn_probability", "CoxPH", "churn_dataset"),
    ),
    (
        "code",
        """
summary_w = clmkit.summarize(log, "customer_id", "date", freq="W")
bg_full = clmkit.BetaGeo().fit(summary_w)
both = pd.DataFrame({
    "btyd_no_purchase_90d": clmkit.churn_probability(bg_full, X=summary_w, horizon=90 / 7),
}, index=summary_w.index).join(churn[["event"]])
both["survival_churn_90d"] = np.nan
both.loc[active.index, "survival_churn_90d"] = p_cox
print(both.corr(method="spearman").round(3))
both.groupby("event")["btyd_no_purchase_90d"].mean()
""",
        ("BetaGeo", "churn_probability", "CoxPH", "churn_dataset"),
    ),
]

CLV = [
    (
        "md",
        """
# 3. Customer lifetime value

Gamma-Gamma for the value of a purchase, a transaction model for the number of purchases,
and discounted CLV with intervals; then the CLV formulas of CRM practice.
""",
    ),
    SETUP,
    (
        "code",
        """
log = clmkit.datasets.load_cdnow_master()
summary = clmkit.summarize(log, "customer_id", "date", "amount", freq="D")
repeat = summary[summary["frequency"] > 0]
print(len(repeat), "repeat buyers;",
      "corr(frequency, monetary value) =", round(repeat[["frequency", "monetary_value"]].corr().iloc[0, 1], 3))
""",
    ),
    (
        "code",
        """
bg = clmkit.BetaGeo().fit(summary)
gg = clmkit.GammaGamma().fit(repeat["frequency"], repeat["monetary_value"], drop_nonpositive=True)
gg.summary
""",
        ("BetaGeo", "GammaGamma"),
    ),
    (
        "md",
        """
The CDNOW log has zero-value transactions: a few repeat buyers have a mean spend of 0, which
Gamma-Gamma cannot use (`drop_nonpositive=True` left them out of the fit). Like customers
without a repeat purchase, they get the model's mean spend (the conditional expectation at
frequency 0). CLV over 12 months of 30 days, discounted 1% per month, reproduces lifetimes'
`customer_lifetime_value(..., time=12, discount_rate=0.01, freq="D")`.
""",
        ("GammaGamma",),
    ),
    (
        "code",
        """
usable = (summary["frequency"] > 0) & (summary["monetary_value"] > 0)
print(int(((summary["frequency"] > 0) & ~usable).sum()), "repeat buyers without a usable mean spend")
summary["expected_spend"] = gg.conditional_expected_spend(summary["frequency"].where(usable, 0.0),
                                                          summary["monetary_value"].where(usable, 0.0))
summary["clv_12m"] = clmkit.customer_lifetime_value(
    bg, summary["expected_spend"].to_numpy(), summary[["frequency", "recency", "T"]],
    horizon=12, period="30D", discount_rate=0.01)
summary.sort_values("clv_12m", ascending=False).head(10)
""",
        ("BetaGeo", "GammaGamma", "customer_lifetime_value"),
    ),
    (
        "code",
        """
ax = plotting.plot_clv_distribution(summary["clv_12m"], label="12-month CLV")
""",
        ("customer_lifetime_value",),
    ),
    (
        "md",
        """
## The analyze() table: CLV with a 90% interval, next to everything else
""",
    ),
    (
        "code",
        """
with warnings.catch_warnings():  # the dropped zero-spend buyer was reported above
    warnings.simplefilter("ignore", clmkit.ClmkitWarning)
    analysis = clmkit.analyze(log, "customer_id", "date", "amount", horizon="365D")
cols = [c for c in analysis.table.columns if c.startswith(("clv_", "expected_", "p_alive"))]
analysis.table[cols].describe().T
""",
        ("BetaGeo", "GammaGamma", "customer_lifetime_value"),
    ),
    (
        "md",
        """
## The value formulas of CRM practice

* **Customer purchase value** CPV = capacity x share of wallet x unit margin.
* **Composite value**: purchase + word-of-mouth + information + knowledge + transaction value.
* **Retention CLV** with margin m, retention r and discount d per period:
  CLV = m r / (1 + d - r) (infinite horizon), or its H-period form.
* **LTV : CAC** and the **payback period**.
""",
    ),
    (
        "code",
        """
cpv = clmkit.purchase_value(capacity=np.array([120.0, 40.0]), share_of_wallet=np.array([0.5, 0.9]),
                            unit_margin=2.5)
print("CPV:", cpv)
print("composite:", clmkit.composite_value(purchase=cpv, word_of_mouth=[30.0, 5.0], information=[2.0, 1.0]))
for r in (0.6, 0.8, 0.9):
    print(f"retention {r}: CLV = {clmkit.retention_clv(100.0, r, 0.1):8.2f} (infinite), "
          f"{clmkit.retention_clv(100.0, r, 0.1, horizon=5):8.2f} (5 periods)")
print("LTV:CAC =", clmkit.ltv_to_cac(450.0, 150.0),
      "; payback:", round(float(clmkit.payback_period(150.0, 100.0, 0.8, 0.1)), 2), "periods")
""",
        ("purchase_value", "composite_value", "retention_clv", "ltv_to_cac", "payback_period"),
    ),
]

STAGES = [
    (
        "md",
        """
# 4. Lifecycle stages and their dynamics

Every customer placed in a stage (prospect, new, growing, mature, at risk, churned,
reactivated), the stage history over monthly snapshots, how customers move between stages,
a Markov forecast, cohort retention and the early-warning list.
""",
    ),
    SETUP,
    (
        "code",
        """
log = clmkit.datasets.load_cdnow_master()
summary = clmkit.summarize(log, "customer_id", "date", "amount", freq="D")
p_alive = None
""",
    ),
    (
        "code",
        """
bg = clmkit.BetaGeo().fit(summary)
p_alive = bg.p_alive(summary["frequency"], summary["recency"], summary["T"])
""",
        ("BetaGeo",),
    ),
    (
        "code",
        """
stages = clmkit.assign_stages(summary, p_alive=p_alive, return_reason=True)
stages.head()
""",
        ("assign_stages",),
    ),
    (
        "code",
        """
ax = plotting.plot_stage_distribution(stages["stage"])
""",
        ("assign_stages",),
    ),
    (
        "code",
        """
snapshots = pd.date_range("1997-06-30", "1998-06-30", freq="ME" if pd.__version__ >= "2.2" else "M")
history = clmkit.stage_history(log, snapshots, "customer_id", "date",
                               model=bg if p_alive is not None else None)
history.head()
""",
        ("stage_history",),
    ),
    (
        "code",
        """
counts = history.pivot_table(index="snapshot", columns="stage", aggfunc="size", observed=False, fill_value=0)
counts
""",
        ("stage_history",),
    ),
    (
        "code",
        """
P = clmkit.transition_matrix(history)
ax = plotting.plot_stage_transitions(P)
""",
        ("transition_matrix",),
    ),
    (
        "code",
        """
current = history[history["snapshot"] == history["snapshot"].max()]["stage"].value_counts()
clmkit.forecast_stages(P, current, steps=6).round(0)
""",
        ("forecast_stages",),
    ),
    (
        "code",
        """
clmkit.steady_state(P).round(3)
""",
        ("steady_state",),
    ),
    (
        "code",
        """
retention = clmkit.cohort_retention(log, "customer_id", "date", cohort_freq="M", period_freq="M")
ax = plotting.plot_cohort_retention(retention)
""",
        ("cohort_retention",),
    ),
    (
        "md",
        "The early-warning list: customers who moved into at-risk or churned at the latest snapshot, by value at stake.",
    ),
    (
        "code",
        """
value = summary["total_value"]
clmkit.early_warning(history, value=value, top=15)
""",
        ("early_warning",),
    ),
]

SCALE = [
    (
        "md",
        """
# 5. Scale: simulated customers end to end

A simulated log (BG/NBD purchases with Gamma-Gamma spend) run through clmkit and through
the plain pandas way. CI runs this notebook at 200,000 customers to stay within its time
budget; the 1M-customer numbers come from `benchmarks/bench_report.py` (shown at the end
when `benchmarks/results/report.json` exists).
""",
    ),
    SETUP,
    (
        "code",
        """
N = 200_000
t0 = time.perf_counter()
log = clmkit.datasets.simulate_transactions(N, seed=42)
print(f"{len(log):,} transactions of {N:,} customers simulated in {time.perf_counter() - t0:.2f} s")
""",
    ),
    (
        "code",
        """
def timed(fn, repeat=3):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


def pandas_summary(log):
    d = log.assign(day=log["date"].dt.floor("D"))
    per_day = d.groupby(["customer_id", "day"])["amount"].sum().reset_index()
    g = per_day.groupby("customer_id")
    out = g.agg(first=("day", "min"), last=("day", "max"), n_periods=("day", "size"),
                total_value=("amount", "sum"))
    first_amount = g["amount"].first()
    end = d["date"].max().floor("D")
    out["frequency"] = out["n_periods"] - 1
    out["recency"] = (out["last"] - out["first"]).dt.days.astype(float)
    out["T"] = (end - out["first"]).dt.days.astype(float)
    repeat_value = out["total_value"] - first_amount
    out["monetary_value"] = np.where(out["frequency"] > 0, repeat_value / out["frequency"].clip(lower=1), 0.0)
    return out


fast, t_clmkit = timed(lambda: clmkit.summarize(log, "customer_id", "date", "amount"))
slow, t_pandas = timed(lambda: pandas_summary(log), repeat=1)
print(f"summary: clmkit {t_clmkit:.3f} s, pandas {t_pandas:.3f} s ({t_pandas / t_clmkit:.0f}x)")
for col in ("frequency", "recency", "T", "monetary_value"):
    np.testing.assert_allclose(fast[col].to_numpy(), slow[col].to_numpy(), rtol=1e-9, atol=1e-9)
print("identical frequency, recency, T and monetary value")
""",
    ),
    (
        "code",
        """
def pandas_rfm(s):
    out = pd.DataFrame(index=s.index)
    for name, col in (("r", "inactivity"), ("f", "frequency"), ("m", "monetary_value")):
        score = pd.qcut(s[col].rank(method="first"), 5, labels=False) + 1
        out[f"{name}_score"] = 6 - score if name == "r" else score  # recent = high R
    out["rfm_code"] = out["r_score"].astype(str) + out["f_score"].astype(str) + out["m_score"].astype(str)
    return out


rfm, t_rfm = timed(lambda: clmkit.rfm_scores(fast, method="rank"))
ref, t_rfm_pd = timed(lambda: pandas_rfm(fast), repeat=1)
print(f"RFM scores (rank method): clmkit {t_rfm:.3f} s, pandas {t_rfm_pd:.3f} s ({t_rfm_pd / t_rfm:.0f}x)")
print("identical codes:", bool((rfm["rfm_code"].to_numpy() == ref["rfm_code"].to_numpy()).all()))
""",
        ("rfm_scores",),
    ),
    (
        "code",
        """
steps = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", clmkit.ClmkitWarning)
    t0 = time.perf_counter()
    analysis = clmkit.analyze(log, "customer_id", "date", "amount", horizon="365D",
                              progress=lambda step, sec: steps.__setitem__(step, sec))
    total = time.perf_counter() - t0
print(f"analyze() on {N:,} customers: {total:.2f} s")
pd.Series(steps, name="seconds").round(3).to_frame()
""",
    ),
    (
        "code",
        """
analysis.table.head()
""",
    ),
    (
        "md",
        """
## 1M customers: numbers from the benchmarks

The benchmark scripts (`benchmarks/bench_*.py`) time clmkit against its peers on 1M
simulated customers and save JSON in `benchmarks/results/`; this cell lists every 1M timing
and ratio found there (quick smoke-run files are skipped).
""",
    ),
    (
        "code",
        """
import json
from pathlib import Path

rows = []
for path in sorted((Path("..") / "benchmarks" / "results").glob("*.json")):
    if path.name.endswith(".quick.json"):
        continue
    doc = json.loads(path.read_text())
    for label, t in doc.get("timings", {}).items():
        n = t.get("n_customers") or t.get("n")
        if n == 1_000_000 or "1M" in label:
            rows.append({"area": doc.get("area", path.stem), "what": label, "seconds": t["best"]})
    for name, r in doc.get("ratios", {}).items():
        if "1M" in name or "1m" in name:
            rows.append({"area": doc.get("area", path.stem), "what": f"ratio {name}", "seconds": r["value"]})
table = pd.DataFrame(rows)
table if len(table) else print("no 1M benchmark results yet: python benchmarks/bench_report.py")
""",
    ),
]

NOTEBOOKS = {
    "01_rfm_segmentation": RFM,
    "02_churn_btyd_and_survival": CHURN,
    "03_customer_lifetime_value": CLV,
    "04_lifecycle_stages": STAGES,
    "05_scale": SCALE,
}
