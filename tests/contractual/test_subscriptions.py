"""summarize_subscriptions, cohort_survivors and customer_table."""

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit.contractual import customer_table
from clmkit.exceptions import InvalidValueError

LOG = pd.DataFrame(
    {
        "id": ["a", "b", "b", "c", "d", "d"],
        "start": pd.to_datetime(
            ["2024-01-10", "2024-02-01", "2024-04-01", "2024-03-15", "2024-01-05", "2024-05-20"]
        ),
        # a: ends in March (churned); b: renewed back to back, still open; c: ends after the
        # observation end (active); d: a gap, then returns (a reactivation, churned in Feb).
        "end": pd.to_datetime(
            ["2024-03-05", "2024-04-01", None, "2024-09-01", "2024-02-10", "2024-06-10"]
        ),
    }
)


def test_tenures_churn_censoring_and_reactivations():
    s = clmkit.summarize_subscriptions(
        LOG, "id", "start", "end", observation_period_end="2024-06-30"
    )
    assert s.index.tolist() == ["a", "b", "c", "d"]
    assert s["renewals"].tolist() == [2, 4, 3, 1]
    assert s["churned"].tolist() == [True, False, False, True]
    assert s["reactivations"].tolist() == [0, 0, 0, 1]
    assert s["cohort"].astype(str).tolist() == ["2024-01", "2024-02", "2024-03", "2024-01"]
    assert (s["tenure"] == s["renewals"] + 1).all()
    # Survivors by cohort: January's two customers are active in periods 0, 1 (a to March,
    # d to February), then only a.
    table = clmkit.cohort_survivors(s)
    assert table.loc[pd.Period("2024-01", "M")].tolist() == [2, 2, 1, 0, 0, 0]
    assert table.loc[pd.Period("2024-03", "M")].dropna().tolist() == [1, 1, 1, 1]


@pytest.mark.filterwarnings("ignore::clmkit.exceptions.ClmkitWarning")  # 2-customer cohorts
def test_other_libraries_get_their_own_kind_back():
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    expected = clmkit.summarize_subscriptions(
        LOG, "id", "start", "end", observation_period_end="2024-06-30"
    )
    out = clmkit.summarize_subscriptions(
        pl.from_pandas(LOG), "id", "start", "end", observation_period_end="2024-06-30"
    )
    assert isinstance(out, pl.DataFrame)
    assert out["renewals"].to_list() == expected["renewals"].tolist()
    arrow = clmkit.summarize_subscriptions(
        pa.Table.from_pandas(LOG), "id", "start", "end", observation_period_end="2024-06-30"
    )
    assert isinstance(arrow, pa.Table)
    assert arrow.column("churned").to_pylist() == expected["churned"].tolist()
    # Survivor tables and per-cohort fits from the polars / Arrow results too.
    pd.testing.assert_frame_equal(
        clmkit.cohort_survivors(out, "2024-06-30"), clmkit.cohort_survivors(expected)
    )
    fits = clmkit.ShiftedBetaGeometric(per_cohort=True).fit(
        pa.Table.from_pandas(
            pd.DataFrame(
                {"renewals": [0, 1, 2, 3], "churned": [1, 1, 0, 1], "cohort": ["x", "x", "y", "y"]}
            )
        )
    )
    assert sorted(fits.cohort_models_) == ["x", "y"]
    with pytest.raises(ValueError, match="cohort_col='cohort' is not a column"):
        clmkit.ShiftedBetaGeometric(per_cohort=True).fit(expected[["renewals", "churned"]])


def test_payment_rows_without_end_dates():
    log = pd.DataFrame(
        {
            "id": [1, 1, 1, 2, 2],
            "paid": ["2024-01-03", "2024-02-03", "2024-03-03", "2024-02-07", "2024-04-07"],
        }
    )
    s = clmkit.summarize_subscriptions(log, "id", "paid", observation_period_end="2024-03-31")
    assert s["renewals"].tolist() == [2, 0]  # 2 missed March: churned after one period
    assert s["churned"].tolist() == [False, True]
    with pytest.raises(InvalidValueError, match="duplicated"):
        clmkit.summarize_subscriptions(pd.concat([log, log.iloc[:1]]), "id", "paid")


def test_bad_logs_name_column_row_label_and_value():
    bad = LOG.copy()
    bad.index = [f"r{i}" for i in range(len(bad))]
    before = bad.copy()
    bad.loc["r0", "end"] = pd.Timestamp("2024-01-01")
    with pytest.raises(
        InvalidValueError, match=r"end_col 'end': row 0 \(index 'r0'\).*ends before"
    ):
        clmkit.summarize_subscriptions(bad, "id", "start", "end")
    overlap = before.copy()
    overlap.loc["r2", "start"] = pd.Timestamp("2024-03-20")
    with pytest.raises(
        InvalidValueError, match=r"start_col 'start': row 2 \(index 'r2'\).*overlaps"
    ):
        clmkit.summarize_subscriptions(overlap, "id", "start", "end")
    dup = pd.concat([before, before.iloc[[0]].rename(index={"r0": "dup"})])
    with pytest.raises(InvalidValueError, match="index 'dup'.*duplicated"):
        clmkit.summarize_subscriptions(dup, "id", "start", "end")
    missing = before.copy()
    missing.loc["r3", "start"] = pd.NaT
    with pytest.raises(InvalidValueError, match="start_col 'start'.*r3"):
        clmkit.summarize_subscriptions(missing, "id", "start", "end")
    with pytest.raises(ValueError, match="period"):
        clmkit.summarize_subscriptions(before, "id", "start", "end", period="fortnight")
    pd.testing.assert_frame_equal(before, LOG.set_axis(before.index))  # input untouched


def test_customer_table_values_from_a_fitted_model():
    s = clmkit.summarize_subscriptions(
        LOG, "id", "start", "end", observation_period_end="2024-06-30"
    )
    model = clmkit.ShiftedBetaGeometric().fit(survivors=[1000, 869, 743, 653, 593, 551, 517, 491])
    table = customer_table(model, s, margin=10.0, discount_rate=0.01)
    active = ~s["churned"]
    assert (table.loc[~active, ["p_active_next_period", "derl", "value"]] == 0).all().all()
    r = s.loc[active, "renewals"].to_numpy(float)
    np.testing.assert_allclose(
        table.loc[active, "p_active_next_period"], model.retention_rate(r + 1)
    )
    np.testing.assert_allclose(
        table.loc[active, "value"], 10 * model.discounted_expected_residual_lifetime(r, 0.01)
    )
    assert model.residual_value(s, 10.0, 0.01) == pytest.approx(table["value"].sum())
