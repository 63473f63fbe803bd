"""Builds and executes notebooks/07_lifetimes_walkthrough.ipynb: lifetimes' quick-start
(CDNOW and the example transactions) run through clmkit.compat.lifetimes — the code is the
lifetimes documentation's, with ``lifetimes`` replaced by ``clmkit.compat.lifetimes`` in the
imports and nothing else.

    python notebooks/build_07_lifetimes_walkthrough.py
"""

from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent

CELLS = [
    (
        "md",
        "# The lifetimes walkthrough on clmkit\n\n"
        "lifetimes' quick-start, unchanged except for the imports: every `lifetimes` became "
        "`clmkit.compat.lifetimes`. The numbers come from clmkit's Rust core; the migration guide "
        "(`docs/migrating_from_lifetimes.md`) lists every deliberate difference.",
    ),
    ("code", "%matplotlib inline\nimport matplotlib.pyplot as plt"),
    ("md", "## Basic frequency/recency analysis using the BG/NBD model"),
    (
        "code",
        "from clmkit.compat.lifetimes.datasets import load_cdnow_summary\n"
        "data = load_cdnow_summary(index_col=[0])\n\nprint(data.head())",
    ),
    (
        "code",
        "from clmkit.compat.lifetimes import BetaGeoFitter\n\n"
        "# similar API to scikit-learn and lifelines.\n"
        "bgf = BetaGeoFitter(penalizer_coef=0.0)\n"
        "bgf.fit(data['frequency'], data['recency'], data['T'])\nprint(bgf)",
    ),
    ("code", "bgf.summary"),
    ("md", "### Visualizing our frequency/recency matrix"),
    (
        "code",
        "from clmkit.compat.lifetimes.plotting import plot_frequency_recency_matrix\n\n"
        "plot_frequency_recency_matrix(bgf)\nplt.show()",
    ),
    (
        "code",
        "from clmkit.compat.lifetimes.plotting import plot_probability_alive_matrix\n\n"
        "plot_probability_alive_matrix(bgf)\nplt.show()",
    ),
    ("md", "### Ranking customers from best to worst"),
    (
        "code",
        "t = 1\n"
        "data['predicted_purchases'] = bgf.conditional_expected_number_of_purchases_up_to_time(t, data['frequency'], data['recency'], data['T'])\n"
        "data.sort_values(by='predicted_purchases').tail(5)",
    ),
    ("md", "### Assessing model fit"),
    (
        "code",
        "from clmkit.compat.lifetimes.plotting import plot_period_transactions\n"
        "plot_period_transactions(bgf)\nplt.show()",
    ),
    ("md", "### Example using transactional datasets"),
    (
        "code",
        "from clmkit.compat.lifetimes.datasets import load_transaction_data\n"
        "from clmkit.compat.lifetimes.utils import summary_data_from_transaction_data\n\n"
        "transaction_data = load_transaction_data()\nprint(transaction_data.head())\n\n"
        "summary = summary_data_from_transaction_data(transaction_data, 'id', 'date', observation_period_end='2014-12-31')\n\n"
        "print(summary.head())\n\nbgf.fit(summary['frequency'], summary['recency'], summary['T'])",
    ),
    ("md", "### More model fitting"),
    (
        "code",
        "from clmkit.compat.lifetimes.utils import calibration_and_holdout_data\n\n"
        "summary_cal_holdout = calibration_and_holdout_data(transaction_data, 'id', 'date',\n"
        "                                        calibration_period_end='2014-09-01',\n"
        "                                        observation_period_end='2014-12-31' )\n"
        "print(summary_cal_holdout.head())",
    ),
    (
        "code",
        "from clmkit.compat.lifetimes.plotting import plot_calibration_purchases_vs_holdout_purchases\n\n"
        "bgf.fit(summary_cal_holdout['frequency_cal'], summary_cal_holdout['recency_cal'], summary_cal_holdout['T_cal'])\n"
        "plot_calibration_purchases_vs_holdout_purchases(bgf, summary_cal_holdout)\nplt.show()",
    ),
    (
        "code",
        "from clmkit.compat.lifetimes.plotting import plot_cumulative_transactions\n\n"
        "plot_cumulative_transactions(bgf, transaction_data, 'date', 'id', 364, 243)\nplt.show()",
    ),
    ("md", "### Customer predictions"),
    (
        "code",
        "t = 10 #predict purchases in 10 periods\nindividual = summary.iloc[20]\n"
        "# The below function is an alias to `bfg.conditional_expected_number_of_purchases_up_to_time`\n"
        "bgf.predict(t, individual['frequency'], individual['recency'], individual['T'])",
    ),
    ("md", "### Customer probability histories"),
    (
        "code",
        "from clmkit.compat.lifetimes.plotting import plot_history_alive\n\n"
        "id = 35\ndays_since_birth = 200\n"
        "sp_trans = transaction_data.loc[transaction_data['id'] == id]\n"
        "plot_history_alive(bgf, days_since_birth, sp_trans, 'date')\nplt.show()",
    ),
    ("md", "## Estimating customer lifetime value using the Gamma-Gamma model"),
    (
        "code",
        "from clmkit.compat.lifetimes.datasets import load_cdnow_summary_data_with_monetary_value\n\n"
        "summary_with_money_value = load_cdnow_summary_data_with_monetary_value()\n"
        "summary_with_money_value.head()\n"
        "returning_customers_summary = summary_with_money_value[summary_with_money_value['frequency']>0]\n\n"
        "print(returning_customers_summary.head())",
    ),
    ("code", "returning_customers_summary[['monetary_value', 'frequency']].corr()"),
    (
        "code",
        "from clmkit.compat.lifetimes import GammaGammaFitter\n\n"
        "ggf = GammaGammaFitter(penalizer_coef = 0)\n"
        "ggf.fit(returning_customers_summary['frequency'],\n"
        "        returning_customers_summary['monetary_value'])\nprint(ggf)",
    ),
    (
        "code",
        "print(ggf.conditional_expected_average_profit(\n"
        "        summary_with_money_value['frequency'],\n"
        "        summary_with_money_value['monetary_value']\n    ).head(10))",
    ),
    (
        "code",
        'print("Expected conditional average profit: %s, Average profit: %s" % (\n'
        "    ggf.conditional_expected_average_profit(\n"
        "        summary_with_money_value['frequency'],\n"
        "        summary_with_money_value['monetary_value']\n    ).mean(),\n"
        "    summary_with_money_value[summary_with_money_value['frequency']>0]['monetary_value'].mean()\n))",
    ),
    (
        "code",
        "# refit the BG model to the summary_with_money_value dataset\n"
        "bgf.fit(summary_with_money_value['frequency'], summary_with_money_value['recency'], summary_with_money_value['T'])\n\n"
        "print(ggf.customer_lifetime_value(\n"
        "    bgf, #the model to use to predict the number of future transactions\n"
        "    summary_with_money_value['frequency'],\n"
        "    summary_with_money_value['recency'],\n"
        "    summary_with_money_value['T'],\n"
        "    summary_with_money_value['monetary_value'],\n"
        "    time=12, # months\n"
        "    discount_rate=0.01 # monthly discount rate ~ 12.7% annually\n).head(10))",
    ),
    ("md", "## Saving and loading the model"),
    (
        "code",
        "bgf.save_model('bgf.pkl')\n\nbgf_loaded = BetaGeoFitter()\n\nbgf_loaded.load_model('bgf.pkl')\n\nbgf_loaded",
    ),
    ("md", "The saved file is JSON (no dill): clean it up."),
    ("code", "import os\nos.remove('bgf.pkl')"),
]


def build() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for kind, text in CELLS:
        cell = (
            nbformat.v4.new_markdown_cell(text) if kind == "md" else nbformat.v4.new_code_cell(text)
        )
        nb.cells.append(cell)
    return nb


if __name__ == "__main__":
    notebook = build()
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}
    ).execute()
    nbformat.write(notebook, HERE / "07_lifetimes_walkthrough.ipynb")
    print("wrote", HERE / "07_lifetimes_walkthrough.ipynb")
