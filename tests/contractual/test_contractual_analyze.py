"""analyze(..., contractual=...): subscription columns in the one customer table."""

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit.contractual import customer_table


def test_analyze_adds_the_contractual_columns_of_customer_table():
    log = clmkit.datasets.load_cdnow_sample()
    ids = np.sort(log["customer_id"].unique())[:400]
    rng = np.random.default_rng(3)
    start = pd.Timestamp("1997-01-01") + pd.to_timedelta(rng.integers(0, 60, len(ids)), "D")
    months = rng.geometric(rng.beta(1.0, 3.0, len(ids)))  # heterogeneous churn (sBG)
    end = pd.Series(start + pd.to_timedelta(30 * months, "D"))
    end[end > pd.Timestamp("1998-06-30")] = pd.NaT
    subs_log = pd.DataFrame({"customer_id": ids, "start": start, "end": end})
    options = {
        "log": subs_log,
        "start_col": "start",
        "end_col": "end",
        "margin": 10.0,
        "model": "sbg",
        "observation_period_end": "1998-06-30",
    }
    a = clmkit.analyze(log, "customer_id", "date", "amount", models=(), contractual=options)
    table = a.table
    expected_subs = clmkit.summarize_subscriptions(
        subs_log, "customer_id", "start", "end", observation_period_end="1998-06-30"
    )
    model = clmkit.ShiftedBetaGeometric().fit(expected_subs)
    expected = customer_table(model, expected_subs, margin=10.0)
    np.testing.assert_allclose(table.loc[ids, "sub_derl"], expected.loc[ids, "derl"])
    np.testing.assert_allclose(table.loc[ids, "sub_value"], expected.loc[ids, "value"])
    others = table.index.difference(ids)
    assert table.loc[others, "sub_tenure"].isna().all()
    with pytest.raises(ValueError, match="model"):
        clmkit.analyze(log, "customer_id", "date", models=(), contractual={**options, "model": "x"})
