"""The transaction file of ``clmkit report``, read with the command line's CSV options.

Parquet files go through :func:`clmkit._io.read_transactions` (projection, no guessing:
the file carries its types). CSV files are read here with the options a spreadsheet export
needs: the customer id is always text (``007`` and ``7`` are two customers, ``00001`` stays
``00001``), a UTF-8 byte-order mark is skipped, and ``--delimiter``, ``--decimal`` and
``--date-format`` are passed to Arrow's reader.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path
from typing import IO, Any, Optional

from .._io import read_transactions

CSV_SUFFIXES = (".csv", ".csv.gz", ".txt", ".tsv", ".tsv.gz")


def read_log(
    path: str,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: Optional[str],
    delimiter: Optional[str] = None,
    date_format: Optional[str] = None,
    decimal: str = ".",
) -> Any:
    """Reads the needed columns of a CSV or Parquet log into a pyarrow Table.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        Unknown file type, a missing column (naming its flag and listing the file's
        columns), a header without data rows, or a value the reader cannot convert.
    """
    p = Path(path)
    suffix = "".join(p.suffixes[-2:]).lower()
    if not p.is_file() or not suffix.endswith(CSV_SUFFIXES):
        return read_transactions(p, customer_id_col, datetime_col, monetary_value_col)
    if delimiter is None:
        delimiter = "\t" if ".tsv" in suffix else ","
    _check_csv_options(delimiter, decimal)
    header = _header(p, delimiter)
    _require(header, customer_id_col, datetime_col, monetary_value_col, p)
    return _read_csv(
        p, customer_id_col, datetime_col, monetary_value_col, delimiter, date_format, decimal
    )


def _check_csv_options(delimiter: str, decimal: str) -> None:
    if len(delimiter) != 1:
        raise ValueError(f"--delimiter must be one character, got {delimiter!r}")
    if decimal not in (".", ","):
        raise ValueError(f"--decimal must be '.' or ',', got {decimal!r}")
    if decimal == delimiter:
        raise ValueError(
            f"--decimal {decimal!r} is also the --delimiter: use --delimiter ';' with --decimal ','"
        )


def _open(p: Path) -> IO[str]:
    raw: IO[bytes] = gzip.open(p, "rb") if p.suffix == ".gz" else open(p, "rb")  # type: ignore[assignment]  # noqa: SIM115
    # utf-8-sig drops the byte-order mark Excel's "CSV UTF-8" writes
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _header(p: Path, delimiter: str) -> list[str]:
    try:
        with _open(p) as fh:
            return next(csv.reader(fh, delimiter=delimiter), [])
    except UnicodeDecodeError as exc:
        raise ValueError(f"{p} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _require(
    header: list[str], id_col: str, dt_col: str, value_col: Optional[str], p: Path
) -> None:
    if not header:
        raise ValueError(f"{p} is empty (no header row)")
    for flag, col in (
        ("--customer-id-col", id_col),
        ("--datetime-col", dt_col),
        ("--monetary-col", value_col),
    ):
        if col is not None and col not in header:
            shown = ", ".join(repr(h) for h in header[:20])
            hint = ""
            if len(header) == 1 and any(c in header[0] for c in ";\t|"):
                hint = " (one column only: is the file separated by ';' or tabs? see --delimiter)"
            raise ValueError(f"{flag} {col!r} is not a column of {p.name}: {shown}{hint}")


def _read_csv(
    p: Path,
    id_col: str,
    dt_col: str,
    value_col: Optional[str],
    delimiter: str,
    date_format: Optional[str],
    decimal: str,
) -> Any:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    cols = [c for c in (id_col, dt_col, value_col) if c is not None]
    types: dict[str, Any] = {id_col: pa.string()}
    if value_col is not None:
        types[value_col] = pa.float64()  # declared: "n/a" fails here with the column named
    convert: dict[str, Any] = {"include_columns": cols, "column_types": types}
    if decimal != ".":
        convert["decimal_point"] = decimal
    if date_format is not None:
        types[dt_col] = pa.timestamp("ns")
        convert["timestamp_parsers"] = [date_format]
    try:
        table = pacsv.read_csv(
            p,
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(**convert),
        )
    except pa.ArrowInvalid as exc:
        raise ValueError(_arrow_message(p, exc, dt_col, date_format)) from None
    if table.num_rows == 0:
        raise ValueError(f"{p.name} has a header but no transactions (no data rows)")
    return table


def _arrow_message(p: Path, exc: Exception, dt_col: str, date_format: Optional[str]) -> str:
    text = " ".join(str(exc).split())
    if date_format is not None and (dt_col in text or "timestamp" in text):
        return (
            f"{p.name}: a value of --datetime-col {dt_col!r} does not match "
            f"--date-format {date_format!r} ({text})"
        )
    return f"{p} is not a readable CSV file: {text}"
