"""``clmkit report --contractual``: a subscription log to the per-subscriber table and report.

The input holds one row per subscription (customer id, start, end; an empty end is a
subscription still running). The command summarises it with
:func:`clmkit.summarize_subscriptions`, fits a retention model (beta-discrete-Weibull by
default, or the shifted-beta-geometric) and writes ``subscribers.parquet`` /
``subscribers.csv`` (tenure, P(active next period), expected residual lifetime, DERL and its
value), ``model.json`` and ``report.html``, with the same safety as ``clmkit report``: a
temporary folder moved into place, an input inside ``--out`` refused, one-line errors.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Optional, TypeVar, Union

from ..exceptions import ClmkitWarning
from .messages import flag_message

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from ..contractual._base import RetentionModelBase

T = TypeVar("T")

#: Output format -> file name of the contractual run.
FILES = {
    "parquet": "subscribers.parquet",
    "csv": "subscribers.csv",
    "json": "model.json",
    "html": "report.html",
}
MODELS = ("bdw", "sbg")


def read_subscriptions(
    path: Union[str, Path],
    customer_id_col: str,
    start_col: str,
    end_col: Optional[str],
    delimiter: Optional[str] = None,
    date_format: Optional[str] = None,
) -> pa.Table:
    """Reads the id, start and end columns of a CSV or Parquet subscription log.

    In a CSV the id is text and the dates are read as text (parsed by
    :func:`clmkit.summarize_subscriptions`, or with ``date_format``); an empty end is null
    (still running). A UTF-8 byte-order mark is accepted.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        Unknown file type, a missing column, a malformed file or a file without data rows.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "subs.csv"
    >>> _ = path.write_text("id;start;end\\n007;31/01/2024;\\n7;01/02/2024;01/05/2024\\n")
    >>> t = read_subscriptions(path, "id", "start", "end", delimiter=";",
    ...                        date_format="%d/%m/%Y")
    >>> t.column("id").to_pylist(), t.column("end").null_count
    (['007', '7'], 1)
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from .._io import _files
    from .._validation import require_columns

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"input file not found: {p}")
    needed = {"customer_id_col": customer_id_col, "start_col": start_col, "end_col": end_col}
    suffix = "".join(p.suffixes[-2:]).lower()
    if suffix.endswith(_files._PARQUET_SUFFIXES):
        table = _files._read_parquet(p, needed)
    elif suffix.endswith(_files._CSV_SUFFIXES):
        sep = _files._check_char(delimiter, "delimiter") if delimiter is not None else None
        sep = sep or ("\t" if ".tsv" in suffix else ",")
        header = _files._header(p, sep)
        require_columns(header, needed)
        columns = _files._columns(needed)
        try:
            table = pacsv.read_csv(
                p,
                parse_options=pacsv.ParseOptions(delimiter=sep),
                convert_options=pacsv.ConvertOptions(
                    include_columns=columns,
                    column_types={c: pa.string() for c in columns},
                    null_values=[""],
                    strings_can_be_null=True,
                ),
            )
        except pa.ArrowException as exc:
            raise _files._csv_error(p, exc, header, needed, sep, ".") from None
        if date_format is not None and table.num_rows:
            for arg in ("start_col", "end_col"):
                col = needed[arg]
                if col is not None:
                    i = table.schema.get_field_index(col)
                    parsed = _files._parse_dates(table.column(col), f"{arg} {col!r}", date_format)
                    table = table.set_column(i, col, parsed)
    else:
        raise ValueError(f"{p}: unknown file type {p.suffix!r}; expected .csv, .tsv or .parquet")
    if table.num_rows == 0:
        raise ValueError(f"{p} holds no subscriptions (no data rows below the header)")
    return table


def _timed(progress: Callable[[str, float], None], step: str, fn: Callable[[], T]) -> T:
    import time

    t0 = time.perf_counter()
    result = fn()
    progress(step, time.perf_counter() - t0)
    return result


def _read(args: argparse.Namespace) -> pa.Table:
    """read_subscriptions with the separator advice of ``clmkit report``."""
    from .inputs import _separator_hint

    cols = (args.customer_id_col, args.start_col, args.end_col)
    try:
        return read_subscriptions(args.input, *cols, args.delimiter, args.date_format)
    except ValueError as exc:
        hint = (
            _separator_hint(Path(args.input), args.delimiter) if "not a column" in str(exc) else ""
        )
        if not hint:
            raise
        raise ValueError(f"{exc}{hint}") from None


def _check_options(args: argparse.Namespace) -> None:
    if args.discount_rate is not None and not args.discount_rate > 0:
        raise ValueError(f"--discount-rate must be > 0 per period, got {args.discount_rate}")
    if args.margin is not None and not abs(args.margin) < float("inf"):
        raise ValueError(f"--margin must be a finite number, got {args.margin}")


def analyse(
    args: argparse.Namespace, progress: Callable[[str, float], None]
) -> tuple[RetentionModelBase, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(model, summary, per-customer table, cohort survivors) of the run."""
    import clmkit
    from clmkit.contractual import cohort_survivors, customer_table

    _check_options(args)
    log = _timed(progress, f"read {args.input}", lambda: _read(args))
    subs = _timed(
        progress,
        "summarize subscriptions",
        lambda: clmkit.summarize_subscriptions(
            log,
            args.customer_id_col,
            args.start_col,
            args.end_col,
            observation_period_end=args.observation_end,
            period=args.period,
            output="pandas",
            renewal_dates=getattr(args, "renewal_dates", "calendar"),
        ),
    )
    name = args.model or "bdw"
    model = clmkit.BetaDiscreteWeibull() if name == "bdw" else clmkit.ShiftedBetaGeometric()
    _timed(progress, f"fit {type(model).__name__}", lambda: model.fit(subs))
    margin = 1.0 if args.margin is None else float(args.margin)
    rate = 0.01 if args.discount_rate is None else float(args.discount_rate)
    table = customer_table(model, subs, margin, rate)
    table.insert(0, "cohort", subs["cohort"].astype(str))
    table.insert(1, "renewals", subs["renewals"])
    table["tenure"] = subs["tenure"]  # whole periods (customer_table gives floats)
    if args.margin is None:
        table = table.drop(columns="value")
    survivors = cohort_survivors(subs)
    return model, subs, table, survivors


def write_outputs(
    tmp: Path,
    args: argparse.Namespace,
    formats: Sequence[str],
    parts: tuple[RetentionModelBase, pd.DataFrame, pd.DataFrame, pd.DataFrame],
    notes: Sequence[str] = (),
) -> None:
    """Writes the chosen files of the run into the (temporary) folder ``tmp``."""
    from ..report.contractual import render_contractual_report

    model, subs, table, survivors = parts
    if "parquet" in formats:
        table.to_parquet(tmp / FILES["parquet"])
    if "csv" in formats:
        table.to_csv(tmp / FILES["csv"])
    (tmp / FILES["json"]).write_text(model.to_json(), encoding="utf-8")
    settings = {
        "input": Path(args.input).name,
        "period": args.period,
        "margin": args.margin,
        "discount_rate": 0.01 if args.discount_rate is None else args.discount_rate,
        "currency": args.currency,
        "observation_period": subs.attrs.get("clmkit", {}).get("observation_period", ""),
        "warnings": list(notes),
    }
    html = render_contractual_report(model, subs, table, survivors, settings)
    (tmp / FILES["html"]).write_text(html, encoding="utf-8")


def run_contractual(args: argparse.Namespace, progress: Callable[[str, float], None]) -> int:
    """The whole ``--contractual`` run; the caller maps errors to one line and exit codes."""
    from .outdir import move_into_place, remove_stale_tmp, tmp_prefix

    formats = (*args.formats, "json", "html")
    out = Path(args.out).resolve()
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} exists and is not a directory")
    source = Path(args.input).resolve()
    for name in (FILES[f] for f in formats):
        if (out / name).resolve() == source:
            raise ValueError(
                f"the input file {args.input} would be replaced by the output {name}: "
                f"choose another --out or move the input"
            )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ClmkitWarning)
        parts = analyse(args, progress)
    notes = list(dict.fromkeys(flag_message(w.message) for w in caught))
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_tmp(out)
    prefix = f"{tmp_prefix(out)}{os.getpid()}-"
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=prefix))
    try:
        _timed(progress, "write files", lambda: write_outputs(tmp, args, formats, parts, notes))
        move_into_place(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"wrote {len(parts[2]):,} subscribers to {out}", file=sys.stderr)
    for text in notes:
        print(f"clmkit: warning: {text}", file=sys.stderr)
    return 0
