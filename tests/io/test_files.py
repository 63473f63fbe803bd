"""CSV / Parquet logs for the CLI: ids are labels, Excel's CSV variants are read, and every
error names the column as the caller named it."""

import gzip

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit import _io
from clmkit.exceptions import InvalidValueError

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def _write(path, text, bom=False):
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def test_zero_padded_ids_stay_distinct_customers(tmp_path):
    path = _write(
        tmp_path / "log.csv",
        "customer_id,date,amount\n007,2020-01-01,1\n7,2020-01-02,2\n00001,2020-01-03,3\n"
        "7,2020-01-05,4\n",
    )
    table = _io.read_transactions(path, "customer_id", "date", "amount")
    assert table.schema.field("customer_id").type == pa.string()
    assert table.column("customer_id").to_pylist() == ["007", "7", "00001", "7"]
    summary = clmkit.summarize(table, "customer_id", "date", "amount", output="pandas")
    # three customers, as a pure-Python count of the distinct labels says
    assert sorted(summary.index) == sorted({"007", "7", "00001"})
    assert summary.loc["7", "frequency"] == 1 and summary.loc["007", "frequency"] == 0


def test_parquet_keeps_its_id_type(tmp_path):
    log = pd.DataFrame(
        {"id": np.array([7, 7, 8], dtype=np.int32), "d": pd.to_datetime(["2020-01-01"] * 3)}
    )
    path = tmp_path / "log.parquet"
    log.to_parquet(path)
    table = _io.read_transactions(path, "id", "d")
    assert table.schema.field("id").type == pa.int32()


def test_byte_order_mark_is_accepted(tmp_path):
    text = "customer_id,date,amount\nA,2020-01-01,1.5\nB,2020-01-02,2\n"
    plain = _io.read_transactions(_write(tmp_path / "plain.csv", text), "customer_id", "date")
    bom = _io.read_transactions(
        _write(tmp_path / "bom.csv", text, bom=True), "customer_id", "date", "amount"
    )
    assert bom.column("customer_id").to_pylist() == plain.column("customer_id").to_pylist()
    assert bom.column("amount").to_pylist() == [1.5, 2.0]


def test_gzip_with_bom(tmp_path):
    path = tmp_path / "log.csv.gz"
    path.write_bytes(gzip.compress(b"\xef\xbb\xbfid,d\n01,2020-01-01\n"))
    assert _io.read_transactions(path, "id", "d").column("id").to_pylist() == ["01"]


def test_semicolon_decimal_comma_and_day_first_dates(tmp_path):
    path = _write(
        tmp_path / "excel.csv",
        "id;day;amount\n007;31/01/2020;1,50\n7;01/02/2020;2,25\n007;13/02/2020;10\n",
    )
    table = _io.read_transactions(
        path, "id", "day", "amount", delimiter=";", date_format="%d/%m/%Y", decimal=","
    )
    assert table.column("amount").to_pylist() == [1.5, 2.25, 10.0]
    days = pd.to_datetime(table.column("day").to_pandas()).dt.strftime("%Y-%m-%d").tolist()
    assert days == ["2020-01-31", "2020-02-01", "2020-02-13"]
    summary = clmkit.summarize(table, "id", "day", "amount", output="pandas")
    assert summary.loc["007", "recency"] == 13  # 31 Jan -> 13 Feb, day-first read right


def test_date_format_with_offsets_gives_utc(tmp_path):
    path = _write(tmp_path / "tz.csv", "id,d\n1,2020-01-01 01:00+0100\n1,2020-01-02 00:00+0000\n")
    table = _io.read_transactions(path, "id", "d", date_format="%Y-%m-%d %H:%M%z")
    utc = table.column("d").to_pandas()
    assert list(utc) == list(pd.to_datetime(["2020-01-01 00:00Z", "2020-01-02 00:00Z"]))


def test_tsv_default_delimiter_and_explicit_override(tmp_path):
    path = _write(tmp_path / "log.tsv", "id\td\n1\t2020-01-01\n")
    assert _io.read_transactions(path, "id", "d").num_rows == 1
    pipe = _write(tmp_path / "pipe.csv", "id|d\n1|2020-01-01\n")
    assert _io.read_transactions(pipe, "id", "d", delimiter="|").num_rows == 1


def test_header_only_file_says_no_transactions(tmp_path):
    path = _write(tmp_path / "h.csv", "customer_id,date,amount\n")
    with pytest.raises(ValueError, match="no transactions") as info:
        _io.read_transactions(path, "customer_id", "date", "amount")
    assert "Unknown" not in str(info.value)
    empty = tmp_path / "empty.parquet"
    pq.write_table(
        pa.table({"id": pa.array([], pa.string()), "d": pa.array([], pa.date32())}), empty
    )
    with pytest.raises(ValueError, match="no transactions"):
        _io.read_transactions(empty, "id", "d")


def test_bad_amount_names_the_column_and_row(tmp_path):
    path = _write(tmp_path / "log.csv", "when,who,spend\n2020-01-01,a,1\n2020-01-02,b,abc\n")
    with pytest.raises(InvalidValueError) as info:
        _io.read_transactions(path, "who", "when", "spend")
    err = info.value
    assert (err.arg, err.row, err.value) == ("monetary_value_col 'spend'", 1, "'abc'")
    assert "#" not in str(err)


def test_decimal_comma_rejects_a_point_and_names_it(tmp_path):
    path = _write(tmp_path / "log.csv", "id;d;v\n1;2020-01-01;1,5\n2;2020-01-02;2.5\n")
    with pytest.raises(InvalidValueError) as info:
        _io.read_transactions(path, "id", "d", "v", delimiter=";", decimal=",")
    assert (info.value.arg, info.value.row) == ("monetary_value_col 'v'", 1)


def test_date_not_in_format_names_column_row_and_value(tmp_path):
    path = _write(tmp_path / "log.csv", "id,d\n1,31/01/2020\n2,2020-02-01\n")
    with pytest.raises(InvalidValueError) as info:
        _io.read_transactions(path, "id", "d", date_format="%d/%m/%Y")
    err = info.value
    assert (err.arg, err.row, err.value) == ("datetime_col 'd'", 1, "'2020-02-01'")
    assert "%d/%m/%Y" in err.reason


def test_empty_id_is_missing_but_na_is_a_label(tmp_path):
    path = _write(tmp_path / "log.csv", "id,d\nNA,2020-01-01\n,2020-01-02\n")
    table = _io.read_transactions(path, "id", "d")
    assert table.column("id").to_pylist() == ["NA", None]
    with pytest.raises(ValueError, match="missing customer id"):
        clmkit.summarize(table, "id", "d")


@pytest.mark.parametrize(
    "options, message",
    [
        ({"delimiter": ";;"}, "delimiter must be one character"),
        ({"decimal": ""}, "decimal must be one character"),
        ({"decimal": ","}, "must differ from the delimiter"),
    ],
)
def test_bad_reader_options(tmp_path, options, message):
    path = _write(tmp_path / "log.csv", "id,d\n1,2020-01-01\n")
    with pytest.raises(ValueError, match=message):
        _io.read_transactions(path, "id", "d", **options)
