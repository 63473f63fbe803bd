"""The words of the report: section introductions, what to do per segment and stage, the
glossary. Written for a marketing analyst who has not read the papers."""

from __future__ import annotations

#: (id, title) of every section, in page order.
SECTIONS = [
    ("headline", "At a glance"),
    ("segments", "RFM segments: who your customers are"),
    ("stages", "Lifecycle stages: where they are in their journey"),
    ("btyd", "Still active? P(alive) and expected purchases"),
    ("holdout", "Model check: forecast against what happened"),
    ("clv", "Customer value (CLV)"),
    ("early-warning", "Early warning: whom to contact first"),
    ("method", "How this report was made"),
    ("glossary", "Glossary"),
]

INTRO = {
    "headline": "The key numbers of your customer base at the end of the observation period.",
    "segments": (
        "Every customer gets three scores from 1 (lowest fifth of customers) to 5 (highest "
        "fifth): <b>R</b>ecency (how recently they bought; 5 = most recently), "
        "<b>F</b>requency (how often they bought) and <b>M</b>onetary value (how much they "
        "spent in total, first purchase included). The segment comes from R and F. Use the "
        "table to size campaigns: the share of revenue tells you where the money is, the "
        "suggested action what to do with each group."
    ),
    "stages": (
        "Each customer is placed in one lifecycle stage by simple rules on inactivity "
        "(days since the last purchase), tenure and P(alive). Windows are per customer: "
        "someone who buys every week is overdue after a few silent weeks, someone who buys "
        "once a year only after years. <i>Churned</i> needs two witnesses when the purchase "
        "model ran: the model's P(alive) is low <b>and</b> the customer has been silent "
        "longer than their own churn window; a customer only one of them calls gone is "
        "<i>at risk</i>. The rule column shows the windows used for this data set; "
        "<code>stage_reason</code> in the customer table gives each customer's numbers, e.g. "
        "<i>churned: P(alive) &lt; 0.1 and inactivity 132 d &gt; churn window 70 d</i>."
    ),
    "btyd": (
        "<b>P(alive)</b> is the model's probability that a customer is still an active "
        "customer (has not silently left) given how often and how recently they bought. A "
        "customer who bought every month and was last seen yesterday is near 1; one who "
        "usually buys weekly but has not been seen for a year is near 0. It is a "
        "probability, not a verdict: 0.3 means about 3 in 10 such customers are still "
        "active and will buy again. Expected purchases are the model's forecast for the horizon."
    ),
    "holdout": (
        "The model was fitted on the data up to the calibration end only and its forecast "
        "compared with the purchases that actually happened afterwards. Small differences "
        "mean the forecasts in this report can be trusted for planning."
    ),
    "clv": (
        "Customer lifetime value (CLV) here is the expected, discounted spend of each "
        "customer over the horizon: expected purchases x expected spend per purchase, "
        "discounted per period. The range gives an interval for each customer from the "
        "uncertainty of the model's parameters. ABC classes rank customers by the "
        "revenue they brought so far: A customers together make the first 80%, B the next "
        "15%, C the rest."
    ),
    "early-warning": (
        "Customers who moved into <i>at risk</i> or <i>churned</i> at the latest snapshot, "
        "ranked by value at stake: their value (CLV over the horizon, or without amounts "
        "the number of purchases so far) x the probability they are gone (1 - P(alive)). "
        "Contact the top of the list first."
    ),
}

#: Suggested action per standard RFM segment.
SEGMENT_ACTIONS = {
    "Champions": "Reward them; ask for reviews and referrals; early access to new products.",
    "Loyal Customers": "Upsell higher-value products; loyalty programme.",
    "Potential Loyalists": "Offer membership or a loyalty programme; recommend products.",
    "New Customers": "Onboard well; a welcome series; make the second purchase easy.",
    "Promising": "Build awareness of the range; free trials or samples.",
    "Need Attention": "Limited-time offers based on their past purchases.",
    "About to Sleep": "Reconnect with popular products and a discount.",
    "At Risk": "Personal win-back emails; remind them of what they liked.",
    "Can't Lose Them": "Win them back with the best offers; ask what went wrong.",
    "Hibernating": "Low-cost reactivation; do not overspend.",
    "Lost": "Only low-cost campaigns; otherwise let go.",
}

#: Stage -> (what it means, given the windows; suggested action). The rules of a run without
#: a purchase model (no P(alive)) are in STAGE_RULE_WITHOUT_MODEL.
STAGE_TEXT = {
    "prospect": ("known but has not bought yet", "Convert with a first-purchase offer."),
    "new": (
        "first purchase within the last {new_window} days",
        "Welcome series; encourage the second purchase.",
    ),
    "growing": (
        "repeat buyer, customer for less than {maturity_window} days",
        "Cross-sell; build the habit.",
    ),
    "mature": (
        "customer for at least {maturity_window} days, buying on their usual rhythm",
        "Keep them happy; loyalty rewards.",
    ),
    "at_risk": (
        "P(alive) below {at_risk_p:.0%}, or below {churn_p:.0%} while still within their "
        "churn window",
        "Reach out now with a reason to come back.",
    ),
    "churned": (
        "P(alive) below {churn_p:.0%} and no purchase for more than {churn_rule}",
        "Win-back campaign for valuable ones only.",
    ),
    "reactivated": (
        "came back after a gap longer than {churn_rule}",
        "Thank them; find out what brought them back.",
    ),
}

STAGE_RULE_WITHOUT_MODEL = {
    "at_risk": "quiet for more than {at_risk_factor:.2g} x their usual time between purchases",
    "churned": "no purchase for more than {churn_rule}",
}

GLOSSARY = [
    ("Customer", "One customer id in the input file."),
    (
        "Repeat buyer",
        "A customer who bought on more than one day (or period); one-time buyers bought once.",
    ),
    ("Frequency", "Number of repeat purchases: purchase days after the first one."),
    ("Recency (R)", "How recently the customer bought; the R score is 5 for the most recent."),
    ("Inactivity", "Days from the last purchase to the end of the observation period."),
    (
        "Usual time between purchases",
        "A customer's mean gap between purchases, pulled towards the typical gap of all "
        "customers when they bought only a few times (one-time buyers: the typical gap).",
    ),
    (
        "Churn window",
        "How long a customer may stay silent before being called churned: 4.6 x their "
        "usual time between purchases (an active customer stays that quiet with about a "
        "1% chance), at least twice the typical gap; or the fixed --churn-window.",
    ),
    (
        "RFM segment vs stage",
        "Segments rank customers against each other (the 20% most recent get R = 5 even "
        "if all are long gone); stages judge each customer against their own rhythm. A "
        "Champion can therefore be churned: the best of a quiet base.",
    ),
    ("Tenure", "Days from the first purchase to the end of the observation period."),
    ("Monetary value (M)", "Total spend of the customer over all purchases, first included."),
    ("RFM score", "R, F and M scores (1-5, quintiles of customers) written as e.g. 545."),
    ("ABC class", "A: customers making the top 80% of revenue; B: next 15%; C: the last 5%."),
    (
        "P(alive)",
        "Probability the customer is still active (has not silently left), from the model.",
    ),
    ("Expected purchases", "Purchases the model expects from the customer within the horizon."),
    ("Expected spend", "Expected value of one future purchase of the customer."),
    ("CLV", "Expected discounted spend over the horizon (expected purchases x expected spend)."),
    ("CLV range", "Interval for the CLV from the uncertainty of the model's parameters."),
    ("Horizon", "The future period the forecasts cover (e.g. 365 days, 3 months)."),
    ("Value at stake", "Customer value x (1 - P(alive)): what may be lost if nothing is done."),
    (
        "MBG/NBD",
        "Modified beta-geometric / negative binomial model (Batislam et al. 2007): customers "
        "buy at their own rate and may leave after any purchase, including the first.",
    ),
    ("Gamma-Gamma", "Spend model (Fader, Hardie & Lee 2005): each customer's typical spend."),
]

MODEL_NAMES = {
    "ModifiedBetaGeo": "MBG/NBD (modified beta-geometric / NBD)",
    "BetaGeo": "BG/NBD (beta-geometric / NBD)",
    "ParetoNBD": "Pareto/NBD",
    "GammaGamma": "Gamma-Gamma (spend)",
}
