"""Real-world files through `clmkit report` end to end: zero-padded and mixed ids, Excel's
BOM and CRLF, semicolons with decimal commas, dd/mm/yyyy, time zones, duplicate rows,
refunds, a header-only file."""

import warnings

import clmkit
import pandas as pd
import pytest
from clmkit.cli import main

pytest.importorskip("matplotlib")
pytest.importorskip("jinja2")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def _rows(ids, sep=",", decimal=".", date=lambda d: d.strftime("%Y-%m-%d")):
    """A log where customer k buys 1 + k % 4 times (k % 4 == 1: twice, 40 days apart) at
    varied gaps, each time for the same amount."""
    lines, start = [], pd.Timestamp("2024-01-03")
    for k, cid in enumerate(ids):
        day = start + pd.Timedelta(days=k % 50)
        amount = f"{10 + k % 7}.{k % 10}5".replace(".", decimal)
        for j in range(1 + k % 4):
            lines.append(sep.join([cid, date(day), amount]))
            day += pd.Timedelta(days=40 if k % 4 == 1 else 5 + (k * 13 + j * 29) % 90)
    return lines


IDS = [f"{k:05d}" for k in range(1, 61)]


def _run(tmp_path, name, content, *extra, monetary="amount"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    out = tmp_path / "out"
    args = ["report", str(path), "--customer-id-col", "customer_id", "--datetime-col", "date"]
    args += ["--monetary-col", monetary] if monetary else []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clmkit.ClmkitWarning)
        code = main([*args, "--out", str(out), "--quiet", *extra])
    return code, out


def _table(out):
    """customers.parquet with the ids as written, and customers.csv read as text."""
    parquet = pq.read_table(out / "customers.parquet").to_pandas()
    csv = pd.read_csv(out / "customers.csv", dtype={"customer_id": str})
    assert parquet.index.tolist() == csv["customer_id"].tolist()
    return parquet


def test_zero_padded_and_mixed_ids_stay_distinct(tmp_path):
    ids = ["007", "7", "000001", "1", "A-01", "a-01", " 7"] + IDS
    code, out = _run(tmp_path, "ids.csv", "\n".join(["customer_id,date,amount", *_rows(ids)]))
    assert code == 0
    t = _table(out)
    assert len(t) == len(ids)
    assert {"007", "7", "000001", "00001", "1", "A-01", "a-01", " 7"} <= set(t.index)


def test_excel_csv_utf8_with_bom_and_crlf(tmp_path):
    text = "\r\n".join(["customer_id,date,amount", *_rows(IDS)]) + "\r\n"
    code, out = _run(tmp_path, "excel.csv", b"\xef\xbb\xbf" + text.encode())
    assert code == 0
    assert _table(out).index[0] == "00001"


def test_semicolon_and_decimal_comma(tmp_path, capsys):
    text = "\n".join(["customer_id;date;amount", *_rows(IDS, sep=";", decimal=",")])
    code, out = _run(tmp_path, "eu.csv", text, "--delimiter", ";", "--decimal", ",")
    assert code == 0
    t = _table(out)
    # customer 2: two purchases of 11.15
    assert t.loc["00002", "total_value"] == pytest.approx(22.30)
    # without the flags: one column only, and the error says which flag helps
    code, _ = _run(tmp_path, "eu2.csv", text)
    err = capsys.readouterr().err
    assert code == 1 and "--delimiter" in err and "Traceback" not in err


def test_day_first_dates_with_date_format(tmp_path, capsys):
    text = "\n".join(
        ["customer_id,date,amount", *_rows(IDS, date=lambda d: d.strftime("%d/%m/%Y"))]
    )
    code, out = _run(tmp_path, "uk.csv", text, "--date-format", "%d/%m/%Y")
    assert code == 0
    t = _table(out)
    assert t.loc["00002", "first_purchase"] == pd.Timestamp("2024-01-04")
    assert t.loc["00002", "last_purchase"] == pd.Timestamp("2024-02-13")  # 40 days later
    # a wrong format is named with its flag
    code, _ = _run(tmp_path, "uk2.csv", text, "--date-format", "%m/%d/%Y")
    err = capsys.readouterr().err
    assert code == 1 and "--date-format" in err and "Traceback" not in err


def test_time_zones(tmp_path):
    lines = ["customer_id,date,amount"]
    for k, cid in enumerate(IDS):
        lines.append(f"{cid},2024-01-{1 + k % 20:02d}T23:30:00+02:00,10.0")
        if k % 3:
            lines.append(f"{cid},2024-03-{1 + k % 20:02d}T00:15:00Z,12.0")
    code, out = _run(tmp_path, "tz.csv", "\n".join(lines))
    assert code == 0
    t = _table(out)
    assert len(t) == len(IDS) and (t["frequency"] <= 1).all()
    assert (t["frequency"] > 0).sum() == sum(1 for k in range(len(IDS)) if k % 3)


def test_duplicate_rows_do_not_add_purchase_days(tmp_path):
    rows = _rows(IDS)
    code, out = _run(tmp_path, "dups.csv", "\n".join(["customer_id,date,amount", *rows, *rows]))
    assert code == 0
    dup = _table(out)
    code, out = _run(tmp_path, "once.csv", "\n".join(["customer_id,date,amount", *rows]))
    once = _table(out)
    pd.testing.assert_series_equal(dup["frequency"], once["frequency"])
    pd.testing.assert_series_equal(dup["total_value"], 2 * once["total_value"])


def test_refunds_negative_amounts(tmp_path):
    rows = _rows(IDS) + ["00001,2024-03-01,-10.05", "00002,2024-03-02,-500"]
    code, out = _run(tmp_path, "refunds.csv", "\n".join(["customer_id,date,amount", *rows]))
    assert code == 0
    t = _table(out)
    assert t.loc["00002", "total_value"] < 0
    assert t["clv_365d"].notna().all()


def test_header_only_file_says_no_transactions(tmp_path, capsys):
    code, out = _run(tmp_path, "empty.csv", "customer_id,date,amount\n")
    err = capsys.readouterr().err.strip()
    assert code == 1 and "no transactions" in err and "Unknown" not in err
    assert err.count("\n") == 0 and not out.exists()


def test_three_customers_warn_loudly_and_leave_models_out(tmp_path, capsys):
    rows = ["customer_id,date,amount", "a,2024-01-01,5", "a,2024-02-01,5", "b,2024-01-05,7"]
    code, out = _run(tmp_path, "tiny.csv", "\n".join([*rows, "c,2024-03-01,9"]))
    err = capsys.readouterr().err
    assert code == 0
    assert "too little data for a transaction model: 3 customers" in err
    assert "resample" not in err and "method=" not in err
    t = _table(out)
    assert "p_alive" not in t.columns and "clv_365d" not in t.columns
    report = (out / "report.html").read_text()
    assert "Read with care" in report and "too little data" in report
