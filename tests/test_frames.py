"""The table door: pandas, polars (eager/lazy) and pyarrow in, the caller's library out."""

import numpy as np
import pandas as pd
import pytest
from clmkit import _io

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")


def _log():
    return pd.DataFrame(
        {
            "id": np.array([3, 1, 3, 2], dtype=np.int64),
            "ts": pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-05", "2020-01-03"]),
            "amount": [1.5, 2.0, 3.0, 4.0],
            "extra": ["a", "b", "c", "d"],
        }
    )


def _as(kind, df):
    if kind == "pandas":
        return df
    if kind == "polars":
        return pl.from_pandas(df)
    if kind == "lazy":
        return pl.from_pandas(df).lazy()
    if kind == "arrow":
        return pa.Table.from_pandas(df, preserve_index=False)
    if kind == "reader":
        return pa.Table.from_pandas(df, preserve_index=False).to_reader()
    raise AssertionError(kind)


KINDS = ["pandas", "polars", "lazy", "arrow", "reader"]


@pytest.mark.parametrize("kind", KINDS)
def test_same_columns_from_every_library(kind):
    t = _io.read(
        _as(kind, _log()),
        {"customer_id_col": "id", "datetime_col": "ts", "monetary_value_col": "amount"},
    )
    assert t.columns == ["id", "ts", "amount"]
    np.testing.assert_array_equal(t.numeric("amount", "monetary_value_col"), [1.5, 2.0, 3.0, 4.0])
    ns, tz = t.datetimes_ns("ts", "datetime_col")
    np.testing.assert_array_equal(
        ns, _log()["ts"].to_numpy().astype("datetime64[ns]").view(np.int64)
    )
    assert tz is None
    codes, uniques = t.ids("id", "customer_id_col")
    np.testing.assert_array_equal(codes, [2, 0, 2, 1])
    assert list(uniques) == [1, 2, 3]


@pytest.mark.parametrize("kind", ["pandas", "polars", "arrow"])
def test_nulls_give_the_same_message_everywhere(kind):
    df = _log().astype({"amount": "Float64"})
    df.loc[2, "amount"] = pd.NA
    t = _io.read(_as(kind, df), {"monetary_value_col": "amount"})
    with pytest.raises(
        ValueError,
        match=r"monetary_value_col 'amount': row 2 has invalid value None \(missing value \(null\)\)",
    ):
        t.numeric("amount", "monetary_value_col")


@pytest.mark.parametrize("kind", ["pandas", "polars", "arrow"])
def test_string_amount_is_a_type_error_naming_the_column(kind):
    t = _io.read(_as(kind, _log()), {"monetary_value_col": "extra"})
    with pytest.raises(
        TypeError, match="monetary_value_col 'extra' must be numeric, got type String"
    ):
        t.numeric("extra", "monetary_value_col")


def test_missing_column_lists_available():
    with pytest.raises(
        ValueError,
        match=r"datetime_col='date' is not a column; available columns: \['id', 'ts', 'amount', 'extra'\]",
    ):
        _io.read(pl.from_pandas(_log()), {"datetime_col": "date"})


def test_not_a_table():
    with pytest.raises(TypeError, match="expected a pandas, polars or pyarrow table"):
        _io.read([1, 2, 3], {})


def test_numeric_float64_column_is_not_copied():
    values = np.random.default_rng(0).random(1_000_000)
    df = pl.DataFrame({"v": values})
    t = _io.read(df, {"v": "v"})
    out = t.numeric("v", "v")
    assert np.shares_memory(out, df["v"].to_numpy())
    pdf = pd.DataFrame({"v": values})
    assert np.shares_memory(_io.read(pdf, {"v": "v"}).numeric("v", "v"), pdf["v"].to_numpy())


def test_datetime_units_and_timezones():
    df = pl.DataFrame(
        {"ts": pl.Series([0, 86_400_000_000], dtype=pl.Datetime("us", "Europe/Berlin"))}
    )
    ns, tz = _io.read(df, {"d": "ts"}).datetimes_ns("ts", "d")
    np.testing.assert_array_equal(ns, [0, 86_400_000_000_000])
    assert tz == "Europe/Berlin"
    s, _ = _io.read(pd.DataFrame({"d": ["2020-01-02"]}), {"d": "d"}).datetimes_ns("d", "d")
    assert s[0] == pd.Timestamp("2020-01-02").value


@pytest.mark.parametrize(
    "library, expected", [("pandas", pd.DataFrame), ("polars", None), ("arrow", None)]
)
def test_deliver_returns_the_callers_library(library, expected):
    result = pd.DataFrame({"frequency": [1.0, 2.0]}, index=pd.Index([7, 8], name="id"))
    out = _io.deliver(result, library)
    if library == "pandas":
        assert out is result
    elif library == "polars":
        assert isinstance(out, pl.DataFrame) and out.columns == ["id", "frequency"]
    else:
        assert isinstance(out, pa.Table) and out.column_names == ["id", "frequency"]
    arrays = _io.deliver(result, library, output="numpy")
    np.testing.assert_array_equal(arrays["id"], [7, 8])
    with pytest.raises(ValueError, match="output must be one of"):
        _io.deliver(result, library, output="excel")
