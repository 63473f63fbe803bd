"""Nulls and unsupported types give the same error, word for word, whatever the library."""

import clmkit
import numpy as np
import pandas as pd
import pytest

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")

KINDS = ["pandas", "polars", "lazy", "arrow", "reader"]


def _log():
    return pd.DataFrame(
        {
            "id": pd.array([1, 2, 3, 4, 5], dtype="Int64"),
            "d": pd.to_datetime(
                ["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04", "2020-01-05"]
            ),
            "v": pd.array([1.0, 2.0, 3.0, 4.0, 5.0], dtype="Float64"),
        }
    )


def _as(kind, df):
    arrow = pa.Table.from_pandas(df, preserve_index=False)
    return {
        "pandas": lambda: df,
        "polars": lambda: pl.from_arrow(arrow),
        "lazy": lambda: pl.from_arrow(arrow).lazy(),
        "arrow": lambda: arrow,
        "reader": arrow.to_reader,
    }[kind]()


def _message(call, kind, df, error):
    with pytest.raises(error) as info:
        call(_as(kind, df))
    return str(info.value)


CALLS = {
    "summarize": lambda t: clmkit.summarize(t, "id", "d", "v"),
    "calibration_and_holdout": lambda t: clmkit.calibration_and_holdout(
        t, "id", "d", "2020-01-03", monetary_value_col="v"
    ),
    "churn_dataset": lambda t: clmkit.churn_dataset(t, "id", "d", 30, monetary_value_col="v"),
    "summarize_discrete": lambda t: clmkit.summarize_discrete(t, "id", "d"),
    "stage_history": lambda t: clmkit.stage_history(t, ["2020-01-05"], "id", "d"),
    "cohort_retention": lambda t: clmkit.cohort_retention(t, "id", "d"),
    "analyze": lambda t: clmkit.analyze(t, "id", "d", "v", models=()),
}
NEEDS_VALUE = {"summarize", "calibration_and_holdout", "churn_dataset", "analyze"}


NULLS = {
    "id": "customer_id_col 'id': row 2 has invalid value None (missing customer id)",
    "d": "datetime_col 'd': row 2 has invalid value None (missing date (NaT))",
    "v": "monetary_value_col 'v': row 2 has invalid value None (missing value (null))",
}


@pytest.mark.parametrize(
    "name, column",
    [
        (name, column)
        for name in sorted(CALLS)
        for column in NULLS
        if column != "v" or name in NEEDS_VALUE
    ],
)
def test_null_in_a_required_column_same_message_everywhere(name, column):
    expected = NULLS[column]
    df = _log()
    df.loc[2, column] = pd.NA if column != "d" else pd.NaT
    messages = {kind: _message(CALLS[name], kind, df, ValueError) for kind in KINDS}
    assert set(messages.values()) == {expected}, messages


@pytest.mark.parametrize("name", sorted(NEEDS_VALUE))
def test_string_amount_is_the_same_type_error_everywhere(name):
    df = _log().assign(v=pd.array(["1", "2", "3", "4", "5"], dtype="string[pyarrow]"))
    messages = {kind: _message(CALLS[name], kind, df, TypeError) for kind in KINDS}
    assert set(messages.values()) == {"monetary_value_col 'v' must be numeric, got type String"}


def test_numeric_dates_are_a_type_error_naming_the_column():
    df = _log().assign(d=np.arange(5.0))
    messages = {kind: _message(CALLS["summarize"], kind, df, TypeError) for kind in KINDS}
    assert set(messages.values()) == {
        "datetime_col 'd' must hold datetimes or date strings, got type Float64"
    }


def test_nan_amount_is_a_value_not_a_null_in_every_library():
    cols = {
        "id": np.arange(5),
        "d": _log()["d"].to_numpy(),
        "v": np.array([1.0, 2.0, 3.0, np.nan, 5.0]),
    }
    tables = {"pandas": pd.DataFrame(cols), "polars": pl.DataFrame(cols), "arrow": pa.table(cols)}
    messages = set()
    for table in tables.values():
        with pytest.raises(ValueError) as info:
            clmkit.summarize(table, "id", "d", "v")
        messages.add(str(info.value))
    assert messages == {"monetary_value_col 'v': row 3 has invalid value nan (must be finite)"}


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_column_lists_the_available_ones(kind):
    with pytest.raises(
        ValueError,
        match=r"datetime_col='date' is not a column; "
        r"available columns: \['id', 'd', 'v'\]",
    ):
        clmkit.summarize(_as(kind, _log()), "id", "date")


@pytest.mark.parametrize("model", ["BetaGeo", "GammaGamma"])
@pytest.mark.parametrize("kind", ["pandas", "polars", "arrow"])
def test_fit_on_a_summary_with_a_null(model, kind):
    summary = pd.DataFrame(
        {
            "frequency": [1.0, 2.0, 0.0],
            "recency": [3.0, 4.0, 0.0],
            "T": [5.0, 6.0, 7.0],
            "monetary_value": [1.0, 2.0, 0.0],
        }
    )
    summary = summary.astype("Float64")
    summary.loc[1, "frequency"] = pd.NA
    with pytest.raises(
        ValueError, match=r"^frequency: row 1 has invalid value None \(missing value \(null\)\)$"
    ):
        getattr(clmkit, model)().fit(_as(kind, summary))
