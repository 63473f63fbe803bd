"""Every table entry point gives the same numbers for pandas, polars (eager and lazy) and
pyarrow input, and returns the caller's library."""

import clmkit
import numpy as np
import pandas as pd
import pytest

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")

LOG = clmkit.datasets.simulate_transactions(400, seed=21)
SNAPSHOTS = ["2020-06-30", "2020-12-31", "2021-06-30"]


def _as(kind, df):
    return {
        "pandas": lambda: df,
        "polars": lambda: pl.from_pandas(df),
        "lazy": lambda: pl.from_pandas(df).lazy(),
        "arrow": lambda: pa.Table.from_pandas(df, preserve_index=False),
    }[kind]()


def _to_pandas(out):
    if isinstance(out, pd.DataFrame):
        out = out.reset_index(drop=out.index.name is None)
        return out.apply(
            lambda c: c.dt.to_timestamp() if isinstance(c.dtype, pd.PeriodDtype) else c
        )
    return out.to_pandas() if hasattr(out, "to_pandas") else pd.DataFrame(out)


CALLS = {
    "summarize": lambda t: clmkit.summarize(t, "customer_id", "date", "amount"),
    "calibration_and_holdout": lambda t: clmkit.calibration_and_holdout(
        t, "customer_id", "date", "2020-12-31", "2021-06-30", monetary_value_col="amount"
    ),
    "churn_dataset": lambda t: clmkit.churn_dataset(t, "customer_id", "date", 120),
    "stage_history": lambda t: clmkit.stage_history(t, SNAPSHOTS, "customer_id", "date"),
    "cohort_retention": lambda t: clmkit.cohort_retention(t, "customer_id", "date"),
    "retention_rate": lambda t: clmkit.retention_rate(t, "customer_id", "date"),
    "summarize_discrete": lambda t: clmkit.summarize_discrete(t, "customer_id", "date", period="M"),
}
EXPECTED_TYPE = {
    "pandas": pd.DataFrame,
    "polars": pl.DataFrame,
    "lazy": pl.DataFrame,
    "arrow": pa.Table,
}


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("kind", ["polars", "lazy", "arrow"])
def test_same_numbers_and_callers_type(name, kind):
    reference = _to_pandas(CALLS[name](LOG))
    out = CALLS[name](_as(kind, LOG))
    assert isinstance(out, EXPECTED_TYPE[kind])
    got = _to_pandas(out)
    # polars and Arrow name columns by strings (cohort periods 0, 1, ... become "0", "1", ...)
    assert [str(c) for c in got.columns] == [str(c) for c in reference.columns]
    for j, col in enumerate(reference.columns):
        a, b = got.iloc[:, j].to_numpy(), reference.iloc[:, j].to_numpy()
        if pd.api.types.is_float_dtype(reference[col].dtype):
            np.testing.assert_array_equal(a.astype(float), b.astype(float), err_msg=str(col))
        else:
            assert [str(x) for x in a] == [str(x) for x in b], col


def test_rfm_scores_follow_the_summary_library():
    summary = clmkit.summarize(pl.from_pandas(LOG), "customer_id", "date", "amount")
    assert isinstance(summary, pl.DataFrame) and summary.columns[0] == "customer_id"
    scores = clmkit.rfm_scores(summary)
    assert isinstance(scores, pl.DataFrame)
    ref = clmkit.rfm_scores(clmkit.summarize(LOG, "customer_id", "date", "amount"))
    np.testing.assert_array_equal(scores["rfm_score"].to_numpy(), ref["rfm_score"].to_numpy())


@pytest.mark.parametrize(
    "output, expected",
    [("pandas", pd.DataFrame), ("polars", pl.DataFrame), ("arrow", pa.Table), ("numpy", dict)],
)
def test_output_override(output, expected):
    assert isinstance(clmkit.summarize(LOG, "customer_id", "date", output=output), expected)


@pytest.mark.parametrize("kind", ["pandas", "polars", "arrow"])
def test_null_amount_same_message_in_every_library(kind):
    df = LOG.head(10).astype({"amount": "Float64"})
    df.loc[4, "amount"] = pd.NA
    with pytest.raises(ValueError, match=r"monetary_value_col 'amount': row 4"):
        clmkit.summarize(_as(kind, df), "customer_id", "date", "amount")


@pytest.mark.parametrize("kind", ["pandas", "polars", "arrow"])
def test_string_amount_is_a_type_error(kind):
    df = LOG.head(10).assign(amount=lambda d: d["amount"].astype(str) + "$")
    with pytest.raises(TypeError, match="monetary_value_col 'amount' must be numeric"):
        clmkit.summarize(_as(kind, df), "customer_id", "date", "amount")


@pytest.mark.parametrize("kind", ["pandas", "polars", "arrow"])
def test_categorical_ids_use_their_codes_and_match_string_ids(kind):
    log = LOG.assign(customer_id="c" + LOG["customer_id"].astype(str))
    ref = clmkit.summarize(log, "customer_id", "date", "amount")
    # categories in a non-sorted order, plus one unused category
    cats = ["zzz"] + sorted(log["customer_id"].unique(), reverse=True)
    cat_log = log.assign(customer_id=pd.Categorical(log["customer_id"], categories=cats))
    table = {
        "pandas": cat_log,
        "polars": pl.from_pandas(cat_log),
        "arrow": pa.Table.from_pandas(cat_log, preserve_index=False),
    }[kind]
    got = _to_pandas(clmkit.summarize(table, "customer_id", "date", "amount"))
    assert [str(x) for x in got["customer_id"]] == list(ref.index)
    np.testing.assert_array_equal(
        got["monetary_value"].to_numpy(), ref["monetary_value"].to_numpy()
    )


def test_null_categorical_id_names_the_row():
    cat = pd.Categorical(["a", None, "b"])
    log = pd.DataFrame({"id": cat, "d": pd.to_datetime(["2020-01-01"] * 3)})
    with pytest.raises(ValueError, match="customer_id_col 'id': row 1"):
        clmkit.summarize(log, "id", "d")


@pytest.mark.parametrize("kind", ["polars", "lazy", "arrow"])
def test_stage_chain_from_every_library(kind):
    """stage_history -> transition_matrix / early_warning, and assign_stages on a summary:
    the tables one entry point returns are accepted by the next, with the same numbers."""
    ref = clmkit.stage_history(LOG, SNAPSHOTS, "customer_id", "date")
    history = clmkit.stage_history(_as(kind, LOG), SNAPSHOTS, "customer_id", "date")
    stage = history["stage"] if kind != "arrow" else history.column("stage")
    if kind == "arrow":
        assert stage.type.ordered  # the stage order travels with the table
    else:
        assert list(stage.dtype.categories) == list(ref["stage"].cat.categories)
    pd.testing.assert_frame_equal(clmkit.transition_matrix(history), clmkit.transition_matrix(ref))
    warnings = clmkit.early_warning(history)
    assert isinstance(warnings, EXPECTED_TYPE[kind])
    expected = clmkit.early_warning(ref)
    got = _to_pandas(warnings)
    assert got["customer_id"].tolist() == expected.index.tolist()
    np.testing.assert_array_equal(got["value_at_stake"], expected["value_at_stake"])
    summary = clmkit.summarize(_as(kind, LOG), "customer_id", "date", "amount")
    stages = clmkit.assign_stages(summary)
    reference = clmkit.assign_stages(clmkit.summarize(LOG, "customer_id", "date", "amount"))
    if kind != "pandas":  # polars / Arrow in: a table of customer_id and stage comes back
        got_stages = _to_pandas(stages).set_index("customer_id")["stage"]
        assert got_stages.index.tolist() == reference.index.tolist()
        stages = got_stages
    assert stages.astype(str).tolist() == reference.astype(str).tolist()
