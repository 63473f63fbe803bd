"""Errors and warnings in the command line's words.

The library names its Python arguments (``customer_id_col=``) and counts rows from 0, as a
DataFrame does; a shell user typed flags (``--customer-id-col``) and counts the data rows of a
file from 1, as a spreadsheet does (the header is line 1, the first data row line 2).
"""

from __future__ import annotations

import re

from ..exceptions import InvalidValueError, bounded

#: Python argument -> the flag that sets it.
FLAGS = {
    "customer_id_col": "--customer-id-col",
    "datetime_col": "--datetime-col",
    "monetary_value_col": "--monetary-col",
    "observation_period_end": "--observation-end",
    "calibration_period_end": "--calibration-end",
    "interval_level": "--interval-level",
    "horizon": "--horizon",
    "freq": "--freq",
    "new_window": "--new-window",
    "maturity_window": "--maturity-window",
    "churn_window": "--churn-window",
    "currency": "--currency",
    "delimiter": "--delimiter",
    "date_format": "--date-format",
    "decimal": "--decimal",
    "start_col": "--start-col",
    "end_col": "--end-col",
    "discount_rate": "--discount-rate",
}
_ARG = re.compile(r"(?<!-)\b(" + "|".join(FLAGS) + r")\b(=| ?:)?")  # not an already written --flag
# "arg=value" reads "--flag value"; "arg: reason" keeps its colon: "--flag: reason"
_SEPARATOR = {"=": " ", ":": ":", " :": ":"}
_ROW = re.compile(r"\brow (\d+)\b(?: \(index [^)]*\))?")
# Python-only advice the command line cannot follow ("pass method='resample'", "use
# clmkit.summarize"): the sentence is dropped rather than shown to a shell user.
_PYTHON_ADVICE = re.compile(r"[;,(]?\s*(?:pass|use|try|set) [^;.)]*(?:=|clmkit\.)[^;.)]*[;.)]?")


def flag_message(error: object, csv_rows: bool = True) -> str:
    """One line: the error with flags for argument names and rows counted from 1.

    ``csv_rows`` adds the file's line number (header on line 1) to the data row.

    Examples
    --------
    >>> flag_message(ValueError("customer_id_col='id' is not a column"))
    "--customer-id-col 'id' is not a column"
    >>> from clmkit.exceptions import InvalidValueError
    >>> flag_message(InvalidValueError("datetime_col", 3, "x", "not a date"))
    '--datetime-col: data row 4 (line 5) has invalid value x (not a date)'
    """
    if isinstance(error, InvalidValueError):
        row = error.position if error.position is not None else error.row
        text = f"{error.arg}: row {row} has invalid value {error.value} ({error.reason})"
    else:
        text = str(error) or type(error).__name__
    text = " ".join(text.split())
    text = _ARG.sub(lambda m: FLAGS[m.group(1)] + _SEPARATOR.get(m.group(2) or "", ""), text)
    text = text.replace("-- ", "--").replace(" :", ":")
    text = _ROW.sub(lambda m: _row_words(int(m.group(1)), csv_rows), text)
    text = _PYTHON_ADVICE.sub("", text).strip()
    return bounded(text, 600)


def _row_words(position: int, csv_rows: bool) -> str:
    if csv_rows:
        return f"data row {position + 1} (line {position + 2})"
    return f"data row {position + 1}"
