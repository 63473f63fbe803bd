"""The transaction file of ``clmkit report``, read with the command line's CSV options.

:func:`clmkit._io.read_transactions` reads it (ids always text, a UTF-8 byte-order mark
skipped, ``--delimiter`` / ``--decimal`` / ``--date-format`` passed through); this module adds
the advice a shell user needs when the file's separator is not the one given.
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from .._io import read_transactions

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa  # no type information: its objects are Any to mypy


def read_log(
    path: str,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: Optional[str],
    delimiter: Optional[str] = None,
    date_format: Optional[str] = None,
    decimal: str = ".",
) -> pa.Table:
    """Reads the needed columns of a CSV or Parquet log into a pyarrow Table.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        As :func:`clmkit._io.read_transactions`; a missing column of a file that reads as
        one column says which ``--delimiter`` it seems to use.
    """
    try:
        return read_transactions(
            path,
            customer_id_col,
            datetime_col,
            monetary_value_col,
            delimiter=delimiter,
            date_format=date_format,
            decimal=decimal,
        )
    except ValueError as exc:
        hint = _separator_hint(Path(path), delimiter) if "not a column" in str(exc) else ""
        if not hint:
            raise
        raise ValueError(f"{exc}{hint}") from None


def _separator_hint(p: Path, delimiter: Optional[str]) -> str:
    """ " (the file seems to be separated by ';': add --delimiter ';')" when the header read
    with the given separator is one field holding another separator."""
    try:
        opener = gzip.open if p.suffix.lower() == ".gz" else open
        with opener(p, "rt", encoding="utf-8-sig", newline="") as fh:
            line = fh.readline()
    except (OSError, UnicodeDecodeError):
        return ""
    sep = delimiter or ("\t" if ".tsv" in "".join(p.suffixes).lower() else ",")
    header = next(csv.reader([line], delimiter=sep), [])
    if len(header) != 1:
        return ""
    for other in (";", "\t", "|", ","):
        if other != sep and other in header[0]:
            shown = "tab" if other == "\t" else f"'{other}'"
            flag = "$'\\t'" if other == "\t" else f"'{other}'"
            return f" (the file seems to be separated by {shown}: add --delimiter {flag})"
    return ""


def read_covariates(
    path: str, customer_id_col: str, ids_as_text: bool = True, decimal: str = "."
) -> pd.DataFrame:
    """The ``--covariates`` file (CSV or Parquet) as a pandas table indexed by customer id
    (read as text, as the log's ids, unless ``ids_as_text`` is False). A CSV's separator is
    sniffed (it need not be the log's), a UTF-8 byte-order mark skipped as in the log, and
    numbers read with the log's ``--decimal`` mark.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When the file has no customer id column.
    """
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"--covariates {path} does not exist")
    if p.suffix.lower() == ".parquet":
        frame = pd.read_parquet(p)
    else:
        dtype = {customer_id_col: str} if ids_as_text else None
        frame = pd.read_csv(
            p, sep=None, engine="python", dtype=dtype, encoding="utf-8-sig", decimal=decimal
        )
    if customer_id_col not in frame.columns:
        raise ValueError(
            f"--covariates {path} has no column {customer_id_col!r} (the customer id); "
            f"its columns are {list(frame.columns)[:10]}"
        )
    if ids_as_text:
        frame[customer_id_col] = frame[customer_id_col].astype(str)
    indexed: pd.DataFrame = frame.set_index(customer_id_col)
    return indexed
