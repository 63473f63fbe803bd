"""Command-line interface: ``clmkit demo`` and ``clmkit report`` (for Airflow, cron, shells)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

import clmkit

EXIT_BAD_INPUT = 1


class _Progress:
    """Step-wise progress with timings on stderr: ``[  0.42 s] summary (0.013 s)``."""

    def __init__(self, quiet: bool = False) -> None:
        self.start = time.perf_counter()
        self.quiet = quiet

    def __call__(self, step: str, seconds: float) -> None:
        if not self.quiet:
            elapsed = time.perf_counter() - self.start
            print(f"[{elapsed:8.2f} s] {step} ({seconds:.3f} s)", file=sys.stderr, flush=True)

    def timed(self, step: str, fn: Any) -> Any:
        t0 = time.perf_counter()
        result = fn()
        self(step, time.perf_counter() - t0)
        return result


def _demo(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    log = clmkit.datasets.load_cdnow_master()
    loaded = time.perf_counter()
    summary = clmkit.summarize(log, "customer_id", "date", "amount", freq="D")
    done = time.perf_counter()
    print(
        f"CDNOW master log: {len(log):,} transactions of {log['customer_id'].nunique():,} customers"
    )
    print(summary.head(args.rows).to_string())
    print(
        f"loaded in {loaded - start:.3f} s, summarised in {done - loaded:.4f} s "
        f"on {clmkit.get_num_threads()} threads",
        file=sys.stderr,
    )
    return 0


def _report_inputs(args: argparse.Namespace, progress: _Progress) -> tuple:
    """The log and the analyze() arguments, from the file or the bundled CDNOW data."""
    options: dict[str, Any] = {
        "horizon": args.horizon,
        "freq": args.freq,
        "observation_period_end": args.observation_end,
        "calibration_period_end": args.calibration_end,
        "interval_level": args.interval_level or None,
        "n_boot": args.n_boot,
    }
    if args.demo:
        log = progress.timed("load bundled CDNOW master log", clmkit.datasets.load_cdnow_master)
        if options["calibration_period_end"] is None:
            options["calibration_period_end"] = "1997-09-30"  # the papers' 39-week calibration
        return log, ("customer_id", "date", "amount"), options
    from ._io import read_transactions

    cols = (args.customer_id_col, args.datetime_col, args.monetary_col)
    log = progress.timed(f"read {args.input}", lambda: read_transactions(args.input, *cols))
    return log, cols, options


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one line on stderr (no source excerpt): this is a tool, not a library."""
    print(f"clmkit: warning: {message}", file=sys.stderr, flush=True)


def _report(args: argparse.Namespace) -> int:
    progress = _Progress(args.quiet)
    if not args.debug:
        warnings.showwarning = _show_warning
    log, cols, options = _report_inputs(args, progress)
    out = Path(args.out).resolve()
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} exists and is not a directory")
    # the log (a pyarrow Table of the needed columns) is read without a copy; the files are
    # written from pandas
    analysis = clmkit.analyze(log, *cols, progress=progress, output="pandas", **options)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    try:
        analysis.save(tmp, progress=progress)
        _move_into_place(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"wrote {len(analysis.table):,} customers to {out}", file=sys.stderr)
    return 0


def _move_into_place(tmp: Path, out: Path) -> None:
    """Moves the finished files into ``out``: a new directory is renamed in one step; into an
    existing one each file is replaced atomically, other files there are left alone."""
    os.chmod(tmp, 0o777 & ~_umask())
    if not out.exists():
        os.replace(tmp, out)
        return
    for item in tmp.iterdir():
        os.replace(item, out / item.name)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _add_report_parser(sub: Any) -> None:
    rep = sub.add_parser(
        "report",
        help="analyze a transaction log: customer table + HTML report",
        description="Reads a CSV or Parquet transaction log and writes "
        "customers.parquet, customers.csv, models.json and report.html into --out.",
    )
    rep.add_argument("input", nargs="?", help="transaction log (.csv, .tsv, .csv.gz or .parquet)")
    rep.add_argument("--demo", action="store_true", help="use the bundled CDNOW master log")
    rep.add_argument("--customer-id-col", help="customer id column")
    rep.add_argument("--datetime-col", help="purchase date/time column")
    rep.add_argument("--monetary-col", help="transaction value column (enables spend and CLV)")
    rep.add_argument("--out", required=True, help="output directory (created if missing)")
    rep.add_argument("--horizon", default="365D", help="prediction horizon (default 365D)")
    rep.add_argument("--freq", default="D", help="time unit: H, D, W, M or Y (default D)")
    rep.add_argument("--observation-end", help="end of observation (default: last transaction)")
    rep.add_argument("--calibration-end", help="also fit up to this date and plot the holdout")
    rep.add_argument(
        "--interval-level",
        type=float,
        default=0.9,
        help="coverage of the CLV interval (default 0.9); 0 leaves it out",
    )
    rep.add_argument(
        "--n-boot",
        type=int,
        default=100,
        help="bootstrap replicates of the CLV interval (default 100)",
    )
    rep.add_argument("--quiet", action="store_true", help="no progress on stderr")
    rep.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    rep.set_defaults(func=_report, validate=_validate_report)


def _validate_report(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.demo:
        if args.input:
            parser.error("give either INPUT or --demo, not both")
        return
    if not args.input:
        parser.error("INPUT is required (or --demo)")
    for flag in ("customer_id_col", "datetime_col"):
        if getattr(args, flag) is None:
            parser.error(f"--{flag.replace('_', '-')} is required with INPUT")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clmkit", description=clmkit.__doc__)
    parser.add_argument("--version", action="version", version=f"clmkit {clmkit.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="summarise the bundled CDNOW log and print the head")
    demo.add_argument("--rows", type=int, default=10, help="rows of the summary to print")
    demo.set_defaults(func=_demo, validate=None)
    _add_report_parser(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``clmkit`` console script.

    User errors (missing file or column, unparseable dates, bad options) print one line
    ``clmkit: error: ...`` and return 1; ``--debug`` shows the traceback instead.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.validate is not None:
        args.validate(parser, args)
    try:
        return int(args.func(args))
    except (ValueError, TypeError, KeyError, OSError, ImportError, clmkit.ConvergenceError) as exc:
        if getattr(args, "debug", False):
            traceback.print_exc()
        else:
            message = " ".join(str(exc).split()) or type(exc).__name__
            print(f"clmkit: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
