"""Transaction logs from CSV and Parquet files for the CLI and pipelines: only the needed
columns are read (Parquet projection; CSV include_columns with the amount type declared), into
a pyarrow Table that the entry points read through :func:`clmkit._io.read` without a copy."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

from .._validation import require_columns


def _pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError as exc:
        raise ImportError("reading files needs pyarrow: pip install 'clmkit[report]'") from exc
    return pyarrow


def read_transactions(
    path: Any, customer_id_col: str, datetime_col: str, monetary_value_col: Optional[str] = None
) -> Any:
    """Reads only the needed columns of a CSV or Parquet log into a pyarrow Table.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        Unknown file type, a missing column (listing the available ones) or a malformed file.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"input file not found: {p}")
    cols = [c for c in (customer_id_col, datetime_col, monetary_value_col) if c is not None]
    needed = {
        "customer_id_col": customer_id_col,
        "datetime_col": datetime_col,
        "monetary_value_col": monetary_value_col,
    }
    suffix = "".join(p.suffixes[-2:]).lower()
    pa = _pyarrow()
    if suffix.endswith((".parquet", ".pq")):
        import pyarrow.parquet as pq

        try:
            names = pq.read_schema(p).names
        except pa.ArrowException as exc:
            raise ValueError(f"{p} is not a readable Parquet file ({exc})") from None
        require_columns(names, needed)
        return pq.read_table(p, columns=cols)
    if suffix.endswith((".csv", ".csv.gz", ".txt", ".tsv")):
        return _read_csv(
            p, cols, needed, monetary_value_col, delimiter="\t" if suffix.endswith(".tsv") else ","
        )
    raise ValueError(f"{p}: unknown file type {p.suffix!r}; expected .csv, .tsv or .parquet")


def _read_csv(
    p: Path, cols: Sequence[str], needed: dict, monetary_value_col: Optional[str], delimiter: str
) -> Any:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    opener = __import__("gzip").open if p.suffix == ".gz" else open
    with opener(p, "rt", encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh, delimiter=delimiter), [])
    if not header:
        raise ValueError(f"{p} is empty (no header row)")
    require_columns(header, needed)
    try:
        table = pacsv.read_csv(
            p,
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(cols),
                # amounts are declared, not inferred: "12,30" or "n/a" fails
                # here with the column named instead of becoming strings
                column_types={monetary_value_col: pa.float64()} if monetary_value_col else {},
            ),
        )
    except pa.ArrowException as exc:
        raise ValueError(f"{p} is not a readable CSV file: {exc}") from None
    return table
