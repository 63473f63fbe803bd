"""Builds and executes notebooks/08_contractual.ipynb: subscriptions (contractual churn)
from a simulated log to cohort forecasts, DERL and the value of the customer base.

    python notebooks/build_08_contractual.py
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from build import build  # noqa: E402

CELLS = [
    (
        "md",
        """
# 8. Subscriptions: contractual churn, cohort forecasts and the value of the base

A subscription business sees its customers leave: a contract that is not renewed is an
observed churn. That is the *contractual* setting, where the shifted-beta-geometric (sBG,
Fader & Hardie 2007) and beta-discrete-Weibull (BdW, Fader, Hardie, Liu, Davin &
Steenburgh 2018) models apply, rather than the buy-till-you-die models of notebook 2, which
infer an unobserved churn from purchase gaps.

We simulate a monthly subscription log of three yearly cohorts from a BdW model, summarise it
with `clmkit.summarize_subscriptions`, fit both models, forecast each cohort, and value the
active base with the discounted expected residual lifetime (DERL, Fader & Hardie 2010).
""",
    ),
    (
        "code",
        """
%matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import clmkit

pd.set_option("display.width", 120)
print("clmkit", clmkit.__version__)
""",
    ),
    ("md", "## A subscription log simulated from a BdW model"),
    (
        "code",
        """
# Each customer churns at each monthly renewal with probability theta ~ Beta(alpha, beta),
# with duration dependence c < 1: S(t | theta) = (1 - theta)^(t^c).
alpha, beta, c = 0.9, 4.0, 0.8
rng = np.random.default_rng(2024)
observation_end = pd.Timestamp("2024-12-31")
rows = []
for cohort, n in [("2022-01", 3000), ("2023-01", 4000), ("2024-01", 5000)]:
    month0 = pd.Period(cohort, "M")
    theta = rng.beta(alpha, beta, n)
    u = rng.uniform(size=n)
    churn_month = np.floor((np.log(u) / np.log1p(-theta)) ** (1 / c)) + 1  # T, in months
    start = month0.to_timestamp() + pd.to_timedelta(rng.integers(0, 28, n), unit="D")
    end = pd.PeriodIndex([month0 + int(t) for t in churn_month]).to_timestamp()
    ids = [f"{cohort}-{i:05d}" for i in range(n)]
    rows.append(pd.DataFrame({"customer_id": ids, "start": start, "end": end}))
log = pd.concat(rows, ignore_index=True)
log.loc[log["end"] > observation_end, "end"] = pd.NaT  # still subscribed at the end
log.head()
""",
    ),
    ("md", "## One censored tenure per customer, and survivors by cohort"),
    (
        "code",
        """
subs = clmkit.summarize_subscriptions(log, "customer_id", "start", "end",
                                      observation_period_end=observation_end, period="M")
print(subs["churned"].value_counts())
subs.head()
""",
    ),
    (
        "code",
        """
survivors = clmkit.cohort_survivors(subs)
survivors.iloc[:, [0, 1, 2, 6, 12, 24, 35]]
""",
    ),
    ("md", "## Fit the sBG and the BdW on the individual tenures"),
    (
        "code",
        """
sbg = clmkit.ShiftedBetaGeometric().fit(subs)
bdw = clmkit.BetaDiscreteWeibull().fit(subs)
print(f"sBG: LL {sbg.log_likelihood_:.1f}, AIC {sbg.aic_:.1f}")
print(f"BdW: LL {bdw.log_likelihood_:.1f}, AIC {bdw.aic_:.1f}  (true alpha, beta, c = 0.9, 4.0, 0.8)")
bdw.summary
""",
    ),
    ("md", "## Cohort forecast: actual survivors against the model, and retention by tenure"),
    (
        "code",
        """
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
bdw.plot_survival(survivors, periods=48, ax=left)
left.set_title("share still subscribed (BdW)")
bdw.plot_retention(survivors, periods=48, ax=right)
right.set_title("retention rate by month of tenure")
plt.show()
""",
    ),
    (
        "code",
        """
# Next 12 months of each cohort: today's survivors times P(active at t | survived so far).
horizon = np.arange(1, 13)
forecast = {}
for cohort, row in survivors.iterrows():
    counts = row.dropna()
    age = len(counts) - 1
    forecast[str(cohort)] = counts.iloc[-1] * bdw.conditional_survival(age + horizon, age)
pd.DataFrame(forecast, index=pd.Index(horizon, name="months ahead")).round(0).T
""",
    ),
    ("md", "## DERL and the value of the active base"),
    (
        "code",
        """
margin, d = 20.0, 0.01  # $20 a month, 1% a month
table = clmkit.contractual.customer_table(bdw, subs, margin=margin, discount_rate=d)
print(table[~table["churned"]].groupby(subs["cohort"]).mean(numeric_only=True).round(2))
base_value = bdw.residual_value(subs, margin, d)
print(f"residual value of the base (BdW DERL): ${base_value:,.0f}")
""",
    ),
    (
        "md",
        """
The textbook shortcut values every customer with one aggregate retention rate,
`m r / (1 + d - r)` (`clmkit.retention_clv`). Because the customers who remain are the ones
least likely to leave, the aggregate rate understates the retention of the surviving base, and
the shortcut undervalues it (Fader & Hardie 2010).
""",
    ),
    (
        "code",
        """
active = subs[~subs["churned"]]
r_aggregate = float(np.average(bdw.retention_rate(active["renewals"] + 1)))
constant = len(active) * clmkit.retention_clv(margin, r_aggregate, d) * (1 + d)
print(f"aggregate retention {r_aggregate:.3f}: constant-retention value ${constant:,.0f}")
print(f"heterogeneity-aware (DERL) value ${base_value:,.0f}: {base_value / constant - 1:.0%} higher")
""",
    ),
]

if __name__ == "__main__":
    print("built", build("08_contractual", CELLS))
