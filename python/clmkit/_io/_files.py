"""Transaction logs from CSV and Parquet files for the CLI and pipelines.

Only the needed columns are read (Parquet projection; CSV ``include_columns``) into a pyarrow
Table that the entry points read through :func:`clmkit._io.read` without a copy. Customer
ids are labels: a CSV id column is always read as text (``007`` and ``7`` are two customers,
``00001`` stays ``00001``); Parquet keeps the type it stores. Amounts are declared float64,
never inferred, so a bad amount fails here with the column and row named.
"""

from __future__ import annotations

import csv
import gzip
import re
from pathlib import Path
from typing import IO, TYPE_CHECKING, Optional, Union

from .._validation import require_columns
from ..exceptions import InvalidValueError

if TYPE_CHECKING:
    import pyarrow as pa

PathLike = Union[str, "Path"]
_CSV_SUFFIXES = (".csv", ".csv.gz", ".txt", ".txt.gz", ".tsv", ".tsv.gz")
_PARQUET_SUFFIXES = (".parquet", ".pq")


def _require_pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError as exc:
        raise ImportError("reading files needs pyarrow: pip install 'clmkit[report]'") from exc


def read_transactions(
    path: PathLike,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: Optional[str] = None,
    *,
    delimiter: Optional[str] = None,
    date_format: Optional[str] = None,
    decimal: str = ".",
) -> pa.Table:
    """Reads only the needed columns of a CSV or Parquet log into a pyarrow Table.

    Parameters
    ----------
    path : str or Path
        A ``.csv``/``.tsv``/``.txt`` file (optionally ``.gz``) or a ``.parquet``/``.pq`` file.
        A UTF-8 byte-order mark (Excel's "CSV UTF-8") is accepted.
    customer_id_col, datetime_col, monetary_value_col : str
        The columns to read. In a CSV the id column is always text (ids are labels, never
        type-guessed); in Parquet every column keeps its stored type.
    delimiter : str, optional
        CSV field separator (one character); default ``","`` (tab for ``.tsv``).
    date_format : str, optional
        ``strftime`` format of the CSV dates (e.g. ``"%d/%m/%Y"``); by default ISO-8601
        dates are recognised and other text is parsed later by :func:`clmkit.summarize`.
    decimal : str
        CSV decimal mark of the amounts, ``"."`` or ``","`` (decimal comma).

    Returns
    -------
    pyarrow.Table
        The needed columns, in the order id, datetime, value.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        Unknown file type, a missing column (listing the available ones), a malformed file,
        a file with no transactions, or a value that is not a number / not a date in
        ``date_format`` (an :class:`~clmkit.exceptions.InvalidValueError` naming the column
        as the caller named it and the data row counted from 0).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "log.csv"
    >>> _ = path.write_text("id;day;amount\\n007;31/01/2020;1,50\\n7;01/02/2020;2,25\\n")
    >>> t = read_transactions(path, "id", "day", "amount", delimiter=";",
    ...                       date_format="%d/%m/%Y", decimal=",")
    >>> t.column("id").to_pylist(), t.column("amount").to_pylist()
    (['007', '7'], [1.5, 2.25])
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"input file not found: {p}")
    needed = {
        "customer_id_col": customer_id_col,
        "datetime_col": datetime_col,
        "monetary_value_col": monetary_value_col,
    }
    suffix = "".join(p.suffixes[-2:]).lower()
    _require_pyarrow()
    if suffix.endswith(_PARQUET_SUFFIXES):
        table = _read_parquet(p, needed)
    elif suffix.endswith(_CSV_SUFFIXES):
        sep = _check_char(delimiter, "delimiter") if delimiter is not None else None
        if sep is None:
            sep = "\t" if ".tsv" in suffix else ","
        if _check_char(decimal, "decimal") == sep:
            raise ValueError(f"decimal {decimal!r} must differ from the delimiter {sep!r}")
        table = _read_csv(p, needed, sep, date_format, decimal)
    else:
        raise ValueError(f"{p}: unknown file type {p.suffix!r}; expected .csv, .tsv or .parquet")
    if table.num_rows == 0:
        raise ValueError(f"{p} holds no transactions (no data rows below the header)")
    return table


def _check_char(value: object, name: str) -> str:
    if not isinstance(value, str) or len(value) != 1 or value in '\r\n"':
        raise ValueError(f"{name} must be one character (not a quote or newline), got {value!r}")
    return value


def _columns(needed: dict[str, Optional[str]]) -> list[str]:
    return list(dict.fromkeys(c for c in needed.values() if c is not None))


def _read_parquet(p: Path, needed: dict[str, Optional[str]]) -> pa.Table:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(p).names
    except pa.ArrowException as exc:
        raise ValueError(f"{p} is not a readable Parquet file ({exc})") from None
    require_columns(names, needed)
    return pq.read_table(p, columns=_columns(needed))


def _open_text(p: Path) -> IO[str]:
    # utf-8-sig drops a byte-order mark, as Arrow's reader does for the data
    if p.suffix.lower() == ".gz":
        return gzip.open(p, "rt", encoding="utf-8-sig", newline="")
    return open(p, encoding="utf-8-sig", newline="")


def _header(p: Path, delimiter: str) -> list[str]:
    try:
        with _open_text(p) as fh:
            header = next(csv.reader(fh, delimiter=delimiter), [])
    except (UnicodeDecodeError, OSError, csv.Error) as exc:
        raise ValueError(f"{p} is not a readable UTF-8 CSV file ({exc})") from None
    if not header:
        raise ValueError(f"{p} is empty (no header row)")
    return header


def _read_csv(
    p: Path,
    needed: dict[str, Optional[str]],
    delimiter: str,
    date_format: Optional[str],
    decimal: str,
) -> pa.Table:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    header = _header(p, delimiter)
    require_columns(header, needed)
    id_col, date_col, value_col = (needed[k] for k in needed)
    assert id_col is not None and date_col is not None
    types = {id_col: pa.string()}  # ids are labels: never type-guessed
    if date_format is not None:
        types[date_col] = pa.string()  # parsed below with the caller's format
    if value_col is not None:
        types[value_col] = pa.float64()  # declared: "12,30" or "n/a" fails, naming the column
    try:
        table = pacsv.read_csv(
            p,
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
                include_columns=_columns(needed),
                column_types=types,
                decimal_point=decimal,
                # only an empty field is missing: "NA" is a customer id, not a null
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
    except pa.ArrowException as exc:
        raise _csv_error(p, exc, header, needed, delimiter, decimal) from None
    if date_format is not None and table.num_rows:
        table = table.set_column(
            table.schema.get_field_index(date_col),
            date_col,
            _parse_dates(table.column(date_col), f"datetime_col {date_col!r}", date_format),
        )
    return table


def _parse_dates(text: pa.ChunkedArray, label: str, date_format: str) -> pa.ChunkedArray:
    """Dates in ``date_format`` (``%z`` offsets give UTC times); the first text that does not
    match is reported with its row."""
    import pyarrow.compute as pc

    parsed = pc.strptime(text, format=date_format, unit="ns", error_is_null=True)
    bad = pc.and_(parsed.is_null(), text.is_valid())
    if pc.any(bad).as_py():
        row = pc.index(bad, True).as_py()
        raise InvalidValueError(
            label, row, repr(text[row].as_py()), f"does not match date_format {date_format!r}"
        )
    return parsed


_COLUMN_NUMBER = re.compile(r"CSV column #(\d+)")


def _csv_error(
    p: Path,
    exc: Exception,
    header: list[str],
    needed: dict[str, Optional[str]],
    delimiter: str,
    decimal: str,
) -> ValueError:
    """Arrow's conversion errors number columns from 0 and give no row: name the column as
    the caller did and, for an amount, find the first row that is not a number."""
    message = str(exc)
    match = _COLUMN_NUMBER.search(message)
    if match is None or int(match.group(1)) >= len(header):
        return ValueError(f"{p} is not a readable CSV file: {message}")
    column = header[int(match.group(1))]
    arg = next((a for a, c in needed.items() if c == column), "column")
    if arg == "monetary_value_col":
        found = _first_non_number(p, column, delimiter, decimal)
        if found is not None:
            row, value = found
            return InvalidValueError(
                f"{arg} {column!r}", row, repr(value), f"not a number with decimal mark {decimal!r}"
            )
    detail = message[match.end() :].lstrip(": ")
    return ValueError(f"{p}: {arg} {column!r}: {detail}")


def _first_non_number(p: Path, column: str, delimiter: str, decimal: str) -> tuple[int, str] | None:
    """The first row of ``column`` (read again, as text: an error path only) whose text is
    not a number."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pacsv

    text = pacsv.read_csv(
        p,
        parse_options=pacsv.ParseOptions(delimiter=delimiter),
        convert_options=pacsv.ConvertOptions(
            include_columns=[column],
            column_types={column: pa.string()},
            null_values=[""],
            strings_can_be_null=True,
        ),
    ).column(column)
    values = pd.Series(text.to_pylist(), dtype=object)
    stripped = values.str.strip()
    numbers = pd.to_numeric(stripped.str.replace(decimal, ".", regex=False), "coerce")
    nan_text = stripped.str.lower().isin(["nan", "-nan", "+nan"])
    bad = numbers.isna() & values.notna() & ~nan_text
    if decimal != ".":  # with a decimal comma a point is not a decimal mark
        bad |= stripped.str.contains(".", regex=False).fillna(False).astype(bool)
    bad = bad.to_numpy()
    if not bad.any():
        return None
    row = int(np.argmax(bad))
    return row, str(values.iloc[row])
